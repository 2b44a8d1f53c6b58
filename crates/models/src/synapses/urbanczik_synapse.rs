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

use evplast_kernel::archive::{DecayAt, DecayTable, Scheme};
use evplast_kernel::csr::BySource;
use evplast_kernel::limits::{try_reserve, try_vec};
use evplast_kernel::network::{Archives, DeliverCtx, RowColumns, SpikeEvent, SynapseTable};
use evplast_kernel::snapshot::Snap;
use evplast_kernel::{KernelError, Resolution, Step};

use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, ParamValue, Reader};

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

/// The time constants of a target's dendrite the synapse's traces decay with: τ_L, τ_syn_ex,
/// τ_syn_in (the synapse picks τ_s by the sign of its weight at each spike).
pub fn dendrite_taus(rule: &evplast_kernel::archive::urbanczik::UrbanczikRule) -> [f64; 3] {
    [rule.tau_l(), rule.tau_syn_ex_dend, rule.tau_syn_in_dend]
}

/// Urbanczik connections by source, as columns.
pub struct UrbanczikTable {
    scheme: Scheme,
    rows: BySource,
    projections: Vec<Projection>,
    /// Input channel of the target (its archive and node come from the kernel's channel maps).
    channel: Vec<u32>,
    delay: Vec<u16>,
    projection: Vec<u16>,
    weight: Vec<f64>,
    init_weight: InitWeights,
    /// The running integrals I1 (PI) and I2 (τ_Δ-weighted PI), as of `t_upd` (time/event
    /// schemes) or of the last spike (compressed scheme).
    i1: Vec<f64>,
    i2: Vec<f64>,
    /// The last spike time and the presynaptic traces, per run of rows.
    runs: Runs,
    /// Time/event schemes: the archive has been read up to `t_upd − d`.
    t_upd: Vec<i32>,
    /// Compressed scheme: the target's group.
    group: Vec<u16>,
    /// Time scheme: the last slice's advance point (`Step::MIN` before the first): rows still
    /// there are advanced by groups ([`TimeGroups`]).
    advanced: Step,
    time: TimeGroups,
}

/// The time-driven scheme's rows grouped by the window they read each slice: one target
/// (input channel), one delay, one τ_Δ. For the rows of a group still at the last advance
/// `u0`, the window `(u0 − d, u1 − d]` is summed once per time constant,
/// `W_τ = Σ value · e^{−(stamp − (u0 − d))/τ}` for τ_L, τ_syn_ex and τ_syn_in, and the same
/// weighted by `e^{−(u1 − d − stamp)/τ_Δ}`; each row then adds `x_L X_L W_L − x_s X_s W_s` to
/// I1 (and likewise to I2), with `X_τ = e^{−(u0 − t_last)/τ}` from a decay table: its own sums
/// to rounding. Rows whose source spiked in the slice read the rest of their window alone.
#[derive(Default)]
struct TimeGroups {
    /// Keyed by (input channel, delay, τ_Δ's bits).
    groups: super::Groups<(u32, u16, u64)>,
    /// (row, run) of every member.
    rows: Vec<(u32, u32)>,
    /// Decay tables of the targets' τ_L, τ_syn_ex and τ_syn_in (by their bits), made when a
    /// group first needs one.
    tables: Vec<(u64, DecayTable)>,
}

impl TimeGroups {
    fn new(
        runs: &Runs,
        channel: &[u32],
        delay: &[u16],
        projection: &[u16],
        projections: &[Projection],
    ) -> Result<Self, KernelError> {
        const WHAT: &str = "the urbanczik_synapse time-driven groups";
        let mut g = Self {
            rows: runs.rows_with_runs(channel.len(), WHAT)?,
            ..Self::default()
        };
        let key = |(r, _): (u32, u32)| {
            let r = r as usize;
            let td = projections[projection[r] as usize].params.tau_delta;
            (channel[r], delay[r], td.to_bits())
        };
        g.groups = super::Groups::sort(&mut g.rows, key, WHAT)?;
        Ok(g)
    }

    /// The index of the decay table of `tau` (made on first use).
    fn table(&mut self, h: f64, tau: f64) -> usize {
        match self.tables.iter().position(|(b, _)| *b == tau.to_bits()) {
            Some(i) => i,
            None => {
                self.tables.push((tau.to_bits(), DecayTable::new(h, tau)));
                self.tables.len() - 1
            }
        }
    }
}

/// The initial weights w0 the integrals are added to: one per projection while all its rows
/// share it (NEST's Urbanczik–Senn example connects with one weight), else one per row — made
/// when a projection is connected with several or a connection's weight is set to another.
struct InitWeights {
    values: Vec<f64>,
    per_row: bool,
}

impl InitWeights {
    const WHAT: &'static str = "the urbanczik_synapse initial weights";

    fn new(weight: &[f64], projection: &[u16], n_projections: usize) -> Result<Self, KernelError> {
        let mut shared: Vec<Option<f64>> = try_vec(n_projections, None, Self::WHAT)?;
        let uniform = weight.iter().zip(projection).all(|(&w, &p)| {
            let s = &mut shared[p as usize];
            s.get_or_insert(w).to_bits() == w.to_bits()
        });
        if uniform {
            let values = shared.iter().map(|w| w.unwrap_or(0.0)).collect();
            return Ok(Self {
                values,
                per_row: false,
            });
        }
        let mut values = Vec::new();
        try_reserve(&mut values, weight.len(), Self::WHAT)?;
        values.extend_from_slice(weight);
        Ok(Self {
            values,
            per_row: true,
        })
    }

    /// w0 of row `r` of projection `p` (a select, not a branch).
    #[inline]
    fn get(&self, r: usize, p: usize) -> f64 {
        self.values[if self.per_row { r } else { p }]
    }

    /// Sets w0 of row `r` (`projection`: every row's projection).
    fn set(&mut self, r: usize, projection: &[u16], w: f64) -> Result<(), KernelError> {
        if !self.per_row {
            let p = projection[r] as usize;
            if self.values[p].to_bits() == w.to_bits() {
                return Ok(());
            }
            let mut rows = Vec::new();
            try_reserve(&mut rows, projection.len(), Self::WHAT)?;
            rows.extend(projection.iter().map(|&p| self.values[p as usize]));
            *self = Self {
                values: rows,
                per_row: true,
            };
        }
        self.values[r] = w;
        Ok(())
    }
}

/// A run's presynaptic state as of its last spike: the spike time and the traces with τ_L and
/// τ_s (unit jumps).
#[derive(Clone, Copy)]
struct Trace {
    t_last: Step,
    x_l: f64,
    x_s: f64,
}

/// Runs of rows that share their presynaptic state: one source, one projection, and targets
/// whose dendrites share τ_L, τ_syn_ex and τ_syn_in with τ_syn_ex = τ_syn_in (τ_s then does not
/// depend on each weight's sign). Rows onto targets where τ_syn_ex ≠ τ_syn_in are runs of
/// their own: their τ_s follows their own weight.
struct Runs {
    index: super::RunIndex,
    t_last: Vec<i32>,
    x_l: Vec<f64>,
    x_s: Vec<f64>,
}

impl std::ops::Deref for Runs {
    type Target = super::RunIndex;
    fn deref(&self) -> &super::RunIndex {
        &self.index
    }
}

impl Runs {
    /// `taus[c]`: τ_L, τ_syn_ex, τ_syn_in of the dendrite behind input channel `c`.
    fn new(
        rows: &BySource,
        channel: &[u32],
        projection: &[u16],
        taus: &[[f64; 3]],
        t0: i32,
    ) -> Result<Self, KernelError> {
        const WHAT: &str = "the urbanczik_synapse presynaptic state";
        let bits = |r: usize| taus[channel[r] as usize].map(f64::to_bits);
        let same = |a: usize, b: usize| {
            let k = bits(a);
            projection[a] == projection[b] && k == bits(b) && k[1] == k[2]
        };
        let index = super::RunIndex::new(rows, same, WHAT)?;
        Ok(Self {
            t_last: try_vec(index.len(), t0, WHAT)?,
            x_l: try_vec(index.len(), 0.0, WHAT)?,
            x_s: try_vec(index.len(), 0.0, WHAT)?,
            index,
        })
    }

    #[inline]
    fn trace(&self, j: usize) -> Trace {
        Trace {
            t_last: self.t_last[j] as Step,
            x_l: self.x_l[j],
            x_s: self.x_s[j],
        }
    }

    #[inline]
    fn set(&mut self, j: usize, t: Trace) {
        self.t_last[j] = t.t_last as i32;
        self.x_l[j] = t.x_l;
        self.x_s[j] = t.x_s;
    }
}

impl UrbanczikTable {
    /// A table from columns sorted by source (`group`: compressed scheme only; `taus[c]`: τ_L,
    /// τ_syn_ex, τ_syn_in of the dendrite behind input channel `c`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        rows: BySource,
        channel: Vec<u32>,
        delay: Vec<u16>,
        projection: Vec<u16>,
        weight: Vec<f64>,
        group: Vec<u16>,
        projections: Vec<Projection>,
        taus: &[[f64; 3]],
        res: Resolution,
        scheme: Scheme,
    ) -> Result<Self, KernelError> {
        const WHAT: &str = "the urbanczik_synapse columns";
        let n = weight.len();
        let windowed = scheme != Scheme::Compressed;
        let t0 = first_t_last(res) as i32;
        let init_weight = InitWeights::new(&weight, &projection, projections.len())?;
        let runs = Runs::new(&rows, &channel, &projection, taus, t0)?;
        let time = if scheme == Scheme::Time {
            TimeGroups::new(&runs, &channel, &delay, &projection, &projections)?
        } else {
            TimeGroups::default()
        };
        Ok(Self {
            scheme,
            rows,
            channel,
            delay,
            projection,
            init_weight,
            weight,
            i1: try_vec(n, 0.0, WHAT)?,
            i2: try_vec(n, 0.0, WHAT)?,
            runs,
            t_upd: try_vec(if windowed { n } else { 0 }, t0, WHAT)?,
            group: if windowed { Vec::new() } else { group },
            advanced: Step::MIN,
            time,
            projections,
        })
    }

    /// τ_s of row `r`: the target's `tau_syn_ex` if the weight is positive, else `tau_syn_in`.
    #[inline]
    fn tau_s(&self, r: usize, rule: &evplast_kernel::archive::urbanczik::UrbanczikRule) -> f64 {
        if self.weight[r] > 0.0 {
            rule.tau_syn_ex_dend
        } else {
            rule.tau_syn_in_dend
        }
    }

    /// Time/event schemes: integrates row `r`'s window `(t_upd − d, upto − d]` into I1 and I2
    /// (I2 then holds its value at `upto`), with the traces `tr` of the last spike.
    #[inline]
    fn read_window(
        &mut self,
        r: usize,
        upto: Step,
        archive: u32,
        archives: &mut Archives,
        res: Resolution,
        tr: Trace,
    ) {
        let tau_delta = self.projections[self.projection[r] as usize]
            .params
            .tau_delta;
        let d = self.delay[r] as Step;
        let archive = &mut archives.urbanczik[archive as usize];
        let rule = archive.rule;
        let (tau_l, tau_s) = (rule.tau_l(), self.tau_s(r, &rule));
        let (tu_ms, up_ms) = (res.ms(self.t_upd[r] as Step), res.ms(upto));
        let (x_l, x_s) = (tr.x_l, tr.x_s);
        let h = res.h();
        // e^{−(t_e + d − t_last)/τ} for τ_L and τ_s, by multiplication along the dense archive.
        let tl = tr.t_last;
        let mut f_l = DecayAt::new(tl - d, h, tau_l);
        let mut f_s = DecayAt::new(tl - d, h, tau_s);
        // Σ e^{−(upto − t_e − d)/τ_Δ} PI_e in Horner form (only decaying factors).
        let delta = DecayAt::new(0, h, tau_delta);
        let mut i1 = self.i1[r];
        let mut acc = 0.0;
        let mut last = Step::MIN;
        let mut n = 0u64;
        archive
            .history
            .read(self.t_upd[r] as Step - d, upto - d, |stamp, value| {
                let pi = (x_l * f_l.at(stamp) - x_s * f_s.at(stamp)) * value;
                i1 += pi;
                acc = if n == 0 {
                    pi
                } else {
                    acc * delta.over(stamp - last) + pi
                };
                last = stamp;
                n += 1;
            });
        let dpi_exp = if n == 0 {
            0.0
        } else {
            acc * delta.over(upto - d - last)
        };
        self.i1[r] = i1;
        self.i2[r] = ((tu_ms - up_ms) / tau_delta).exp() * self.i2[r] + dpi_exp;
        self.t_upd[r] = upto as i32;
        archives.urbanczik_counters.weight_change_computations += n;
    }

    /// Time-driven scheme: brings every row up to `upto` (one slice), by groups
    /// ([`TimeGroups`]); the first advance reads every row's window alone.
    fn advance_time(&mut self, upto: Step, ctx: &mut DeliverCtx<'_>) {
        let (res, u0) = (ctx.res, self.advanced);
        let n_rows = self.weight.len();
        if u0 == Step::MIN {
            for j in 0..self.runs.len() {
                let tr = self.runs.trace(j);
                for r in self.runs.rows(j) {
                    let archive = ctx.channel_archive[self.channel[r] as usize];
                    self.read_window(r, upto, archive, ctx.archives, res, tr);
                }
            }
        } else {
            let h = res.h();
            let (u0_ms, up_ms) = (res.ms(u0), res.ms(upto));
            for g in 0..self.time.groups.len() {
                let (channel, d, tau_delta) = self.time.groups.key(g);
                let archive_id = ctx.channel_archive[channel as usize];
                let (d, tau_delta) = (d as Step, f64::from_bits(tau_delta));
                let rule = ctx.archives.urbanczik[archive_id as usize].rule;
                let taus = [rule.tau_l(), rule.tau_syn_ex_dend, rule.tau_syn_in_dend];
                let tables = taus.map(|tau| self.time.table(h, tau));
                // W_τ and its τ_Δ-weighted form, for τ_L, τ_syn_ex, τ_syn_in.
                let (origin, top) = (u0 - d, upto - d);
                let raw = &ctx.archives.urbanczik[archive_id as usize].history.raw;
                let (start, end) = raw.locate(origin, top);
                let w = raw.range_decayed(start, end);
                let (mut sum, mut sum_delta) = ([0.0; 3], [0.0; 3]);
                for (&stamp, &v) in w.stamps.iter().zip(w.values) {
                    let stamp = Step::from(stamp);
                    let to_top = (-((top - stamp) as f64) * h / tau_delta).exp();
                    for k in 0..3 {
                        let x = v * self.time.tables[tables[k]].1.at(stamp - origin);
                        sum[k] += x;
                        sum_delta[k] += x * to_top;
                    }
                }
                let n = (end - start) as u64;
                // I2's decay over the slice, as `read_window` computes it from t_upd = u0.
                let e = ((u0_ms - up_ms) / tau_delta).exp();
                let mut k_fast = 0u32;
                for i in self.time.groups.members(g) {
                    let (r, j) = self.time.rows[i];
                    let (r, tr) = (r as usize, self.runs.trace(j as usize));
                    if self.t_upd[r] as Step != u0 {
                        self.read_window(r, upto, archive_id, ctx.archives, res, tr);
                        continue;
                    }
                    let since = u0 - tr.t_last;
                    let ks = if self.weight[r] > 0.0 { 1 } else { 2 };
                    let a = tr.x_l * self.time.tables[tables[0]].1.at(since);
                    let b = tr.x_s * self.time.tables[tables[ks]].1.at(since);
                    self.i1[r] += a * sum[0] - b * sum[ks];
                    self.i2[r] = e * self.i2[r] + (a * sum_delta[0] - b * sum_delta[ks]);
                    self.t_upd[r] = upto as i32;
                    k_fast += 1;
                }
                ctx.archives.urbanczik[archive_id as usize]
                    .history
                    .raw
                    .mark_read(start, end, k_fast);
                ctx.archives.urbanczik_counters.weight_change_computations += n * u64::from(k_fast);
            }
        }
        self.advanced = upto;
        ctx.archives.urbanczik_counters.synapse_calls += n_rows as u64;
    }

    /// Recomputes the weight from the integrals, transmits, and advances the traces `tr`.
    #[inline]
    fn spike(
        &mut self,
        r: usize,
        archive: u32,
        s: &SpikeEvent,
        ctx: &mut DeliverCtx<'_>,
        tr: &mut Trace,
    ) {
        let res = ctx.res;
        let proj = &self.projections[self.projection[r] as usize];
        let p = &proj.params;
        let rule = ctx.archives.urbanczik[archive as usize].rule;
        let (tau_l, tau_s) = (rule.tau_l(), self.tau_s(r, &rule));
        let (ts, d) = (s.stamp, self.delay[r] as Step);
        let (tl_ms, ts_ms) = (res.ms(tr.t_last), res.ms(ts));
        let scale = 15.0 * rule.c_m_dend * tau_s * p.eta / (rule.g_l_dend * (tau_l - tau_s));
        let w0 = self.init_weight.get(r, self.projection[r] as usize);
        let mut w = w0 + (self.i1[r] - self.i2[r]) * scale;
        // Clipping would hide an infinite (and pass on a NaN) weight: one test per spike.
        if !w.is_finite() {
            let why = if scale.is_finite() {
                String::new()
            } else {
                format!(
                    "; the scale 15·C_m·τ_s·η / (g_L·(τ_L − τ_s)) is not finite: τ_L = C_m/g_L = \
                     {tau_l} ms of the dendrite, τ_s = {tau_s} ms, eta = {}",
                    p.eta
                )
            };
            let what = format!(
                "weight = {w} (I1 = {}, I2 = {}, scale = {scale}){why}",
                self.i1[r], self.i2[r]
            );
            ctx.non_finite_weight(MODEL, s.source, self.channel[r], ts, what);
        }
        if w > p.w_max {
            w = p.w_max;
        } else if w < p.w_min {
            w = p.w_min;
        }
        ctx.inputs.add_spike(self.channel[r], ts + d, w, 1);
        tr.x_l = tr.x_l * ((tl_ms - ts_ms) / tau_l).exp() + 1.0;
        tr.x_s = tr.x_s * ((tl_ms - ts_ms) / tau_s).exp() + 1.0;
        tr.t_last = ts;
        self.weight[r] = w;
        if let Some(wr) = proj.weight_recorder {
            ctx.record_weight(wr, s.source, self.channel[r], ts, w);
        }
        ctx.archives.urbanczik_counters.synapse_calls += 1;
    }

    fn deliver_windowed(&mut self, spikes: &[SpikeEvent], ctx: &mut DeliverCtx<'_>) {
        for s in spikes {
            for j in self.runs.of(s.source) {
                // Every row of the run starts from the run's traces and ends at the same ones.
                let (t0, mut t) = (self.runs.trace(j), self.runs.trace(j));
                for r in self.runs.rows(j) {
                    // NEST runs the whole update once per unit of multiplicity.
                    let archive = ctx.channel_archive[self.channel[r] as usize];
                    t = t0;
                    for _ in 0..s.multiplicity {
                        self.read_window(r, s.stamp, archive, ctx.archives, ctx.res, t);
                        self.spike(r, archive, s, ctx, &mut t);
                    }
                }
                self.runs.set(j, t);
            }
        }
    }

    fn deliver_compressed(&mut self, spikes: &[SpikeEvent], ctx: &mut DeliverCtx<'_>) {
        let h = ctx.res.h();
        for s in spikes {
            for j in self.runs.of(s.source) {
                let (t0, mut t) = (self.runs.trace(j), self.runs.trace(j));
                for r in self.runs.rows(j) {
                    t = t0;
                    self.take_compressed(r, s, ctx, h, &mut t);
                }
                self.runs.set(j, t);
            }
        }
    }

    /// Compressed scheme: row `r`'s window from the group, then the spike (once per unit of
    /// multiplicity).
    #[inline]
    fn take_compressed(
        &mut self,
        r: usize,
        s: &SpikeEvent,
        ctx: &mut DeliverCtx<'_>,
        h: f64,
        t: &mut Trace,
    ) {
        let res = ctx.res;
        let d = self.delay[r] as Step;
        let tau_delta = self.projections[self.projection[r] as usize]
            .params
            .tau_delta;
        for _ in 0..s.multiplicity {
            let archives = &mut *ctx.archives;
            let archive_id = ctx.channel_archive[self.channel[r] as usize];
            let archive = &mut archives.urbanczik[archive_id as usize];
            // Sums for τ_L and τ_s, which follows the weight's sign.
            let w = archive.take_window(
                self.group[r] as usize,
                t.t_last - d,
                s.stamp - d,
                h,
                self.weight[r] > 0.0,
                &mut archives.urbanczik_counters,
            );
            let (x_l, x_s) = (t.x_l, t.x_s);
            self.i1[r] += x_l * w.s[0] - x_s * w.s[1];
            let dpi_exp = x_l * w.t[0] - x_s * w.t[1];
            let (tl_ms, ts_ms) = (res.ms(t.t_last), res.ms(s.stamp));
            self.i2[r] = ((tl_ms - ts_ms) / tau_delta).exp() * self.i2[r] + dpi_exp;
            self.spike(r, archive_id, s, ctx, t);
        }
    }
}

/// NEST starts `t_last` at −1 ms; any start before the first archive entry reads the same.
fn first_t_last(res: Resolution) -> Step {
    -res.duration_steps(1.0)
}

impl SynapseTable for UrbanczikTable {
    fn get_conn(&self, row: usize, res: Resolution, out: &mut ParamMap) {
        out.insert("weight".into(), ParamValue::Num(self.weight[row]));
        out.insert(
            "delay".into(),
            ParamValue::Num(res.ms(self.delay[row] as Step)),
        );
        self.projections[self.projection[row] as usize]
            .params
            .to_map(out);
    }

    /// `weight` is checked against Wmin/Wmax's signs and becomes the weight the rule's
    /// integrals are added to (NEST: `init_weight_ = weight_` in set_status). `tau_Delta`,
    /// `eta`, `Wmin`, `Wmax` are stored once per projection: a different value on one
    /// connection is refused.
    fn set_conn(&mut self, row: usize, p: &ParamMap, res: Resolution) -> Result<(), BuildError> {
        super::check_row(MODEL, row, self.weight.len())?;
        let cur = self.projections[self.projection[row] as usize]
            .params
            .clone();
        let mut new = cur.clone();
        let mut w = self.weight[row];
        let mut r = Reader::new(MODEL, p);
        r.read("weight", &mut w)?;
        super::read_unchanged_delay(&mut r, self.delay[row] as Step, res)?;
        new.apply(&mut r)?;
        r.finish()?;
        for (k, a, b) in [
            ("tau_Delta", cur.tau_delta, new.tau_delta),
            ("eta", cur.eta, new.eta),
            ("Wmin", cur.w_min, new.w_min),
            ("Wmax", cur.w_max, new.w_max),
        ] {
            if a != b {
                return Err(super::refuse_shared(MODEL, k, b, a));
            }
        }
        check_weight(&new, w)?;
        self.init_weight.set(row, &self.projection, w)?;
        self.weight[row] = w;
        Ok(())
    }

    fn snapshot(&mut self, s: &mut Snap) {
        for (v, what) in [
            (&mut self.weight, "weights"),
            (&mut self.i1, "integrals I1"),
            (&mut self.i2, "integrals I2"),
            (&mut self.runs.x_l, "traces x_L"),
            (&mut self.runs.x_s, "traces x_s"),
        ] {
            s.f64_slice(v, what);
        }
        s.each(
            &mut self.runs.t_last,
            "the urbanczik_synapse spike times",
            |s, x| s.i32(x),
        );
        s.each(
            &mut self.t_upd,
            "the urbanczik_synapse update times",
            |s, x| s.i32(x),
        );
        s.i64(&mut self.advanced);
    }

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

    fn scheme(&self) -> Option<Scheme> {
        Some(self.scheme)
    }

    fn advance(&mut self, upto: Step, time: bool, catch_up: bool, ctx: &mut DeliverCtx<'_>) {
        match super::Advance::of(self.scheme, time, catch_up) {
            super::Advance::Nothing => {}
            super::Advance::Time => self.advance_time(upto, ctx),
            // Event-driven catch-up: only synapses onto archives over the horizon.
            super::Advance::CatchUp => {
                for j in 0..self.runs.len() {
                    let tr = self.runs.trace(j);
                    for r in self.runs.rows(j) {
                        let archive = ctx.channel_archive[self.channel[r] as usize];
                        if ctx.archives.urbanczik[archive as usize].history.catch_up {
                            self.read_window(r, upto, archive, ctx.archives, ctx.res, tr);
                            ctx.archives.urbanczik_counters.synapse_calls += 1;
                        }
                    }
                }
            }
        }
    }

    fn columns(&self) -> RowColumns<'_> {
        RowColumns {
            rows: &self.rows,
            channel: &self.channel,
            delay: &self.delay,
            weight: &self.weight,
        }
    }
}
