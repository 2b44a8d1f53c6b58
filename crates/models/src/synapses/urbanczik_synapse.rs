//! `urbanczik_synapse`: the dendritic prediction rule of Urbanczik & Senn (2014), event-driven.
//! At each presynaptic spike `t_s` the synapse integrates the target's archive over neuron times
//! `(t_last − d, t_s − d]`, pairing each entry `t_e` with the PSP trace at `t_e + d`:
//!
//! ```text
//! PI_e = (X_L e^{−(t_e+d−t_last)/τ_L} − X_s e^{−(t_e+d−t_last)/τ_s}) · dPI_e
//! I1  += Σ PI_e
//! I2   = e^{−(t_s−t_last)/τ_Δ} I2 + Σ e^{−(t_s−t_e−d)/τ_Δ} PI_e
//! w    = clip(w0 + (I1 − I2) · 15 C_m τ_s η / (g_L (τ_L − τ_s)), Wmin, Wmax)
//! X_L  = X_L e^{−(t_s−t_last)/τ_L} + 1 ;  X_s likewise ;  t_last = t_s
//! ```
//! with `C_m`, `g_L`, `τ_L = C_m/g_L` of the target's dendrite and `τ_s` its `tau_syn_ex` (or
//! `tau_syn_in` if the current weight is not positive). The two integrals remove the τ_Δ
//! low-pass of the weight change exactly; only the output weight is clipped.
//!
//! | parameter | default | unit | |
//! |---|---|---|---|
//! | `weight` | 1.0 | pA | initial weight w0, ≥ 0 onto `pp_cond_exp_mc_urbanczik` |
//! | `delay` | 1.0 | ms | wholly dendritic |
//! | `tau_Delta` | 100.0 | ms | low-pass time constant of the weight change |
//! | `eta` | 0.07 | | learning rate |
//! | `Wmin` | 0.0 | pA | lower bound |
//! | `Wmax` | 100.0 | pA | upper bound |
//!
//! Targets: neurons with an Urbanczik archive (`pp_cond_exp_mc_urbanczik`), any spike receptor.
//! References: Urbanczik & Senn (2014), doi:10.1016/j.neuron.2013.11.030; matches NEST 3.10's
//! `urbanczik_synapse` (nest-models.md §5). Deviation: NEST makes the initial weight w0 the
//! weight only when the syn_spec sets a synapse parameter besides weight and delay (else w0
//! stays 1.0); evplast always takes w0 = the connection's weight.

use evplast_kernel::csr::{permute, BySource};
use evplast_kernel::network::{ConnectionInfo, DeliverCtx, SpikeEvent, SynapseTable};
use evplast_kernel::record::WeightRecord;
use evplast_kernel::{NodeId, Resolution, Step};

use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "urbanczik_synapse";

nest_params! {
    /// Parameters shared by all connections of one projection.
    pub struct Params {
        tau_delta: f64 = 100.0, "tau_Delta", "ms", "low-pass time constant of the weight change";
        eta: f64 = 0.07, "eta", "", "learning rate";
        w_min: f64 = 0.0, "Wmin", "pA", "lower weight bound";
        w_max: f64 = 100.0, "Wmax", "pA", "upper weight bound";
    }
}

/// Reads and validates a projection's parameters.
pub fn parse(map: &ParamMap) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut p = Params::default();
    p.apply(&mut r)?;
    r.finish()?;
    require(
        p.tau_delta > 0.0,
        MODEL,
        "tau_Delta",
        p.tau_delta,
        "must be > 0",
    )?;
    Ok(p)
}

/// The sign rule: `(weight ≥ 0) == (Wmax > 0)` as NEST checks it, and — beyond NEST, which
/// never looks at Wmin here — `(weight ≥ 0) == (Wmin ≥ 0)`, the rule's evident intent.
pub fn check_weight(p: &Params, weight: f64) -> Result<(), BuildError> {
    if (weight >= 0.0) != (p.w_max > 0.0) {
        return Err(BuildError::bad(
            MODEL,
            "weight",
            weight,
            format!("must have the same sign as Wmax = {}", p.w_max),
        ));
    }
    if (weight >= 0.0) != (p.w_min >= 0.0) {
        return Err(BuildError::bad(
            MODEL,
            "weight",
            weight,
            format!("must have the same sign as Wmin = {}", p.w_min),
        ));
    }
    Ok(())
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    out.push(ParamDoc {
        name: "weight",
        default: "1".into(),
        unit: "pA",
        doc: "initial weight",
    });
    out.push(ParamDoc {
        name: "delay",
        default: "1".into(),
        unit: "ms",
        doc: "delay (wholly dendritic)",
    });
    Params::describe(out);
}

/// One projection: shared parameters and its weight recorder.
#[derive(Clone, Debug)]
pub struct Projection {
    pub params: Params,
    pub weight_recorder: Option<u32>,
}

/// One Urbanczik connection before it is laid out.
#[derive(Clone, Copy, Debug)]
pub struct UrbanczikConn {
    pub source: NodeId,
    pub target: NodeId,
    pub channel: u32,
    pub archive: u32,
    pub delay: Step,
    pub weight: f64,
    pub projection: u16,
}

/// Urbanczik connections by source, as columns.
pub struct UrbanczikTable {
    rows: BySource,
    projections: Vec<Projection>,
    channel: Vec<u32>,
    archive: Vec<u32>,
    target: Vec<NodeId>,
    delay: Vec<u32>,
    projection: Vec<u16>,
    weight: Vec<f64>,
    init_weight: Vec<f64>,
    /// The two running integrals I1 (PI) and I2 (τ_Δ-weighted PI).
    i1: Vec<f64>,
    i2: Vec<f64>,
    /// Presynaptic traces with τ_L and τ_s (unit jumps).
    x_l: Vec<f64>,
    x_s: Vec<f64>,
    t_last: Vec<Step>,
}

impl UrbanczikTable {
    /// Lays out `conns` by source.
    pub fn new(
        n_nodes: usize,
        conns: &[UrbanczikConn],
        projections: Vec<Projection>,
        res: Resolution,
    ) -> Self {
        let sources: Vec<NodeId> = conns.iter().map(|c| c.source).collect();
        let (rows, perm) = BySource::build(n_nodes, &sources);
        let weight = permute(&conns.iter().map(|c| c.weight).collect::<Vec<_>>(), &perm);
        let n = conns.len();
        // NEST starts t_last at −1 ms; any start before the first archive entry reads the same.
        let t0 = -res.duration_steps(1.0);
        Self {
            rows,
            channel: permute(&conns.iter().map(|c| c.channel).collect::<Vec<_>>(), &perm),
            archive: permute(&conns.iter().map(|c| c.archive).collect::<Vec<_>>(), &perm),
            target: permute(&conns.iter().map(|c| c.target).collect::<Vec<_>>(), &perm),
            delay: permute(
                &conns.iter().map(|c| c.delay as u32).collect::<Vec<_>>(),
                &perm,
            ),
            projection: permute(
                &conns.iter().map(|c| c.projection).collect::<Vec<_>>(),
                &perm,
            ),
            init_weight: weight.clone(),
            weight,
            i1: vec![0.0; n],
            i2: vec![0.0; n],
            x_l: vec![0.0; n],
            x_s: vec![0.0; n],
            t_last: vec![t0; n],
            projections,
        }
    }
}

impl SynapseTable for UrbanczikTable {
    fn model(&self) -> &'static str {
        MODEL
    }
    fn is_plastic(&self) -> bool {
        true
    }
    fn len(&self) -> usize {
        self.weight.len()
    }

    fn deliver(&mut self, spikes: &[SpikeEvent], ctx: &mut DeliverCtx<'_>) {
        let res = ctx.res;
        let archives = &mut *ctx.archives;
        for s in spikes {
            let ts = s.stamp;
            let ts_ms = res.ms(ts);
            for r in self.rows.rows(s.source) {
                let proj = &self.projections[self.projection[r] as usize];
                let p = &proj.params;
                let d = self.delay[r] as Step;
                let d_ms = res.ms(d);
                let archive = &mut archives.urbanczik[self.archive[r] as usize];
                let rule = archive.rule;
                let tau_l = rule.tau_l();
                // NEST runs the whole update once per unit of multiplicity.
                for _ in 0..s.multiplicity {
                    let tl = self.t_last[r];
                    let tl_ms = res.ms(tl);
                    let tau_s = if self.weight[r] > 0.0 {
                        rule.tau_syn_ex_dend
                    } else {
                        rule.tau_syn_in_dend
                    };
                    let (x_l, x_s) = (self.x_l[r], self.x_s[r]);
                    let mut i1 = self.i1[r];
                    let mut dpi_exp = 0.0;
                    let mut computed = 0u64;
                    archive.read(tl - d, ts - d, |e| {
                        let t_up = res.ms(e.stamp) + d_ms;
                        let minus_delta_t_up = tl_ms - t_up;
                        let minus_t_down = t_up - ts_ms;
                        let pi = (x_l * (minus_delta_t_up / tau_l).exp()
                            - x_s * (minus_delta_t_up / tau_s).exp())
                            * e.value;
                        i1 += pi;
                        dpi_exp += (minus_t_down / p.tau_delta).exp() * pi;
                        computed += 1;
                    });
                    let i2 = ((tl_ms - ts_ms) / p.tau_delta).exp() * self.i2[r] + dpi_exp;
                    let scale =
                        15.0 * rule.c_m_dend * tau_s * p.eta / (rule.g_l_dend * (tau_l - tau_s));
                    let mut w = self.init_weight[r] + (i1 - i2) * scale;
                    if w > p.w_max {
                        w = p.w_max;
                    } else if w < p.w_min {
                        w = p.w_min;
                    }
                    ctx.inputs.add_spike(self.channel[r], ts + d, w, 1);
                    self.x_l[r] = x_l * ((tl_ms - ts_ms) / tau_l).exp() + 1.0;
                    self.x_s[r] = x_s * ((tl_ms - ts_ms) / tau_s).exp() + 1.0;
                    self.i1[r] = i1;
                    self.i2[r] = i2;
                    self.weight[r] = w;
                    self.t_last[r] = ts;
                    if let Some(wr) = proj.weight_recorder {
                        ctx.weights[wr as usize].push(WeightRecord {
                            sender: s.source,
                            target: self.target[r],
                            stamp: ts,
                            weight: w,
                        });
                    }
                    archives.urbanczik_counters.synapse_calls += 1;
                    archives.urbanczik_counters.weight_change_computations += computed;
                }
            }
        }
    }

    fn connections(&self, res: Resolution, out: &mut Vec<ConnectionInfo>) {
        for r in 0..self.weight.len() {
            out.push(ConnectionInfo {
                source: self.rows.source_of(r),
                target: self.target[r],
                weight: self.weight[r],
                delay_ms: res.ms(self.delay[r] as Step),
            });
        }
    }
}
