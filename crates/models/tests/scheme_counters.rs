//! Operation counts against the paper's Table 1 (paper.md §6), on its idealised setup: one
//! postsynaptic neuron, K inputs firing regularly every I steps with distinct phases, delay one
//! step, `min_delay` one step, T steps. The Urbanczik–Senn archive is dense (one entry per
//! step), as Table 1 assumes; the soma is kept silent so no random draw decides anything.
//!
//! Table 1 (per neuron): time-driven M = K·T, C = K·T, H = T, L = 1; event-driven
//! M = K·T/I, C = K·T, H = T, L = I; compressed M = K·T/I, C = T, H = K·T/I·i, L = i
//! (i = distinct spike times per ISI = K here). The exact expectations below are those
//! formulas written out for a finite run: S (= K·T/I) is the number of delivered spikes, the
//! stated delay terms are the delay d and the slice m, and the compressed scheme has a
//! warm-up (all windows start together, so i grows from 1 to K in the first ISI) and creates
//! one entry per spike.
//!
//! Also: when one input falls silent for a long time, the event and compressed archives stay
//! below the horizon, and the weights equal those of an unbounded run.

use evplast_kernel::archive::RuleCounters;
use evplast_kernel::record::WeightRecord;
use evplast_kernel::NodeId;
use evplast_models::builder::Scheme;
use evplast_models::{
    ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, Simulation, SynSpec,
};

fn num(x: f64) -> ParamValue {
    ParamValue::Num(x)
}

fn times(t: &[f64]) -> ParamValue {
    ParamValue::Array(t.iter().map(|x| num(*x)).collect())
}

/// One silent pp_cond_exp_mc_urbanczik neuron with one plastic input per train (stamps of the
/// parrot spikes, in steps of 0.1 ms), delay one step.
fn network(trains: &[Vec<i64>], delays: &[f64], scheme: Scheme, horizon_ms: f64) -> Simulation {
    let cfg = KernelConfig {
        scheme: scheme.into(),
        history_horizon: horizon_ms,
        ..Default::default()
    };
    let mut b = NetworkBuilder::new(cfg).unwrap();
    let mut p = ParamMap::new();
    p.insert("phi_max".into(), num(1e-12));
    let nrn = b.create("pp_cond_exp_mc_urbanczik", &[p]).unwrap();
    let k = trains.len();
    // A generator spike at t reaches its parrot with delay 0.1, which re-emits it at t + 0.1.
    let gens: Vec<ParamMap> = trains
        .iter()
        .map(|tr| {
            let t: Vec<f64> = tr.iter().map(|s| (s - 1) as f64 / 10.0).collect();
            [("spike_times".to_string(), times(&t))]
                .into_iter()
                .collect()
        })
        .collect();
    let gen = b.create("spike_generator", &gens).unwrap();
    let parrots = b
        .create("parrot_neuron", &vec![ParamMap::new(); k])
        .unwrap();
    let wr = b.create("weight_recorder", &[ParamMap::new()]).unwrap();
    let id = |first: NodeId, i: usize| NodeId(first.0 + i as u32);
    let c = |s: NodeId, t: NodeId, w: f64, d: f64| ConnRequest {
        source: s,
        target: t,
        weight: Some(w),
        delay: Some(d),
    };
    b.connect(
        &SynSpec::default(),
        &(0..k)
            .map(|i| c(id(gen, i), id(parrots, i), 1.0, 0.1))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut sp = ParamMap::new();
    // The silent soma makes every step's dPI tiny (−φ·h·h(V*)); a large eta makes the
    // resulting depression visible without reaching Wmin.
    sp.insert("eta".into(), num(1e9));
    sp.insert("Wmax".into(), num(1500.0));
    let spec = SynSpec {
        synapse_model: "urbanczik_synapse".into(),
        params: sp,
        receptor_type: Some(ParamValue::Str("dendritic_exc".into())),
        weight_recorder: Some(wr),
        tag: 0,
        scheme: None,
    };
    b.connect(
        &spec,
        &(0..k)
            .map(|i| c(id(parrots, i), nrn, 1000.0, delays[i]))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    b.build().unwrap()
}

fn counters(sim: &Simulation) -> RuleCounters {
    sim.network.rule_counters().1
}

#[test]
fn counters_follow_table_1() {
    let (k, i, t) = (20_i64, 200_i64, 20_000_i64);
    let d = 1;
    // Parrot k fires at 10 + k·(I/K) + j·I: regular, distinct phases.
    let trains: Vec<Vec<i64>> = (0..k)
        .map(|q| {
            (0..)
                .map(|j| 10 + q * (i / k) + j * i)
                .take_while(|&s| s <= t + 5)
                .collect()
        })
        .collect();
    // Spikes stamped s are delivered at the start of step s, so those with s ≤ T − 1 count.
    let delivered: Vec<Vec<i64>> = trains
        .iter()
        .map(|tr| tr.iter().copied().filter(|&s| s < t).collect())
        .collect();
    let s_total: i64 = delivered.iter().map(|v| v.len() as i64).sum();
    let last: Vec<i64> = delivered.iter().map(|v| *v.last().unwrap()).collect();
    assert!((s_total - k * t / i).abs() <= k, "S ≈ K·T/I");

    let mut c = std::collections::BTreeMap::new();
    for scheme in [Scheme::Time, Scheme::Event, Scheme::Compressed] {
        let mut sim = network(&trains, &vec![0.1; k as usize], scheme, 1e9);
        sim.network
            .simulate(t, &mut |_| std::ops::ControlFlow::Continue(()))
            .unwrap();
        c.insert(scheme.as_str(), counters(&sim));
    }
    let (tc, ec, cc) = (c["time"], c["event"], c["compressed"]);

    // M: synapse calls. Time-driven: one per synapse per slice (T slices) plus the spikes.
    assert_eq!(
        tc.synapse_calls as i64,
        k * t + s_total,
        "time M = K·T (+ S spike calls)"
    );
    assert_eq!(ec.synapse_calls as i64, s_total, "event M = K·T/I");
    assert_eq!(cc.synapse_calls as i64, s_total, "compressed M = K·T/I");

    // C: weight-change computations (archive entries combined with a presynaptic trace).
    assert_eq!(
        tc.weight_change_computations as i64,
        k * (t - 1 - d),
        "time C = K·T (up to the last slice − d)"
    );
    let c_event: i64 = last.iter().map(|l| l - d).sum();
    assert_eq!(
        ec.weight_change_computations as i64, c_event,
        "event C = K·T (each synapse up to its last spike − d)"
    );
    assert_eq!(
        cc.weight_change_computations as i64,
        last.iter().max().unwrap() - d,
        "compressed C = T"
    );

    // H: history manipulations. Time and event: one raw entry per step.
    assert_eq!(tc.history_manipulations as i64, t, "time H = T");
    assert_eq!(ec.history_manipulations as i64, t, "event H = T");
    // Compressed: every spike folds into all i entries, then creates its own; i grows from 1
    // to K over the first round of spikes, then stays K.
    let h_comp = (1..=k).map(|j| j + 1).sum::<i64>() + (s_total - k) * (k + 1);
    assert_eq!(
        cc.history_manipulations as i64, h_comp,
        "compressed H = K·T/I·i (+ S creations, warm-up)"
    );

    // L: history length per neuron, sampled at slice ends.
    assert!(
        tc.history_entries_max as i64 <= d + 2,
        "time L = 1 (+ delay): {}",
        tc.history_entries_max
    );
    assert!(
        ec.history_entries_max as i64 <= i + d + 2,
        "event L = I: max {}",
        ec.history_entries_max
    );
    assert!(
        ec.history_entries_mean() > (i / 2) as f64,
        "event L = I: mean {}",
        ec.history_entries_mean()
    );
    assert_eq!(cc.history_entries_max as i64, k, "compressed L = i = K");
}

fn records(sim: &Simulation) -> Vec<WeightRecord> {
    let mut r = sim.network.weight_records[0].clone();
    r.sort_by_key(|w| (w.stamp, w.sender));
    r
}

#[test]
fn a_silent_input_keeps_memory_bounded_and_weights_exact() {
    // Input 0 fires every 10 ms; input 1 fires twice, falls silent for ~4.8 s, fires again.
    let t = 50_000_i64;
    let regular: Vec<i64> = (1..500).map(|j| j * 100).collect();
    let silent = vec![50, 150, 49_000, 49_500];
    let trains = vec![regular, silent];
    let horizon_ms = 200.0;
    let horizon_entries = 2000;

    // Same delay: the compressed scheme keeps one group, whose folds at the regular input's
    // spikes free the raw history anyway. Different delays: two groups, and the silent one's
    // must be folded forward by the horizon.
    for delays in [[0.1, 0.1], [0.1, 0.7]] {
        let mut unbounded = network(&trains, &delays, Scheme::Event, 1e9);
        unbounded
            .network
            .simulate(t, &mut |_| std::ops::ControlFlow::Continue(()))
            .unwrap();
        let reference = records(&unbounded);
        assert_eq!(reference.len(), 499 + 4);
        assert!(
            counters(&unbounded).history_entries_max > 40_000,
            "without a horizon the silent input pins ~4.8 s of history"
        );

        for scheme in [Scheme::Event, Scheme::Compressed] {
            let mut sim = network(&trains, &delays, scheme, horizon_ms);
            // Check the raw archive itself, in 100 ms chunks.
            let mut max_raw = 0;
            for _ in 0..(t / 1000) {
                sim.network
                    .simulate(1000, &mut |_| std::ops::ControlFlow::Continue(()))
                    .unwrap();
                max_raw = max_raw.max(
                    sim.network.shards[0].archives.urbanczik[0]
                        .history
                        .raw
                        .len(),
                );
            }
            // Caught up at the start of the slice after it exceeds the horizon; a slice adds one.
            assert!(
                max_raw <= horizon_entries + 2,
                "{scheme:?} {delays:?}: raw archive reached {max_raw}"
            );
            assert!(
                counters(&sim).history_entries_max as usize <= horizon_entries + 2,
                "{scheme:?}"
            );
            let needs_catch_up = scheme == Scheme::Event || delays[0] != delays[1];
            if needs_catch_up {
                assert!(
                    sim.network.counters.catch_ups > 10,
                    "{scheme:?} {delays:?}: the horizon was never enforced"
                );
            }
            let got = records(&sim);
            assert_eq!(got.len(), reference.len());
            for (x, y) in got.iter().zip(&reference) {
                assert_eq!((x.stamp, x.sender), (y.stamp, y.sender));
                let rel = (x.weight - y.weight).abs() / y.weight.abs();
                // Summation order differs (chunks vs one window), a few ulps per term.
                assert!(
                    rel < 1e-10,
                    "{scheme:?} {delays:?}: {x:?} vs unbounded {y:?}"
                );
            }
            // The silent input's weight after its return must have moved (the caught-up
            // integrals were used), else the comparison would say little.
            let silent_sender = got.iter().find(|w| w.stamp == 150).unwrap().sender;
            let returned = got
                .iter()
                .find(|w| w.stamp == 49_000 && w.sender == silent_sender)
                .unwrap();
            assert!(
                (returned.weight - 1000.0).abs() > 0.1,
                "{scheme:?}: silent input's weight did not move: {returned:?}"
            );
        }
    }
}
