//! `aeif_psc_delta_clopath`: adaptive exponential integrate-and-fire neuron with delta
//! (voltage-jump) synapses, adaptive threshold, spike-afterpotential current, a clamp after each
//! spike, and the three low-pass filters of V that the Clopath rule reads.
//!
//! Equations (V the effective voltage: `V_clamp` while clamped, `V_reset` while refractory,
//! else `min(V_m, V_peak)`):
//! ```text
//! C_m dV_m/dt = −g_L (V − E_L) + g_L Δ_T exp((V − V_th)/Δ_T) − w + z + I_e + I_stim   (0 if clamped or refractory)
//! τ_w dw/dt   = a (V − E_L) − w                                                     (0 if clamped)
//! τ_z dz/dt   = −z ;   τ_V_th dV_th/dt = −(V_th − V_th_rest)
//! τ_+ dū+/dt = V − ū+ ;  τ_− dū−/dt = V − ū− ;  τ_ūū dū̄/dt = ū− − ū̄
//! ```
//! A spike when `V_m ≥ V_peak` (or `≥ V_th` if `Delta_T = 0`): `V_m = V_clamp`, `w += b`,
//! `z = I_sp`, `V_th = V_th_max`; V stays clamped for `t_clamp`, then `V_reset` for `t_ref`.
//! Integrated with RKF45 under GSL's `yp` control (`gsl_error_tol`), step size carried over.
//! Order of operations in a step as NEST's (nest-models.md §1.5): spike input is added after
//! the first adaptive sub-step and discarded while clamped or refractory.
//!
//! Parameters: run `evplast models aeif_psc_delta_clopath` (NEST names, defaults, units).
//! State `V_m`, `w`, `u_bar_plus`, `u_bar_minus`, `u_bar_bar` is settable; its initial values
//! come from the default parameters (E_L = −70.6 mV), as in NEST.
//!
//! References: Clopath et al. (2010) Nat Neurosci 13:344, doi:10.1038/nn.2479;
//! Brette & Gerstner (2005) J Neurophysiol 94:3637, doi:10.1152/jn.00686.2005.
//! Partners: `clopath_synapse` (plastic), `static_synapse`, `dc_generator` (current).
//! Deviation from NEST: a non-finite state also stops the run (NEST checks only V_m < −1e3 and
//! |w| > 1e6, which we check too).

use evplast_kernel::archive::clopath::Voltages;
use evplast_kernel::inputs::ChannelKind;
use evplast_kernel::network::{Population, SliceCtx, SpikeEvent};
use evplast_kernel::record::MultimeterData;
use evplast_kernel::rkf45::{evolve_apply_cached, Control, StepSize};
use evplast_kernel::{NumericalInstability, Resolution, Step};

use crate::clopath_archiving::{write_clopath, ClopathParams};
use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, Reader};
use crate::population::Block;

/// NEST model name.
pub const MODEL: &str = "aeif_psc_delta_clopath";

nest_params! {
    /// Neuron parameters (NEST defaults).
    pub struct Params {
        v_peak: f64 = 33.0, "V_peak", "mV", "spike detection threshold (if Delta_T > 0)";
        v_reset: f64 = -60.0, "V_reset", "mV", "reset value after the clamp";
        t_ref: f64 = 0.0, "t_ref", "ms", "refractory period, starts after the clamp";
        g_l: f64 = 30.0, "g_L", "nS", "leak conductance";
        c_m: f64 = 281.0, "C_m", "pF", "membrane capacitance";
        e_l: f64 = -70.6, "E_L", "mV", "leak reversal potential";
        delta_t: f64 = 2.0, "Delta_T", "mV", "slope factor";
        tau_w: f64 = 144.0, "tau_w", "ms", "adaptation time constant";
        tau_z: f64 = 40.0, "tau_z", "ms", "spike-afterpotential current time constant";
        tau_v_th: f64 = 50.0, "tau_V_th", "ms", "threshold relaxation time constant";
        v_th_max: f64 = 30.4, "V_th_max", "mV", "threshold right after a spike";
        v_th_rest: f64 = -50.4, "V_th_rest", "mV", "resting threshold";
        tau_plus: f64 = 7.0, "tau_u_bar_plus", "ms", "time constant of u_bar_plus";
        tau_minus: f64 = 10.0, "tau_u_bar_minus", "ms", "time constant of u_bar_minus";
        tau_bar_bar: f64 = 500.0, "tau_u_bar_bar", "ms", "time constant of u_bar_bar";
        a: f64 = 4.0, "a", "nS", "subthreshold adaptation";
        b: f64 = 80.5, "b", "pA", "spike-triggered adaptation increment";
        i_sp: f64 = 400.0, "I_sp", "pA", "value z is set to at a spike";
        i_e: f64 = 0.0, "I_e", "pA", "constant input current";
        gsl_error_tol: f64 = 1e-6, "gsl_error_tol", "", "integrator tolerance (absolute and relative)";
        t_clamp: f64 = 2.0, "t_clamp", "ms", "duration of the clamp after a spike";
        v_clamp: f64 = 33.0, "V_clamp", "mV", "value V_m is clamped to after a spike";
    }
}

nest_params! {
    /// Settable state (initial values from the default parameters).
    pub struct InitState {
        v_m: f64 = -70.6, "V_m", "mV", "membrane potential";
        w: f64 = 0.0, "w", "pA", "adaptation current";
        u_bar_plus: f64 = -70.6, "u_bar_plus", "mV", "low-pass filtered V_m (tau_u_bar_plus)";
        u_bar_minus: f64 = -70.6, "u_bar_minus", "mV", "low-pass filtered V_m (tau_u_bar_minus)";
        u_bar_bar: f64 = -70.6, "u_bar_bar", "mV", "low-pass filtered u_bar_minus (tau_u_bar_bar)";
    }
}

/// Everything one node of this model is created with.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeParams {
    pub p: Params,
    pub clopath: ClopathParams,
    pub init: InitState,
}

/// Recordable state, in state-vector order.
pub const RECORDABLES: &[&str] = &[
    "V_m",
    "w",
    "z",
    "V_th",
    "u_bar_plus",
    "u_bar_minus",
    "u_bar_bar",
];
/// Per node: spike input (receptor 0), current input.
pub const INPUTS: &[ChannelKind] = &[ChannelKind::Weighted, ChannelKind::Weighted];

const V_M: usize = 0;
const W: usize = 1;
const Z: usize = 2;
const V_TH: usize = 3;
const U_PLUS: usize = 4;
const U_MINUS: usize = 5;
const U_BAR_BAR: usize = 6;

/// Reads and validates one node's parameters (NEST's rules, nest-models.md §1.2).
pub fn parse(map: &ParamMap) -> Result<NodeParams, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut p = Params::default();
    p.apply(&mut r)?;
    let clopath = ClopathParams::read(&mut r)?;
    let mut init = InitState::default();
    init.apply(&mut r)?;
    r.finish()?;
    let m = MODEL;
    require(
        p.v_reset < p.v_peak,
        m,
        "V_reset",
        p.v_reset,
        "must be smaller than V_peak",
    )?;
    require(p.delta_t >= 0.0, m, "Delta_T", p.delta_t, "must be >= 0")?;
    require(
        p.v_th_max >= p.v_th_rest,
        m,
        "V_th_max",
        p.v_th_max,
        "must be >= V_th_rest",
    )?;
    require(
        p.v_peak >= p.v_th_rest,
        m,
        "V_peak",
        p.v_peak,
        "must be >= V_th_rest",
    )?;
    require(p.c_m > 0.0, m, "C_m", p.c_m, "must be > 0")?;
    require(p.t_ref >= 0.0, m, "t_ref", p.t_ref, "must be >= 0")?;
    require(p.t_clamp >= 0.0, m, "t_clamp", p.t_clamp, "must be >= 0")?;
    for (k, v) in [
        ("tau_w", p.tau_w),
        ("tau_z", p.tau_z),
        ("tau_V_th", p.tau_v_th),
        ("tau_u_bar_plus", p.tau_plus),
        ("tau_u_bar_minus", p.tau_minus),
        ("tau_u_bar_bar", p.tau_bar_bar),
    ] {
        require(v > 0.0, m, k, v, "all time constants must be > 0")?;
    }
    require(
        p.gsl_error_tol > 0.0,
        m,
        "gsl_error_tol",
        p.gsl_error_tol,
        "must be > 0",
    )?;
    if p.delta_t > 0.0 {
        // exp((V_peak − V_th_rest)/Δ_T) must not overflow (NEST's guard).
        let limit = (f64::MAX / 1e20).ln();
        require(
            (p.v_peak - p.v_th_rest) / p.delta_t < limit,
            m,
            "Delta_T",
            p.delta_t,
            "(V_peak - V_th_rest) / Delta_T overflows exp()",
        )?;
    }
    Ok(NodeParams { p, clopath, init })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    Params::describe(out);
    ClopathParams::describe(out);
    InitState::describe(out);
}

#[derive(Clone, Debug)]
struct Node {
    p: Params,
    y: [f64; 7],
    /// Refractory and clamp steps left.
    r: Step,
    clamp_r: Step,
    ref_counts: Step,
    clamp_counts: Step,
    /// Carried adaptive step size (ms).
    h_int: StepSize,
    i_stim: f64,
    /// The right-hand side at the current state, while nothing it depends on has changed.
    dydt: Option<[f64; 7]>,
}

/// A population of `aeif_psc_delta_clopath` neurons.
pub struct AeifPscDeltaClopath {
    nodes: Vec<Node>,
    block: Block,
}

impl AeifPscDeltaClopath {
    /// Builds the population from per-node parameters.
    pub fn new(params: &[NodeParams], block: Block, res: Resolution) -> Self {
        let nodes = params
            .iter()
            .map(|np| {
                let s = &np.init;
                Node {
                    p: np.p.clone(),
                    y: [
                        s.v_m,
                        s.w,
                        0.0,
                        -50.4,
                        s.u_bar_plus,
                        s.u_bar_minus,
                        s.u_bar_bar,
                    ],
                    r: 0,
                    clamp_r: 0,
                    ref_counts: res.duration_steps(np.p.t_ref),
                    clamp_counts: res.duration_steps(np.p.t_clamp),
                    // NEST starts this model's adaptive step at min(0.01 ms, h), not at h
                    // (aeif_psc_delta_clopath.cpp, init_buffers_); nest-models.md §1.4 says h.
                    h_int: StepSize::new(res.h().min(0.01)),
                    i_stim: 0.0,
                    dydt: None,
                }
            })
            .collect();
        Self { nodes, block }
    }

    /// The sampler registry (for multimeters).
    pub fn block_mut(&mut self) -> &mut Block {
        &mut self.block
    }
}

/// The right-hand side with the flags and current frozen for the whole step.
#[inline]
fn rhs(p: &Params, refr: bool, clamped: bool, i_stim: f64, y: &[f64; 7], f: &mut [f64; 7]) {
    let v = if clamped {
        p.v_clamp
    } else if refr {
        p.v_reset
    } else {
        y[V_M].min(p.v_peak)
    };
    let w = y[W];
    let z = y[Z];
    let v_th = y[V_TH];
    let i_spike = if p.delta_t == 0.0 {
        0.0
    } else {
        p.g_l * p.delta_t * ((v - v_th) / p.delta_t).exp()
    };
    f[V_M] = if refr || clamped {
        0.0
    } else {
        (-p.g_l * (v - p.e_l) + i_spike - w + z + p.i_e + i_stim) / p.c_m
    };
    f[W] = if clamped {
        0.0
    } else {
        (p.a * (v - p.e_l) - w) / p.tau_w
    };
    f[Z] = -z / p.tau_z;
    f[V_TH] = -(v_th - p.v_th_rest) / p.tau_v_th;
    f[U_PLUS] = (-y[U_PLUS] + v) / p.tau_plus;
    f[U_MINUS] = (-y[U_MINUS] + v) / p.tau_minus;
    f[U_BAR_BAR] = (-y[U_BAR_BAR] + y[U_MINUS]) / p.tau_bar_bar;
}

impl Population for AeifPscDeltaClopath {
    fn model(&self) -> &'static str {
        MODEL
    }

    fn update(&mut self, ctx: &mut SliceCtx<'_>) -> Result<(), NumericalInstability> {
        let h = ctx.res.h();
        for (i, n) in self.nodes.iter_mut().enumerate() {
            let spike_ch = self.block.channel(i, 0);
            let current_ch = self.block.channel(i, 1);
            let archive = self.block.archive[i];
            let control = Control::yp(n.p.gsl_error_tol, n.p.gsl_error_tol);
            for k in ctx.from..ctx.to {
                let i_stim = n.i_stim;
                let p = &n.p;
                let mut t = 0.0;
                while t < h {
                    // The flags are read from the counters at each sub-step call, so a spike in
                    // an early sub-step clamps the later ones of the same step (as in NEST).
                    let (refr, clamped) = (n.r > 0, n.clamp_r > 0);
                    let mut f =
                        |y: &[f64; 7], dy: &mut [f64; 7]| rhs(p, refr, clamped, i_stim, y, dy);
                    evolve_apply_cached(
                        &control,
                        &mut f,
                        &mut t,
                        h,
                        &mut n.h_int,
                        &mut n.y,
                        &mut n.dydt,
                    );
                    if n.y[V_M] < -1e3 || n.y[W].abs() > 1e6 || n.y.iter().any(|x| !x.is_finite()) {
                        return Err(NumericalInstability {
                            node: self.block.node(i).0,
                            model: MODEL,
                            time_ms: ctx.res.ms(k + 1),
                            what: format!("V_m = {}, w = {}", n.y[V_M], n.y[W]),
                        });
                    }
                    let input = ctx.inputs.take(spike_ch, k);
                    if n.r == 0 && n.clamp_r == 0 && input != 0.0 {
                        n.y[V_M] += input;
                        n.dydt = None;
                    }
                    let threshold = if p.delta_t == 0.0 {
                        n.y[V_TH]
                    } else {
                        p.v_peak
                    };
                    if n.y[V_M] >= threshold && n.clamp_r == 0 {
                        n.dydt = None;
                        n.y[V_M] = p.v_clamp;
                        n.y[W] += p.b;
                        n.y[Z] = p.i_sp;
                        n.y[V_TH] = p.v_th_max;
                        n.clamp_r = if n.clamp_counts > 0 {
                            n.clamp_counts + 1
                        } else {
                            0
                        };
                        ctx.out.spikes.push(SpikeEvent {
                            source: self.block.node(i),
                            stamp: k + 1,
                            multiplicity: 1,
                            weight_factor: 1.0,
                        });
                    } else if n.clamp_r == 1 {
                        n.dydt = None;
                        n.y[V_M] = p.v_reset;
                        n.clamp_r = 0;
                        n.r = if n.ref_counts > 0 {
                            n.ref_counts + 1
                        } else {
                            0
                        };
                    }
                    if n.r > 0 {
                        n.y[V_M] = p.v_reset;
                        n.dydt = None;
                    }
                }
                if let Some(a) = archive {
                    let v = Voltages {
                        u: n.y[V_M],
                        u_plus: n.y[U_PLUS],
                        u_minus: n.y[U_MINUS],
                        u_bar_bar: n.y[U_BAR_BAR],
                    };
                    write_clopath(ctx, a, k + 1, v);
                }
                if n.clamp_r > 0 || n.r > 0 {
                    // The flags the right-hand side reads may change.
                    n.dydt = None;
                }
                if n.clamp_r > 0 {
                    n.clamp_r -= 1;
                }
                if n.r > 0 {
                    n.r -= 1;
                }
                let i_stim = ctx.inputs.take(current_ch, k);
                if i_stim != n.i_stim {
                    n.dydt = None;
                }
                n.i_stim = i_stim;
                if self.block.samplers.is_sampled(i) {
                    let y = n.y;
                    self.block.samplers.sample(i, k + 1, |f| y[f]);
                }
            }
        }
        Ok(())
    }

    fn drain_samples(&mut self, out: &mut [MultimeterData]) {
        self.block.samplers.drain_into(out);
    }
}
