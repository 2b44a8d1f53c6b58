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

use super::{DecayAt, History, RuleCounters};
use crate::time::Step;

/// At most this many distinct kernel time constants per group.
pub const MAX_TAUS: usize = 3;

/// One compressed entry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressedEntry {
    /// Window start (a neuron-time stamp).
    pub a: Step,
    /// Synapses whose window starts here.
    pub count: u32,
    /// Raw entries folded in so far (whether a window held any entry matters for clipping).
    pub n_raw: u32,
    /// `e^{−(B − a)/τ_k}`, kept up to date by multiplication.
    f: [f64; MAX_TAUS],
    pub s: [f64; MAX_TAUS],
    pub t: [f64; MAX_TAUS],
}

/// What a synapse gets for its window `(a, b]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowSums {
    pub s: [f64; MAX_TAUS],
    pub t: [f64; MAX_TAUS],
    /// Raw entries in the window.
    pub n_raw: u32,
}

/// The compressed store of one group of one neuron.
#[derive(Clone, Debug)]
pub struct CompressedGroup {
    pub delay: Step,
    taus: [f64; MAX_TAUS],
    n_taus: usize,
    /// τ_Δ of the `T` sums, if the rule has them.
    tau_delta: Option<f64>,
    /// Fold point B: every entry covers raw entries up to here.
    fold: Step,
    entries: Vec<CompressedEntry>,
}

impl CompressedGroup {
    /// A group of synapses with delay `delay` whose windows all start at `a0`.
    pub fn new(
        delay: Step,
        taus: &[f64],
        tau_delta: Option<f64>,
        a0: Step,
        n_synapses: u32,
    ) -> Self {
        assert!(!taus.is_empty() && taus.len() <= MAX_TAUS);
        let mut t = [1.0; MAX_TAUS];
        t[..taus.len()].copy_from_slice(taus);
        let first = CompressedEntry {
            a: a0,
            count: n_synapses,
            n_raw: 0,
            f: [1.0; MAX_TAUS],
            s: [0.0; MAX_TAUS],
            t: [0.0; MAX_TAUS],
        };
        Self {
            delay,
            taus: t,
            n_taus: taus.len(),
            tau_delta,
            fold: a0,
            entries: vec![first],
        }
    }

    /// Number of compressed entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the group holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
        let n = self.n_taus;
        let mut a_s = [0.0; MAX_TAUS];
        let mut a_t = [0.0; MAX_TAUS];
        let mut n_raw = 0u32;
        let mut up: [DecayAt; MAX_TAUS] = std::array::from_fn(|k| DecayAt::new(from, h, self.taus[k]));
        // T sums in Horner form: only decaying factors e^{−gap/τ_Δ}.
        let delta = self.tau_delta.map(|td| DecayAt::new(0, h, td));
        let mut last = from;
        raw.read(from, b, |e| {
            let gap = delta.map(|d| d.over(e.stamp - last));
            for k in 0..n {
                let x = e.value * up[k].at(e.stamp);
                a_s[k] += x;
                if let Some(g) = gap {
                    a_t[k] = a_t[k] * g + x;
                }
            }
            last = e.stamp;
            n_raw += 1;
        });
        if let Some(d) = delta {
            let tail = d.over(b - last);
            for t in a_t.iter_mut().take(n) {
                *t *= tail;
            }
        }
        c.weight_change_computations += n_raw as u64;
        let span = (b - from) as f64 * h;
        let delta_decay = self.tau_delta.map_or(1.0, |td| (-span / td).exp());
        let mut step_decay = [1.0; MAX_TAUS];
        for (d, tau) in step_decay.iter_mut().zip(&self.taus).take(n) {
            *d = (-span / tau).exp();
        }
        for e in &mut self.entries {
            for k in 0..n {
                e.s[k] += e.f[k] * a_s[k];
                e.t[k] = delta_decay * e.t[k] + e.f[k] * a_t[k];
                e.f[k] *= step_decay[k];
            }
            e.n_raw = e.n_raw.saturating_add(n_raw);
        }
        c.history_manipulations += self.entries.len() as u64;
        self.fold = b;
    }

    /// A synapse whose window is `(a, b]` takes its sums (after folding to `b`) and re-registers
    /// with window start `b`.
    pub fn take(
        &mut self,
        raw: &mut History,
        a: Step,
        b: Step,
        h: f64,
        c: &mut RuleCounters,
    ) -> WindowSums {
        self.fold(raw, b, h, c);
        let i = self.entries.partition_point(|e| e.a < a);
        debug_assert!(
            i < self.entries.len() && self.entries[i].a == a,
            "no compressed entry at {a}"
        );
        let e = &mut self.entries[i];
        let out = WindowSums {
            s: e.s,
            t: e.t,
            n_raw: e.n_raw,
        };
        e.count -= 1;
        if e.count == 0 {
            self.entries.remove(i);
        }
        match self.entries.last_mut() {
            Some(last) if last.a == b => last.count += 1,
            _ => {
                self.entries.push(CompressedEntry {
                    a: b,
                    count: 1,
                    n_raw: 0,
                    f: [1.0; MAX_TAUS],
                    s: [0.0; MAX_TAUS],
                    t: [0.0; MAX_TAUS],
                });
                c.history_manipulations += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut g = CompressedGroup::new(3, &[tau], Some(td), -3, 2);
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
