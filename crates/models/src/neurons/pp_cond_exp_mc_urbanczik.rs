//! `pp_cond_exp_mc_urbanczik`: two-compartment point-process neuron of Urbanczik & Senn (2014):
//! a conductance-based soma and a current-based dendrite, coupled by `g_sp` (dendrite → soma)
//! and `g_ps` (soma → dendrite); spikes are drawn from the rate φ(V_soma) with a dead time.
//!
//! ```text
//! C_s dV_s/dt = −g_L^s (V_s − E_L^s) − g_ex (V_s − E_ex^s) − g_in (V_s − E_in^s) + g_sp (V_d − V_s) + I_stim^s + I_e^s
//! dg_ex/dt = −g_ex/τ_syn_ex^s ;  dg_in/dt = −g_in/τ_syn_in^s
//! C_d dV_d/dt = −g_L^d (V_d − E_L^d) + I_ex + I_in + g_ps (V_s − V_d)
//! dI_ex/dt = −I_ex/τ_syn_ex^d ;  dI_in/dt = −I_in/τ_syn_in^d
//! φ(u) = φ_max / (1 + k exp(β(θ − u)))
//! ```
//! Inputs are added after integrating the step: `soma_exc`/`soma_inh` add to the conductances
//! (nS), `dendritic_exc` adds to I_ex, `dendritic_inh` is **subtracted** from I_in (weights are
//! positive; the receptor decides the sign). Spiking (no reset of V): if not in dead time, with
//! `t_ref > 0` one spike with probability `1 − exp(−φ(V_s)·h)`, with `t_ref = 0` a Poisson
//! number of spikes of mean `φ(V_s)·h`; a spike starts `t_ref` of dead time. Each neuron draws from
//! its own random stream (run seed, node id). RKF45 with GSL's absolute `y` control (1e-3).
//!
//! Receptors (NEST's `receptor_types`): `soma_exc` 1, `soma_inh` 2, `dendritic_exc` 3,
//! `dendritic_inh` 4 (spikes); `soma_curr` 5, `dendritic_curr` 6 (currents).
//! Parameters: top level `t_ref`, `phi_max`, `rate_slope`, `beta`, `theta`, `g_sp`, `g_ps`;
//! per compartment, in the tables `soma` and `dendritic`: `g_L`, `C_m`, `E_L`, `E_ex`, `E_in`,
//! `tau_syn_ex`, `tau_syn_in`, `I_e`, `V_m` (`evplast models pp_cond_exp_mc_urbanczik`).
//!
//! **Matches NEST, including its omission:** NEST's dendrite equation has no `I_stim^d` and no
//! `I_e^d` term, so current input to `dendritic_curr` and the dendritic `I_e` have no effect;
//! the dendritic `E_ex`/`E_in` are unused. evplast reproduces this (reads and discards them).
//!
//! References: Urbanczik & Senn (2014) Neuron 81:521, doi:10.1016/j.neuron.2013.11.030.
//! Partners: `urbanczik_synapse` (reads the dendritic archive), `static_synapse`,
//! `dc_generator`/`step_current_generator` (currents, `soma_curr`).

use rand::RngExt;
use rand_distr::{Distribution, Poisson};

use evplast_kernel::archive::urbanczik::{LearningSignal, RateFunction, StepSignal, UrbanczikRule};
use evplast_kernel::inputs::ChannelKind;
use evplast_kernel::network::{Population, SliceCtx, SpikeEvent, StatusCtx};
use evplast_kernel::record::MultimeterData;
use evplast_kernel::rkf45::{evolve_step, Control, StepSize};
use evplast_kernel::rng::Rng;
use evplast_kernel::snapshot::Snap;
use evplast_kernel::{NumericalInstability, Resolution, Step};

use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, ParamValue, Reader};
use crate::population::{refuse_archived_change, reparsed, Block};

/// NEST model name.
pub const MODEL: &str = "pp_cond_exp_mc_urbanczik";
const SOMA_MODEL: &str = "pp_cond_exp_mc_urbanczik (soma)";
const DEND_MODEL: &str = "pp_cond_exp_mc_urbanczik (dendritic)";

nest_params! {
    /// Whole-neuron parameters (NEST defaults).
    pub struct Params {
        t_ref: f64 = 3.0, "t_ref", "ms", "dead time after a spike";
        phi_max: f64 = 0.15, "phi_max", "1/ms", "maximal rate";
        rate_slope: f64 = 0.5, "rate_slope", "", "k of the rate function";
        beta: f64 = 1.0 / 3.0, "beta", "1/mV", "slope of the rate function";
        theta: f64 = -55.0, "theta", "mV", "threshold of the rate function";
        g_sp: f64 = 600.0, "g_sp", "nS", "dendrite-to-soma coupling";
        g_ps: f64 = 0.0, "g_ps", "nS", "soma-to-dendrite coupling";
        learning_signal: LearningSignal = LearningSignal::SpikeRate, "learning_signal", "",
            "what the dendritic archive stores: \"spike_rate\" (NEST's), \"rate_rate\" or \"spike_spike\" (sampled; docs/URBANCZIK.md)";
    }
}

nest_params! {
    /// Parameters and initial potential of one compartment (soma defaults).
    pub struct Compartment {
        g_l: f64 = 30.0, "g_L", "nS", "leak conductance";
        c_m: f64 = 300.0, "C_m", "pF", "capacitance";
        e_l: f64 = -70.0, "E_L", "mV", "leak reversal potential";
        e_ex: f64 = 0.0, "E_ex", "mV", "excitatory reversal potential (soma only)";
        e_in: f64 = -75.0, "E_in", "mV", "inhibitory reversal potential (soma only; dendritic default 0)";
        tau_syn_ex: f64 = 3.0, "tau_syn_ex", "ms", "excitatory synaptic time constant";
        tau_syn_in: f64 = 3.0, "tau_syn_in", "ms", "inhibitory synaptic time constant";
        i_e: f64 = 0.0, "I_e", "pA", "constant current (soma only: NEST ignores it in the dendrite)";
        v_m: f64 = -70.0, "V_m", "mV", "initial membrane potential";
    }
}

impl Compartment {
    fn dendrite() -> Self {
        Self {
            e_in: 0.0,
            ..Self::default()
        }
    }
}

/// Everything one node of this model is created with.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeParams {
    pub p: Params,
    pub soma: Compartment,
    pub dend: Compartment,
}

impl NodeParams {
    /// The archive's view of these parameters.
    pub fn rule(&self) -> UrbanczikRule {
        UrbanczikRule {
            rate: self.rate(),
            g_l_soma: self.soma.g_l,
            e_l_soma: self.soma.e_l,
            g_sp: self.p.g_sp,
            c_m_dend: self.dend.c_m,
            g_l_dend: self.dend.g_l,
            tau_syn_ex_dend: self.dend.tau_syn_ex,
            tau_syn_in_dend: self.dend.tau_syn_in,
            signal: self.p.learning_signal,
        }
    }

    fn rate(&self) -> RateFunction {
        RateFunction {
            phi_max: self.p.phi_max,
            rate_slope: self.p.rate_slope,
            beta: self.p.beta,
            theta: self.p.theta,
        }
    }
}

/// Recordables (NEST names) and their state index.
pub const RECORDABLES: &[&str] = &["V_m.s", "g_ex.s", "g_in.s", "V_m.p", "I_ex.p", "I_in.p"];
const RECORD_INDEX: [usize; 6] = [V_S, G_EX, G_IN, V_D, I_EX, I_IN];
/// Per node: soma_exc, soma_inh, dendritic_exc, dendritic_inh, soma_curr, dendritic_curr.
pub const INPUTS: &[ChannelKind] = &[ChannelKind::Weighted; 6];
/// Spike receptors: (NEST number, name, channel offset).
pub const SPIKE_RECEPTORS: &[(u32, &str, u32)] = &[
    (1, "soma_exc", 0),
    (2, "soma_inh", 1),
    (3, "dendritic_exc", 2),
    (4, "dendritic_inh", 3),
];
/// Current receptors: (NEST number, name, channel offset).
pub const CURRENT_RECEPTORS: &[(u32, &str, u32)] = &[(5, "soma_curr", 4), (6, "dendritic_curr", 5)];

// State layout as NEST's: 5 entries per compartment (V_M, G_EXC, G_INH, I_EXC, I_INH); the
// unused ones have zero derivative and keep the error control identical.
const V_S: usize = 0;
const G_EX: usize = 1;
const G_IN: usize = 2;
const V_D: usize = 5;
const I_EX: usize = 8;
const I_IN: usize = 9;

fn read_compartment(
    r: &mut Reader<'_>,
    key: &'static str,
    model: &'static str,
    mut c: Compartment,
) -> Result<Compartment, BuildError> {
    match r.raw(key) {
        None => Ok(c),
        Some(ParamValue::Table(m)) => {
            let mut cr = Reader::new(model, m);
            c.apply(&mut cr)?;
            cr.finish()?;
            require(c.c_m > 0.0, model, "C_m", c.c_m, "must be > 0")?;
            require(
                c.tau_syn_ex > 0.0,
                model,
                "tau_syn_ex",
                c.tau_syn_ex,
                "all time constants must be > 0",
            )?;
            require(
                c.tau_syn_in > 0.0,
                model,
                "tau_syn_in",
                c.tau_syn_in,
                "all time constants must be > 0",
            )?;
            Ok(c)
        }
        Some(v) => Err(BuildError::bad(
            MODEL,
            key,
            v,
            "expected a table of compartment parameters",
        )),
    }
}

/// Reads and validates one node's parameters (NEST's rules).
pub fn parse(map: &ParamMap) -> Result<NodeParams, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut p = Params::default();
    p.apply(&mut r)?;
    let soma = read_compartment(&mut r, "soma", SOMA_MODEL, Compartment::default())?;
    let dend = read_compartment(&mut r, "dendritic", DEND_MODEL, Compartment::dendrite())?;
    r.finish()?;
    require(
        p.rate_slope >= 0.0,
        MODEL,
        "rate_slope",
        p.rate_slope,
        "must be >= 0",
    )?;
    require(
        p.phi_max >= 0.0,
        MODEL,
        "phi_max",
        p.phi_max,
        "must be >= 0",
    )?;
    require(p.t_ref >= 0.0, MODEL, "t_ref", p.t_ref, "must be >= 0")?;
    Ok(NodeParams { p, soma, dend })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    Params::describe(out);
    let mut comp = Vec::new();
    Compartment::describe(&mut comp);
    for d in comp {
        let name: &'static str = match d.name {
            "g_L" => "soma.g_L / dendritic.g_L",
            "C_m" => "soma.C_m / dendritic.C_m",
            "E_L" => "soma.E_L / dendritic.E_L",
            "E_ex" => "soma.E_ex",
            "E_in" => "soma.E_in",
            "tau_syn_ex" => "{soma,dendritic}.tau_syn_ex",
            "tau_syn_in" => "{soma,dendritic}.tau_syn_in",
            "I_e" => "soma.I_e",
            _ => "{soma,dendritic}.V_m",
        };
        out.push(ParamDoc { name, ..d });
    }
}

/// The model's time constants (ms), for the message of a run too stiff to integrate.
fn stiff_taus(np: &NodeParams) -> [(&'static str, f64); 8] {
    let (s, d) = (&np.soma, &np.dend);
    [
        ("soma.C_m/soma.g_L", s.c_m / s.g_l),
        ("dendritic.C_m/dendritic.g_L", d.c_m / d.g_l),
        ("soma.C_m/g_sp", s.c_m / np.p.g_sp),
        ("dendritic.C_m/g_ps", d.c_m / np.p.g_ps),
        ("soma.tau_syn_ex", s.tau_syn_ex),
        ("soma.tau_syn_in", s.tau_syn_in),
        ("dendritic.tau_syn_ex", d.tau_syn_ex),
        ("dendritic.tau_syn_in", d.tau_syn_in),
    ]
}

#[derive(Clone, Debug)]
struct Node {
    np: NodeParams,
    y: [f64; 10],
    r: Step,
    ref_counts: Step,
    h_int: StepSize,
    i_stim_soma: f64,
    rng: Rng,
    /// The dendritic spike draws of the spike–spike signal: a stream of their own.
    rng_dend: Rng,
}

/// Bytes of one neuron's state in the population (for the memory estimate).
pub const NODE_BYTES: usize = std::mem::size_of::<Node>();

/// Spikes in one step at rate `phi` (1/ms), as NEST draws them: with a dead time one spike with
/// probability `1 − e^{−φh}`, else a Poisson count of mean `φh`; none where `φ ≤ 0`.
#[inline]
fn draw(phi: f64, h: f64, dead_time: bool, rng: &mut Rng) -> u32 {
    // NEST computes the mean from the rate in Hz: the same rounding.
    let rate = 1000.0 * phi;
    if rate > 0.0 {
        let mean = rate * h * 1e-3;
        if dead_time {
            u32::from(rng.random::<f64>() <= -(-mean).exp_m1())
        } else {
            Poisson::new(mean).map_or(0, |d| d.sample(rng) as u32)
        }
    } else {
        0
    }
}

#[inline]
fn rhs(np: &NodeParams, i_stim: f64, y: &[f64; 10], f: &mut [f64; 10]) {
    let (s, d, p) = (&np.soma, &np.dend, &np.p);
    let v = y[V_S];
    let v_d = y[V_D];
    let i_l = s.g_l * (v - s.e_l);
    let i_syn_exc = y[G_EX] * (v - s.e_ex);
    let i_syn_inh = y[G_IN] * (v - s.e_in);
    let i_conn_d_s = p.g_sp * (v_d - v);
    let i_conn_s_d = p.g_ps * (v - v_d);
    f[V_D] = (-d.g_l * (v_d - d.e_l) + y[I_EX] + y[I_IN] + i_conn_s_d) / d.c_m;
    f[I_EX] = -y[I_EX] / d.tau_syn_ex;
    f[I_IN] = -y[I_IN] / d.tau_syn_in;
    f[6] = 0.0;
    f[7] = 0.0;
    f[V_S] = (-i_l - i_syn_exc - i_syn_inh + i_conn_d_s + i_stim + s.i_e) / s.c_m;
    f[G_EX] = -y[G_EX] / s.tau_syn_ex;
    f[G_IN] = -y[G_IN] / s.tau_syn_in;
    f[3] = 0.0;
    f[4] = 0.0;
}

/// A population of `pp_cond_exp_mc_urbanczik` neurons.
pub struct PpCondExpMcUrbanczik {
    nodes: Vec<Node>,
    block: Block,
}

impl PpCondExpMcUrbanczik {
    /// Builds the population; `rngs` are the neurons' own random streams (soma, dendrite).
    pub fn new(
        params: &[NodeParams],
        block: Block,
        res: Resolution,
        rngs: Vec<(Rng, Rng)>,
    ) -> Result<Self, evplast_kernel::KernelError> {
        // The population's one large allocation: a failure is an error, not an abort.
        let mut nodes = Vec::new();
        evplast_kernel::limits::try_reserve(
            &mut nodes,
            params.len(),
            "the pp_cond_exp_mc_urbanczik neurons",
        )?;
        nodes.extend(params.iter().zip(rngs).map(|(np, (rng, rng_dend))| {
            let mut y = [0.0; 10];
            y[V_S] = np.soma.v_m;
            y[V_D] = np.dend.v_m;
            Node {
                np: np.clone(),
                y,
                r: 0,
                ref_counts: res.duration_steps(np.p.t_ref),
                h_int: StepSize::new(res.h()),
                i_stim_soma: 0.0,
                rng,
                rng_dend,
            }
        }));
        Ok(Self { nodes, block })
    }
}

impl PpCondExpMcUrbanczik {
    /// Node `i`'s parameters with the compartments' `V_m` as they are now.
    fn current(&self, i: usize) -> NodeParams {
        let n = &self.nodes[i];
        let mut np = n.np.clone();
        np.soma.v_m = n.y[V_S];
        np.dend.v_m = n.y[V_D];
        np
    }
}

impl Population for PpCondExpMcUrbanczik {
    /// NEST's layout: the whole-neuron parameters at the top, each compartment's parameters
    /// and `V_m` in the nested `soma` and `dendritic` dictionaries.
    fn get_status(&self, i: usize, out: &mut ParamMap) {
        let np = self.current(i);
        np.p.to_map(out);
        for (key, c) in [("soma", &np.soma), ("dendritic", &np.dend)] {
            let mut m = ParamMap::new();
            c.to_map(&mut m);
            out.insert(key.to_string(), ParamValue::Table(m));
        }
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
        let old = self.current(i);
        if self.block.archive[i].is_some() && np.p.learning_signal != old.p.learning_signal {
            let signal = np.p.learning_signal.as_str();
            return Err(refuse_archived_change(
                MODEL,
                "learning_signal",
                format!("{signal:?}"),
            ));
        }
        if self.block.archive[i].is_some() && np.rule() != old.rule() {
            // Name the first changed parameter the archive's rule reads.
            let (s0, s1, d0, d1) = (&old.soma, &np.soma, &old.dend, &np.dend);
            let changed = [
                ("phi_max", old.p.phi_max, np.p.phi_max),
                ("rate_slope", old.p.rate_slope, np.p.rate_slope),
                ("beta", old.p.beta, np.p.beta),
                ("theta", old.p.theta, np.p.theta),
                ("g_sp", old.p.g_sp, np.p.g_sp),
                ("soma.g_L", s0.g_l, s1.g_l),
                ("soma.E_L", s0.e_l, s1.e_l),
                ("dendritic.C_m", d0.c_m, d1.c_m),
                ("dendritic.g_L", d0.g_l, d1.g_l),
                ("dendritic.tau_syn_ex", d0.tau_syn_ex, d1.tau_syn_ex),
                ("dendritic.tau_syn_in", d0.tau_syn_in, d1.tau_syn_in),
            ]
            .into_iter()
            .find(|(_, a, b)| a != b)
            .map_or(("a rule parameter", f64::NAN), |(k, _, b)| (k, b));
            return Err(refuse_archived_change(MODEL, changed.0, changed.1));
        }
        // Validated: swap in parameters and state, then recalculate what derives from them.
        let n = &mut self.nodes[i];
        n.y[V_S] = np.soma.v_m;
        n.y[V_D] = np.dend.v_m;
        n.ref_counts = ctx.res.duration_steps(np.p.t_ref);
        n.np = np;
        Ok(())
    }

    fn snapshot(&mut self, s: &mut Snap) {
        s.each(
            &mut self.nodes,
            "the pp_cond_exp_mc_urbanczik neurons",
            |s, n| {
                for x in n.y.iter_mut() {
                    s.f64(x);
                }
                s.i64(&mut n.r);
                n.h_int.snapshot(s);
                s.f64(&mut n.i_stim_soma);
                s.rng(&mut n.rng);
                s.rng(&mut n.rng_dend);
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
            let base = self.block.channel(i, 0);
            let ch = |o: u32| base + o;
            let archive = self.block.archive[i];
            let rate_fn = n.np.rate();
            let sampled = n.np.p.learning_signal == LearningSignal::SpikeSpike;
            for k in ctx.from..ctx.to {
                let i_stim = n.i_stim_soma;
                let np = &n.np;
                let mut f = |y: &[f64; 10], dy: &mut [f64; 10]| rhs(np, i_stim, y, dy);
                if let Err(last) = evolve_step(&control, &mut f, h, &mut n.h_int, &mut n.y) {
                    let taus = stiff_taus(np);
                    return Err(self.block.too_stiff(i, MODEL, ctx.res, k + 1, last, &taus));
                }
                let y = n.y;
                self.block.check_finite(i, MODEL, ctx.res, k + 1, &y, || {
                    format!("V_m.s = {}, V_m.p = {}", y[V_S], y[V_D])
                })?;
                n.y[G_EX] += ctx.inputs.take(ch(0), k);
                n.y[G_IN] += ctx.inputs.take(ch(1), k);
                n.y[I_EX] += ctx.inputs.take(ch(2), k);
                n.y[I_IN] -= ctx.inputs.take(ch(3), k);

                let (mut n_spikes, mut n_dend) = (0u32, 0u32);
                if n.r == 0 {
                    let dead_time = n.np.p.t_ref > 0.0;
                    n_spikes = draw(rate_fn.phi(n.y[V_S]), h, dead_time, &mut n.rng);
                    if sampled {
                        // Spike–spike: the dendrite's own spikes, drawn alike from φ(V_d).
                        n_dend = draw(rate_fn.phi(n.y[V_D]), h, dead_time, &mut n.rng_dend);
                    }
                    if n_spikes > 0 {
                        n.r = n.ref_counts;
                        ctx.out.spikes.push(SpikeEvent {
                            source: self.block.node(i),
                            stamp: k + 1,
                            multiplicity: n_spikes,
                            weight_factor: 1.0,
                        });
                    }
                } else {
                    n.r -= 1;
                }
                if let Some(a) = archive {
                    let archives = &mut *ctx.archives;
                    let signal = StepSignal {
                        v_dend: n.y[V_D],
                        v_soma: n.y[V_S],
                        n_soma: n_spikes,
                        n_dend,
                    };
                    archives.urbanczik[a as usize].write(
                        k + 1,
                        h,
                        signal,
                        &mut archives.urbanczik_counters,
                    );
                }
                n.i_stim_soma = ctx.inputs.take(ch(4), k);
                // NEST reads the dendritic current buffer but its dendrite equation ignores it.
                ctx.inputs.take(ch(5), k);
                if self.block.samplers.is_sampled(i) {
                    let y = n.y;
                    self.block.samplers.sample(i, k + 1, |f| y[RECORD_INDEX[f]]);
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
}
