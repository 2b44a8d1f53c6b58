//! Per-neuron archives of what voltage-based plasticity rules need from the postsynaptic
//! membrane potential, read by synapses over half-open step windows.

pub mod clopath;
pub mod compressed;
pub mod urbanczik;

/// The history a rule's synapses read, in the form the scheme needs: the raw history (read by
/// the synapses in the time and event schemes) and, in the compressed scheme, the compressed
/// groups (then the groups are the raw history's readers).
#[derive(Clone, Debug)]
pub struct SchemeHistory<const N: usize> {
    pub raw: History,
    pub groups: Vec<compressed::CompressedGroup<N>>,
    /// Set by the kernel when the history is over its horizon and must be caught up.
    pub catch_up: bool,
}

impl<const N: usize> SchemeHistory<N> {
    /// An empty history with `readers` readers (synapses, or groups once they are added).
    pub fn new(readers: u32) -> Self {
        Self {
            raw: History::new(readers),
            groups: Vec::new(),
            catch_up: false,
        }
    }

    /// Appends a raw entry. H counts entries of the history the synapses read: raw ones here,
    /// compressed ones (counted by the groups) in the compressed scheme (Table 1's definition).
    #[inline]
    pub fn push(&mut self, stamp: Step, value: f64, c: &mut RuleCounters) {
        self.raw.push(stamp, value);
        c.history_manipulations += self.groups.is_empty() as u64;
    }

    /// Visits the raw entries with `from < stamp ≤ to` in time order, marking them read.
    #[inline]
    pub fn read(&mut self, from: Step, to: Step, visit: impl FnMut(Step, f64)) {
        self.raw.read(from, to, visit);
    }

    /// [`History::read_window`] over the raw entries.
    #[inline]
    pub fn read_window(&mut self, from: Step, to: Step) -> (&[i32], &[f64]) {
        self.raw.read_window(from, to)
    }

    /// Compressed scheme: the sums of group `g` for the window `(a, b]` of one synapse, which
    /// then starts its next window at `b` ([`compressed::CompressedGroup::take`]).
    #[inline]
    pub fn take_compressed(
        &mut self,
        g: usize,
        a: Step,
        b: Step,
        h: f64,
        c: &mut RuleCounters,
    ) -> compressed::WindowSums<N> {
        self.groups[g].take(&mut self.raw, a, b, h, c)
    }

    /// [`SchemeHistory::take_compressed`] from a group of slots, the synapse's entry named by
    /// its index ([`compressed::CompressedGroup::take_slot`]); returns its next one too.
    #[inline]
    pub fn take_slot(
        &mut self,
        g: usize,
        slot: u32,
        a: Step,
        b: Step,
        h: f64,
        c: &mut RuleCounters,
    ) -> (compressed::WindowSums<N>, u32) {
        self.groups[g].take_slot(&mut self.raw, slot, a, b, h, c)
    }

    /// Compressed scheme: folds every group up to `upto − delay` (all a later spike can need),
    /// then frees the raw entries every group has passed.
    pub fn fold_groups(&mut self, upto: Step, h: f64, c: &mut RuleCounters) {
        for g in &mut self.groups {
            g.fold(&mut self.raw, upto - g.delay, h, c);
        }
        self.raw.prune();
    }

    /// Frees the raw entries that every reader has read.
    pub fn prune(&mut self) {
        self.raw.prune();
    }

    /// Entries the synapses read: compressed entries in the compressed scheme, else raw ones.
    pub fn read_len(&self) -> usize {
        if self.groups.is_empty() {
            self.raw.len()
        } else {
            self.groups.iter().map(|g| g.len()).sum()
        }
    }
}

/// The exponent's decrease per step of a decay with time constant `tau` at resolution `h`
/// (both ms): every decay table and column computes it here, so equal time constants give
/// equal rates to the bit.
#[inline]
pub fn decay_rate(h: f64, tau: f64) -> f64 {
    h / tau
}

/// `e^{−k·h/τ}` for `k = 0..LEN` steps, computed once per `(τ, h)`: the decays of a window
/// read become one lookup per entry, with no chain of multiplications between entries (each
/// value is a fresh `exp`, as NEST computes it per entry). Past the table (windows more than
/// `LEN` steps after the trace's origin) it computes the `exp`.
#[derive(Clone, Debug, PartialEq)]
pub struct DecayTable {
    rate: f64,
    values: Vec<f64>,
    grow: Vec<f64>,
}

impl DecayTable {
    /// Table length: 8192 steps (819 ms at h = 0.1 ms), 64 KiB.
    pub const LEN: usize = 8192;

    /// The table for time constant `tau` (ms) at resolution `h` (ms).
    pub fn new(h: f64, tau: f64) -> Self {
        let rate = decay_rate(h, tau);
        Self {
            rate,
            values: (0..Self::LEN).map(|k| (-(k as f64) * rate).exp()).collect(),
            grow: (0..Self::LEN).map(|k| ((k as f64) * rate).exp()).collect(),
        }
    }

    /// The values for `k0..=k1`, if the table holds them all: a window whose decays all lie
    /// in the table is summed with no `exp` call in its loop.
    #[inline]
    pub fn range(&self, k0: Step, k1: Step) -> Option<&[f64]> {
        if k0 < 0 || k1 < k0 {
            return None;
        }
        self.values.get(k0 as usize..=k1 as usize)
    }

    /// `h/τ`: the exponent's decrease per step ([`decay_rate`]).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// `e^{+k·h/τ}` for `0 ≤ k < LEN` (the growth from a decayed column's base to a reader's
    /// origin after it, [`Decay`]), else `1 / at(k)`.
    #[inline]
    pub fn grow(&self, k: Step) -> f64 {
        match self.grow.get(k as usize) {
            Some(v) if k >= 0 => *v,
            _ => 1.0 / self.at(k),
        }
    }

    /// `e^{−k·h/τ}`.
    #[inline]
    pub fn at(&self, k: Step) -> f64 {
        match self.values.get(k as usize) {
            Some(v) if k >= 0 => *v,
            _ => (-(k as f64) * self.rate).exp(),
        }
    }
}

/// `e^{−(s − origin)·h/τ}` at increasing stamps `s`: the next stamp's value is the last one
/// times `e^{−h/τ}` raised to the gap (one multiplication for consecutive stamps — the dense
/// archive — and a few for the short gaps between the runs of Clopath's sparse LTP archive),
/// instead of an `exp`; the first stamp and gaps over 64 steps take a fresh `exp`. The value only
/// decays, so repeated multiplication cannot lose a value that matters (it may underflow to 0
/// only where the exact value is below the smallest double anyway); relative rounding grows by
/// at most a few ulp per entry (≈1e-13 over 1e3 entries).
#[derive(Clone, Copy, Debug)]
pub struct DecayAt {
    origin: Step,
    rate: f64,
    step: f64,
    last: Step,
    value: f64,
}

impl DecayAt {
    /// Decay with time constant `tau` (ms) from stamp `origin`, at resolution `h` (ms).
    #[inline]
    pub fn new(origin: Step, h: f64, tau: f64) -> Self {
        let rate = h / tau;
        Self {
            origin,
            rate,
            step: (-rate).exp(),
            last: Step::MIN,
            value: 0.0,
        }
    }

    /// The factor at stamp `s` (stamps must not decrease between calls).
    #[inline]
    pub fn at(&mut self, s: Step) -> f64 {
        let gap = s.wrapping_sub(self.last);
        if gap == 1 {
            self.value *= self.step;
        } else if self.last != Step::MIN && (2..=64).contains(&gap) {
            self.value *= self.step.powi(gap as i32);
        } else {
            self.value = (-((s - self.origin) as f64) * self.rate).exp();
        }
        self.last = s;
        self.value
    }

    /// `e^{−gap·h/τ}` for a gap between stamps.
    #[inline]
    pub fn over(&self, gap: Step) -> f64 {
        match gap {
            0 => 1.0,
            1 => self.step,
            _ => (-(gap as f64) * self.rate).exp(),
        }
    }
}

/// How a plastic synapse table reads the archives (docs/SCHEMES.md), chosen
/// per projection at build time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scheme {
    /// Every synapse integrates the archive once per `min_delay` slice.
    Time,
    /// Synapses integrate the full history between their presynaptic spikes.
    #[default]
    Event,
    /// One compressed entry per distinct window start, folded forward at each spike.
    Compressed,
}

impl Scheme {
    /// The model-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Time => "time",
            Scheme::Event => "event",
            Scheme::Compressed => "compressed",
        }
    }
}

/// The kernel's `scheme` setting (model file, `--scheme`, Python): one scheme for every plastic
/// projection, or `auto`, the builder's choice per projection by its cost model
/// (`crates/models/src/builder/cost.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SchemeSetting {
    #[default]
    Auto,
    Fixed(Scheme),
}

impl From<Scheme> for SchemeSetting {
    fn from(s: Scheme) -> Self {
        SchemeSetting::Fixed(s)
    }
}

impl SchemeSetting {
    /// The valid spellings, for error messages.
    pub const NAMES: &'static str = "auto, event, compressed, time";

    /// The model-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemeSetting::Auto => "auto",
            SchemeSetting::Fixed(s) => s.as_str(),
        }
    }

    /// Parses the model-file spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "auto" => SchemeSetting::Auto,
            "time" => Scheme::Time.into(),
            "event" => Scheme::Event.into(),
            "compressed" => Scheme::Compressed.into(),
            _ => return None,
        })
    }
}

/// Per-rule archives owned by the kernel, indexed by archive id. The step loop reaches them
/// only through [`Archives::each_history`]; synapse tables and neurons of a rule index their
/// own rule's archives directly.
#[derive(Debug, Default)]
pub struct Archives {
    pub clopath: Vec<ClopathArchive>,
    pub clopath_counters: RuleCounters,
    pub urbanczik: Vec<UrbanczikArchive>,
    pub urbanczik_counters: RuleCounters,
}

impl Archives {
    /// Visits every rule's histories with that rule's counters, in a fixed order (Clopath,
    /// then Urbanczik–Senn), so that the step loop can catch up and prune without naming a
    /// rule. A new rule adds its archives here.
    pub fn each_history(&mut self, mut f: impl FnMut(&mut dyn RuleHistory, &mut RuleCounters)) {
        for a in &mut self.clopath {
            f(&mut a.ltp, &mut self.clopath_counters);
        }
        for a in &mut self.urbanczik {
            f(&mut a.history, &mut self.urbanczik_counters);
        }
    }

    /// Samples every archive's length once (called at each slice end).
    pub(crate) fn sample_lengths(&mut self) {
        self.each_history(|h, c| c.sample_length(h.read_len()));
    }
}

/// What the step loop does with any rule's history without knowing the rule: measure it, flag
/// it for a catch-up, fold its compressed groups, prune it (one dynamic call per archive per
/// slice, never per synapse).
pub trait RuleHistory {
    /// Raw entries held.
    fn raw_len(&self) -> usize;
    /// Entries the synapses read (compressed ones in the compressed scheme).
    fn read_len(&self) -> usize;
    /// Whether the history is over its horizon and must be caught up this slice.
    fn catch_up(&mut self) -> &mut bool;
    /// Compressed scheme: folds every group up to `upto − delay`, then prunes.
    fn fold_groups(&mut self, upto: Step, h: f64, c: &mut RuleCounters);
    /// Frees the raw entries every reader has read.
    fn prune(&mut self);
}

impl<const N: usize> RuleHistory for SchemeHistory<N> {
    fn raw_len(&self) -> usize {
        self.raw.len()
    }
    fn read_len(&self) -> usize {
        SchemeHistory::read_len(self)
    }
    fn catch_up(&mut self) -> &mut bool {
        &mut self.catch_up
    }
    fn fold_groups(&mut self, upto: Step, h: f64, c: &mut RuleCounters) {
        SchemeHistory::fold_groups(self, upto, h, c)
    }
    fn prune(&mut self) {
        SchemeHistory::prune(self)
    }
}

use crate::time::Step;
use clopath::ClopathArchive;
use urbanczik::UrbanczikArchive;

/// A full (event-driven) history of one neuron, read by its `n_incoming` plastic synapses over
/// half-open stamp windows. An entry is freed from the front once every synapse has read it
/// (NEST's access counters; at least one entry stays, as in NEST).
///
/// The entries are parallel columns (12 bytes an entry: stamp, value; read counts apart):
/// a window read streams only stamps and values and writes nothing per entry, and the search
/// for a window's ends walks 4-byte stamps. Entry `i` (from the front) is at `head + i` of
/// every column; the freed front is dropped from the columns in one move once it is a quarter
/// of their length, so each column stays one contiguous slice.
///
/// Read counts are stored as differences: `reads[head + i]` is the count of entry `i` minus
/// that of entry `i − 1` (for the front entry, its count). A window read adds 1 at its first
/// entry and subtracts 1 after its last (from `reads_next`, the difference of the entry pushed
/// next, if the window reaches the newest entry): two stores per window instead of one per
/// entry. Freeing the front entry carries its count into the next one, so the front's
/// difference is always its real count, the only one pruning tests.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Stamp: end of the step the entry describes (runs fit 32 bits,
    /// [`MAX_RUN_STEPS`](crate::time::MAX_RUN_STEPS)).
    stamps: Vec<i32>,
    values: Vec<f64>,
    /// Read counts as differences (wrapping: a difference may be negative).
    reads: Vec<u32>,
    /// Index of the front entry in the columns (those before it are freed).
    head: usize,
    /// The stamps of the front and the newest entry (when there is one): a window search
    /// starts from them without loading the columns' ends.
    front: i32,
    back: i32,
    /// The read-count difference of the next entry pushed: minus the windows read so far that
    /// ended at the newest entry (so all differences plus this sum to 0).
    reads_next: u32,
    n_incoming: u32,
    /// Sequence number of column 0: entries are numbered as pushed, so a reader can name the
    /// entry after its last window ([`History::seq`], [`History::locate_after`]). Fewer than
    /// 2^31 entries are ever pushed (at most one per step, and runs fit 31 bits), so `u32::MAX`
    /// is never an entry's number.
    seq0: u32,
    /// Entries within this many steps of the newest stay even when read by every reader
    /// (0: none stay): a synapse connected between runs reads back that far.
    keep: Step,
    /// With [`History::set_decay`]: each value times `e^{−(stamp − base)·rate}`, a column
    /// parallel to `values` (empty otherwise), and its decay.
    decayed: Vec<f64>,
    decay: Option<Decay>,
    /// With a decay: the decayed column summed over blocks of [`BLOCK`] entries by sequence
    /// number (block `k` holds entries `k·BLOCK .. (k + 1)·BLOCK`, added in push order), from
    /// block `block0` on. A window read adds the blocks it covers whole instead of their
    /// entries ([`Window::decayed_sum`]).
    blocks: Vec<f64>,
    block0: u32,
}

/// Entries per block of [`History`]'s block sums: a window of `n` entries costs at most
/// `2·(BLOCK − 1) + n / BLOCK` additions.
pub const BLOCK: u32 = 16;

/// The decay of a history's [`History::read_window_decayed`] column: `rate` = h/τ per step,
/// and the base stamp the column's values are decayed from.
///
/// A reader summing `value · e^{−(stamp − origin)·rate}` over a window sums the column
/// instead and multiplies once by `e^{−(base − origin)·rate}`: no decay per entry, no stamp
/// read in the loop. Each term then carries two more roundings (the decay from the base, the
/// factor), about 1e-16 relative. The base is the stamp of the newest entry rounded down to a
/// multiple of the period: `e^{−300}` of decay or [`DecayTable::LEN`] steps, whichever is
/// shorter. So the column's values stay within `e^{±600}` of the values wherever
/// [`Decay::covers`] lets a reader use it (no overflow, no subnormal), and the base depends on
/// the newest stamp alone: a restored checkpoint rebuilds the same column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decay {
    pub rate: f64,
    pub base: Step,
    period: Step,
}

impl Decay {
    /// The largest exponent `(stamp − base)·rate` within a period.
    const SPAN: f64 = 300.0;
    /// The largest exponent `(base − stamp)·rate` of a value a reader may use.
    const REACH: f64 = 600.0;

    fn new(rate: f64, newest: Step) -> Self {
        // At least one step; `rate` is positive and finite (τ > 0 is checked at connect). At
        // most a decay table's length, so that a reader finds the factor of an origin after
        // the base (`e^{(origin − base)·rate}`, origin < base + period) in
        // [`DecayTable::grow`], and one before it mostly in [`DecayTable::at`]'s table.
        let period = ((Self::SPAN / rate) as Step).clamp(1, DecayTable::LEN as Step);
        Self {
            rate,
            base: newest.div_euclid(period) * period,
            period,
        }
    }

    /// The farthest a reader's origin may lie before the base: `(base − origin)·rate ≤ 600`.
    #[inline]
    fn reach(&self) -> Step {
        (Self::REACH / self.rate) as Step
    }

    /// True if the column serves a reader whose trace starts at `origin` (every stamp of its
    /// windows is after `origin`): `(base − origin)·rate ≤ 600`, so both the factor and the
    /// column's values in the window are normal doubles.
    #[inline]
    pub fn covers(&self, origin: Step) -> bool {
        self.base - origin <= self.reach()
    }

    /// The column's value for `(stamp, value)` (NaN for stamps too old for any covered
    /// reader, where the decay would overflow).
    #[inline]
    fn value(&self, stamp: Step, value: f64) -> f64 {
        if self.base - stamp > self.reach() {
            return f64::NAN;
        }
        value * (-((stamp - self.base) as f64) * self.rate).exp()
    }
}

impl History {
    /// An empty history read by `n_incoming` synapses.
    pub fn new(n_incoming: u32) -> Self {
        Self {
            n_incoming,
            ..Self::default()
        }
    }

    /// Frees fully read entries at the front, then appends `(stamp, value)`.
    #[inline]
    pub fn push(&mut self, stamp: Step, value: f64) {
        self.prune();
        debug_assert!(stamp <= crate::time::MAX_RUN_STEPS);
        let full = self.stamps.len() == self.stamps.capacity();
        if full && self.head > 0 && self.head >= self.stamps.len() / 4 {
            // Moving the live entries down costs at most 3 copies per push since the last move
            // (the freed quarter), and keeps the columns within about twice the live entries
            // (growing only once three quarters are live), as a ring would.
            self.drop_freed();
        }
        if self.is_empty() {
            self.front = stamp as i32;
        }
        self.back = stamp as i32;
        self.stamps.push(stamp as i32);
        self.values.push(value);
        self.reads.push(std::mem::take(&mut self.reads_next));
        if let Some(d) = self.decay {
            if stamp - d.base >= d.period {
                // Once per period (8192 steps, 819 ms at h = 0.1 ms, for τ ≥ 2.8 ms).
                self.rebase();
            } else {
                let x = d.value(stamp, value);
                self.decayed.push(x);
                self.add_to_block(self.seq(self.stamps.len() - 1), x);
            }
        }
    }

    /// Adds `x`, the decayed value of entry number `seq` (the newest), to its block.
    #[inline]
    fn add_to_block(&mut self, seq: u32, x: f64) {
        let k = seq / BLOCK;
        if self.blocks.is_empty() {
            self.block0 = k;
        }
        match self.blocks.get_mut((k - self.block0) as usize) {
            Some(b) => *b += x,
            None => self.blocks.push(x),
        }
    }

    /// Recomputes the block sums from the decayed column, in push order (so they equal those
    /// summed as entries came: a restored checkpoint gets the same). Blocks partly freed hold
    /// NaN or stale parts; no window covers them whole.
    fn rebuild_blocks(&mut self) {
        self.blocks.clear();
        if self.decay.is_none() {
            return;
        }
        for i in 0..self.decayed.len() {
            self.add_to_block(self.seq(i), self.decayed[i]);
        }
    }

    /// Reads the values decayed at `rate` = h/τ per step too ([`History::read_window_decayed`]),
    /// unless the history has a decay already (then readers of other rates sum the values).
    pub fn set_decay(&mut self, rate: f64) {
        if self.decay.is_none() && rate > 0.0 && rate.is_finite() {
            self.decay = Some(Decay::new(rate, Step::from(self.back)));
            self.rebase();
        }
    }

    /// Moves the decay's base to the newest entry's period and recomputes the column.
    fn rebase(&mut self) {
        let Some(d) = self.decay else { return };
        let d = Decay::new(d.rate, Step::from(self.back));
        self.decay = Some(d);
        self.decayed.clear();
        self.decayed.resize(self.head, f64::NAN);
        for (&t, &v) in self.stamps[self.head..]
            .iter()
            .zip(&self.values[self.head..])
        {
            self.decayed.push(d.value(Step::from(t), v));
        }
        self.rebuild_blocks();
    }

    /// Moves the live entries to the start of the columns.
    fn drop_freed(&mut self) {
        let h = std::mem::take(&mut self.head);
        self.stamps.drain(..h);
        self.values.drain(..h);
        self.reads.drain(..h);
        self.seq0 = self.seq0.wrapping_add(h as u32);
        if self.decay.is_some() {
            self.decayed.drain(..h);
            // Blocks wholly freed go; the first may keep freed entries' share (never read).
            let k = (self.seq0 / BLOCK).max(self.block0);
            let gone = ((k - self.block0) as usize).min(self.blocks.len());
            self.blocks.drain(..gone);
            self.block0 = k;
        }
    }

    /// The stamps of the live entries.
    #[inline]
    fn live_stamps(&self) -> &[i32] {
        &self.stamps[self.head..]
    }

    /// Marks the entries with `from < stamp ≤ to` read (once) and returns their stamps and
    /// values, in time order.
    #[inline]
    pub fn read_window(&mut self, from: Step, to: Step) -> (&[i32], &[f64]) {
        let (start, end) = self.locate(from, to);
        self.mark(start, end);
        (&self.stamps[start..end], &self.values[start..end])
    }

    /// Marks the entries of the column range `start..end` read.
    #[inline]
    fn mark(&mut self, start: usize, end: usize) {
        self.mark_read(start, end, 1);
    }

    /// Marks the entries of the column range `start..end` ([`History::locate`]) read by `k`
    /// readers at once (readers whose windows are the same).
    #[inline]
    pub fn mark_read(&mut self, start: usize, end: usize, k: u32) {
        if start < end && k > 0 {
            let r = &mut self.reads;
            r[start] = r[start].wrapping_add(k);
            match r.get_mut(end) {
                Some(x) => *x = x.wrapping_sub(k),
                None => self.reads_next = self.reads_next.wrapping_sub(k),
            }
        }
    }

    /// Prefetches what reading the column range `start..end` ([`History::locate`]) touches
    /// first: its read count and the first two lines of the column it sums.
    #[inline]
    pub fn prefetch_range(&self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        crate::prefetch::prefetch(self.reads.as_ptr().wrapping_add(start));
        let column = if self.decay.is_some() {
            &self.decayed
        } else {
            &self.values
        };
        crate::prefetch::prefetch(column.as_ptr().wrapping_add(start));
        if end - start > 8 {
            crate::prefetch::prefetch(column.as_ptr().wrapping_add(start + 8));
        }
    }

    /// [`History::read_window`] with the window's part of the decayed column and its decay
    /// (`None` without [`History::set_decay`]).
    #[inline]
    pub fn read_window_decayed(&mut self, from: Step, to: Step) -> Window<'_> {
        let (start, end) = self.locate(from, to);
        self.read_range_decayed(start, end)
    }

    /// [`History::read_window_decayed`] of the column range `start..end` that
    /// [`History::locate`] gave for the window, with no entry pushed or freed since.
    #[inline]
    pub fn read_range_decayed(&mut self, start: usize, end: usize) -> Window<'_> {
        self.mark(start, end);
        self.range_decayed(start, end)
    }

    /// The window of the column range `start..end`, not marked read
    /// ([`History::mark_read`]).
    #[inline]
    pub fn range_decayed(&self, start: usize, end: usize) -> Window<'_> {
        Window {
            stamps: &self.stamps[start..end],
            values: &self.values[start..end],
            decayed: self.decay.map(|d| (&self.decayed[start..end], d)),
            blocks: &self.blocks,
            block0: self.block0,
            seq: self.seq(start),
        }
    }

    /// Prefetches the stamps where a window starting after `from` likely starts (the guess of
    /// the interpolation search); [`History::prefetch_range`] fetches the rest once the window
    /// is located.
    #[inline]
    pub fn prefetch_window(&self, from: Step) {
        let n = self.stamps.len() - self.head;
        if n < 2 || from <= Step::from(self.front) {
            return;
        }
        let (first, last) = (Step::from(self.front), Step::from(self.back));
        let span = (last - first).max(1) as u64;
        let off = ((from - first).min(last - first) as u64 * (n as u64 - 1) / span) as usize;
        let i = self.head + off;
        crate::prefetch::prefetch(self.stamps.as_ptr().wrapping_add(i));
    }

    /// True if no entry is newer than `stamp` (a window starting there is empty): known from
    /// the newest stamp kept at hand, with no load of the columns.
    #[inline]
    pub fn none_after(&self, stamp: Step) -> bool {
        self.is_empty() || stamp >= Step::from(self.back)
    }

    /// The sequence number of the entry at column index `i` (or of the entry pushed next, for
    /// the index one past the newest), for [`History::locate_after`].
    #[inline]
    pub fn seq(&self, i: usize) -> u32 {
        self.seq0.wrapping_add(i as u32)
    }

    /// [`History::locate`] of the window `(from, to]` of a reader whose last window ended just
    /// before the entry numbered `next` ([`History::seq`] of that window's end): the start is
    /// that entry, found with no search and no load of the columns. `None` if `next` is not a
    /// live entry's number (`u32::MAX`: a reader with no window yet).
    #[inline]
    pub fn locate_after(&self, next: u32, to: Step) -> Option<(usize, usize)> {
        let start = next.wrapping_sub(self.seq0) as usize;
        if start < self.head || start > self.stamps.len() {
            return None;
        }
        // Window ends are recent: at or past the newest entry, or a few entries before it
        // (in lines just written), walked back from it; searched only if further back.
        let mut end = self.stamps.len();
        if to < Step::from(self.back) {
            let mut walked = 0;
            while end > start && Step::from(self.stamps[end - 1]) > to {
                end -= 1;
                walked += 1;
                if walked == 16 {
                    let s = &self.stamps[start..end];
                    end = start + first_after(s.len(), |i| Step::from(s[i]), to);
                    break;
                }
            }
        }
        Some((start, end))
    }

    /// The column range of the entries with `from < stamp ≤ to`. Window ends are recent, so
    /// the end is most often past the newest entry, found from `back` alone; the start is
    /// searched among the entries before the end. The range stays valid until an entry is
    /// pushed or freed.
    #[inline]
    pub fn locate(&self, from: Step, to: Step) -> (usize, usize) {
        let s = self.live_stamps();
        let n = s.len();
        if n == 0 {
            return (self.head, self.head);
        }
        let at = |i: usize| Step::from(s[i]);
        let (first, last) = (Step::from(self.front), Step::from(self.back));
        let end = first_after_between(n, first, last, at, to);
        let start = match end {
            0 => 0,
            _ if end == n => first_after_between(n, first, last, at, from),
            _ => first_after_between(end, first, at(end - 1), at, from),
        };
        (self.head + start, self.head + end)
    }

    /// Visits `(stamp, value)` of the entries with `from < stamp ≤ to` in time order, marking
    /// them read.
    #[inline]
    pub fn read(&mut self, from: Step, to: Step, mut visit: impl FnMut(Step, f64)) {
        let (stamps, values) = self.read_window(from, to);
        for (&s, &v) in stamps.iter().zip(values) {
            visit(Step::from(s), v);
        }
    }

    /// `(Σ term(stamp, value), count)` over the entries with `from < stamp ≤ to`, marking them
    /// read, summed by [`sum4`].
    #[inline]
    pub fn read_sum(
        &mut self,
        from: Step,
        to: Step,
        term: impl Fn(Step, f64) -> f64,
    ) -> (f64, u64) {
        let (stamps, values) = self.read_window(from, to);
        (sum4(stamps, values, term), stamps.len() as u64)
    }

    /// Frees fully read entries at the front (at least one stays, as in NEST), except those
    /// within `keep` steps of the newest ([`History::set_keep`]).
    pub fn prune(&mut self) {
        if self.is_empty() {
            return;
        }
        let last_free = Step::from(self.back) - self.keep;
        let last = self.stamps.len() - 1;
        let mut h = self.head;
        while h < last
            && self.reads[h] >= self.n_incoming
            && Step::from(self.stamps[h]) <= last_free
        {
            // The next entry's count is its difference plus this one's.
            self.reads[h + 1] = self.reads[h + 1].wrapping_add(self.reads[h]);
            h += 1;
        }
        if h != self.head {
            self.head = h;
            self.front = self.stamps[h];
        }
    }

    /// Keeps the entries within `steps` of the newest even once every reader has read them:
    /// a synapse connected between runs (at `T`, delay `d ≤ steps`) reads from `T − d` on, and
    /// the synapses before it may have read that part already. Sums over windows do not
    /// depend on it (a window reads by stamp); only memory does.
    pub fn set_keep(&mut self, steps: Step) {
        self.keep = steps;
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.stamps.len() - self.head
    }

    /// True if no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `k` more readers (synapses, or compressed groups, connected after the build). Like
    /// readers from the start without a presynaptic spike, they read every entry still held
    /// at their first window, so no entry is marked read for them.
    pub fn add_readers(&mut self, k: u32) {
        self.n_incoming += k;
    }

    /// Number of synapses that read this history.
    pub fn n_incoming(&self) -> u32 {
        self.n_incoming
    }

    /// The live entries as `(stamp, read count, value)`: the counts summed from their
    /// differences.
    fn entries(&self) -> Vec<(i32, u32, f64)> {
        let mut count = 0u32;
        (self.head..self.stamps.len())
            .map(|i| {
                count = count.wrapping_add(self.reads[i]);
                (self.stamps[i], count, self.values[i])
            })
            .collect()
    }

    /// Replaces the entries by `entries` (`(stamp, read count, value)`, as [`History::entries`]
    /// gives them).
    fn set_entries(&mut self, entries: &[(i32, u32, f64)]) {
        self.head = 0;
        self.stamps = entries.iter().map(|e| e.0).collect();
        self.values = entries.iter().map(|e| e.2).collect();
        let mut prev = 0u32;
        self.reads = entries
            .iter()
            .map(|e| {
                let d = e.1.wrapping_sub(prev);
                prev = e.1;
                d
            })
            .collect();
        self.reads_next = 0u32.wrapping_sub(prev);
        self.front = self.stamps.first().copied().unwrap_or(0);
        self.back = self.stamps.last().copied().unwrap_or(0);
        self.seq0 = 0;
        self.rebase();
    }
}

/// A window of a history: its stamps and values, and the decayed column's part with its
/// decay ([`History::read_window_decayed`]).
pub struct Window<'a> {
    pub stamps: &'a [i32],
    pub values: &'a [f64],
    pub decayed: Option<(&'a [f64], Decay)>,
    /// The history's block sums, its first block, and the window's first entry number.
    blocks: &'a [f64],
    block0: u32,
    seq: u32,
}

impl Window<'_> {
    /// `Σ` of the decayed column over the window (0 without a decay): entries of the blocks
    /// at its ends one by one ([`sum4_values`]), the blocks between by their sums. It differs
    /// from the plain sum by rounding only and depends on the window's entries and numbers
    /// alone (blocks are fixed by entry number), not on where or when they were stored.
    #[inline]
    pub fn decayed_sum(&self) -> f64 {
        let Some((column, _)) = self.decayed else {
            return 0.0;
        };
        let (start, end) = (self.seq, self.seq + column.len() as u32);
        let first = start.div_ceil(BLOCK);
        let last = end / BLOCK;
        if first >= last {
            return sum4_values(column);
        }
        let head = ((first * BLOCK - start) as usize).min(column.len());
        let tail = (last * BLOCK - start) as usize;
        let whole = &self.blocks[(first - self.block0) as usize..(last - self.block0) as usize];
        sum4_values(&column[..head]) + sum4_values(whole) + sum4_values(&column[tail..])
    }
}

/// `Σ values` in four interleaved partial sums, as [`sum4`] adds its terms.
#[inline]
pub fn sum4_values(values: &[f64]) -> f64 {
    let mut acc = Acc4::default();
    let mut v4 = values.chunks_exact(4);
    for v in &mut v4 {
        acc.add4(v[0], v[1], v[2], v[3]);
    }
    acc.add_tail(v4.remainder().iter().copied());
    acc.sum()
}

/// Four partial sums kept in locals (registers), never in an array in memory: a remainder
/// added through an array spilled it to the stack and reloaded it wider than it was stored, a
/// stall that dominated the short windows of the time-driven scheme.
#[derive(Clone, Copy, Default)]
struct Acc4 {
    a0: f64,
    a1: f64,
    a2: f64,
    a3: f64,
}

impl Acc4 {
    #[inline(always)]
    fn add4(&mut self, x0: f64, x1: f64, x2: f64, x3: f64) {
        self.a0 += x0;
        self.a1 += x1;
        self.a2 += x2;
        self.a3 += x3;
    }

    /// Adds up to three more terms, the j-th to partial sum j.
    #[inline(always)]
    fn add_tail(&mut self, mut tail: impl Iterator<Item = f64>) {
        if let Some(x) = tail.next() {
            self.a0 += x;
            if let Some(x) = tail.next() {
                self.a1 += x;
                if let Some(x) = tail.next() {
                    self.a2 += x;
                }
            }
        }
    }

    #[inline(always)]
    fn sum(self) -> f64 {
        (self.a0 + self.a1) + (self.a2 + self.a3)
    }
}

/// `Σ term(stamp, value)` over a window in four interleaved partial sums, so consecutive terms
/// do not wait for each other: the j-th entry of the window goes to partial sum j mod 4, and
/// the sum is `(s0 + s1) + (s2 + s3)`. It differs from a left-to-right sum by rounding only,
/// and depends on the window alone, not on where it is stored.
#[inline]
pub fn sum4(stamps: &[i32], values: &[f64], term: impl Fn(Step, f64) -> f64) -> f64 {
    let n = stamps.len().min(values.len());
    let (stamps, values) = (&stamps[..n], &values[..n]);
    let mut acc = Acc4::default();
    let mut s4 = stamps.chunks_exact(4);
    let mut v4 = values.chunks_exact(4);
    for (s, v) in (&mut s4).zip(&mut v4) {
        let t = |k: usize| term(Step::from(s[k]), v[k]);
        acc.add4(t(0), t(1), t(2), t(3));
    }
    acc.add_tail(
        s4.remainder()
            .iter()
            .zip(v4.remainder())
            .map(|(&s, &v)| term(Step::from(s), v)),
    );
    acc.sum()
}

/// The first index `i < n` with `at(i) > from` (`n` if none), for increasing `at`.
///
/// The archives' stamps are spread about evenly over the span they cover (every step for
/// Urbanczik–Senn) or come in runs (Clopath's LTP history, compressed window starts), so the
/// search starts at a guess by interpolation and gallops away from it: a few probes near the
/// answer instead of a binary search over the whole store, which missed the cache at every
/// probe.
#[inline]
pub(crate) fn first_after(n: usize, at: impl Fn(usize) -> Step, from: Step) -> usize {
    if n == 0 {
        return 0;
    }
    first_after_between(n, at(0), at(n - 1), at, from)
}

/// [`first_after`] for `n > 0` values from `first = at(0)` to `last = at(n − 1)`, given by the
/// caller (a history keeps its ends at hand, so a search needs no load for them).
#[inline]
fn first_after_between(
    n: usize,
    first: Step,
    last: Step,
    at: impl Fn(usize) -> Step,
    from: Step,
) -> usize {
    // First index in lo..hi with at(i) > from (hi if none).
    let bisect = |mut lo: usize, mut hi: usize| {
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if at(mid) <= from {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    if from < first {
        return 0;
    }
    if from >= last {
        return n;
    }
    // first ≤ from < last, so 0 ≤ guess < n − 1. Both factors are below 2^32 (32-bit stamps;
    // at most one value per step), so the product fits 64 bits; i128 would call a division
    // routine.
    let span = (last - first) as u64;
    let guess = match ((from - first) as u64).checked_mul((n - 1) as u64) {
        Some(x) => (x / span) as usize,
        None => ((from - first) as i128 * (n - 1) as i128 / span as i128) as usize,
    };
    let mut step = 1;
    if at(guess) <= from {
        // The answer is above the guess: gallop up until a value exceeds `from`.
        let mut lo = guess;
        loop {
            let hi = (lo + step).min(n - 1);
            if at(hi) > from {
                return bisect(lo + 1, hi);
            }
            lo = hi;
            step *= 2;
        }
    } else {
        // The answer is at or below the guess: gallop down until a value is ≤ `from`.
        let mut hi = guess;
        loop {
            let lo = hi.saturating_sub(step);
            if at(lo) <= from {
                return bisect(lo + 1, hi);
            }
            hi = lo;
            step *= 2;
        }
    }
}

/// Operation counts of the paper's Table 1, plus history-length samples, per rule.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RuleCounters {
    /// M: synapse function calls (one per presynaptic spike through a plastic synapse).
    pub synapse_calls: u64,
    /// C: weight-change computations (archive entries combined with a presynaptic trace).
    pub weight_change_computations: u64,
    /// H: history manipulations: entries written to the history the synapses read (raw
    /// entries in the time and event schemes; compressed entries updated or created in the
    /// compressed scheme, as in the paper's Table 1).
    pub history_manipulations: u64,
    /// Largest archive length seen in any neuron at a slice end.
    pub history_entries_max: u64,
    /// Sum over samples of archive lengths, and the number of (neuron, slice) samples.
    pub history_entries_sum: u64,
    pub history_samples: u64,
}

impl RuleCounters {
    /// Adds another shard's counts (the largest length is the larger one).
    pub fn add(&mut self, o: &RuleCounters) {
        self.synapse_calls += o.synapse_calls;
        self.weight_change_computations += o.weight_change_computations;
        self.history_manipulations += o.history_manipulations;
        self.history_entries_max = self.history_entries_max.max(o.history_entries_max);
        self.history_entries_sum += o.history_entries_sum;
        self.history_samples += o.history_samples;
    }

    /// Mean archive length per neuron over the slice-end samples.
    pub fn history_entries_mean(&self) -> f64 {
        if self.history_samples == 0 {
            0.0
        } else {
            self.history_entries_sum as f64 / self.history_samples as f64
        }
    }

    /// Records one archive length sample.
    pub fn sample_length(&mut self, len: usize) {
        self.history_entries_max = self.history_entries_max.max(len as u64);
        self.history_entries_sum += len as u64;
        self.history_samples += 1;
    }
}

use crate::snapshot::{Snap, Snapshot};

impl Snapshot for RuleCounters {
    fn snapshot(&mut self, s: &mut Snap) {
        s.u64(&mut self.synapse_calls);
        s.u64(&mut self.weight_change_computations);
        s.u64(&mut self.history_manipulations);
        s.u64(&mut self.history_entries_max);
        s.u64(&mut self.history_entries_sum);
        s.u64(&mut self.history_samples);
    }
}

impl Snapshot for History {
    /// Entries as `(stamp, read count, value)`, each count whole (not a difference), so the
    /// checkpoint does not depend on how the counts are kept.
    fn snapshot(&mut self, s: &mut Snap) {
        let mut entries = if s.is_loading() {
            Vec::new()
        } else {
            self.entries()
        };
        s.vec(&mut entries, |s, e| {
            s.i32(&mut e.0);
            s.u32(&mut e.1);
            s.f64(&mut e.2);
        });
        if s.is_loading() {
            self.set_entries(&entries);
        }
        // The front entry's number: readers name their next entry by it (`locate_after`).
        let mut front = self.seq(self.head);
        s.u32(&mut front);
        if s.is_loading() {
            self.seq0 = front;
            self.rebuild_blocks();
        }
    }
}

impl<const N: usize> Snapshot for SchemeHistory<N> {
    fn snapshot(&mut self, s: &mut Snap) {
        self.raw.snapshot(s);
        s.each(&mut self.groups, "the compressed groups", |s, g| {
            g.snapshot(s)
        });
        s.bool(&mut self.catch_up);
    }
}

impl Snapshot for Archives {
    fn snapshot(&mut self, s: &mut Snap) {
        s.tag("archives");
        s.each(&mut self.clopath, "the Clopath archives", |s, x| {
            x.snapshot(s)
        });
        self.clopath_counters.snapshot(s);
        s.each(&mut self.urbanczik, "the Urbanczik archives", |s, x| {
            x.snapshot(s)
        });
        self.urbanczik_counters.snapshot(s);
    }
}

/// Tests' random numbers: `rnd(m)` is uniform in `0..m` (a 64-bit LCG's high bits), the same
/// sequence for the same seed.
#[cfg(test)]
pub(crate) fn test_rng(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut x = seed;
    move |m| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    }
}

#[cfg(test)]
mod decay_tests {
    use super::*;

    #[test]
    fn decay_matches_exp_for_runs_and_gaps() {
        let mut d = DecayAt::new(-7, 0.1, 7.0);
        for s in [
            1, 2, 3, 4, 10, 11, 12, 500, 501, 502, 503, 504, 505, 506, 2000,
        ] {
            let exact = (-((s + 7) as f64) * 0.1 / 7.0).exp();
            let got = d.at(s);
            assert!(
                (got - exact).abs() <= 1e-14 * exact,
                "s = {s}: {got} vs {exact}"
            );
        }
        assert!((d.over(3) - (-0.3f64 / 7.0).exp()).abs() < 1e-16);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// `read_sum` over a history with a freed front gives the count and, up to rounding, the
    /// sum of `read`, and marks the same entries read (they are then pruned alike).
    #[test]
    fn read_sum_equals_read() {
        let mk = || {
            let mut h = History::new(2);
            for t in 1..=500 {
                h.push(t, (t as f64 * 0.037).sin());
            }
            // Free the front: read it twice, then append again.
            h.read(0, 450, |_, _| {});
            h.read(0, 450, |_, _| {});
            for t in 501..=700 {
                h.push(t, (t as f64 * 0.037).sin());
            }
            assert!(h.len() < 300, "the front was freed");
            h
        };
        for (from, to) in [(440, 700), (451, 452), (600, 599), (460, 633), (0, 1000)] {
            let (mut a, mut b) = (mk(), mk());
            let mut want = (0.0, 0u64);
            a.read(from, to, |s, v| {
                want.0 += v * (s as f64 * 0.001).exp();
                want.1 += 1;
            });
            let got = b.read_sum(from, to, |s, v| v * (s as f64 * 0.001).exp());
            assert_eq!(got.1, want.1, "({from}, {to}]");
            // ≤ 250 terms of magnitude ≤ e^0.7: rounding differences stay below 1e-12.
            assert!(
                (got.0 - want.0).abs() <= 1e-12 * (1.0 + want.0.abs()),
                "({from}, {to}]"
            );
            assert_eq!(a.entries(), b.entries(), "same entries marked read");
        }
    }

    /// `read_sum` gives the same bits for a history whose front was freed (at every offset,
    /// before and after the freed part is dropped from the columns) as for the same entries
    /// pushed afresh (as a history restored from a checkpoint is laid out).
    #[test]
    fn read_sum_is_independent_of_the_freed_front() {
        let value = |t: Step| (t as f64 * 0.37).sin() * 1e3f64.powf((t % 7) as f64 - 3.0);
        let term = |s: Step, v: f64| v * (-(s as f64) * 0.01).exp();
        let (mut offset, mut dropped) = (0, 0);
        for last in [30, 40] {
            for shift in 0..12 {
                let freed = || {
                    let mut h = History::new(1);
                    for t in 1..=20 {
                        h.push(t, value(t));
                    }
                    h.read(0, 8 + shift, |_, _| {});
                    for t in 21..=last {
                        h.push(t, value(t));
                    }
                    h
                };
                if freed().head > 0 {
                    offset += 1;
                } else {
                    dropped += 1;
                }
                let flat = || {
                    let mut h = History::new(1);
                    for t in (9 + shift)..=last {
                        h.push(t, value(t));
                    }
                    h
                };
                assert_eq!(freed().entries(), flat().entries());
                for (from, to) in [(8 + shift, last), (9 + shift, 23), (10 + shift, 21 + shift)] {
                    let x = freed().read_sum(from, to, term);
                    let y = flat().read_sum(from, to, term);
                    assert_eq!(x.1, y.1);
                    assert_eq!(
                        x.0.to_bits(),
                        y.0.to_bits(),
                        "shift {shift}, ({from}, {to}]"
                    );
                }
            }
        }
        assert!(
            offset >= 4 && dropped >= 4,
            "{offset} offset, {dropped} dropped"
        );
    }

    /// The history with per-entry read counters it replaces: every read entry counted, the
    /// front freed while read by every reader (at least one stays, `keep` steps stay).
    struct Counted {
        entries: VecDeque<(i32, u32, f64)>,
        n_incoming: u32,
        keep: Step,
    }

    impl Counted {
        fn prune(&mut self) {
            let Some(&(newest, _, _)) = self.entries.back() else {
                return;
            };
            while self.entries.len() > 1
                && self.entries[0].1 >= self.n_incoming
                && Step::from(self.entries[0].0) <= Step::from(newest) - self.keep
            {
                self.entries.pop_front();
            }
        }
        fn read(&mut self, from: Step, to: Step) -> Vec<(Step, f64)> {
            let mut got = Vec::new();
            for e in &mut self.entries {
                let s = Step::from(e.0);
                if s > from && s <= to {
                    e.1 += 1;
                    got.push((s, e.2));
                }
            }
            got
        }
    }

    /// Read counts kept as differences free exactly the entries per-entry counters free, at
    /// the same pushes and prunes, through random windows of several readers (windows that end
    /// at the newest entry, empty ones, repeated ones), readers added later, `keep`, and
    /// checkpoint round trips in between.
    #[test]
    fn difference_counts_prune_as_per_entry_counts() {
        let mut rnd = test_rng(99);
        for (readers, keep) in [(1, 0), (3, 0), (5, 7), (20, 0), (4, 30)] {
            let mut h = History::new(readers);
            h.set_keep(keep);
            let mut want = Counted {
                entries: VecDeque::new(),
                n_incoming: readers,
                keep,
            };
            let mut upd: Vec<Step> = vec![0; readers as usize];
            let mut t: Step = 0;
            let mut pushed = 0u32;
            for i in 0..4000 {
                match rnd(10) {
                    0..=4 => {
                        t += 1 + if rnd(4) == 0 { rnd(40) as Step } else { 0 };
                        let v = rnd(1000) as f64 * 0.5;
                        h.push(t, v);
                        pushed += 1;
                        want.prune();
                        want.entries.push_back((t as i32, 0, v));
                    }
                    5..=7 => {
                        // One reader moves its window on, up to the newest entry or before.
                        let r = rnd(upd.len() as u64) as usize;
                        let to = (t - rnd(20) as Step).max(upd[r]);
                        let got: Vec<(Step, f64)> = {
                            let (s, v) = h.read_window(upd[r], to);
                            s.iter()
                                .map(|&s| Step::from(s))
                                .zip(v.iter().copied())
                                .collect()
                        };
                        assert_eq!(got, want.read(upd[r], to), "case {i}");
                        upd[r] = to;
                    }
                    8 => {
                        h.prune();
                        want.prune();
                    }
                    _ => {
                        if rnd(8) == 0 {
                            h.add_readers(1);
                            want.n_incoming += 1;
                            upd.push(t - rnd(5) as Step);
                        } else {
                            let mut s = Snap::saver();
                            h.snapshot(&mut s);
                            let bytes = s.finish().unwrap();
                            let mut fresh = History::new(h.n_incoming());
                            fresh.set_keep(keep);
                            let mut l = Snap::loader(bytes.clone());
                            fresh.snapshot(&mut l);
                            l.finish().unwrap();
                            // The same bytes as the per-entry counts would write.
                            let mut w = Snap::saver();
                            let mut e: Vec<_> = want.entries.iter().copied().collect();
                            w.vec(&mut e, |s, e| {
                                s.i32(&mut e.0);
                                s.u32(&mut e.1);
                                s.f64(&mut e.2);
                            });
                            // The front entry's number: the entries freed so far.
                            w.u32(&mut (pushed - e.len() as u32));
                            assert_eq!(bytes, w.finish().unwrap(), "case {i}");
                            // Entry numbers survive: a reader's next entry is the same entry.
                            assert_eq!(fresh.seq(fresh.head), h.seq(h.head), "case {i}");
                            h = fresh;
                        }
                    }
                }
                let have: Vec<_> = want.entries.iter().copied().collect();
                assert_eq!(
                    h.entries(),
                    have,
                    "readers {readers}, keep {keep}, case {i}"
                );
            }
        }
    }

    /// The decayed column gives, through one factor, the sums of per-entry decays (as the
    /// Clopath synapse sums `value · e^{−(stamp − origin)·rate}`) to rounding, across many
    /// rebases, for readers whose origin lies far back or after the base; a checkpoint
    /// restored into a history with the same decay rebuilds the column to the bit; and an
    /// origin too far back for the column is refused by `covers`.
    #[test]
    fn decayed_column_sums_as_per_entry_decays() {
        let mut rnd = test_rng(7);
        // τ = 1 ms at h = 0.1 ms: a period of 3000 steps, 40 rebases in 120,000 steps.
        let rate = decay_rate(0.1, 1.0);
        let mut h = History::new(3);
        h.set_decay(rate);
        let mut origins: Vec<Step> = vec![0; 3];
        let (mut t, mut sums, mut refused, mut blocked) = (0, 0, 0, 0);
        while t < 120_000 {
            // Runs of consecutive steps with gaps, as Clopath's LTP history has them.
            t += if rnd(30) == 0 {
                1 + rnd(400) as Step
            } else {
                1
            };
            h.push(t, 1e-4 * (1.0 + rnd(1000) as f64));
            if rnd(10) != 0 {
                continue;
            }
            let r = rnd(3) as usize;
            let origin = origins[r];
            let w = h.read_window_decayed(origin, t);
            let (column, d) = w.decayed.expect("the history has a decay");
            let want: f64 = w
                .stamps
                .iter()
                .zip(w.values)
                .map(|(&s, &v)| v * (-((Step::from(s) - origin) as f64) * rate).exp())
                .sum();
            if d.covers(origin) {
                let k = d.base - origin;
                let factor = (-(k as f64) * rate).exp();
                // Through the block sums (windows of 2 blocks or more add whole blocks).
                let got = factor * w.decayed_sum();
                assert!(
                    (got - want).abs() <= 1e-13 * want.abs(),
                    "origin {origin}, t {t}: {got} vs {want}"
                );
                let plain = factor * sum4_values(column);
                assert!(
                    (got - plain).abs() <= 1e-14 * plain.abs(),
                    "{got} vs {plain}"
                );
                blocked += usize::from(column.len() >= 2 * BLOCK as usize);
                sums += 1;
            } else {
                assert!(
                    d.base - origin > d.reach(),
                    "covers refused origin {origin} at base {}",
                    d.base
                );
                refused += 1;
            }
            // Readers 1 and 2 move on at each read, reader 0 stays far behind for long.
            if r != 0 || rnd(100) == 0 {
                origins[r] = t;
            }
        }
        assert!(
            sums > 1000 && refused > 0 && blocked > 300,
            "{sums} sums ({blocked} over blocks), {refused} refused"
        );

        let mut s = Snap::saver();
        h.snapshot(&mut s);
        let mut fresh = History::new(3);
        fresh.set_decay(rate);
        let mut l = Snap::loader(s.finish().unwrap());
        fresh.snapshot(&mut l);
        l.finish().unwrap();
        let (a, b) = (
            h.read_window_decayed(t - 3000, t),
            fresh.read_window_decayed(t - 3000, t),
        );
        let bits = |w: Window<'_>| {
            let sum = w.decayed_sum().to_bits();
            w.decayed
                .map(|(c, d)| (c.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), d, sum))
        };
        assert_eq!(bits(a), bits(b));
        // The block sums of the restored history are those summed as the entries came.
        for from in (t - 3000..t).step_by(97) {
            let a = h.read_window_decayed(from, t).decayed_sum();
            let b = fresh.read_window_decayed(from, t).decayed_sum();
            assert_eq!(a.to_bits(), b.to_bits(), "window from {from}");
        }
    }

    /// The interpolation search finds what a binary search finds, for evenly spread,
    /// clustered (Clopath-like runs of steps) and gapped stamps, for every probe.
    #[test]
    fn first_after_equals_partition_point() {
        for layout in 0..3 {
            let mut h = History::new(1);
            let mut t: Step = 5;
            for i in 0..600 {
                t += match layout {
                    0 => 1,
                    1 => {
                        if i % 40 < 25 {
                            1
                        } else {
                            37
                        }
                    }
                    _ => 1 + (i * i % 97) as Step,
                };
                h.push(t, 1.0);
            }
            let s = h.live_stamps();
            for from in 0..=t + 2 {
                let want = s.partition_point(|&x| Step::from(x) <= from);
                let got = first_after(s.len(), |i| Step::from(s[i]), from);
                assert_eq!(got, want, "layout {layout}, from {from}");
            }
        }
    }
}
