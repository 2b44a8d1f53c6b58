//! `scheme = "auto"`: the cost model that picks each plastic projection's update scheme at
//! build time (docs/SCHEMES.md).
//!
//! Per target and simulated second, a projection of in-degree `K` from sources firing at
//! `rate` costs `a·M + b·C + c·H` in each scheme, where M (synapse calls), C (weight-change
//! computations) and H (history entry manipulations) are Table 1 of Stapmanns et al. (2021)
//! written with this code's counters, and `a, b, c` are per-operation costs fitted to the
//! winner grids (`tools/bench/fit_cost.py`, [`COSTS`]); the time-driven scheme's calls are
//! costed apart: `a` per call at a spike, `e` per synapse and step (S = K/h):
//!
//! - event: M = Kν, C = Kρ, H = ρ (ρ: archive entries per second);
//! - time-driven: M = Kν + K/h, C = Kρ, H = ρ;
//! - compressed: M = Kν, C = ρ, H = D·i, with D = (1/h)(1 − e^{−Kνh}) distinct window starts
//!   per second, each folding the i live compressed entries; i is the expected number of
//!   distinct last-spike times of K Poisson sources, `Ein(K(1 − e^{−νh})) / (νh)`.
//!
//! ρ is 1/h for Urbanczik–Senn (one dendritic entry per step); Clopath's LTP history holds an
//! entry only where the LTP factor is non-zero, which depends on the target's activity: the
//! model assumes [`CLOPATH_DENSITY`] of the steps. Urbanczik–Senn targets with the sampled
//! (spike–spike) learning signal archive only steps where soma and dendrite spike differently:
//! the model assumes [`SAMPLED_DENSITY`], at random steps. A compressed group's fold then
//! meets new entries only with probability `q = 1 − e^{−ρ/D}`, and window starts with no raw
//! entry between share an entry (`archive/compressed.rs`): `Dq` folds and `Dq` entry creations
//! per second, over `iq + 1` live entries, so H = Dq(iq + 1) + Dq (in a dense history the
//! creations are 1/i of H, which the fit absorbed).

use evplast_kernel::archive::Scheme;

/// The plasticity rules the model knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Clopath,
    Urbanczik,
}

/// Clopath LTP archive entries per step, assumed (17–92% of steps in the benchmark networks,
/// median about 35%).
pub const CLOPATH_DENSITY: f64 = 0.35;

/// Urbanczik–Senn spike–spike archive entries per step, assumed (0.12–1.3% of steps on
/// Urbanczik–Senn's winner grid, docs/perf/signals_summary.md: somatic and dendritic spikes at
/// a few to tens of Hz).
pub const SAMPLED_DENSITY: f64 = 0.005;

/// Sampled archives change the per-operation costs too (fitted by least squares to the
/// event − compressed differences of the 19 points of `docs/perf/signals_ss.csv`, binary with
/// shared compressed entries; it then picks within 10% of the faster of the two at 18 of them):
/// the event scheme's reads cost this per entry (sparse stamps: the decay factors are `exp`s,
/// not products of neighbours)...
const SAMPLED_EVENT_C: f64 = 12.0e-9;
/// ...a compressed call costs this much less than an event call (a take on a handful of shared
/// entries instead of a window read)...
const SAMPLED_COMPRESSED_CALL_SAVING: f64 = 57.4e-9;
/// ...and the compressed scheme costs this much more per target and simulated second.
const SAMPLED_COMPRESSED_FIXED: f64 = 3.4e-4;

/// Presynaptic rate assumed for a source whose rate is not fixed by a generator (Hz).
pub const ASSUMED_RATE_HZ: f64 = 10.0;

/// A scheme other than `event` is chosen only if predicted below this fraction of event's
/// cost, by rule (Clopath, Urbanczik–Senn): a margin for the model's error, so that `auto` is
/// not slower than `event`. Urbanczik–Senn's 0.92: with 0.95, five grid points took compressed
/// where event was 0.7–6.3% faster. Clopath's model errs mostly by its assumed LTP density
/// (the target's activity: 0 to 0.9 of the steps on the grids), which a margin does not
/// correct; on its grids (`docs/perf/s11_*`) the compressed scheme is never slower where the
/// model predicts it cheaper, and a margin of 0.92 would run event at K = 500, 100 Hz, where
/// compressed is 1.3× faster (docs/SCHEMES.md).
pub const MARGIN: [f64; 2] = [1.0, 0.92];

/// Fitted per-operation costs (seconds per M at spikes, C, H, and S: per synapse and step in
/// the time-driven scheme), by rule, in the order event, compressed, time
/// (`tools/bench/fit_cost.py`, medians of 3 repetitions). Clopath: on `docs/perf/s11_grid.csv`
/// and `s11_gridhi.csv` (30 points, session 11's code: compressed entries kept by slot).
/// Urbanczik–Senn: on `s10_grid.csv`, `s10_gridhi.csv`, `s10b_grid.csv` and
/// `s10b_gridhi.csv` (30 points, session 10's code: two-kernel groups).
const COSTS: [[[f64; 4]; 3]; 2] = [
    // Clopath
    [
        [22.527e-9, 0.431e-9, 161.186e-9, 0.0],
        [28.882e-9, 129.707e-9, 0.217e-9, 0.0],
        [0.0, 0.371e-9, 231.782e-9, 1.060e-9],
    ],
    // Urbanczik–Senn
    [
        [139.641e-9, 2.065e-9, 0.0, 0.0],
        [134.489e-9, 0.0, 3.148e-9, 0.0],
        [107.841e-9, 4.539e-9, 0.0, 4.539e-9],
    ],
];

/// The schemes in the order of [`COSTS`].
pub const SCHEMES: [Scheme; 3] = [Scheme::Event, Scheme::Compressed, Scheme::Time];

/// A scheme's position in [`SCHEMES`] (and in the per-scheme arrays of predictions).
pub fn index(scheme: Scheme) -> usize {
    match scheme {
        Scheme::Event => 0,
        Scheme::Compressed => 1,
        Scheme::Time => 2,
    }
}

/// What the model knows of a projection at build time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    pub rule: Rule,
    /// Synapses per target.
    pub in_degree: f64,
    /// Mean rate of the sources (Hz).
    pub rate_hz: f64,
    /// Resolution (ms).
    pub h_ms: f64,
    /// The share of the targets whose archive is sampled (Urbanczik–Senn's spike–spike
    /// signal; 0 for every other).
    pub sampled: f64,
}

/// Table 1's counts for one target and one simulated second.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub m: f64,
    pub c: f64,
    pub h: f64,
}

/// `Ein(a) = ∫₀^a (1 − e^{−t})/t dt` (its series below 20; above, `ln a + γ`, where the
/// omitted `E1(a)` is below 1e-10).
pub fn ein(a: f64) -> f64 {
    const GAMMA: f64 = 0.577_215_664_901_532_9;
    if a >= 20.0 {
        return a.ln() + GAMMA;
    }
    let (mut sum, mut term) = (0.0, 1.0);
    for n in 1..=200 {
        let n = n as f64;
        term *= a / n;
        let d = if n as u32 % 2 == 1 {
            term / n
        } else {
            -term / n
        };
        sum += d;
        if d.abs() <= 1e-17 * sum.abs() {
            break;
        }
    }
    sum
}

impl Load {
    /// The predicted counts per target and simulated second in `scheme`.
    pub fn counts(&self, scheme: Scheme) -> Counts {
        let steps = 1000.0 / self.h_ms;
        let sampled = self.sampled.clamp(0.0, 1.0);
        let rho = steps
            * match self.rule {
                Rule::Urbanczik => sampled * SAMPLED_DENSITY + (1.0 - sampled),
                Rule::Clopath => CLOPATH_DENSITY,
            };
        let k = self.in_degree;
        let p = self.rate_hz * self.h_ms / 1000.0;
        let m = k * self.rate_hz;
        match scheme {
            Scheme::Event => Counts {
                m,
                c: k * rho,
                h: rho,
            },
            Scheme::Time => Counts {
                m: m + k * steps,
                c: k * rho,
                h: rho,
            },
            Scheme::Compressed => {
                let distinct = steps * -(-k * p).exp_m1();
                let live = if p > 0.0 {
                    ein(k * -(-p).exp_m1()) / p
                } else {
                    0.0
                };
                // A dense history: D folds over i entries. A sampled one (module docs): Dq folds
                // and creations over iq + 1 shared entries.
                let dense = distinct * live;
                let h = if sampled > 0.0 && distinct > 0.0 {
                    let q = -(-steps * SAMPLED_DENSITY / distinct).exp_m1();
                    let sparse = distinct * q * (live * q + 1.0) + distinct * q;
                    sampled * sparse + (1.0 - sampled) * dense
                } else {
                    dense
                };
                Counts { m, c: rho, h }
            }
        }
    }

    /// Predicted seconds per target and simulated second in `scheme`.
    pub fn seconds(&self, scheme: Scheme) -> f64 {
        let r = match self.rule {
            Rule::Clopath => 0,
            Rule::Urbanczik => 1,
        };
        let [a, b, c, e] = COSTS[r][index(scheme)];
        let n = self.counts(scheme);
        // The time-driven scheme's M holds its per-step updates S = K/h besides the calls at
        // spikes; they are costed apart.
        let steps = match scheme {
            Scheme::Time => self.in_degree * 1000.0 / self.h_ms,
            _ => 0.0,
        };
        let mut t = a * (n.m - steps) + b * n.c + c * n.h + e * steps;
        let sampled = self.sampled.clamp(0.0, 1.0);
        if self.rule == Rule::Urbanczik && sampled > 0.0 {
            let calls = self.in_degree * self.rate_hz;
            t += sampled
                * match scheme {
                    Scheme::Event => {
                        let c_sampled = self.in_degree * SAMPLED_DENSITY * 1000.0 / self.h_ms;
                        (SAMPLED_EVENT_C - b) * c_sampled
                    }
                    Scheme::Compressed => {
                        SAMPLED_COMPRESSED_FIXED - SAMPLED_COMPRESSED_CALL_SAVING * calls
                    }
                    Scheme::Time => 0.0,
                };
        }
        t
    }

    /// The scheme predicted cheapest (`event` unless another is below [`MARGIN`] of it).
    pub fn choose(&self) -> Scheme {
        let event = self.seconds(Scheme::Event);
        let margin = match self.rule {
            Rule::Clopath => MARGIN[0],
            Rule::Urbanczik => MARGIN[1],
        };
        let (mut best, mut cost) = (Scheme::Event, event * margin);
        for s in [Scheme::Compressed, Scheme::Time] {
            let c = self.seconds(s);
            if c < cost {
                (best, cost) = (s, c);
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ein_matches_its_integral() {
        // Midpoint rule on (1 − e^{−t})/t, an independent evaluation.
        for a in [0.01, 0.5, 2.0, 8.0, 19.9, 25.0, 300.0] {
            let n = 200_000;
            let dt = a / n as f64;
            let integral: f64 = (0..n)
                .map(|i| {
                    let t = (i as f64 + 0.5) * dt;
                    -(-t).exp_m1() / t * dt
                })
                .sum();
            assert!(
                (ein(a) - integral).abs() < 1e-8 * integral.max(1.0),
                "{a}: {} vs {integral}",
                ein(a)
            );
        }
    }

    /// The live compressed entries are the distinct last-spike times of K Poisson sources;
    /// a direct sum over steps of P(some source last spiked there) agrees with the closed form.
    #[test]
    fn live_entries_match_a_direct_sum() {
        for (k, rate) in [(100.0, 10.0), (2000.0, 10.0), (2000.0, 40.0), (250.0, 2.0)] {
            let load = Load {
                rule: Rule::Urbanczik,
                in_degree: k,
                rate_hz: rate,
                h_ms: 0.1,
                sampled: 0.0,
            };
            let p: f64 = rate * 1e-4;
            let q = (-p).exp();
            let direct: f64 = (0..2_000_000)
                .map(|s| 1.0 - (1.0 - (1.0 - q) * q.powi(s)).powf(k))
                .sum();
            let distinct = 1e4 * -(-k * p).exp_m1();
            let live = load.counts(Scheme::Compressed).h / distinct;
            assert!(
                (live - direct).abs() < 0.01 * direct,
                "K={k} rate={rate}: {live} vs {direct}"
            );
        }
    }

    #[test]
    fn choices_follow_table_1() {
        let at = |rule, k, rate| Load {
            rule,
            in_degree: k,
            rate_hz: rate,
            h_ms: 0.1,
            sampled: 0.0,
        };
        // Dense Urbanczik–Senn histories: compression wins at low rates and up to K = 2000
        // at 10–40 Hz (docs/perf/s10_grid_summary.md)...
        assert_eq!(at(Rule::Urbanczik, 250.0, 2.0).choose(), Scheme::Compressed);
        assert_eq!(
            at(Rule::Urbanczik, 2000.0, 10.0).choose(),
            Scheme::Compressed
        );
        // ...its fold over the live entries at every spike step loses at high rates.
        assert_eq!(at(Rule::Urbanczik, 100.0, 200.0).choose(), Scheme::Event);
        // Clopath: compressed entries kept by slot make compression win up to K·rate in the
        // tens of thousands (docs/perf/s11_grid_summary.md: K = 2000, 40 Hz by 6–19%; K = 500,
        // 2 Hz by 4–8%)...
        assert_eq!(at(Rule::Clopath, 2000.0, 40.0).choose(), Scheme::Compressed);
        assert_eq!(at(Rule::Clopath, 500.0, 2.0).choose(), Scheme::Compressed);
        // ...while at hundreds of Hz per source its per-call cost loses (K = 500, 400 Hz:
        // event faster by 19–26%).
        assert_eq!(at(Rule::Clopath, 500.0, 400.0).choose(), Scheme::Event);
        // The time-driven scheme pays K/h calls per second whatever the rate.
        assert_eq!(at(Rule::Urbanczik, 100.0, 2.0).choose(), Scheme::Compressed);
    }

    #[test]
    fn sampled_archives_choose_as_measured() {
        // docs/perf/signals_ss.csv (spike–spike, shared compressed entries): event was faster
        // at K = 100 at 2 and 40 Hz (both delays; by 16–23% at 40 Hz), compressed at K = 2000
        // from 10 Hz (by 35–64%); the dense signal picks compressed at low rates.
        let load = |k, rate, sampled| Load {
            rule: Rule::Urbanczik,
            in_degree: k,
            rate_hz: rate,
            h_ms: 0.1,
            sampled,
        };
        for rate in [2.0, 40.0] {
            assert_eq!(
                load(100.0, rate, 1.0).choose(),
                Scheme::Event,
                "K=100, {rate} Hz"
            );
        }
        for rate in [10.0, 40.0] {
            assert_eq!(
                load(2000.0, rate, 1.0).choose(),
                Scheme::Compressed,
                "K=2000, {rate} Hz"
            );
        }
        let mut dense_compressed = 0;
        for k in [100.0, 250.0, 1000.0, 2000.0] {
            for rate in [2.0, 10.0, 40.0] {
                let load = |sampled| Load {
                    rule: Rule::Urbanczik,
                    in_degree: k,
                    rate_hz: rate,
                    h_ms: 0.1,
                    sampled,
                };
                dense_compressed += usize::from(load(0.0).choose() == Scheme::Compressed);
                // A sampled archive costs the event scheme K·ρ reads: far fewer.
                let (c0, c1) = (
                    load(0.0).counts(Scheme::Event),
                    load(1.0).counts(Scheme::Event),
                );
                assert!((c1.c / c0.c - SAMPLED_DENSITY).abs() < 1e-12);
            }
        }
        assert!(dense_compressed >= 4, "{dense_compressed}");
    }
}
