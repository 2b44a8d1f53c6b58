//! The compressed history of the paper's §4 (Stapmanns et al. 2021): one entry per distinct
//! window start `a` of the synapses of one group, holding the exponentially weighted partial
//! integrals of the raw history from `a` up to the group's fold point `B`:
//!
//! ```text
//! S_k(a, B) = Σ_{a < t_e ≤ B} v_e · e^{−(t_e − a)/τ_k}
//! T_k(a, B) = Σ_{a < t_e ≤ B} v_e · e^{−(t_e − a)/τ_k} · e^{−(B − t_e)/τ_Δ}   (if the rule has τ_Δ)
//! ```
//! Folding the raw entries of `(B, b]` into every entry is exact because the kernels are
//! exponential: `S_k(a, b) = S_k(a, B) + e^{−(B − a)/τ_k} S_k(B, b)` and
//! `T_k(a, b) = e^{−(b − B)/τ_Δ} T_k(a, B) + e^{−(B − a)/τ_k} T_k(B, b)`.
//! A group holds synapses that share their delay and kernels, so window ends `b = t_s − d`
//! arrive in order (spikes are delivered in stamp order); a neuron has one group per distinct
//! (delay, kernel) combination of its incoming synapses, which keeps the scheme exact with
//! several delays (paper.md §4's conditions, restored rather than assumed).
//!
//! **Window starts without raw entries between share an entry.** If no raw entry lies in
//! `(a', a]`, then `S_k(a', B) = e^{−(a − a')/τ_k} S_k(a, B)` and likewise for `T_k`: a synapse
//! whose window starts at `a` can read the entry of `a'` and scale its sums by `e^{(a − a')/τ_k}`.
//! So a window start whose entry would follow the last one with nothing folded in between joins
//! that entry instead (while `(a − a')/τ_k` stays below [`SHARE_SPAN`], far from overflow). Over
//! a sparse history (Clopath's LTP archive, Urbanczik–Senn's sampled spike–spike signal) a group
//! then holds one entry per stretch of raw entries, not one per distinct spike time, and a
//! silent history keeps one entry; over a dense one (an entry every step) nothing changes.

use super::{DecayAt, History, RuleCounters};
use crate::time::{Step, MAX_RUN_STEPS};

// Kernel time constants per group (the const parameter N): Clopath has 1 (τ_x),
// Urbanczik–Senn 2 (τ_L, τ_s; a dendrite with τ_syn_ex ≠ τ_syn_in has a group for each,
// `archive/urbanczik.rs`); the entry size follows, so no entry holds a sum nobody reads.

/// Factors below this trigger a rebase of the lazy scaling (far from under- and overflow).
const REBASE_BELOW: f64 = 1e-120;

/// A window start shares an earlier entry only within this many of the shortest time constant:
/// its sums are scaled by at most `e^{SHARE_SPAN}` (about 1e87).
const SHARE_SPAN: f64 = 200.0;

/// Per-entry bookkeeping (see [`CompressedGroup`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Meta {
    count: u32,
    raw_at_start: u32,
}

/// What a synapse gets for its window `(a, b]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowSums<const N: usize> {
    pub s: [f64; N],
    pub t: [f64; N],
    /// Raw entries in the window.
    pub n_raw: u64,
}

/// The compressed store of one group of one neuron.
#[derive(Clone, Debug)]
pub struct CompressedGroup<const N: usize> {
    pub delay: Step,
    taus: [f64; N],
    /// τ_Δ of the `T` sums, if the rule has them.
    tau_delta: Option<f64>,
    /// Fold point B: every entry covers raw entries up to here.
    fold: Step,
    /// Lazy scaling: `big_f[k] = e^{−(B − R)/τ_k}`, `big_e = e^{−(B − R)/τ_Δ}`.
    big_f: [f64; N],
    big_e: f64,
    /// Raw entries folded since the group was made.
    raw_total: u64,
    /// The compressed entries, one per distinct window start, as parallel columns (so the
    /// binary search of `take` walks only the keys and a fold streams only `g` and `s`):
    /// - `keys`: the window start `a` (a neuron-time stamp; runs fit 32 bits,
    ///   [`MAX_RUN_STEPS`]), ascending;
    /// - `meta.count`: synapses whose window starts there (0: a dead entry, dropped at the next
    ///   compaction; its sums are still folded, never read);
    /// - `meta.raw_at_start`: the group's raw-entry count when the entry was made, modulo 2^32 (a
    ///   window never holds more raw entries than a run has steps);
    /// - `g`: decay factors relative to the reference stamp R, `g_k = e^{−(R − a)/τ_k}`, so a
    ///   fold touches an entry only to add new contributions, never just to decay it;
    /// - `s`, `tp`: the S sums, and the T sums divided by the group's τ_Δ factor E (`tp` stays
    ///   empty when the rule has no τ_Δ).
    keys: Vec<i32>,
    /// `count` and `raw_at_start` together: a take touches them at a random entry, one cache
    /// line instead of two.
    meta: Vec<Meta>,
    g: Vec<[f64; N]>,
    s: Vec<[f64; N]>,
    tp: Vec<[f64; N]>,
    live: usize,
    /// The entry made last (a window start at the fold point may join it); in a group searched
    /// by key, the last one.
    newest: usize,
    /// A group of slots ([`CompressedGroup::by_slot`]): the indices of dead entries, to be
    /// reused (entries are then in no order of keys). `None`: a group searched by key, whose
    /// keys ascend and whose dead entries are compacted.
    free: Option<Vec<u32>>,
    /// The longest gap (steps) between a shared entry and a window start that joins it.
    share_steps: Step,
    /// The last fold's (steps, h bits) and decay factors ([`CompressedGroup::span_factors`]).
    span_cache: Option<((Step, u64), [f64; N], f64)>,
}

impl<const N: usize> CompressedGroup<N> {
    /// A group of synapses with delay `delay` whose windows all start at `a0`.
    pub fn new(
        delay: Step,
        taus: [f64; N],
        tau_delta: Option<f64>,
        a0: Step,
        n_synapses: u32,
    ) -> Self {
        Self {
            delay,
            taus,
            tau_delta,
            fold: a0,
            big_f: [1.0; N],
            big_e: 1.0,
            raw_total: 0,
            keys: vec![a0 as i32],
            meta: vec![Meta {
                count: n_synapses,
                raw_at_start: 0,
            }],
            g: vec![[1.0; N]],
            s: vec![[0.0; N]],
            tp: if tau_delta.is_some() {
                vec![[0.0; N]]
            } else {
                Vec::new()
            },
            live: 1,
            newest: 0,
            free: None,
            share_steps: 0,
            span_cache: None,
        }
    }

    /// Lets window starts join the last entry when no raw entry was folded since it (module
    /// docs), over at most [`SHARE_SPAN`] of the shortest time constant at resolution `h` (ms).
    pub fn sharing(mut self, h: f64) -> Self {
        let tau_min = self.taus.iter().copied().fold(f64::INFINITY, f64::min);
        self.share_steps = (SHARE_SPAN * tau_min / h).floor().min(MAX_RUN_STEPS as f64) as Step;
        self
    }

    /// Number of compressed entries in use.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True if the group holds no entry.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The group's fold point.
    pub fn fold_point(&self) -> Step {
        self.fold
    }

    /// Folds the raw entries of `(B, b]` into every compressed entry (`h` in ms).
    pub fn fold(&mut self, raw: &mut History, b: Step, h: f64, c: &mut RuleCounters) {
        let from = self.fold;
        if b <= from {
            return;
        }
        let n = N;
        let mut a_s = [0.0; N];
        let mut a_t = [0.0; N];
        let mut n_raw = 0u64;
        let (stamps, values) = raw.read_window(from, b);
        // Many folds of a sparse history (Clopath's) find no entry: then no decay is set up.
        if !stamps.is_empty() {
            let mut up: [DecayAt; N] = std::array::from_fn(|k| DecayAt::new(from, h, self.taus[k]));
            // T sums in Horner form: only decaying factors e^{−gap/τ_Δ}.
            let delta = self.tau_delta.map(|td| DecayAt::new(0, h, td));
            let mut last = from;
            for (&stamp, &value) in stamps.iter().zip(values) {
                let stamp = Step::from(stamp);
                let gap = delta.map(|d| d.over(stamp - last));
                for k in 0..n {
                    let x = value * up[k].at(stamp);
                    a_s[k] += x;
                    if let Some(g) = gap {
                        a_t[k] = a_t[k] * g + x;
                    }
                }
                last = stamp;
                n_raw += 1;
            }
            if let Some(d) = delta {
                let tail = d.over(b - last);
                for t in a_t.iter_mut().take(n) {
                    *t *= tail;
                }
            }
        }
        let (f_span, e_span) = self.span_factors(b - from, h);
        // The lazy form divides by the group factors (new T contributions by E, new entries'
        // g by F), so it holds only while they stay far from underflow. A span long against a
        // time constant (a silent input, a tiny τ) would take them below that in one fold:
        // then the fold is done eagerly instead, relative to the new fold point, by
        // multiplications only (a factor that underflows is 0, as in a direct sum).
        let lazy_ok = (0..n).all(|k| self.big_f[k] * f_span[k] >= REBASE_BELOW)
            && self.big_e * e_span >= REBASE_BELOW;
        if !lazy_ok {
            self.fold_eager(&a_s, &a_t, &f_span, e_span, n_raw, c);
            self.fold = b;
            return;
        }
        let e_new = self.big_e * e_span;
        if n_raw > 0 {
            // Per entry: S_k += e^{−(B − a)/τ_k} A_k = F_k g_k A_k;  T_k likewise, stored / E.
            let mut cs = [0.0; N];
            let mut ct = [0.0; N];
            for k in 0..n {
                cs[k] = self.big_f[k] * a_s[k];
                ct[k] = self.big_f[k] * a_t[k] / e_new;
            }
            // Every entry, dead or alive (no test per entry; dead sums are never read).
            for (s, g) in self.s.iter_mut().zip(&self.g) {
                for k in 0..n {
                    s[k] += cs[k] * g[k];
                }
            }
            if self.tau_delta.is_some() {
                for (tp, g) in self.tp.iter_mut().zip(&self.g) {
                    for k in 0..n {
                        tp[k] += ct[k] * g[k];
                    }
                }
            }
            c.history_manipulations += self.live as u64;
        }
        c.weight_change_computations += n_raw;
        self.raw_total += n_raw;
        for (f, fs) in self.big_f.iter_mut().zip(&f_span) {
            *f *= fs;
        }
        self.big_e = e_new;
        self.fold = b;
        if self.big_f[..n].iter().any(|f| *f < REBASE_BELOW) || self.big_e < REBASE_BELOW {
            self.rebase();
        }
    }

    /// The decay factors of a fold over `steps` steps at resolution `h` (ms): `e^{−span/τ_k}`
    /// and `e^{−span/τ_Δ}` (1 without τ_Δ). Folds to successive spike times often repeat a
    /// span, so the last one's factors are kept: the same values, without their `exp` calls.
    #[inline]
    fn span_factors(&mut self, steps: Step, h: f64) -> ([f64; N], f64) {
        let key = (steps, h.to_bits());
        if let Some((k, f, e)) = self.span_cache {
            if k == key {
                return (f, e);
            }
        }
        let span = steps as f64 * h;
        let f: [f64; N] = std::array::from_fn(|k| (-span / self.taus[k]).exp());
        let e = self.tau_delta.map_or(1.0, |td| (-span / td).exp());
        self.span_cache = Some((key, f, e));
        (f, e)
    }

    /// Folds `(B, b]` (its window sums `a_s`, `a_t` relative to B, the span's decay factors
    /// `f_span`, `e_span`) into every entry with the reference stamp moved to b at once:
    /// `S_k += F_k g_k A_k`, `T_k ← e_span·E·tp + F_k g_k A^T_k` (stored with E = 1), then
    /// `g_k ← g_k F_k f_span_k` and F = E = 1. Nothing is divided, so a factor that
    /// underflows only drops contributions that a direct sum drops too.
    fn fold_eager(
        &mut self,
        a_s: &[f64; N],
        a_t: &[f64; N],
        f_span: &[f64; N],
        e_span: f64,
        n_raw: u64,
        c: &mut RuleCounters,
    ) {
        let big_f = self.big_f;
        let keep_t = e_span * self.big_e;
        for (i, g) in self.g.iter_mut().enumerate() {
            for k in 0..N {
                let w = big_f[k] * g[k];
                self.s[i][k] += w * a_s[k];
                if let Some(tp) = self.tp.get_mut(i) {
                    tp[k] = keep_t * tp[k] + w * a_t[k];
                }
                g[k] = w * f_span[k];
            }
        }
        self.big_f = [1.0; N];
        self.big_e = 1.0;
        if n_raw > 0 {
            c.history_manipulations += self.live as u64;
        }
        c.weight_change_computations += n_raw;
        self.raw_total += n_raw;
    }

    /// Moves the reference stamp R to the fold point, folding the group factors into the
    /// entries (O(i), once per ~100 time constants).
    fn rebase(&mut self) {
        for g in &mut self.g {
            for (gk, fk) in g.iter_mut().zip(&self.big_f) {
                *gk *= fk;
            }
        }
        for tp in &mut self.tp {
            for x in tp.iter_mut() {
                *x *= self.big_e;
            }
        }
        self.big_f = [1.0; N];
        self.big_e = 1.0;
    }

    /// A synapse whose window is `(a, b]` takes its sums (after folding to `b`) and re-registers
    /// with window start `b`; its entry is searched for by key (the last key ≤ `a`).
    #[inline]
    pub fn take(
        &mut self,
        raw: &mut History,
        a: Step,
        b: Step,
        h: f64,
        c: &mut RuleCounters,
    ) -> WindowSums<N> {
        debug_assert!(self.free.is_none(), "a group of slots is read by slot");
        debug_assert_eq!(
            self.newest,
            self.keys.len() - 1,
            "keys ascend: the last is newest"
        );
        self.fold(raw, b, h, c);
        debug_assert!(a >= i32::MIN as Step && b <= MAX_RUN_STEPS);
        // The entry of window start a: its own, or the shared one before it.
        let i = self.entry_of(a as i32);
        let out = self.leave(i, a, h);
        self.join(b, c);
        // Dead entries are dropped once they are a fifth of the live ones (amortised O(1)).
        if self.keys.len() > self.live + self.live / 4 + 8 {
            self.compact();
        }
        out
    }

    /// Makes the group one of slots ([`CompressedGroup::take_slot`]): an entry stays at its
    /// index while a synapse starts there, so each synapse keeps its entry's index and none is
    /// searched for; a dead entry's slot is reused by a later one instead of being compacted.
    pub fn by_slot(mut self) -> Self {
        self.free = Some(Vec::new());
        self
    }

    /// [`CompressedGroup::take`] for a group of slots: `slot` is the index of the synapse's
    /// entry (0 for every synapse of a new group: its one entry), which this returns for its
    /// next window (`b`).
    #[inline]
    pub fn take_slot(
        &mut self,
        raw: &mut History,
        slot: u32,
        a: Step,
        b: Step,
        h: f64,
        c: &mut RuleCounters,
    ) -> (WindowSums<N>, u32) {
        self.fold(raw, b, h, c);
        debug_assert!(a >= i32::MIN as Step && b <= MAX_RUN_STEPS);
        let i = slot as usize;
        let out = self.leave(i, a, h);
        if self.meta[i].count == 0 && i != self.newest {
            // The newest entry stays where a window start may join it (freed once another is
            // made).
            self.free_slot(i);
        }
        (out, self.join(b, c) as u32)
    }

    /// The sums of window start `a` from entry `i`, which one synapse leaves.
    #[inline]
    fn leave(&mut self, i: usize, a: Step, h: f64) -> WindowSums<N> {
        debug_assert!(
            i < self.keys.len() && Step::from(self.keys[i]) <= a && self.meta[i].count > 0,
            "no compressed entry at {a}"
        );
        let mut t = [0.0; N];
        if let Some(tp) = self.tp.get(i) {
            for (tk, tpk) in t.iter_mut().zip(tp) {
                *tk = tpk * self.big_e;
            }
        }
        let mut s = self.s[i];
        let n_raw = u64::from((self.raw_total as u32).wrapping_sub(self.meta[i].raw_at_start));
        let gap = a - Step::from(self.keys[i]);
        // Sums with no raw entry folded in are zero: scaling them would change nothing (the
        // factor is finite, `SHARE_SPAN`), so a quiet history costs no `exp` per take.
        if gap > 0 && n_raw > 0 {
            // A shared entry: its sums start at its key, e^{−gap/τ_k} before this window's.
            for k in 0..N {
                let up = (gap as f64 * h / self.taus[k]).exp();
                s[k] *= up;
                t[k] *= up;
            }
        }
        let out = WindowSums { s, t, n_raw };
        self.meta[i].count -= 1;
        if self.meta[i].count == 0 {
            self.live -= 1;
        }
        out
    }

    /// Registers one synapse at window start `b` (the fold point): at the newest entry if it
    /// starts there or is shared, else at a new one; returns its entry's index.
    #[inline]
    fn join(&mut self, b: Step, c: &mut RuleCounters) -> usize {
        let (last, b32) = (self.newest, b as i32);
        let shared = self.meta[last].raw_at_start == self.raw_total as u32
            && b - Step::from(self.keys[last]) <= self.share_steps;
        if self.keys[last] == b32 || shared {
            // Another synapse (or this one again, for a spike of multiplicity > 1) already
            // starts at b, or the last entry is shared (nothing was folded since it). A dead
            // entry there has no sums yet (nothing was folded past it), so it is revived rather
            // than duplicated: keys stay unique.
            if self.meta[last].count == 0 {
                self.live += 1;
            }
            self.meta[last].count += 1;
            return last;
        }
        // A new entry at the fold point: g_k = e^{−(R − B)/τ_k} = 1/F_k.
        let meta = Meta {
            count: 1,
            raw_at_start: self.raw_total as u32,
        };
        let g = std::array::from_fn(|k| 1.0 / self.big_f[k]);
        if self.meta[last].count == 0 {
            // The newest entry died while newest: now its slot can go (a group of slots).
            self.free_slot(last);
        }
        let i = match self.free.as_mut().and_then(|free| free.pop()) {
            Some(i) => {
                let i = i as usize;
                self.keys[i] = b32;
                self.meta[i] = meta;
                self.g[i] = g;
                self.s[i] = [0.0; N];
                if let Some(tp) = self.tp.get_mut(i) {
                    *tp = [0.0; N];
                }
                i
            }
            None => {
                self.keys.push(b32);
                self.meta.push(meta);
                self.g.push(g);
                self.s.push([0.0; N]);
                if self.tau_delta.is_some() {
                    self.tp.push([0.0; N]);
                }
                self.keys.len() - 1
            }
        };
        self.newest = i;
        self.live += 1;
        c.history_manipulations += 1;
        i
    }

    /// Puts the dead entry `i` on the free list (a group of slots).
    #[inline]
    fn free_slot(&mut self, i: usize) {
        if let Some(free) = &mut self.free {
            free.push(i as u32);
        }
    }

    /// Prefetches the group's newest entry (which a take's window start may join) and the
    /// columns' ends, where a take appends.
    #[inline]
    pub fn prefetch_ends(&self) {
        use crate::prefetch::prefetch;
        let last = self.newest;
        prefetch(self.keys.as_ptr().wrapping_add(last));
        prefetch(self.meta.as_ptr().wrapping_add(last));
        let end = self.keys.len();
        prefetch(self.meta.as_ptr().wrapping_add(end));
        prefetch(self.g.as_ptr().wrapping_add(end));
        prefetch(self.s.as_ptr().wrapping_add(end));
    }

    /// Prefetches what a take reads at entry `slot`: its key, counts and sums.
    #[inline]
    pub fn prefetch_slot(&self, slot: u32) {
        let i = slot as usize;
        crate::prefetch::prefetch(self.keys.as_ptr().wrapping_add(i));
        crate::prefetch::prefetch(self.meta.as_ptr().wrapping_add(i));
        crate::prefetch::prefetch(self.s.as_ptr().wrapping_add(i));
    }

    /// The entry of window start `a`: the last whose key is ≤ `a` (its own, or a shared one).
    #[inline]
    fn entry_of(&self, a: i32) -> usize {
        self.find(a + 1).wrapping_sub(1)
    }

    /// The first entry whose window start is ≥ `a` (`keys.partition_point(|k| k < a)`),
    /// by the archives' interpolation search.
    #[inline]
    fn find(&self, a: i32) -> usize {
        let keys = &self.keys;
        super::first_after(keys.len(), |i| Step::from(keys[i]), Step::from(a) - 1)
    }

    /// Drops the dead entries, keeping the order.
    fn compact(&mut self) {
        let mut j = 0;
        for i in 0..self.keys.len() {
            if self.meta[i].count > 0 {
                self.keys[j] = self.keys[i];
                self.meta[j] = self.meta[i];
                self.g[j] = self.g[i];
                self.s[j] = self.s[i];
                if let Some(&tp) = self.tp.get(i) {
                    self.tp[j] = tp;
                }
                j += 1;
            }
        }
        self.newest = j.max(1) - 1;
        self.keys.truncate(j);
        self.meta.truncate(j);
        self.g.truncate(j);
        self.s.truncate(j);
        self.tp.truncate(j);
    }
}

impl<const N: usize> crate::snapshot::Snapshot for CompressedGroup<N> {
    fn snapshot(&mut self, s: &mut crate::snapshot::Snap) {
        let arr = |s: &mut crate::snapshot::Snap, a: &mut [f64; N]| {
            for x in a.iter_mut() {
                s.f64(x);
            }
        };
        s.i64(&mut self.fold);
        arr(s, &mut self.big_f);
        s.f64(&mut self.big_e);
        s.u64(&mut self.raw_total);
        s.vec(&mut self.keys, |s, k| s.i32(k));
        s.vec(&mut self.meta, |s, m| {
            s.u32(&mut m.count);
            s.u32(&mut m.raw_at_start);
        });
        s.vec_of(&mut self.g, [0.0; N], arr);
        s.vec_of(&mut self.s, [0.0; N], arr);
        s.vec_of(&mut self.tp, [0.0; N], arr);
        s.usize(&mut self.live);
        s.usize(&mut self.newest);
        if let Some(free) = &mut self.free {
            s.vec(free, |s, i| s.u32(i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interpolation search returns what a binary search over all keys returns, for even,
    /// clustered and gapped keys and for every probe (present or not, inside or outside).
    #[test]
    fn find_equals_partition_point() {
        let mut rnd = super::super::test_rng(7);
        for layout in 0..3 {
            let mut g = CompressedGroup::<1>::new(1, [10.0], None, 0, 1);
            let mut k = 0i32;
            g.keys.clear();
            for i in 0..400 {
                k += match layout {
                    0 => 1 + rnd(3) as i32,
                    1 => 1 + (rnd(100) as i32).pow(2) / 50,
                    _ => 1 + if i % 50 == 0 { 5000 } else { rnd(2) as i32 },
                };
                g.keys.push(k);
            }
            for a in -3..=k + 3 {
                assert_eq!(
                    g.find(a),
                    g.keys.partition_point(|&q| q < a),
                    "layout {layout}, a {a}"
                );
            }
        }
    }

    /// Compressed sums equal direct sums over the raw history.
    #[test]
    fn take_equals_direct_window_sums() {
        let h = 0.1;
        let (tau, td) = (7.0, 50.0);
        let mut raw = History::new(1);
        let values: Vec<(Step, f64)> = (1..=200)
            .map(|s| (s, ((s * 37) % 11) as f64 - 4.0))
            .collect();
        let mut c = RuleCounters::default();
        // Two synapses, delay 3, both starting at a0 = -3.
        let mut g = CompressedGroup::<1>::new(3, [tau], Some(td), -3, 2);
        let mut pushed = 0;
        let mut push_to = |raw: &mut History, upto: Step| {
            while pushed < values.len() && values[pushed].0 <= upto {
                raw.push(values[pushed].0, values[pushed].1);
                pushed += 1;
            }
        };
        let direct = |a: Step, b: Step| {
            let mut s = 0.0;
            let mut t = 0.0;
            for &(st, v) in &values {
                if st > a && st <= b {
                    let x = v * (-((st - a) as f64 * h) / tau).exp();
                    s += x;
                    t += x * (-((b - st) as f64 * h) / td).exp();
                }
            }
            (s, t)
        };
        // Spikes: synapse 1 at b = 40, 90, 150; synapse 2 at b = 90, 170 (sorted by b).
        let mut last = [-3, -3];
        for (syn, b) in [(0, 40), (0, 90), (1, 90), (0, 150), (1, 170)] {
            push_to(&mut raw, b);
            let got = g.take(&mut raw, last[syn], b, h, &mut c);
            let (s, t) = direct(last[syn], b);
            assert!(
                (got.s[0] - s).abs() < 1e-12 * s.abs().max(1.0),
                "S at b = {b}: {} vs {s}",
                got.s[0]
            );
            assert!(
                (got.t[0] - t).abs() < 1e-12 * t.abs().max(1.0),
                "T at b = {b}: {} vs {t}",
                got.t[0]
            );
            assert_eq!(
                got.n_raw as i64,
                values
                    .iter()
                    .filter(|(st, _)| *st > last[syn] && *st <= b)
                    .count() as i64
            );
            last[syn] = b;
        }
        // One entry per distinct window start: synapse 1 at 150, synapse 2 at 170.
        assert_eq!(g.len(), 2);
        assert_eq!(
            c.weight_change_computations, 170,
            "each raw entry folded once"
        );
    }
}

#[cfg(test)]
mod long_run {
    use super::*;

    /// A long run with many synapses and sparse raw entries: compressed sums stay within
    /// 1e-12 relative of direct sums (lazy scaling, rebases and lazy deletion included).
    #[test]
    fn long_run_precision() {
        let (entries, _) = long_run(false, false);
        assert!(
            entries > 30.0,
            "one entry per distinct window start: {entries}"
        );
    }

    /// The same with entries shared across window starts without raw entries between (module
    /// docs), also over a history that is silent 90% of the time: as exact, and far fewer
    /// entries where the history is silent.
    #[test]
    fn shared_entries_are_exact_and_few() {
        let (plain, _) = long_run(false, true);
        let (shared, spans) = long_run(true, true);
        assert!(spans > 10, "shared spans {spans}");
        assert!(
            shared * 3.0 < plain,
            "bursty history: {shared} entries on average with sharing, {plain} without"
        );
        long_run(true, false);
    }

    /// Runs 40 synapses over 10 s (h = 0.1 ms) against direct sums; raw entries at 5% of the
    /// steps (only in the first 50 ms of every 500 ms when `bursty`). A group of slots
    /// ([`CompressedGroup::by_slot`]) reads the same history beside the searched one and must
    /// give the same sums, bit for bit, with as many live entries and history manipulations.
    /// Returns the mean number of entries the group held at takes and how many takes read a
    /// shared entry.
    fn long_run(share: bool, bursty: bool) -> (f64, usize) {
        let h = 0.1;
        let tau = 15.0;
        let k = 40usize;
        let mut raw = History::new(1);
        let mut c = RuleCounters::default();
        let mut g = CompressedGroup::<1>::new(1, [tau], None, -1, k as u32);
        if share {
            g = g.sharing(h);
        }
        let (mut raw2, mut c2) = (History::new(1), RuleCounters::default());
        let mut by_slot = g.clone().by_slot();
        let mut slot = vec![0u32; k];
        let mut most = 0;
        let (mut entries, mut takes, mut spans) = (0, 0, 0);
        let mut state = 12345u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut values: Vec<(Step, f64)> = Vec::new();
        let mut last = vec![-1 as Step; k];
        let mut worst = 0.0f64;
        for step in 1..=100_000 as Step {
            let on = !bursty || step % 5000 < 500;
            if rnd() < 0.05 && on {
                let v = rnd();
                raw.push(step, v);
                raw2.push(step, v);
                values.push((step, v));
            }
            // Each synapse spikes at ~10 Hz; window end b = step - 1 (delay 1).
            for (last_spike, slot) in last.iter_mut().zip(&mut slot) {
                if rnd() < 0.001 {
                    let b = step - 1;
                    if b <= *last_spike {
                        continue;
                    }
                    let a = *last_spike;
                    let i = g.entry_of(a as i32);
                    spans += usize::from(Step::from(g.keys[i]) < a);
                    let got = g.take(&mut raw, a, b, h, &mut c);
                    let (by_slot_got, next) = by_slot.take_slot(&mut raw2, *slot, a, b, h, &mut c2);
                    assert_eq!(by_slot_got, got, "window ({a}, {b}]");
                    assert_eq!(by_slot.len(), g.len());
                    most = most.max(g.len());
                    *slot = next;
                    entries += g.len();
                    takes += 1;
                    let direct: f64 = values
                        .iter()
                        .filter(|(s, _)| *s > a && *s <= b)
                        .map(|(s, v)| v * (-((s - a) as f64 * h) / tau).exp())
                        .sum();
                    if direct > 1e-200 {
                        worst = worst.max(((got.s[0] - direct) / direct).abs());
                    }
                    *last_spike = b;
                }
            }
        }
        assert!(worst < 1e-12, "worst relative error {worst:e}");
        assert_eq!(c2, c, "the same counts by slot");
        // Dead slots were reused: no more than the most entries ever live, and the newest.
        assert!(
            by_slot.keys.len() <= most + 1,
            "{} slots",
            by_slot.keys.len()
        );
        (entries as f64 / takes as f64, spans)
    }
}

#[cfg(test)]
mod silences {
    use super::*;

    /// A silence of thousands of time constants in one fold (the factors of the whole span
    /// underflow): the sums stay finite and equal the direct sums, whose far terms are 0 too.
    #[test]
    fn fold_across_an_underflowing_span() {
        let h = 0.1;
        for (tau, td) in [(1.0, 1.0), (0.01, 1e6), (1e6, 0.01), (20.0, 1.0)] {
            let mut raw = History::new(1);
            let mut c = RuleCounters::default();
            let mut g = CompressedGroup::<1>::new(1, [tau], Some(td), 0, 1);
            let values = [
                (5, 1.0),
                (6, -2.0),
                (20_005, 3.0),
                (20_007, 0.5),
                (40_000, 1.5),
            ];
            let mut last = 0;
            for (i, &(stamp, v)) in values.iter().enumerate() {
                raw.push(stamp, v);
                let b = stamp + 3;
                let got = g.take(&mut raw, last, b, h, &mut c);
                let (mut s, mut t) = (0.0, 0.0);
                for &(st, v) in &values[..=i] {
                    if st > last && st <= b {
                        let x = v * (-((st - last) as f64 * h) / tau).exp();
                        s += x;
                        t += x * (-((b - st) as f64 * h) / td).exp();
                    }
                }
                for (got, want) in [(got.s[0], s), (got.t[0], t)] {
                    assert!(got.is_finite(), "tau {tau}, td {td}, b {b}: {got}");
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs().max(f64::MIN_POSITIVE),
                        "tau {tau}, td {td}, b {b}: {got} vs {want}"
                    );
                }
                last = b;
            }
        }
    }
}
