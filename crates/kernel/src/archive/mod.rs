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

    /// [`History::read_sum`] over the raw entries.
    #[inline]
    pub fn read_sum(
        &mut self,
        from: Step,
        to: Step,
        term: impl Fn(Step, f64) -> f64,
    ) -> (f64, u64) {
        self.raw.read_sum(from, to, term)
    }

    /// Compressed scheme: the sums of group `g` for the window `(a, b]` of one synapse, which
    /// then starts its next window at `b`.
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

/// `e^{−k·h/τ}` for `k = 0..LEN` steps, computed once per `(τ, h)`: the decays of a window
/// read become one lookup per entry, with no chain of multiplications between entries (each
/// value is a fresh `exp`, as NEST computes it per entry). Past the table (windows more than
/// `LEN` steps after the trace's origin) it computes the `exp`.
#[derive(Clone, Debug, PartialEq)]
pub struct DecayTable {
    rate: f64,
    values: Vec<f64>,
}

impl DecayTable {
    /// Table length: 8192 steps (819 ms at h = 0.1 ms), 64 KiB.
    pub const LEN: usize = 8192;

    /// The table for time constant `tau` (ms) at resolution `h` (ms).
    pub fn new(h: f64, tau: f64) -> Self {
        let rate = h / tau;
        Self {
            rate,
            values: (0..Self::LEN).map(|k| (-(k as f64) * rate).exp()).collect(),
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

/// How plastic synapses read the archives (paper.md §2–§4), chosen once per run.
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

use std::collections::VecDeque;

use crate::time::Step;
use clopath::ClopathArchive;
use urbanczik::UrbanczikArchive;

/// One history entry: stamp (end of the step it describes; runs fit 32 bits,
/// [`MAX_RUN_STEPS`](crate::time::MAX_RUN_STEPS)), how many incoming synapses have read it, and
/// the value. 16 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Entry {
    stamp: i32,
    reads: u32,
    value: f64,
}

/// A full (event-driven) history of one neuron, read by its `n_incoming` plastic synapses over
/// half-open stamp windows. An entry is freed from the front once every synapse has read it
/// (NEST's access counters; at least one entry stays, as in NEST).
#[derive(Clone, Debug, Default)]
pub struct History {
    entries: VecDeque<Entry>,
    n_incoming: u32,
    /// Entries within this many steps of the newest stay even when read by every reader
    /// (0: none stay): a synapse connected between runs reads back that far.
    keep: Step,
}

impl History {
    /// An empty history read by `n_incoming` synapses.
    pub fn new(n_incoming: u32) -> Self {
        Self {
            entries: VecDeque::new(),
            n_incoming,
            keep: 0,
        }
    }

    /// Frees fully read entries at the front, then appends `(stamp, value)`.
    #[inline]
    pub fn push(&mut self, stamp: Step, value: f64) {
        self.prune();
        debug_assert!(stamp <= crate::time::MAX_RUN_STEPS);
        self.entries.push_back(Entry {
            stamp: stamp as i32,
            reads: 0,
            value,
        });
    }

    /// Visits `(stamp, value)` of the entries with `from < stamp ≤ to` in time order, marking
    /// them read.
    #[inline]
    pub fn read(&mut self, from: Step, to: Step, mut visit: impl FnMut(Step, f64)) {
        let start = self.first_after(from);
        for e in self.entries.range_mut(start..) {
            if Step::from(e.stamp) > to {
                break;
            }
            e.reads += 1;
            visit(Step::from(e.stamp), e.value);
        }
    }

    /// `(Σ term(stamp, value), count)` over the entries with `from < stamp ≤ to`, marking them
    /// read. The sum runs in four interleaved partial sums, so consecutive terms do not wait
    /// for each other; it differs from a left-to-right sum by rounding only.
    #[inline]
    pub fn read_sum(
        &mut self,
        from: Step,
        to: Step,
        term: impl Fn(Step, f64) -> f64,
    ) -> (f64, u64) {
        let (start, end) = (self.first_after(from), self.first_after(to));
        if start >= end {
            return (0.0, 0);
        }
        let (x, y) = self.entries.as_mut_slices();
        let nx = x.len();
        let (p, q) = if end <= nx {
            (&mut x[start..end], &mut y[..0])
        } else if start >= nx {
            (&mut x[..0], &mut y[start - nx..end - nx])
        } else {
            (&mut x[start..], &mut y[..end - nx])
        };
        // The j-th entry of the window goes to partial sum j mod 4 wherever the ring wraps, so
        // the rounding depends on the window only, not on the storage layout (a history
        // restored from a checkpoint is laid out from its start).
        let mut acc = [0.0; 4];
        let add = |a: &mut f64, e: &mut Entry| {
            e.reads += 1;
            *a += term(Step::from(e.stamp), e.value);
        };
        let mut done = 0;
        for part in [p, q] {
            // Finish the group of four the previous part left open, then whole groups.
            let lane = done % 4;
            done += part.len();
            let head = ((4 - lane) % 4).min(part.len());
            let (open, rest) = part.split_at_mut(head);
            for (a, e) in acc[lane..].iter_mut().zip(open) {
                add(a, e);
            }
            let mut chunks = rest.chunks_exact_mut(4);
            for c in &mut chunks {
                for (a, e) in acc.iter_mut().zip(c.iter_mut()) {
                    add(a, e);
                }
            }
            for (a, e) in acc.iter_mut().zip(chunks.into_remainder()) {
                add(a, e);
            }
        }
        ((acc[0] + acc[1]) + (acc[2] + acc[3]), (end - start) as u64)
    }

    /// The index of the first entry stamped after `from` (see [`first_after`]).
    #[inline]
    fn first_after(&self, from: Step) -> usize {
        let e = &self.entries;
        first_after(e.len(), |i| Step::from(e[i].stamp), from)
    }

    /// Frees fully read entries at the front (at least one stays, as in NEST), except those
    /// within `keep` steps of the newest ([`History::set_keep`]).
    pub fn prune(&mut self) {
        let Some(newest) = self.entries.back().map(|e| Step::from(e.stamp)) else {
            return;
        };
        let last_free = newest - self.keep;
        while self.entries.len() > 1
            && self.entries[0].reads >= self.n_incoming
            && Step::from(self.entries[0].stamp) <= last_free
        {
            self.entries.pop_front();
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
        self.entries.len()
    }

    /// True if no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
    if n == 0 || from < at(0) {
        return 0;
    }
    let (first, last) = (at(0), at(n - 1));
    if from >= last {
        return n;
    }
    // at(0) ≤ from < at(n − 1), so 0 ≤ guess < n − 1.
    let guess = ((from - first) as i128 * (n - 1) as i128 / (last - first) as i128) as usize;
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
    fn snapshot(&mut self, s: &mut Snap) {
        s.deque(&mut self.entries, |s, e| {
            s.i32(&mut e.stamp);
            s.u32(&mut e.reads);
            s.f64(&mut e.value);
        });
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

    /// `read_sum` over a history whose ring has wrapped gives the count and, up to rounding,
    /// the sum of `read`, and marks the same entries read (they are then pruned alike).
    #[test]
    fn read_sum_equals_read() {
        let mk = || {
            let mut h = History::new(2);
            for t in 1..=500 {
                h.push(t, (t as f64 * 0.037).sin());
            }
            // Wrap the ring: read and prune the front, then append again.
            h.read(0, 450, |_, _| {});
            h.read(0, 450, |_, _| {});
            for t in 501..=700 {
                h.push(t, (t as f64 * 0.037).sin());
            }
            assert!(!h.entries.as_slices().1.is_empty(), "the ring wraps");
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
            assert_eq!(a.entries, b.entries, "same entries marked read");
        }
    }

    /// `read_sum` gives the same bits whether the window lies contiguously or across the
    /// ring's wrap, at every wrap position: its rounding depends on the window only (a history
    /// restored from a checkpoint is laid out afresh).
    #[test]
    fn read_sum_is_independent_of_the_ring_layout() {
        let value = |t: Step| (t as f64 * 0.37).sin() * 1e3f64.powf((t % 7) as f64 - 3.0);
        let term = |s: Step, v: f64| v * (-(s as f64) * 0.01).exp();
        let mut wraps = 0;
        for shift in 0..12 {
            // Wrapped: pushes, a pruned front, more pushes (built afresh for every read: a
            // clone of a VecDeque is laid out contiguously).
            let wrapped = || {
                let mut h = History::new(1);
                for t in 1..=(16 + shift) {
                    h.push(t, value(t));
                }
                h.read(0, 8 + shift, |_, _| {});
                for t in (17 + shift)..=40 {
                    h.push(t, value(t));
                }
                h
            };
            wraps += !wrapped().entries.as_slices().1.is_empty() as usize;
            // Contiguous: the same live entries pushed into a fresh history.
            let flat = || {
                let mut h = History::new(1);
                for t in (9 + shift)..=40 {
                    h.push(t, value(t));
                }
                h
            };
            for (from, to) in [(8 + shift, 40), (9 + shift, 33), (10 + shift, 21 + shift)] {
                let x = wrapped().read_sum(from, to, term);
                let y = flat().read_sum(from, to, term);
                assert_eq!(x.1, y.1);
                assert_eq!(
                    x.0.to_bits(),
                    y.0.to_bits(),
                    "shift {shift}, ({from}, {to}]"
                );
            }
        }
        assert!(wraps >= 4, "the ring wrapped in only {wraps} layouts");
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
            for from in 0..=t + 2 {
                let want = h.entries.partition_point(|x| Step::from(x.stamp) <= from);
                assert_eq!(h.first_after(from), want, "layout {layout}, from {from}");
            }
        }
    }
}
