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

/// `e^{−(s − origin)·h/τ}` at increasing stamps `s`: consecutive stamps (the dense archive,
/// the clamped spike of the sparse one) cost one multiplication instead of an `exp`. The
/// value only decays, so repeated multiplication cannot lose a value that matters (it may
/// underflow to 0 only where the exact value is below the smallest double anyway); relative
/// rounding grows by an ulp per step (≈1e-13 over 1e3 steps).
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
        if s == self.last.wrapping_add(1) {
            self.value *= self.step;
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

use std::collections::VecDeque;

use crate::time::Step;

/// One history entry: stamp (end of the step it describes; runs fit 32 bits,
/// [`MAX_RUN_STEPS`](crate::time::MAX_RUN_STEPS)), how many incoming synapses have read it, and
/// the value. 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
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
}

impl History {
    /// An empty history read by `n_incoming` synapses.
    pub fn new(n_incoming: u32) -> Self {
        Self {
            entries: VecDeque::new(),
            n_incoming,
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

    /// The index of the first entry stamped after `from`. Stamps increase, and over the span
    /// a history covers they are spread about evenly (every step for Urbanczik–Senn, runs of
    /// steps for Clopath's LTP history), so a guess by interpolation is checked against its
    /// neighbourhood before the whole history is searched.
    #[inline]
    fn first_after(&self, from: Step) -> usize {
        const W: usize = 16;
        let e = &self.entries;
        let n = e.len();
        if n <= 4 * W {
            return e.partition_point(|x| Step::from(x.stamp) <= from);
        }
        let (first, last) = (Step::from(e[0].stamp), Step::from(e[n - 1].stamp));
        if from < first {
            return 0;
        }
        if from >= last {
            return n;
        }
        let guess = ((from - first) as i128 * (n - 1) as i128 / (last - first) as i128) as usize;
        let (lo, hi) = (guess.saturating_sub(W), (guess + W).min(n - 1));
        // e[lo] ≤ from < e[hi]: the answer lies in (lo, hi].
        if Step::from(e[lo].stamp) <= from && from < Step::from(e[hi].stamp) {
            let mut i = lo + 1;
            while Step::from(e[i].stamp) <= from {
                i += 1;
            }
            i
        } else {
            e.partition_point(|x| Step::from(x.stamp) <= from)
        }
    }

    /// Frees fully read entries at the front (at least one stays, as in NEST).
    pub fn prune(&mut self) {
        while self.entries.len() > 1 && self.entries[0].reads >= self.n_incoming {
            self.entries.pop_front();
        }
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of synapses that read this history.
    pub fn n_incoming(&self) -> u32 {
        self.n_incoming
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
