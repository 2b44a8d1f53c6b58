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

use evplast_kernel::archive::{sum4, DecayTable, History, Scheme, Window};
use evplast_kernel::csr::BySource;
use evplast_kernel::limits::{try_reserve, try_vec};
use evplast_kernel::network::{Archives, DeliverCtx, RowColumns, SpikeEvent, SynapseTable};
use evplast_kernel::snapshot::Snap;
use evplast_kernel::{KernelError, Resolution, Step};

use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, ParamValue, Reader};

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
    /// The presynaptic state (last spike, trace x̄), once per run of rows.
    runs: Runs,
    /// Time and event schemes: the decay tables of the distinct τ_x, and each projection's.
    decay: Vec<DecayTable>,
    projection_decay: Vec<u16>,
    /// Time scheme: the archive has been read up to `t_upd − d` (the event scheme knows where
    /// a row's window starts from `next`). Time and event schemes: the LTP sum read since the
    /// last spike but not yet applied is `pending` (NaN: no entry yet).
    t_upd: Vec<i32>,
    pending: Vec<f64>,
    /// Event scheme: the archive entry after the row's last window, by its sequence number
    /// (`u32::MAX`: no window yet, so the first reads every entry held), so the next window's
    /// start needs no search.
    next: Vec<u32>,
    /// Time scheme: every row has read at least up to `advanced − d` (the last slice's
    /// advance), so a row's window starts at `max(t_upd, advanced) − d`: the grouped advance
    /// ([`TimeGroups`]) moves every row on without writing its `t_upd`. `Step::MIN` before the
    /// first advance (and in the other schemes).
    advanced: Step,
    /// Time scheme: the rows grouped by the window they read each slice.
    time: TimeGroups,
    /// Compressed scheme: the target's group, and the index of the row's entry in it (its
    /// window start's; `CompressedGroup::take_slot`), so no entry is searched for.
    group: Vec<u16>,
    slot: Vec<u32>,
    /// Windows located a few rows ahead of their read while their first lines are fetched
    /// (event and time schemes: [`ClopathTable::prefetch_rows`]); slot `r % AHEAD` holds row
    /// `r`'s.
    ahead: [Ahead; AHEAD],
}

/// Slots of located windows ([`ClopathTable::ahead`]): more than the distance ahead.
const AHEAD: usize = 4;

/// Row `row`'s window up to `to`, its start named by `from` ([`ClopathTable::window_key`]: a
/// stamp, or in the event scheme an entry number), located at columns `start..end`, valid
/// within one delivery (no entry is pushed or freed while spikes are delivered).
#[derive(Clone, Copy, Debug)]
struct Ahead {
    row: usize,
    from: Step,
    to: Step,
    start: usize,
    end: usize,
}

impl Ahead {
    const NONE: Ahead = Ahead {
        row: usize::MAX,
        from: 0,
        to: 0,
        start: 0,
        end: 0,
    };
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
        res: Resolution,
        scheme: Scheme,
    ) -> Result<Self, KernelError> {
        let runs = Runs::new(&rows, &projection, &projections)?;
        let n = weight.len();
        let windowed = scheme != Scheme::Compressed;
        // Only the windowed schemes read raw windows.
        let mut decay: Vec<(f64, DecayTable)> = Vec::new();
        let mut projection_decay = Vec::new();
        for p in projections.iter().filter(|_| windowed) {
            let tau = p.params.tau_x;
            let i = match decay.iter().position(|(t, _)| *t == tau) {
                Some(i) => i,
                None => {
                    decay.push((tau, DecayTable::new(res.h(), tau)));
                    decay.len() - 1
                }
            };
            projection_decay.push(i as u16);
        }
        let decay = decay.into_iter().map(|(_, t)| t).collect();
        let per_row = if windowed { n } else { 0 };
        let time = if scheme == Scheme::Time {
            TimeGroups::new(&runs, &channel, &delay, &projection, &projection_decay)?
        } else {
            TimeGroups::default()
        };
        Ok(Self {
            scheme,
            rows,
            channel,
            delay,
            weight,
            runs,
            decay,
            projection_decay,
            t_upd: try_vec(
                if scheme == Scheme::Time { n } else { 0 },
                0,
                "the clopath_synapse columns",
            )?,
            pending: try_vec(per_row, f64::NAN, "the clopath_synapse columns")?,
            next: try_vec(
                if scheme == Scheme::Event { n } else { 0 },
                u32::MAX,
                "the clopath_synapse columns",
            )?,
            advanced: Step::MIN,
            time,
            group: if windowed { Vec::new() } else { group },
            // Every row starts at its new group's one entry.
            slot: try_vec(
                if windowed { 0 } else { n },
                0,
                "the clopath_synapse columns",
            )?,
            projection,
            projections,
            ahead: [Ahead::NONE; AHEAD],
        })
    }

    /// Time/event schemes: reads row `r`'s archive window up to `upto − d` into its pending
    /// LTP sum, with the presynaptic trace of its last spike (at `tl`). The window starts at
    /// `max(t_upd, advanced) − d` (time scheme), or after the row's entry `next` (`RESUME`,
    /// event scheme).
    #[inline]
    fn read_window<const RESUME: bool>(
        &mut self,
        r: usize,
        tl: Step,
        upto: Step,
        archive: u32,
        archives: &mut Archives,
    ) {
        let d = self.delay[r] as Step;
        // The trace at synapse time t_e + d: e^{−(t_e + d − t_last)/τ_x}.
        let origin = tl - d;
        let to = upto - d;
        let history = &mut archives.clopath[archive as usize].ltp.raw;
        let key = self.window_key::<RESUME>(r);
        if !RESUME && history.none_after(key) {
            // An empty window (most of the time-driven scheme's): nothing to read or mark.
            self.t_upd[r] = upto as i32;
            return;
        }
        let slot = self.ahead[r % AHEAD];
        let (start, end) = if slot.row == r && slot.from == key && slot.to == to {
            (slot.start, slot.end)
        } else {
            self.locate::<RESUME>(r, key, to, history)
        };
        if RESUME {
            self.next[r] = history.seq(end);
        } else {
            debug_assert_eq!((start, end), history.locate(key, to), "row {r}'s window");
            self.t_upd[r] = upto as i32;
        }
        let window = history.read_range_decayed(start, end);
        let n = window.stamps.len() as u64;
        if n > 0 {
            let decay = &self.decay[self.projection_decay[self.projection[r] as usize] as usize];
            let sum = window_sum(window, origin, decay);
            let p = &mut self.pending[r];
            *p = if p.is_nan() { sum } else { *p + sum };
        }
        archives.clopath_counters.weight_change_computations += n;
    }

    /// What names where row `r`'s next window starts: with `RESUME` (event scheme) its entry
    /// `next` (as a number), else the stamp `max(t_upd, advanced) − d` (time scheme).
    #[inline]
    fn window_key<const RESUME: bool>(&self, r: usize) -> Step {
        match RESUME {
            true => Step::from(self.next[r]),
            false => (self.t_upd[r] as Step).max(self.advanced) - self.delay[r] as Step,
        }
    }

    /// The column range of row `r`'s window up to `to` in `history`, its start named by `key`
    /// ([`ClopathTable::window_key`]): with `RESUME` after the entry `next[r]` (a first window:
    /// every entry held, as a synapse with no spike yet reads), else searched from the stamp.
    #[inline]
    fn locate<const RESUME: bool>(
        &self,
        r: usize,
        key: Step,
        to: Step,
        history: &History,
    ) -> (usize, usize) {
        match RESUME {
            true => history
                .locate_after(self.next[r], to)
                .unwrap_or_else(|| history.locate(-(self.delay[r] as Step), to)),
            false => history.locate(key, to),
        }
    }

    /// Time-driven scheme: brings every row up to `upto` (one slice), by groups
    /// ([`TimeGroups`]); the first advance reads every row's window alone.
    fn advance_time(&mut self, upto: Step, ctx: &mut DeliverCtx<'_>) {
        let u0 = self.advanced;
        if u0 == Step::MIN {
            for j in 0..self.runs.len() {
                let tl = self.runs.t_last[j] as Step;
                for r in self.runs.rows(j) {
                    let archive = ctx.channel_archive[self.channel[r] as usize];
                    self.read_window::<false>(r, tl, upto, archive, ctx.archives);
                }
            }
        } else {
            for j in 0..self.runs.len() {
                let tl = self.runs.t_last[j] as Step;
                let p = self.projection[self.runs.rows(j).start] as usize;
                let decay = &self.decay[self.projection_decay[p] as usize];
                self.time.x[j] = if tl <= u0 {
                    decay.at(u0 - tl)
                } else {
                    f64::NAN
                };
            }
            for g in 0..self.time.groups.len() {
                let (channel, d, decay) = self.time.groups.key(g);
                let d = d as Step;
                let archive = ctx.channel_archive[channel as usize];
                let origin = u0 - d;
                let history = &ctx.archives.clopath[archive as usize].ltp.raw;
                if history.none_after(origin) {
                    // Nothing for any row: those that spiked in the slice have read up to
                    // their spike, and `advanced` moves them all on.
                    continue;
                }
                let (start, end) = history.locate(origin, upto - d);
                if start == end {
                    continue;
                }
                let decay = &self.decay[decay as usize];
                let w = window_sum(history.range_decayed(start, end), origin, decay);
                let mut k = 0u32;
                for i in self.time.groups.members(g) {
                    let (r, j) = self.time.members[i];
                    let (r, j) = (r as usize, j as usize);
                    if self.t_upd[r] as Step <= u0 {
                        let v = self.time.x[j] * w;
                        let p = &mut self.pending[r];
                        *p = if p.is_nan() { v } else { *p + v };
                        k += 1;
                    } else {
                        let tl = self.runs.t_last[j] as Step;
                        self.read_window::<false>(r, tl, upto, archive, ctx.archives);
                    }
                }
                ctx.archives.clopath[archive as usize]
                    .ltp
                    .raw
                    .mark_read(start, end, k);
                ctx.archives.clopath_counters.weight_change_computations +=
                    (end - start) as u64 * u64::from(k);
            }
        }
        self.advanced = upto;
        ctx.archives.clopath_counters.synapse_calls += self.weight.len() as u64;
    }

    /// Applies LTP (`ltp`: summed window, or `None` if it held no entry) with the presynaptic
    /// trace `x_bar`, LTD at `t_s − d`, and transmits: the part common to all schemes.
    #[inline]
    fn spike(
        &mut self,
        r: usize,
        archive: u32,
        s: &SpikeEvent,
        ltp: Option<f64>,
        x_bar: f64,
        ctx: &mut DeliverCtx<'_>,
    ) {
        let proj = &self.projections[self.projection[r] as usize];
        let p = &proj.params;
        let (ts, d) = (s.stamp, self.delay[r] as Step);
        let mut w = self.weight[r];
        let dw_ltp = ltp.map_or(0.0, |sum| x_bar * sum);
        if ltp.is_some() {
            w = (w + dw_ltp).min(p.w_max);
        }
        let dw_ltd = ctx.archives.clopath[archive as usize].ltd_value(ts - d);
        w = (w - dw_ltd).max(p.w_min);
        // `min`/`max` would hide a NaN: test the increments themselves (one test per spike).
        if !(dw_ltp - dw_ltd).is_finite() {
            let what = format!(
                "weight update not finite: LTP x_bar·sum = {dw_ltp} (x_bar = {x_bar}, archive \
                 sum = {}), LTD = {dw_ltd}",
                ltp.unwrap_or(0.0)
            );
            ctx.non_finite_weight(MODEL, s.source, self.channel[r], ts, what);
        }
        ctx.inputs.add_spike(self.channel[r], ts + d, w, 1);
        self.weight[r] = w;
        if let Some(wr) = proj.weight_recorder {
            ctx.record_weight(wr, s.source, self.channel[r], ts, w);
        }
        ctx.archives.clopath_counters.synapse_calls += 1;
    }

    /// Delivers spike `s` through run `j`: `row(table, r, t_last, x_bar)` handles one unit of
    /// multiplicity of row `r` with the presynaptic state before it; the run's state then
    /// moves past the spike once (the same for every row; NEST updates each synapse's copy).
    #[inline]
    fn deliver_run(
        &mut self,
        j: usize,
        s: &SpikeEvent,
        h: f64,
        mut row: impl FnMut(&mut Self, usize, Step, f64),
    ) {
        if s.multiplicity == 0 {
            return;
        }
        let rows = self.runs.rows(j);
        let tau_x = self.projections[self.projection[rows.start] as usize]
            .params
            .tau_x;
        let next = |tl: Step, x_bar: f64| -> f64 {
            x_bar * (-((s.stamp - tl) as f64 * h) / tau_x).exp() + 1.0 / tau_x
        };
        let (tl0, x0) = (self.runs.t_last[j] as Step, self.runs.x_bar[j]);
        let mut x_end = next(tl0, x0);
        if s.multiplicity == 1 {
            for r in rows {
                row(self, r, tl0, x0);
            }
        } else {
            for r in rows {
                let (mut tl, mut x) = (tl0, x0);
                for _ in 0..s.multiplicity {
                    row(self, r, tl, x);
                    (tl, x) = (s.stamp, next(tl, x));
                }
                x_end = x;
            }
        }
        self.runs.t_last[j] = s.stamp as i32;
        self.runs.x_bar[j] = x_end;
    }

    /// Prefetches for the rows ahead of row `r` (a spike at `stamp` reaches them next; rows
    /// past the source's are wasted hints, not errors), in three steps that each use what the
    /// one before brought in: the archive of row `r + FAR`; the LTD value of row `r + MID`
    /// (and the likely start of a first window, by interpolation); and for row `r + NEAR`, the
    /// window located (after its last one, [`History::locate_after`]) and kept for its read,
    /// and its first read count and values fetched.
    #[inline]
    fn prefetch_rows<const RESUME: bool>(&mut self, r: usize, stamp: Step, ctx: &DeliverCtx<'_>) {
        const FAR: usize = 9;
        const MID: usize = 5;
        const NEAR: usize = 2;
        let archive = |r: usize| {
            let c = *self.channel.get(r)?;
            let a = ctx.channel_archive[c as usize];
            ctx.archives.clopath.get(a as usize)
        };
        if let Some(a) = archive(r + FAR) {
            // The LTD ring's handle and the LTP history's (more than one line).
            evplast_kernel::prefetch::prefetch(a);
            evplast_kernel::prefetch::prefetch_all(&a.ltp.raw);
        }
        if let Some(a) = archive(r + MID) {
            let d = self.delay[r + MID] as Step;
            if RESUME && self.next[r + MID] != u32::MAX {
                a.prefetch_ltd(stamp - d);
            } else {
                // A window to be searched for: from its start stamp (a first window: from the
                // oldest entry).
                let from = if RESUME {
                    -d
                } else {
                    self.window_key::<false>(r + MID)
                };
                a.prefetch(from, stamp - d);
            }
        }
        if let Some(a) = archive(r + NEAR) {
            let row = r + NEAR;
            let d = self.delay[row] as Step;
            let from = self.window_key::<RESUME>(row);
            let (start, end) = self.locate::<RESUME>(row, from, stamp - d, &a.ltp.raw);
            a.ltp.raw.prefetch_range(start, end);
            self.ahead[row % AHEAD] = Ahead {
                row,
                from,
                to: stamp - d,
                start,
                end,
            };
        }
    }

    /// Compressed scheme: prefetches for the rows ahead of row `r`, in three steps that each
    /// use what the previous one brought in: the archive of row `r + 9`, the group of row
    /// `r + 6`, and for row `r + 3` the lines its take reads: its entry, the group's newest
    /// entry and the columns' ends (where a new entry goes).
    #[inline]
    fn prefetch_groups(&self, r: usize, ctx: &DeliverCtx<'_>) {
        use evplast_kernel::prefetch::prefetch;
        let archive = |r: usize| {
            let c = *self.channel.get(r)?;
            let a = ctx.channel_archive[c as usize];
            ctx.archives.clopath.get(a as usize)
        };
        let group = |r: usize| archive(r)?.ltp.groups.get(self.group[r] as usize);
        if let Some(a) = archive(r + 9) {
            prefetch(a);
            prefetch(&a.ltp);
        }
        if let Some(g) = group(r + 6) {
            evplast_kernel::prefetch::prefetch_all(g);
        }
        if let Some(g) = group(r + 3) {
            g.prefetch_slot(self.slot[r + 3]);
            g.prefetch_ends();
        }
    }

    fn deliver_windowed<const RESUME: bool>(
        &mut self,
        spikes: &[SpikeEvent],
        ctx: &mut DeliverCtx<'_>,
    ) {
        let h = ctx.res.h();
        // Windows are located and read within one delivery: entries are pushed between.
        self.ahead = [Ahead::NONE; AHEAD];
        for s in spikes {
            for j in self.runs.of(s.source) {
                // NEST runs the whole update once per unit of multiplicity.
                self.deliver_run(j, s, h, |t, r, tl, x_bar| {
                    t.prefetch_rows::<RESUME>(r, s.stamp, ctx);
                    let archive = ctx.channel_archive[t.channel[r] as usize];
                    t.read_window::<RESUME>(r, tl, s.stamp, archive, ctx.archives);
                    let ltp = std::mem::replace(&mut t.pending[r], f64::NAN);
                    t.spike(r, archive, s, (!ltp.is_nan()).then_some(ltp), x_bar, ctx);
                });
            }
        }
        // Nor may a later catch-up (`advance`) take them.
        self.ahead = [Ahead::NONE; AHEAD];
    }

    fn deliver_compressed(&mut self, spikes: &[SpikeEvent], ctx: &mut DeliverCtx<'_>) {
        let h = ctx.res.h();
        for s in spikes {
            for j in self.runs.of(s.source) {
                self.deliver_run(j, s, h, |t, r, tl, x_bar| {
                    t.prefetch_groups(r, ctx);
                    let d = t.delay[r] as Step;
                    let archive = ctx.channel_archive[t.channel[r] as usize];
                    let archives = &mut *ctx.archives;
                    let (sums, next) = archives.clopath[archive as usize].ltp.take_slot(
                        t.group[r] as usize,
                        t.slot[r],
                        tl - d,
                        s.stamp - d,
                        h,
                        &mut archives.clopath_counters,
                    );
                    t.slot[r] = next;
                    let ltp = (sums.n_raw > 0).then_some(sums.s[0]);
                    t.spike(r, archive, s, ltp, x_bar, ctx);
                });
            }
        }
    }
}

/// `Σ value · e^{−(stamp − origin)·h/τ_x}` over a window (`decay`: τ_x's table; every stamp is
/// after `origin`): from the archive's decayed column if it decays at this rate and serves this
/// origin (one factor, a plain sum), else entry by entry from the table.
#[inline]
fn window_sum(window: Window<'_>, origin: Step, decay: &DecayTable) -> f64 {
    let (stamps, values) = (window.stamps, window.values);
    match (stamps.first(), stamps.last(), window.decayed) {
        (Some(_), _, Some((_, dc))) if dc.rate == decay.rate() && dc.covers(origin) => {
            let k = dc.base - origin;
            let factor = if k >= 0 { decay.at(k) } else { decay.grow(-k) };
            factor * window.decayed_sum()
        }
        (Some(&first), Some(&last), _) => {
            let first = Step::from(first);
            match decay.range(first - origin, Step::from(last) - origin) {
                // The same table values as `decay.at`, with no `exp` fallback in the loop
                // (whose call would keep the partial sums in memory).
                Some(table) => sum4(stamps, values, |stamp, value| {
                    value * table[(stamp - first) as usize]
                }),
                None => sum4(stamps, values, |stamp, value| {
                    value * decay.at(stamp - origin)
                }),
            }
        }
        _ => 0.0,
    }
}

/// The time-driven scheme's rows grouped by the window they read each slice: one target
/// (input channel), one delay, one τ_x. Every row of a group that is at the last advance
/// reads `(u0 − d, u1 − d]` of the same archive, so the window is located and summed once per
/// group, `W = Σ value · e^{−(stamp − (u0 − d))/τ_x}`, and each row adds `X · W`, where
/// `X = e^{−(u0 − t_last)/τ_x}` is computed once per run of rows: the row's own sum
/// `Σ value · e^{−(stamp − (t_last − d))/τ_x}` to rounding. Rows whose source spiked in the
/// slice (delivery read them up to the spike) read the rest of their window alone.
#[derive(Default)]
struct TimeGroups {
    /// Keyed by (input channel, delay, index into the table's decay tables of τ_x).
    groups: super::Groups<(u32, u16, u16)>,
    /// (row, run) of each member, in row order within a group.
    members: Vec<(u32, u32)>,
    /// Per run: `X` of the slice being advanced (NaN for a run that spiked in it).
    x: Vec<f64>,
}

impl TimeGroups {
    fn new(
        runs: &Runs,
        channel: &[u32],
        delay: &[u16],
        projection: &[u16],
        projection_decay: &[u16],
    ) -> Result<Self, KernelError> {
        const WHAT: &str = "the clopath_synapse time-driven groups";
        let mut g = Self {
            members: runs.rows_with_runs(channel.len(), WHAT)?,
            ..Self::default()
        };
        let key = |(r, _): (u32, u32)| {
            let r = r as usize;
            (
                channel[r],
                delay[r],
                projection_decay[projection[r] as usize],
            )
        };
        g.groups = super::Groups::sort(&mut g.members, key, WHAT)?;
        g.x = try_vec(runs.len(), f64::NAN, WHAT)?;
        Ok(g)
    }
}

/// Runs of rows that share their presynaptic state: one source, one projection (so one τ_x
/// and one initial x̄): the last spike time and the trace, stored once per run.
struct Runs {
    index: super::RunIndex,
    t_last: Vec<i32>,
    x_bar: Vec<f64>,
}

impl std::ops::Deref for Runs {
    type Target = super::RunIndex;
    fn deref(&self) -> &super::RunIndex {
        &self.index
    }
}

impl Runs {
    fn new(
        rows: &BySource,
        projection: &[u16],
        projections: &[Projection],
    ) -> Result<Self, KernelError> {
        const WHAT: &str = "the clopath_synapse presynaptic state";
        let index = super::RunIndex::new(rows, |a, b| projection[a] == projection[b], WHAT)?;
        let mut x_bar = Vec::new();
        try_reserve(&mut x_bar, index.len(), WHAT)?;
        for j in 0..index.len() {
            let p = projection[index.rows(j).start];
            x_bar.push(projections[p as usize].params.x_bar);
        }
        Ok(Self {
            t_last: try_vec(index.len(), 0, WHAT)?,
            index,
            x_bar,
        })
    }
}

impl ClopathTable {
    /// The run (presynaptic state) of row `r`.
    fn run_of(&self, r: usize) -> usize {
        self.runs.run_of(self.rows.source_of(r), r)
    }

    /// Row `r`'s parameters as GetStatus reports them: the projection's, with the presynaptic
    /// trace `x_bar` as of the last spike (as NEST stores it).
    fn row_params(&self, r: usize) -> Params {
        let mut p = self.projections[self.projection[r] as usize].params.clone();
        p.x_bar = self.runs.x_bar[self.run_of(r)];
        p
    }
}

impl SynapseTable for ClopathTable {
    fn get_conn(&self, row: usize, res: Resolution, out: &mut ParamMap) {
        out.insert("weight".into(), ParamValue::Num(self.weight[row]));
        out.insert(
            "delay".into(),
            ParamValue::Num(res.ms(self.delay[row] as Step)),
        );
        self.row_params(row).to_map(out);
    }

    /// `weight` is checked against Wmin/Wmax's signs as at Connect. `tau_x`, `Wmin`, `Wmax`
    /// are stored once per projection and `x_bar` once per (source, projection): a different
    /// value on one connection is refused.
    fn set_conn(&mut self, row: usize, p: &ParamMap, res: Resolution) -> Result<(), BuildError> {
        super::check_row(MODEL, row, self.weight.len())?;
        let cur = self.row_params(row);
        let mut new = cur.clone();
        let mut w = self.weight[row];
        let mut r = Reader::new(MODEL, p);
        r.read("weight", &mut w)?;
        super::read_unchanged_delay(&mut r, self.delay[row] as Step, res)?;
        new.apply(&mut r)?;
        r.finish()?;
        for (k, a, b) in [
            ("tau_x", cur.tau_x, new.tau_x),
            ("Wmin", cur.w_min, new.w_min),
            ("Wmax", cur.w_max, new.w_max),
        ] {
            if a != b {
                return Err(super::refuse_shared(MODEL, k, b, a));
            }
        }
        if new.x_bar != cur.x_bar {
            return Err(BuildError::bad(
                MODEL,
                "x_bar",
                crate::params::fmt_num(new.x_bar),
                format!(
                    "is the presynaptic trace, shared by all connections from this source made by the \
                     same Connect call (it is {} there), and cannot differ on one connection; set \
                     it in that Connect's syn_spec",
                    crate::params::fmt_num(cur.x_bar)
                ),
            ));
        }
        check_weight(&new, w)?;
        self.weight[row] = w;
        Ok(())
    }

    fn snapshot(&mut self, s: &mut Snap) {
        s.f64_slice(&mut self.weight, "the clopath_synapse weights");
        s.each(&mut self.runs.t_last, "the clopath_synapse runs", |s, x| {
            s.i32(x)
        });
        s.f64_slice(&mut self.runs.x_bar, "the clopath_synapse traces");
        s.each(
            &mut self.t_upd,
            "the clopath_synapse update times",
            |s, x| s.i32(x),
        );
        s.f64_slice(&mut self.pending, "the clopath_synapse pending sums");
        s.i64(&mut self.advanced);
        s.each(&mut self.next, "the clopath_synapse window ends", |s, x| {
            s.u32(x)
        });
        s.each(&mut self.slot, "the clopath_synapse entry slots", |s, x| {
            s.u32(x)
        });
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
            Scheme::Time => self.deliver_windowed::<false>(spikes, ctx),
            Scheme::Event => self.deliver_windowed::<true>(spikes, ctx),
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
                    let tl = self.runs.t_last[j] as Step;
                    for r in self.runs.rows(j) {
                        let archive = ctx.channel_archive[self.channel[r] as usize];
                        if ctx.archives.clopath[archive as usize].ltp.catch_up {
                            self.read_window::<true>(r, tl, upto, archive, ctx.archives);
                            ctx.archives.clopath_counters.synapse_calls += 1;
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
