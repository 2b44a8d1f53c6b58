//! Statistics of the Poisson generators' trains, on both sampling paths (exponential intervals
//! below `COUNT_SWITCH` expected events per step, one Poisson count per step above): the mean
//! rate, the CV of inter-spike intervals (interval path) and the Fano factor of counts, and the
//! independence of the trains of two targets of one generator. Also: extreme rates finish
//! quickly or are refused with the limit.
//!
//! Tolerances are 5 standard errors of the statistic under the Poisson hypothesis (a two-sided
//! miss probability of 6·10⁻⁷ per check), with the SE stated where it is computed. The seed is
//! fixed, so a run cannot flake; the sample sizes make a rate wrong by 10 %, a regular
//! train (CV = Fano = 0) or one train copied to both targets (correlation 1) fail every test.
//! Each step's count is independent Poisson(rate·h) exactly (the generator's contract), so the
//! SEs below are those of i.i.d. Poisson counts.

use evplast_kernel::NodeId;
use evplast_models::devices::poisson_generator::{max_rate, COUNT_SWITCH};
use evplast_models::{
    BuildError, ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, SynSpec,
};

const H: f64 = 0.1;

fn num(x: f64) -> ParamValue {
    ParamValue::Num(x)
}

fn nums(x: &[f64]) -> ParamValue {
    ParamValue::Array(x.iter().map(|v| num(*v)).collect())
}

/// One generator `model` with `params` onto `n` parrot neurons, at resolution `h`, run for
/// `steps` steps: the count of each target's train in each stamp `0..=steps`.
fn counts(
    model: &str,
    params: ParamMap,
    n: usize,
    h: f64,
    steps: i64,
) -> Result<Vec<Vec<u64>>, BuildError> {
    let cfg = KernelConfig {
        resolution: h,
        rng_seed: 20240611,
        ..Default::default()
    };
    let mut b = NetworkBuilder::new(cfg)?;
    b.keep_generated_trains(true);
    let g = b.create(model, &[params])?;
    let parrots = b.create("parrot_neuron", &vec![ParamMap::new(); n])?;
    let conns: Vec<ConnRequest> = (0..n)
        .map(|i| ConnRequest {
            source: g,
            target: NodeId(parrots.0 + i as u32),
            weight: Some(1.0),
            // Slices of 10 steps: fewer slices for the long runs.
            delay: Some(1.0),
        })
        .collect();
    b.connect(&SynSpec::default(), &conns)?;
    let mut sim = b.build()?;
    sim.network
        .simulate(steps, &mut |_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    let mut trains = Vec::new();
    for p in sim.network.populations() {
        p.generated_trains(&mut trains);
    }
    assert_eq!(trains.len(), n);
    Ok(trains
        .iter()
        .map(|(_, _, train)| {
            let mut c = vec![0u64; steps as usize + 1];
            for &(stamp, m) in train {
                c[stamp as usize] += m as u64;
            }
            c
        })
        .collect())
}

fn rate_params(rate: f64) -> ParamMap {
    [("rate".to_string(), num(rate))].into_iter().collect()
}

/// Sums of `w` consecutive entries (a trailing partial window is dropped).
fn windows(c: &[u64], w: usize) -> Vec<f64> {
    c.chunks_exact(w)
        .map(|x| x.iter().sum::<u64>() as f64)
        .collect()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Unbiased sample variance (two-pass, so counts of 10⁸ keep their precision).
fn var(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    sxy / (sxx * syy).sqrt()
}

/// The CV of the inter-spike intervals of a train given as counts per stamp (a count m > 1
/// is m − 1 intervals of length 0).
fn isi_cv(c: &[u64]) -> (f64, usize) {
    let mut isi = Vec::new();
    let mut last: Option<usize> = None;
    for (s, &m) in c.iter().enumerate() {
        if m == 0 {
            continue;
        }
        if let Some(l) = last {
            isi.push((s - l) as f64);
        }
        isi.extend(std::iter::repeat_n(0.0, m as usize - 1));
        last = Some(s);
    }
    (var(&isi).sqrt() / mean(&isi), isi.len())
}

/// Checks the counts `c[t][from..to]` of every target `t` (steps with expected count `lam`
/// each): the total, the Fano factor of counts in windows of `w` steps, and the correlation
/// of those window counts between targets 0 and 1.
fn check_counts(what: &str, c: &[Vec<u64>], from: usize, to: usize, lam: f64, w: usize) {
    let steps = (to - from) as f64;
    for (t, ct) in c.iter().enumerate() {
        // The total is Poisson(lam·steps): SE = sqrt(lam·steps).
        let total = ct[from..to].iter().sum::<u64>() as f64;
        let expected = lam * steps;
        let se = expected.sqrt();
        assert!(
            (total - expected).abs() <= 5.0 * se,
            "{what}, target {t}: {total} events, expected {expected} ± 5·{se}"
        );
        // Window counts are Poisson(μ), μ = lam·w; the sample variance of M of them has
        // variance (μ + 2μ²)/M to leading order (central 4th moment μ + 3μ²), so the Fano
        // factor s²/μ has SE sqrt((2 + 1/μ)/M).
        let x = windows(&ct[from..to], w);
        let mu = lam * w as f64;
        let fano = var(&x) / mean(&x);
        let se = ((2.0 + 1.0 / mu) / x.len() as f64).sqrt();
        assert!(
            (fano - 1.0).abs() <= 5.0 * se,
            "{what}, target {t}: Fano factor {fano} in {} windows of {w} steps, expected 1 ± 5·{se}",
            x.len()
        );
    }
    // Independent targets: the sample correlation of M pairs has SE 1/sqrt(M).
    let x = windows(&c[0][from..to], w);
    let y = windows(&c[1][from..to], w);
    let r = correlation(&x, &y);
    let se = 1.0 / (x.len() as f64).sqrt();
    assert!(
        r.abs() <= 5.0 * se,
        "{what}: correlation {r} between the targets' counts in {} windows, expected 0 ± 5·{se}",
        x.len()
    );
}

#[test]
fn interval_path_is_poisson() {
    // 500 Hz at h = 0.1 ms: 0.05 events per step, on the interval path.
    let (rate, steps) = (500.0, 1_000_000);
    let lam = rate / 1000.0 * H;
    assert!(lam < COUNT_SWITCH);
    let c = counts("poisson_generator", rate_params(rate), 2, H, steps).unwrap();
    // Active from step 1 (stamp 2): NEST's rule `start < t` with start = 0. ≈ 50 000 events
    // per target: the total's 5 SE are 2.2 % of it. Windows of 100 steps (μ = 5; 10 000 of
    // them): Fano 5 SE = 0.074, correlation 5 SE = 0.05.
    assert_eq!(c[0][1] + c[1][1], 0, "stamp 1 is before start");
    check_counts("500 Hz", &c, 2, steps as usize + 1, lam, 100);
    for (t, ct) in c.iter().enumerate() {
        // The ISIs of a Poisson train are exponential: the sample CV of n of them has SE
        // 1/sqrt(n) (delta method with E[X^k] = k!). Stamping on the grid adds λ²/6 to CV²
        // (rounding of both ends, uniform), 4·10⁻⁴ here: negligible against 5 SE = 0.022.
        let (cv, n) = isi_cv(ct);
        let se = 1.0 / (n as f64).sqrt();
        assert!(
            (cv - 1.0).abs() <= 5.0 * se,
            "500 Hz, target {t}: ISI CV {cv} over {n} intervals, expected 1 ± 5·{se}"
        );
    }
}

#[test]
fn count_path_is_poisson() {
    // Just above the switch (Knuth's method in rand_distr), well above (rejection), and
    // 10⁸ per step. 20 000 steps per rate, windows of one step: Fano 5 SE ≤ 0.061, correlation
    // 5 SE = 0.035; the totals' 5 SE are ≤ 3.6 % of them.
    let steps = 20_000;
    for rate in [COUNT_SWITCH * 1e4, 1e6, 1e12] {
        let lam = rate / 1000.0 * H;
        assert!(lam >= COUNT_SWITCH);
        let c = counts("poisson_generator", rate_params(rate), 2, H, steps).unwrap();
        assert_eq!(c[0][1] + c[1][1], 0, "stamp 1 is before start");
        check_counts(&format!("{rate} Hz"), &c, 2, steps as usize + 1, lam, 1);
    }
}

#[test]
fn inhomogeneous_rate_segments_switch_paths() {
    // 500 Hz (intervals), 1 MHz (counts), 500 Hz again: each segment has its rate, and the
    // interval path restarts cleanly after the count path.
    let mut p = ParamMap::new();
    p.insert("rate_times".into(), nums(&[0.1, 10_000.0, 12_000.0]));
    p.insert("rate_values".into(), nums(&[500.0, 1e6, 500.0]));
    let steps = 220_000;
    let c = counts("inhomogeneous_poisson_generator", p, 2, H, steps).unwrap();
    // A rate time t applies from the step starting at t, stamped t/h + 1.
    let seg = [(2, 100_001), (100_001, 120_001), (120_001, 220_001)];
    let lams = [0.05, 100.0, 0.05];
    let wins = [100, 1, 100];
    for ((&(from, to), &lam), &w) in seg.iter().zip(&lams).zip(&wins) {
        check_counts(&format!("segment from stamp {from}"), &c, from, to, lam, w);
    }
}

#[test]
fn extreme_rates_finish_or_are_refused() {
    // 5 ms at 10¹² Hz and at the largest accepted rates (10⁸ and 4·10⁹ events per step):
    // one draw per step, so these end at once (they used to take seconds per ms, or never).
    let res = |h: f64| evplast_kernel::Resolution::new(h).unwrap();
    for (rate, h) in [
        (1e12, H),
        (max_rate(res(H)), H),
        (max_rate(res(0.001)), 0.001),
    ] {
        let steps = (5.0 / h).round() as i64;
        let lam = rate / 1000.0 * h;
        let c = counts("poisson_generator", rate_params(rate), 2, h, steps).unwrap();
        for ct in &c {
            let total = ct.iter().sum::<u64>() as f64;
            let expected = lam * (steps - 1) as f64;
            assert!(
                (total - expected).abs() <= 5.0 * expected.sqrt(),
                "{rate} Hz at h = {h}: {total} events, expected {expected}"
            );
        }
    }

    // Above the limit, the rate is refused, naming the model, parameter, value and limit.
    let refused = |model: &str, p: ParamMap| match counts(model, p, 1, H, 10) {
        Err(BuildError::BadParam {
            model,
            param,
            value,
            reason,
        }) => (model, param, value, reason),
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    };
    let (model, param, value, reason) = refused("poisson_generator", rate_params(9.2e18));
    assert_eq!(
        (model.as_str(), param.as_str(), value.as_str()),
        ("poisson_generator", "rate", "9200000000000000000")
    );
    assert!(
        reason.contains("4e13 Hz") && reason.contains("0.1 ms"),
        "{reason}"
    );
    // Just above the limit at h = 0.1 ms.
    let (_, param, ..) = refused("poisson_generator", rate_params(4.0001e13));
    assert_eq!(param, "rate");
    let mut p = ParamMap::new();
    p.insert("rate_times".into(), nums(&[1.0, 2.0]));
    p.insert("rate_values".into(), nums(&[10.0, 9.2e18]));
    let (model, param, value, reason) = refused("inhomogeneous_poisson_generator", p);
    assert_eq!(
        (model.as_str(), param.as_str(), value.as_str()),
        (
            "inhomogeneous_poisson_generator",
            "rate_values",
            "9200000000000000000"
        )
    );
    assert!(reason.contains("4e13 Hz"), "{reason}");
}

/// A tiny positive rate (NEST's clopath_synapse_small_network.py sets ~1e-20 Hz far from the
/// Gaussian's centre) puts the next event past every step a run reaches: the run ends, and
/// with P(any event in 1 s) ≈ 1e-20 the train is empty. Rates where events do occur keep
/// their statistics (a rate whose first event lies beyond the run only draws once).
#[test]
fn a_tiny_rate_neither_hangs_nor_fires() {
    for rate in [1e-300, 1e-20, 1e-9] {
        let c = counts("poisson_generator", rate_params(rate), 3, 0.1, 10_000).unwrap();
        let total: u64 = c.iter().flatten().sum();
        assert_eq!(total, 0, "rate {rate} Hz over 1 s");
    }
}
