//! `hh_psc_alpha_clopath`: Hodgkin–Huxley neuron with alpha-shaped synaptic currents and the
//! low-pass filters of V the Clopath rule reads.
//!
//! ```text
//! C_m dV/dt = −(g_Na m³h (V − E_Na) + g_K n⁴ (V − E_K) + g_L (V − E_L)) + I_stim + I_e + I_ex + I_in
//! dm/dt = α_m(1 − m) − β_m m   (likewise h, n; rates of nest-models.md §1b)
//! dI_x/dt = dI_x' − I_x/τ_x ;  d(dI_x')/dt = −dI_x'/τ_x   (x = ex, in)
//! τ_+ dū+/dt = V − ū+ ;  τ_− dū−/dt = V − ū− ;  τ_ūū dū̄/dt = ū− − ū̄
//! ```
//! A spike of weight w > 0 adds `w·e/τ_syn_ex` to dI_ex' (peak current w pA), w ≤ 0 likewise to
//! the inhibitory channel; input is added after integrating the step. A spike is detected one
//! step after the peak (`V ≥ 0` and V falling), then `t_ref` blocks detection.
//! Integrated with RKF45 under GSL's `y` control (absolute 1e-3), step size carried over.
//!
//! Initial state as NEST's: V_m = −65 mV, m, h, n at their steady state at −65 mV, everything
//! else (including the three ū) 0.
//!
//! Parameters: `evplast models hh_psc_alpha_clopath`. References: Hodgkin & Huxley (1952)
//! J Physiol 117:500, doi:10.1113/jphysiol.1952.sp004764; Clopath et al. (2010),
//! doi:10.1038/nn.2479. Partners: `clopath_synapse`, `static_synapse`, `dc_generator`.
//! Deviation from NEST: a non-finite state stops the run with an error.

use evplast_kernel::archive::clopath::{UBarDelay, Voltages};
use evplast_kernel::inputs::ChannelKind;
use evplast_kernel::network::{Population, SliceCtx, SpikeEvent, StatusCtx};
use evplast_kernel::record::MultimeterData;
use evplast_kernel::rkf45::{evolve_step, Control, StepSize};
use evplast_kernel::snapshot::{Snap, Snapshot};
use evplast_kernel::{NumericalInstability, Resolution, Step};

use crate::clopath_archiving::{write_clopath, ClopathParams};
use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, Reader};
use crate::population::{reparsed, Block};

/// NEST model name.
pub const MODEL: &str = "hh_psc_alpha_clopath";

nest_params! {
    /// Neuron parameters (NEST defaults).
    pub struct Params {
        t_ref: f64 = 2.0, "t_ref", "ms", "refractory period (no spike detection)";
        g_na: f64 = 12000.0, "g_Na", "nS", "sodium peak conductance";
        g_k: f64 = 3600.0, "g_K", "nS", "potassium peak conductance";
        g_l: f64 = 30.0, "g_L", "nS", "leak conductance";
        c_m: f64 = 100.0, "C_m", "pF", "membrane capacitance";
        e_na: f64 = 50.0, "E_Na", "mV", "sodium reversal potential";
        e_k: f64 = -77.0, "E_K", "mV", "potassium reversal potential";
        e_l: f64 = -54.402, "E_L", "mV", "leak reversal potential";
        tau_syn_ex: f64 = 0.2, "tau_syn_ex", "ms", "rise time of the excitatory alpha current";
        tau_syn_in: f64 = 2.0, "tau_syn_in", "ms", "rise time of the inhibitory alpha current";
        i_e: f64 = 0.0, "I_e", "pA", "constant input current";
        tau_plus: f64 = 114.0, "tau_u_bar_plus", "ms", "time constant of u_bar_plus";
        tau_minus: f64 = 10.0, "tau_u_bar_minus", "ms", "time constant of u_bar_minus";
        tau_bar_bar: f64 = 500.0, "tau_u_bar_bar", "ms", "time constant of u_bar_bar";
    }
}

fn alpha_n(v: f64) -> f64 {
    (0.01 * (v + 55.0)) / (1.0 - (-(v + 55.0) / 10.0).exp())
}
fn beta_n(v: f64) -> f64 {
    0.125 * (-(v + 65.0) / 80.0).exp()
}
fn alpha_m(v: f64) -> f64 {
    (0.1 * (v + 40.0)) / (1.0 - (-(v + 40.0) / 10.0).exp())
}
fn beta_m(v: f64) -> f64 {
    4.0 * (-(v + 65.0) / 18.0).exp()
}
fn alpha_h(v: f64) -> f64 {
    0.07 * (-(v + 65.0) / 20.0).exp()
}
fn beta_h(v: f64) -> f64 {
    1.0 / (1.0 + (-(v + 35.0) / 10.0).exp())
}

fn steady(a: f64, b: f64) -> f64 {
    a / (a + b)
}

nest_params! {
    /// Settable state. Gating variables default to their steady state at −65 mV.
    pub struct InitState {
        v_m: f64 = -65.0, "V_m", "mV", "membrane potential";
        act_m: f64 = steady(alpha_m(-65.0), beta_m(-65.0)), "Act_m", "", "Na activation m";
        inact_h: f64 = steady(alpha_h(-65.0), beta_h(-65.0)), "Inact_h", "", "Na inactivation h";
        act_n: f64 = steady(alpha_n(-65.0), beta_n(-65.0)), "Act_n", "", "K activation n";
        u_bar_plus: f64 = 0.0, "u_bar_plus", "mV", "low-pass filtered V_m (tau_u_bar_plus)";
        u_bar_minus: f64 = 0.0, "u_bar_minus", "mV", "low-pass filtered V_m (tau_u_bar_minus)";
        u_bar_bar: f64 = 0.0, "u_bar_bar", "mV", "low-pass filtered u_bar_minus (tau_u_bar_bar)";
    }
}

/// Everything one node of this model is created with.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeParams {
    pub p: Params,
    pub clopath: ClopathParams,
    pub init: InitState,
}

const V_M: usize = 0;
const HH_M: usize = 1;
const HH_H: usize = 2;
const HH_N: usize = 3;
const DI_EX: usize = 4;
const I_EX: usize = 5;
const DI_IN: usize = 6;
const I_IN: usize = 7;
const U_PLUS: usize = 8;
const U_MINUS: usize = 9;
const U_BAR_BAR: usize = 10;

/// Recordable names and their state index.
pub const RECORDABLES: &[&str] = &[
    "V_m",
    "Act_m",
    "Inact_h",
    "Act_n",
    "I_syn_ex",
    "I_syn_in",
    "u_bar_plus",
    "u_bar_minus",
    "u_bar_bar",
];
const RECORD_INDEX: [usize; 9] = [
    V_M, HH_M, HH_H, HH_N, I_EX, I_IN, U_PLUS, U_MINUS, U_BAR_BAR,
];
/// Per node: spikes (excitatory, then inhibitory by sign), current input.
pub const INPUTS: &[ChannelKind] = &[
    ChannelKind::SignSplit,
    ChannelKind::Weighted,
    ChannelKind::Weighted,
];

/// Reads and validates one node's parameters.
pub fn parse(map: &ParamMap) -> Result<NodeParams, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut p = Params::default();
    p.apply(&mut r)?;
    let clopath = ClopathParams::read(&mut r)?;
    let mut init = InitState::default();
    init.apply(&mut r)?;
    r.finish()?;
    let m = MODEL;
    require(p.c_m > 0.0, m, "C_m", p.c_m, "must be > 0")?;
    require(p.t_ref >= 0.0, m, "t_ref", p.t_ref, "must be >= 0")?;
    require(p.g_k >= 0.0, m, "g_K", p.g_k, "conductances must be >= 0")?;
    require(
        p.g_na >= 0.0,
        m,
        "g_Na",
        p.g_na,
        "conductances must be >= 0",
    )?;
    require(p.g_l >= 0.0, m, "g_L", p.g_l, "conductances must be >= 0")?;
    for (k, v) in [
        ("tau_syn_ex", p.tau_syn_ex),
        ("tau_syn_in", p.tau_syn_in),
        ("tau_u_bar_plus", p.tau_plus),
        ("tau_u_bar_minus", p.tau_minus),
        ("tau_u_bar_bar", p.tau_bar_bar),
    ] {
        require(v > 0.0, m, k, v, "all time constants must be > 0")?;
    }
    Ok(NodeParams { p, clopath, init })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    Params::describe(out);
    ClopathParams::describe(out);
    InitState::describe(out);
}

/// The model's time constants (ms), for the message of a run too stiff to integrate.
fn stiff_taus(p: &Params) -> [(&'static str, f64); 8] {
    [
        ("C_m/g_L", p.c_m / p.g_l),
        ("C_m/g_Na", p.c_m / p.g_na),
        ("C_m/g_K", p.c_m / p.g_k),
        ("tau_syn_ex", p.tau_syn_ex),
        ("tau_syn_in", p.tau_syn_in),
        ("tau_u_bar_plus", p.tau_plus),
        ("tau_u_bar_minus", p.tau_minus),
        ("tau_u_bar_bar", p.tau_bar_bar),
    ]
}

#[derive(Clone, Debug)]
struct Node {
    p: Params,
    y: [f64; 11],
    r: Step,
    ref_counts: Step,
    h_int: StepSize,
    i_stim: f64,
    psc_init_ex: f64,
    psc_init_in: f64,
    /// ū± delayed by `delay_u_bars` (kept with plastic inputs or not, as NEST does).
    delay: UBarDelay,
}

/// Bytes of one neuron's state in the population (for the memory estimate).
pub const NODE_BYTES: usize = std::mem::size_of::<Node>();

#[inline]
fn rhs(p: &Params, i_stim: f64, y: &[f64; 11], f: &mut [f64; 11]) {
    let v = y[V_M];
    let (m, h, n) = (y[HH_M], y[HH_H], y[HH_N]);
    let i_na = p.g_na * m * m * m * h * (v - p.e_na);
    let i_k = p.g_k * n * n * n * n * (v - p.e_k);
    let i_l = p.g_l * (v - p.e_l);
    f[V_M] = (-(i_na + i_k + i_l) + i_stim + p.i_e + y[I_EX] + y[I_IN]) / p.c_m;
    f[HH_M] = alpha_m(v) * (1.0 - m) - beta_m(v) * m;
    f[HH_H] = alpha_h(v) * (1.0 - h) - beta_h(v) * h;
    f[HH_N] = alpha_n(v) * (1.0 - n) - beta_n(v) * n;
    f[DI_EX] = -y[DI_EX] / p.tau_syn_ex;
    f[I_EX] = y[DI_EX] - (y[I_EX] / p.tau_syn_ex);
    f[DI_IN] = -y[DI_IN] / p.tau_syn_in;
    f[I_IN] = y[DI_IN] - (y[I_IN] / p.tau_syn_in);
    f[U_PLUS] = (-y[U_PLUS] + v) / p.tau_plus;
    f[U_MINUS] = (-y[U_MINUS] + v) / p.tau_minus;
    f[U_BAR_BAR] = (-y[U_BAR_BAR] + y[U_MINUS]) / p.tau_bar_bar;
}

/// A population of `hh_psc_alpha_clopath` neurons.
pub struct HhPscAlphaClopath {
    nodes: Vec<Node>,
    /// Per node: the Clopath parameters (reported; the archive holds its own copy).
    clopath: Vec<ClopathParams>,
    block: Block,
}

impl HhPscAlphaClopath {
    /// Builds the population from per-node parameters.
    pub fn new(
        params: &[NodeParams],
        block: Block,
        res: Resolution,
    ) -> Result<Self, evplast_kernel::KernelError> {
        let e = std::f64::consts::E;
        // The population's one large allocation: a failure is an error, not an abort.
        let mut nodes = Vec::new();
        evplast_kernel::limits::try_reserve(
            &mut nodes,
            params.len(),
            "the hh_psc_alpha_clopath neurons",
        )?;
        let mut clopath = Vec::new();
        evplast_kernel::limits::try_reserve(
            &mut clopath,
            params.len(),
            "the hh_psc_alpha_clopath neurons",
        )?;
        clopath.extend(params.iter().map(|np| np.clopath.clone()));
        nodes.extend(params.iter().map(|np| {
            let s = &np.init;
            let mut y = [0.0; 11];
            y[V_M] = s.v_m;
            y[HH_M] = s.act_m;
            y[HH_H] = s.inact_h;
            y[HH_N] = s.act_n;
            y[U_PLUS] = s.u_bar_plus;
            y[U_MINUS] = s.u_bar_minus;
            y[U_BAR_BAR] = s.u_bar_bar;
            Node {
                p: np.p.clone(),
                y,
                r: 0,
                ref_counts: res.duration_steps(np.p.t_ref),
                h_int: StepSize::new(res.h()),
                i_stim: 0.0,
                psc_init_ex: e / np.p.tau_syn_ex,
                psc_init_in: e / np.p.tau_syn_in,
                delay: UBarDelay::new(np.clopath.rule(res).delay_u_bars_steps),
            }
        }));
        Ok(Self {
            nodes,
            clopath,
            block,
        })
    }

    /// The settable state of node `i`, as Create reads it.
    fn init_state(&self, i: usize) -> InitState {
        let y = &self.nodes[i].y;
        InitState {
            v_m: y[V_M],
            act_m: y[HH_M],
            inact_h: y[HH_H],
            act_n: y[HH_N],
            u_bar_plus: y[U_PLUS],
            u_bar_minus: y[U_MINUS],
            u_bar_bar: y[U_BAR_BAR],
        }
    }

    /// The sampler registry (for multimeters).
    pub fn block_mut(&mut self) -> &mut Block {
        &mut self.block
    }
}

impl Population for HhPscAlphaClopath {
    fn get_status(&self, i: usize, out: &mut ParamMap) {
        self.nodes[i].p.to_map(out);
        self.clopath[i].to_map(out);
        self.init_state(i).to_map(out);
    }

    fn set_status(&mut self, i: usize, p: &ParamMap, ctx: &StatusCtx) -> Result<(), BuildError> {
        let np = reparsed(
            MODEL,
            i,
            self.nodes.len(),
            |m| self.get_status(i, m),
            p,
            parse,
        )?;
        crate::clopath_archiving::check_unchanged_if_archived(
            MODEL,
            self.block.archive[i].is_some(),
            &self.clopath[i],
            &np.clopath,
        )?;
        // Validated: swap in parameters and state, then recalculate what derives from them.
        let e = std::f64::consts::E;
        let n = &mut self.nodes[i];
        let s = &np.init;
        n.y[V_M] = s.v_m;
        n.y[HH_M] = s.act_m;
        n.y[HH_H] = s.inact_h;
        n.y[HH_N] = s.act_n;
        n.y[U_PLUS] = s.u_bar_plus;
        n.y[U_MINUS] = s.u_bar_minus;
        n.y[U_BAR_BAR] = s.u_bar_bar;
        n.ref_counts = ctx.res.duration_steps(np.p.t_ref);
        n.psc_init_ex = e / np.p.tau_syn_ex;
        n.psc_init_in = e / np.p.tau_syn_in;
        n.p = np.p;
        let steps = np.clopath.rule(ctx.res).delay_u_bars_steps;
        if steps != n.delay.steps() {
            n.delay = UBarDelay::new(steps);
        }
        self.clopath[i] = np.clopath;
        Ok(())
    }

    fn snapshot(&mut self, s: &mut Snap) {
        s.each(
            &mut self.nodes,
            "the hh_psc_alpha_clopath neurons",
            |s, n| {
                for x in n.y.iter_mut() {
                    s.f64(x);
                }
                s.i64(&mut n.r);
                n.h_int.snapshot(s);
                s.f64(&mut n.i_stim);
                n.delay.snapshot(s);
            },
        );
        self.block.snapshot(s);
    }

    fn model(&self) -> &'static str {
        MODEL
    }

    fn update(&mut self, ctx: &mut SliceCtx<'_>) -> Result<(), NumericalInstability> {
        let h = ctx.res.h();
        let control = Control::y(1e-3, 0.0);
        for (i, n) in self.nodes.iter_mut().enumerate() {
            let ex_ch = self.block.channel(i, 0);
            let in_ch = self.block.channel(i, 1);
            let current_ch = self.block.channel(i, 2);
            let archive = self.block.archive[i];
            for k in ctx.from..ctx.to {
                let u_old = n.y[V_M];
                let i_stim = n.i_stim;
                let p = &n.p;
                let mut f = |y: &[f64; 11], dy: &mut [f64; 11]| rhs(p, i_stim, y, dy);
                if let Err(last) = evolve_step(&control, &mut f, h, &mut n.h_int, &mut n.y) {
                    let taus = stiff_taus(p);
                    return Err(self.block.too_stiff(i, MODEL, ctx.res, k + 1, last, &taus));
                }
                let y = n.y;
                self.block
                    .check_finite(i, MODEL, ctx.res, k + 1, &y, || format!("V_m = {}", y[V_M]))?;
                n.y[DI_EX] += ctx.inputs.take(ex_ch, k) * n.psc_init_ex;
                n.y[DI_IN] += ctx.inputs.take(in_ch, k) * n.psc_init_in;
                let (u_plus, u_minus) = n.delay.push(n.y[U_PLUS], n.y[U_MINUS]);
                if let Some(a) = archive {
                    let v = Voltages {
                        u: n.y[V_M],
                        u_plus,
                        u_minus,
                        u_bar_bar: n.y[U_BAR_BAR],
                    };
                    write_clopath(ctx, a, k + 1, v);
                }
                if n.r > 0 {
                    n.r -= 1;
                } else if n.y[V_M] >= 0.0 && u_old > n.y[V_M] {
                    n.r = n.ref_counts;
                    ctx.out.spikes.push(SpikeEvent {
                        source: self.block.node(i),
                        stamp: k + 1,
                        multiplicity: 1,
                        weight_factor: 1.0,
                    });
                }
                if self.block.samplers.is_sampled(i) {
                    let y = n.y;
                    self.block.samplers.sample(i, k + 1, |f| y[RECORD_INDEX[f]]);
                }
                n.i_stim = ctx.inputs.take(current_ch, k);
            }
        }
        Ok(())
    }

    fn drain_samples(&mut self, out: &mut [MultimeterData]) {
        self.block.samplers.drain_into(out);
    }

    fn samplers_mut(&mut self) -> Option<&mut evplast_kernel::record::Samplers> {
        Some(&mut self.block.samplers)
    }

    fn archive_ids_mut(&mut self) -> Option<&mut [Option<u32>]> {
        Some(&mut self.block.archive)
    }
}
