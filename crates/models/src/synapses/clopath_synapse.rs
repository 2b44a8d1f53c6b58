//! `clopath_synapse`: the voltage-based STDP rule of Clopath et al. (2010), event-driven: at
//! each presynaptic spike `t_s` the synapse integrates the postsynaptic archive over neuron
//! times `(t_last − d, t_s − d]` (the whole delay is dendritic).
//!
//! ```text
//! for each LTP entry e in the window, in time order:
//!     w = min(Wmax, w + dw_e · x̄ · exp(−(t_e + d − t_last)/τ_x))
//! w = max(Wmin, w − LTD(t_s − d))
//! transmit w;  x̄ = x̄ · exp(−(t_s − t_last)/τ_x) + 1/τ_x;  t_last = t_s
//! ```
//! Continuous form: dw/dt = A_LTP x̄ [u − θ+]₊ [ū+ − θ−]₊ − A_LTD X [ū− − θ−]₊.
//!
//! | parameter | default | unit | |
//! |---|---|---|---|
//! | `weight` | 1.0 | mV/pA | same sign as `Wmin` and `Wmax` |
//! | `delay` | 1.0 | ms | ≥ resolution |
//! | `x_bar` | 0.0 | 1/ms | presynaptic trace at the start |
//! | `tau_x` | 15.0 | ms | presynaptic trace time constant |
//! | `Wmin` | 0.0 | | lower bound |
//! | `Wmax` | 100.0 | | upper bound |
//!
//! Targets: neurons with a Clopath archive (`aeif_psc_delta_clopath`, `hh_psc_alpha_clopath`).
//! Reference: Clopath, Büsing, Vasilaki & Gerstner (2010) Nat Neurosci 13:344,
//! doi:10.1038/nn.2479. Matches NEST 3.10's `clopath_synapse` (nest-models.md §3).

use evplast_kernel::archive::{DecayAt, Scheme};
use evplast_kernel::csr::BySource;
use evplast_kernel::network::{
    report_rows, Archives, ConnectionInfo, DeliverCtx, SpikeEvent, SynapseTable,
};
use evplast_kernel::{Resolution, Step};

use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "clopath_synapse";

nest_params! {
    /// Parameters shared by all connections of one projection.
    pub struct Params {
        x_bar: f64 = 0.0, "x_bar", "1/ms", "presynaptic trace at the start";
        tau_x: f64 = 15.0, "tau_x", "ms", "time constant of the presynaptic trace";
        w_min: f64 = 0.0, "Wmin", "", "lower weight bound";
        w_max: f64 = 100.0, "Wmax", "", "upper weight bound";
    }
}

/// Reads and validates a projection's parameters.
pub fn parse(map: &ParamMap) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut p = Params::default();
    p.apply(&mut r)?;
    r.finish()?;
    require(p.tau_x > 0.0, MODEL, "tau_x", p.tau_x, "must be > 0")?;
    // Deviation from NEST (which accepts it): with a negative trace the per-entry clipping at
    // Wmax cannot be summed exactly, which every update scheme relies on.
    require(p.x_bar >= 0.0, MODEL, "x_bar", p.x_bar, "must be >= 0")?;
    Ok(p)
}

/// NEST's sign rule (measured, tools/nest_check/NEST_SEMANTICS.md §7):
/// `(weight ≥ 0) == (Wmin ≥ 0)` and `(weight ≥ 0) == (Wmax > 0)`.
///
/// Deviation: NEST checks this only when the syn_spec sets a synapse parameter besides weight
/// and delay; evplast always checks, so a negative weight is never clipped silently.
pub fn check_weight(p: &Params, weight: f64) -> Result<(), BuildError> {
    if (weight >= 0.0) != (p.w_min >= 0.0) {
        return Err(BuildError::bad(
            MODEL,
            "weight",
            weight,
            format!("must have the same sign as Wmin = {}", p.w_min),
        ));
    }
    if (weight >= 0.0) != (p.w_max > 0.0) {
        return Err(BuildError::bad(
            MODEL,
            "weight",
            weight,
            format!("must have the same sign as Wmax = {}", p.w_max),
        ));
    }
    Ok(())
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    out.push(ParamDoc {
        name: "weight",
        default: "1".into(),
        unit: "",
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

/// One projection (a `[[connect]]`): shared parameters and its weight recorder.
#[derive(Clone, Debug)]
pub struct Projection {
    pub params: Params,
    pub weight_recorder: Option<u32>,
}

/// Clopath connections by source, as columns.
///
/// Per-entry clipping at Wmax (NEST: `w = min(Wmax, w + inc)` after every entry) equals one
/// clip of the summed increments, because every increment `A_LTP(u−θ+)(ū+−θ−)h · x̄ · e^{…}` is
/// ≥ 0 (x̄ ≥ 0 is required) — provided the window held at least one entry (NEST clips an initial
/// weight above Wmax only then). So all three schemes sum a window, remember whether it held an
/// entry, and clip once.
pub struct ClopathTable {
    scheme: Scheme,
    rows: BySource,
    projections: Vec<Projection>,
    /// Input channel of the target (its archive and node come from the kernel's channel maps).
    channel: Vec<u32>,
    delay: Vec<u16>,
    projection: Vec<u16>,
    weight: Vec<f64>,
    x_bar: Vec<f64>,
    /// Stamps fit 32 bits (the builder refuses longer runs).
    t_last: Vec<i32>,
    /// Time and event schemes: the archive has been read up to `t_upd − d`, and the LTP sum
    /// read since the last spike but not yet applied is `pending` (NaN: no entry yet).
    t_upd: Vec<i32>,
    pending: Vec<f64>,
    /// Compressed scheme: the target's group.
    group: Vec<u16>,
}

impl ClopathTable {
    /// A table from columns sorted by source (`group`: compressed scheme only).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rows: BySource,
        channel: Vec<u32>,
        delay: Vec<u16>,
        projection: Vec<u16>,
        weight: Vec<f64>,
        group: Vec<u16>,
        projections: Vec<Projection>,
        scheme: Scheme,
    ) -> Self {
        let x_bar = projection
            .iter()
            .map(|&p| projections[p as usize].params.x_bar)
            .collect();
        let n = weight.len();
        let windowed = scheme != Scheme::Compressed;
        Self {
            scheme,
            rows,
            channel,
            delay,
            weight,
            t_last: vec![0; n],
            t_upd: if windowed { vec![0; n] } else { Vec::new() },
            pending: if windowed {
                vec![f64::NAN; n]
            } else {
                Vec::new()
            },
            group: if windowed { Vec::new() } else { group },
            projection,
            x_bar,
            projections,
        }
    }

    /// Time/event schemes: reads row `r`'s archive window `(t_upd − d, upto − d]` into its
    /// pending LTP sum, with the presynaptic trace of its last spike.
    #[inline]
    fn read_window(&mut self, r: usize, upto: Step, archive: u32, archives: &mut Archives, h: f64) {
        let d = self.delay[r] as Step;
        let tl = self.t_last[r] as Step;
        let tau_x = self.projections[self.projection[r] as usize].params.tau_x;
        let mut sum = 0.0;
        let mut n = 0u64;
        // The trace at synapse time t_e + d: e^{−(t_e + d − t_last)/τ_x}.
        let mut trace = DecayAt::new(tl - d, h, tau_x);
        archives.clopath[archive as usize].read_ltp(self.t_upd[r] as Step - d, upto - d, |e| {
            sum += e.value * trace.at(e.stamp);
            n += 1;
        });
        if n > 0 {
            let p = &mut self.pending[r];
            *p = if p.is_nan() { sum } else { *p + sum };
        }
        self.t_upd[r] = upto as i32;
        archives.clopath_counters.weight_change_computations += n;
    }

    /// Applies LTP (`ltp`: summed window, or `None` if it held no entry), LTD at `t_s − d`,
    /// transmits, and advances the trace: the part common to all schemes.
    #[inline]
    fn spike(
        &mut self,
        r: usize,
        archive: u32,
        s: &SpikeEvent,
        ltp: Option<f64>,
        ctx: &mut DeliverCtx<'_>,
    ) {
        let h = ctx.res.h();
        let proj = &self.projections[self.projection[r] as usize];
        let p = &proj.params;
        let (ts, d) = (s.stamp, self.delay[r] as Step);
        let (tl, x_bar) = (self.t_last[r] as Step, self.x_bar[r]);
        let mut w = self.weight[r];
        if let Some(sum) = ltp {
            w = (w + x_bar * sum).min(p.w_max);
        }
        w = (w - ctx.archives.clopath[archive as usize].ltd_value(ts - d)).max(p.w_min);
        ctx.inputs.add_spike(self.channel[r], ts + d, w, 1);
        self.x_bar[r] = x_bar * (-((ts - tl) as f64 * h) / p.tau_x).exp() + 1.0 / p.tau_x;
        self.t_last[r] = ts as i32;
        self.weight[r] = w;
        if let Some(wr) = proj.weight_recorder {
            ctx.record_weight(wr, s.source, self.channel[r], ts, w);
        }
        ctx.archives.clopath_counters.synapse_calls += 1;
    }

    fn deliver_windowed(&mut self, spikes: &[SpikeEvent], ctx: &mut DeliverCtx<'_>) {
        let h = ctx.res.h();
        for s in spikes {
            for r in self.rows.rows(s.source) {
                // NEST runs the whole update once per unit of multiplicity.
                let archive = ctx.channel_archive[self.channel[r] as usize];
                for _ in 0..s.multiplicity {
                    self.read_window(r, s.stamp, archive, ctx.archives, h);
                    let ltp = std::mem::replace(&mut self.pending[r], f64::NAN);
                    self.spike(r, archive, s, (!ltp.is_nan()).then_some(ltp), ctx);
                }
            }
        }
    }

    fn deliver_compressed(&mut self, spikes: &[SpikeEvent], ctx: &mut DeliverCtx<'_>) {
        let h = ctx.res.h();
        for s in spikes {
            for r in self.rows.rows(s.source) {
                let d = self.delay[r] as Step;
                let archive = ctx.channel_archive[self.channel[r] as usize];
                for _ in 0..s.multiplicity {
                    let a = self.t_last[r] as Step - d;
                    let archives = &mut *ctx.archives;
                    let sums = archives.clopath[archive as usize].ltp.take_compressed(
                        self.group[r] as usize,
                        a,
                        s.stamp - d,
                        h,
                        &mut archives.clopath_counters,
                    );
                    self.spike(r, archive, s, (sums.n_raw > 0).then_some(sums.s[0]), ctx);
                }
            }
        }
    }
}

impl SynapseTable for ClopathTable {
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
        match self.scheme {
            Scheme::Time | Scheme::Event => self.deliver_windowed(spikes, ctx),
            Scheme::Compressed => self.deliver_compressed(spikes, ctx),
        }
    }

    fn advance(&mut self, upto: Step, all: bool, ctx: &mut DeliverCtx<'_>) {
        if self.scheme == Scheme::Compressed {
            return;
        }
        let h = ctx.res.h();
        let n = self.weight.len();
        if all {
            // Time-driven: every synapse, nothing tested per synapse.
            for r in 0..n {
                let archive = ctx.channel_archive[self.channel[r] as usize];
                self.read_window(r, upto, archive, ctx.archives, h);
            }
            ctx.archives.clopath_counters.synapse_calls += n as u64;
        } else {
            // Event-driven catch-up: only synapses onto archives over the horizon.
            for r in 0..n {
                let archive = ctx.channel_archive[self.channel[r] as usize];
                if ctx.archives.clopath[archive as usize].ltp.catch_up {
                    self.read_window(r, upto, archive, ctx.archives, h);
                    ctx.archives.clopath_counters.synapse_calls += 1;
                }
            }
        }
    }

    fn connections(&self, res: Resolution, channel_owner: &[u32], out: &mut Vec<ConnectionInfo>) {
        report_rows(
            &self.rows,
            &self.channel,
            &self.delay,
            &self.weight,
            res,
            channel_owner,
            out,
        );
    }
}
