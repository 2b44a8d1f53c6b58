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
//! Chunks of four neurons take the first sub-step of a step in lockstep (`lanes::Lanes`) when
//! they are free and their carried step covers the step; every neuron still gets exactly the
//! numbers of its own GSL sequence (tests/lockstep_neurons.rs).
//! Order of operations in a step as NEST's (nest-models.md §1.5): spike input is added after
//! the first adaptive sub-step and discarded while clamped or refractory.
//!
//! Parameters: run `evplast models aeif_psc_delta_clopath` (NEST names, defaults, units).
//! State `V_m`, `w`, `u_bar_plus`, `u_bar_minus`, `u_bar_bar` is settable; its initial values
//! come from the default parameters (E_L = −70.6 mV), as in NEST. `z` and `V_th` are
//! recordable only: NEST 3.10 neither reports them in GetStatus nor accepts them in SetStatus.
//! After build, the Clopath parameters of a neuron with plastic inputs cannot change (its
//! archive holds them); NEST allows it.
//!
//! References: Clopath et al. (2010) Nat Neurosci 13:344, doi:10.1038/nn.2479;
//! Brette & Gerstner (2005) J Neurophysiol 94:3637, doi:10.1152/jn.00686.2005.
//! Partners: `clopath_synapse` (plastic), `static_synapse`, `dc_generator` (current).
//! Deviation from NEST: a non-finite state also stops the run (NEST checks only V_m < −1e3 and
//! |w| > 1e6, which we check too).

use evplast_kernel::archive::clopath::{UBarDelay, Voltages};
use evplast_kernel::inputs::ChannelKind;
use evplast_kernel::lanes::{Lanes, Real};
use evplast_kernel::network::{Population, SliceCtx, SpikeEvent, StatusCtx};
use evplast_kernel::record::MultimeterData;
use evplast_kernel::rkf45::{
    evolve_apply_cached, evolve_first_lanes, tries_whole, Control, StepSize, MAX_ATTEMPTS_PER_STEP,
};
use evplast_kernel::snapshot::{Snap, Snapshot};
use evplast_kernel::{NumericalInstability, Resolution, Step};

use crate::clopath_archiving::{write_clopath, ClopathParams};
use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, Reader};
use crate::population::{reparsed, Block};

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
    /// `p` as the free right-hand side reads it.
    free: Free<f64>,
    /// ū± delayed by `delay_u_bars` (kept with plastic inputs or not, as NEST does).
    delay: UBarDelay,
}

/// Bytes of one neuron's state in the population (for the memory estimate).
pub const NODE_BYTES: usize = std::mem::size_of::<Node>();

/// A population of `aeif_psc_delta_clopath` neurons.
pub struct AeifPscDeltaClopath {
    nodes: Vec<Node>,
    /// Per node: the Clopath parameters (reported; the archive holds its own copy).
    clopath: Vec<ClopathParams>,
    block: Block,
}

impl AeifPscDeltaClopath {
    /// Builds the population from per-node parameters.
    pub fn new(
        params: &[NodeParams],
        block: Block,
        res: Resolution,
    ) -> Result<Self, evplast_kernel::KernelError> {
        // The population's one large allocation: a failure is an error, not an abort.
        let mut nodes = Vec::new();
        evplast_kernel::limits::try_reserve(
            &mut nodes,
            params.len(),
            "the aeif_psc_delta_clopath neurons",
        )?;
        let mut clopath = Vec::new();
        evplast_kernel::limits::try_reserve(
            &mut clopath,
            params.len(),
            "the aeif_psc_delta_clopath neurons",
        )?;
        clopath.extend(params.iter().map(|np| np.clopath.clone()));
        nodes.extend(params.iter().map(|np| {
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
                // (NEST 3.10, aeif_psc_delta_clopath.cpp, init_buffers_).
                h_int: StepSize::new(res.h().min(0.01)),
                i_stim: 0.0,
                dydt: None,
                free: Free::of(&np.p),
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
            w: y[W],
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

/// The parameters the right-hand side of a free neuron (not clamped, not refractory,
/// `Delta_T > 0`) reads, for one neuron (`T = f64`) or for a chunk of neurons in lockstep.
#[derive(Clone, Copy, Debug)]
struct Free<T> {
    v_peak: T,
    g_l: T,
    delta_t: T,
    e_l: T,
    c_m: T,
    i_e: T,
    a: T,
    tau_w: T,
    tau_z: T,
    v_th_rest: T,
    tau_v_th: T,
    tau_plus: T,
    tau_minus: T,
    tau_bar_bar: T,
}

impl Free<f64> {
    fn of(p: &Params) -> Self {
        Self {
            v_peak: p.v_peak,
            g_l: p.g_l,
            delta_t: p.delta_t,
            e_l: p.e_l,
            c_m: p.c_m,
            i_e: p.i_e,
            a: p.a,
            tau_w: p.tau_w,
            tau_z: p.tau_z,
            v_th_rest: p.v_th_rest,
            tau_v_th: p.tau_v_th,
            tau_plus: p.tau_plus,
            tau_minus: p.tau_minus,
            tau_bar_bar: p.tau_bar_bar,
        }
    }
}

impl<const L: usize> Free<Lanes<L>> {
    /// Lane `l` holds `of[l]`.
    fn gather(of: &[Free<f64>; L]) -> Self {
        let g = |f: fn(&Free<f64>) -> f64| Lanes(std::array::from_fn(|l| f(&of[l])));
        Self {
            v_peak: g(|q| q.v_peak),
            g_l: g(|q| q.g_l),
            delta_t: g(|q| q.delta_t),
            e_l: g(|q| q.e_l),
            c_m: g(|q| q.c_m),
            i_e: g(|q| q.i_e),
            a: g(|q| q.a),
            tau_w: g(|q| q.tau_w),
            tau_z: g(|q| q.tau_z),
            v_th_rest: g(|q| q.v_th_rest),
            tau_v_th: g(|q| q.tau_v_th),
            tau_plus: g(|q| q.tau_plus),
            tau_minus: g(|q| q.tau_minus),
            tau_bar_bar: g(|q| q.tau_bar_bar),
        }
    }
}

/// The right-hand side at effective voltage `v` with spike current `i_spike`, written once for
/// one neuron and for lanes.
#[inline(always)]
fn rhs_at<T: Real>(q: &Free<T>, v: T, i_spike: T, i_stim: T, y: &[T; 7], f: &mut [T; 7]) {
    let w = y[W];
    let z = y[Z];
    let v_th = y[V_TH];
    f[V_M] = (-q.g_l * (v - q.e_l) + i_spike - w + z + q.i_e + i_stim) / q.c_m;
    f[W] = (q.a * (v - q.e_l) - w) / q.tau_w;
    f[Z] = -z / q.tau_z;
    f[V_TH] = -(v_th - q.v_th_rest) / q.tau_v_th;
    f[U_PLUS] = (-y[U_PLUS] + v) / q.tau_plus;
    f[U_MINUS] = (-y[U_MINUS] + v) / q.tau_minus;
    f[U_BAR_BAR] = (-y[U_BAR_BAR] + y[U_MINUS]) / q.tau_bar_bar;
}

/// The exponential spike current at effective voltage `v`.
#[inline(always)]
fn i_spike<T: Real>(q: &Free<T>, v: T, y: &[T; 7]) -> T {
    q.g_l * q.delta_t * ((v - y[V_TH]) / q.delta_t).exp()
}

/// The right-hand side of a free neuron (the lockstep path).
#[inline(always)]
fn rhs_free<T: Real>(q: &Free<T>, i_stim: T, y: &[T; 7], f: &mut [T; 7]) {
    let v = y[V_M].min(q.v_peak);
    rhs_at(q, v, i_spike(q, v, y), i_stim, y, f);
}

/// The right-hand side with the flags and current frozen for the whole step: V is `V_clamp`
/// while clamped and `V_reset` while refractory, and then V_m (and, clamped, w) stand still.
#[inline]
fn rhs(
    p: &Params,
    q: &Free<f64>,
    refr: bool,
    clamped: bool,
    i_stim: f64,
    y: &[f64; 7],
    f: &mut [f64; 7],
) {
    let v = if clamped {
        p.v_clamp
    } else if refr {
        p.v_reset
    } else {
        y[V_M].min(p.v_peak)
    };
    let i_sp = if p.delta_t == 0.0 {
        0.0
    } else {
        i_spike(q, v, y)
    };
    rhs_at(q, v, i_sp, i_stim, y, f);
    if refr || clamped {
        f[V_M] = 0.0;
    }
    if clamped {
        f[W] = 0.0;
    }
}

/// Neurons integrated in lockstep (two SSE2 registers of f64).
const LANES: usize = 4;

impl Node {
    /// True if this step's first sub-step can run in lockstep: a free neuron whose carried
    /// step covers the whole step.
    #[inline]
    fn free_whole_step(&self, h: f64) -> bool {
        self.r == 0 && self.clamp_r == 0 && self.p.delta_t != 0.0 && tries_whole(&self.h_int, h)
    }
}

impl AeifPscDeltaClopath {
    /// Takes the first sub-step of step `k` for the chunk `nodes` (at most LANES neurons) in
    /// lockstep where at least two can; returns which neurons have theirs done.
    #[inline]
    fn first_substeps(nodes: &mut [Node], free: &Free<Lanes<LANES>>, h: f64) -> [bool; LANES] {
        let mut active = [false; LANES];
        for (a, n) in active.iter_mut().zip(nodes.iter()) {
            *a = n.free_whole_step(h);
        }
        if active.iter().filter(|a| **a).count() < 2 {
            return [false; LANES];
        }
        let zero = Lanes::splat(0.0);
        let mut y = [zero; 7];
        let mut k1 = [zero; 7];
        let mut i_stim = zero;
        let mut controls = [Control::yp(1e-6, 1e-6); LANES];
        for (l, n) in nodes.iter_mut().enumerate() {
            if !active[l] {
                continue;
            }
            let d = n.dydt.take().unwrap_or_else(|| {
                let mut d = [0.0; 7];
                rhs_free(&n.free, n.i_stim, &n.y, &mut d);
                d
            });
            for i in 0..7 {
                y[i].0[l] = n.y[i];
                k1[i].0[l] = d[i];
            }
            i_stim.0[l] = n.i_stim;
            controls[l] = Control::yp(n.p.gsl_error_tol, n.p.gsl_error_tol);
        }
        let mut f = |y: &[Lanes<LANES>; 7], d: &mut [Lanes<LANES>; 7]| rhs_free(free, i_stim, y, d);
        let mut done = [None; LANES];
        let mut retry = [0.0; LANES];
        evolve_first_lanes(
            &controls, &active, &mut f, h, &mut y, &mut k1, &mut done, &mut retry,
        );
        let mut first_done = [false; LANES];
        for (l, n) in nodes.iter_mut().enumerate() {
            if !active[l] {
                continue;
            }
            let lane = |v: &[Lanes<LANES>; 7]| -> [f64; 7] { std::array::from_fn(|i| v[i].0[l]) };
            // The lane's f: at the new state if accepted, at the old one (still valid) if not.
            n.dydt = Some(lane(&k1));
            match done[l] {
                Some(next) => {
                    n.y = lane(&y);
                    n.h_int = next;
                    first_done[l] = true;
                }
                // Rejected: the scalar call goes on from the shorter step, as GSL's loop does.
                None => n.h_int = StepSize::new(retry[l]),
            }
        }
        first_done
    }
}

/// The model's time constants (ms), for the message of a run too stiff to integrate.
fn stiff_taus(p: &Params) -> [(&'static str, f64); 7] {
    [
        ("C_m/g_L", p.c_m / p.g_l),
        ("tau_w", p.tau_w),
        ("tau_z", p.tau_z),
        ("tau_V_th", p.tau_v_th),
        ("tau_u_bar_plus", p.tau_plus),
        ("tau_u_bar_minus", p.tau_minus),
        ("tau_u_bar_bar", p.tau_bar_bar),
    ]
}

/// Step `k` of neuron `i` (`first_done`: its first sub-step was taken in lockstep).
#[inline]
fn step(
    n: &mut Node,
    i: usize,
    k: Step,
    first_done: bool,
    block: &mut Block,
    ctx: &mut SliceCtx<'_>,
) -> Result<(), NumericalInstability> {
    let h = ctx.res.h();
    let spike_ch = block.channel(i, 0);
    let current_ch = block.channel(i, 1);
    let i_stim = n.i_stim;
    let p = &n.p;
    let mut t = 0.0;
    let mut pending_first = first_done;
    let mut attempts = 0;
    while t < h {
        if attempts > MAX_ATTEMPTS_PER_STEP {
            let last = n.h_int.value();
            return Err(block.too_stiff(i, MODEL, ctx.res, k + 1, last, &stiff_taus(&n.p)));
        }
        attempts += 1;
        if pending_first {
            pending_first = false;
            t = h;
        } else {
            // The flags are read from the counters at each sub-step call, so a spike in an
            // early sub-step clamps the later ones of the same step (as in NEST).
            let (refr, clamped) = (n.r > 0, n.clamp_r > 0);
            let q = &n.free;
            let mut f = |y: &[f64; 7], dy: &mut [f64; 7]| rhs(p, q, refr, clamped, i_stim, y, dy);
            let control = Control::yp(p.gsl_error_tol, p.gsl_error_tol);
            attempts += evolve_apply_cached(
                &control,
                &mut f,
                &mut t,
                h,
                &mut n.h_int,
                &mut n.y,
                &mut n.dydt,
            );
        }
        if n.y[V_M] < -1e3 || n.y[W].abs() > 1e6 || n.y.iter().any(|x| !x.is_finite()) {
            return Err(block.instability(
                i,
                MODEL,
                ctx.res,
                k + 1,
                format!("V_m = {}, w = {}", n.y[V_M], n.y[W]),
            ));
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
                source: block.node(i),
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
    let (u_plus, u_minus) = n.delay.push(n.y[U_PLUS], n.y[U_MINUS]);
    if let Some(a) = block.archive[i] {
        let v = Voltages {
            u: n.y[V_M],
            u_plus,
            u_minus,
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
    if block.samplers.is_sampled(i) {
        let y = n.y;
        block.samplers.sample(i, k + 1, |f| y[f]);
    }
    Ok(())
}

impl Population for AeifPscDeltaClopath {
    fn snapshot(&mut self, s: &mut Snap) {
        s.each(
            &mut self.nodes,
            "the aeif_psc_delta_clopath neurons",
            |s, n| {
                for x in n.y.iter_mut() {
                    s.f64(x);
                }
                s.i64(&mut n.r);
                s.i64(&mut n.clamp_r);
                n.h_int.snapshot(s);
                s.f64(&mut n.i_stim);
                s.option(&mut n.dydt, |s, d| {
                    for x in d.iter_mut() {
                        s.f64(x);
                    }
                });
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
        // Chunks of LANES neurons; in each step the chunk's first sub-steps run in lockstep
        // where they can, the rest (rejected attempts, further sub-steps, clamped or refractory
        // neurons) neuron by neuron. Each neuron's arithmetic is the same either way.
        let n_nodes = self.nodes.len();
        for c0 in (0..n_nodes).step_by(LANES) {
            let chunk = &mut self.nodes[c0..(c0 + LANES).min(n_nodes)];
            let free = Free::gather(&std::array::from_fn(|l| chunk[l.min(chunk.len() - 1)].free));
            for k in ctx.from..ctx.to {
                let first_done = Self::first_substeps(chunk, &free, h);
                for (l, n) in chunk.iter_mut().enumerate() {
                    step(n, c0 + l, k, first_done[l], &mut self.block, ctx)?;
                }
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
        let n = &mut self.nodes[i];
        let s = &np.init;
        n.y[V_M] = s.v_m;
        n.y[W] = s.w;
        n.y[U_PLUS] = s.u_bar_plus;
        n.y[U_MINUS] = s.u_bar_minus;
        n.y[U_BAR_BAR] = s.u_bar_bar;
        n.ref_counts = ctx.res.duration_steps(np.p.t_ref);
        n.clamp_counts = ctx.res.duration_steps(np.p.t_clamp);
        n.free = Free::of(&np.p);
        n.p = np.p;
        n.dydt = None;
        let steps = np.clopath.rule(ctx.res).delay_u_bars_steps;
        if steps != n.delay.steps() {
            n.delay = UBarDelay::new(steps);
        }
        self.clopath[i] = np.clopath;
        Ok(())
    }
}
