//! The three update schemes give the same weights (paper.md §2–§4): random small networks of
//! both rules, with random delays, weights and input trains and recurrent plastic connections,
//! run under `time`, `event` and `compressed`; every weight_recorder row and every final weight
//! must agree within 1e-10 relative. The schemes sum the same terms in a different order
//! (per window, per slice, or folded through compressed entries), so they differ by a few ulps
//! per term; 1e-10 leaves room for ~1e5 terms. Urbanczik–Senn runs under each learning signal
//! (docs/URBANCZIK.md): spike–spike's sparse archive is read by the same three schemes.

use evplast_kernel::archive::urbanczik::LearningSignal;
use evplast_kernel::record::WeightRecord;
use evplast_kernel::rng::{self, Rng};
use evplast_kernel::NodeId;
use evplast_models::builder::Scheme;
use evplast_models::{ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, SynSpec};
use rand::RngExt;

fn num(x: f64) -> ParamValue {
    ParamValue::Num(x)
}

fn map(kv: &[(&str, ParamValue)]) -> ParamMap {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn times(t: &[f64]) -> ParamValue {
    ParamValue::Array(t.iter().map(|x| num(*x)).collect())
}

/// A random spike train on the 0.1 ms grid, sorted, in (0, t_end).
fn train(r: &mut Rng, rate_hz: f64, t_end: f64) -> Vec<f64> {
    let mut t = 0.0;
    let mut out = Vec::new();
    loop {
        t += -(1.0 - r.random::<f64>()).ln() / rate_hz * 1000.0;
        let s = (t * 10.0).ceil() / 10.0;
        if s >= t_end {
            return out;
        }
        // Repeated times are kept: the parrot then fires with multiplicity > 1, and every
        // plastic synapse runs once per copy.
        out.push((s * 10.0).round() / 10.0);
        if r.random::<f64>() < 0.05 {
            out.push((s * 10.0).round() / 10.0);
        }
    }
}

fn delay(r: &mut Rng) -> f64 {
    (r.random_range(1..=25) as f64) / 10.0
}

struct Outcome {
    records: Vec<WeightRecord>,
    finals: Vec<(NodeId, NodeId, f64)>,
    spikes: u64,
    /// The schemes of the plastic tables, and those of the connect calls that made synapses.
    tables: Vec<Scheme>,
    asked: Vec<Scheme>,
    /// Entries written to the neurons' archives.
    entries: u64,
}

/// The rule of a random network: Clopath, or Urbanczik–Senn under a learning signal.
#[derive(Clone, Copy, Debug)]
enum Rule {
    Clopath,
    Urbanczik(LearningSignal),
}

/// Builds one random network (seed `seed`, rule chosen by `urbanczik`) and runs it, its
/// feed-forward and its recurrent plastic synapses in the schemes of `mix` (as given by the
/// connect call, else `scheme`).
fn run(seed: u64, rule: Rule, scheme: Scheme, mix: [Option<Scheme>; 2]) -> Outcome {
    let urbanczik = matches!(rule, Rule::Urbanczik(_));
    let mut r = rng::stream(seed, 99, 0);
    let cfg = KernelConfig {
        rng_seed: seed,
        scheme: scheme.into(),
        ..Default::default()
    };
    let mut b = NetworkBuilder::new(cfg).unwrap();
    let t_end = 400.0;
    let n = r.random_range(2..=4);
    let k = r.random_range(3..=8);
    let wr = b.create("weight_recorder", &[ParamMap::new()]).unwrap();
    let (nrn, plastic, weight_range, extra): (NodeId, &str, (f64, f64), ParamMap) =
        if let Rule::Urbanczik(signal) = rule {
            // Odd neurons' dendrites have τ_syn_in ≠ τ_syn_ex: the compressed scheme then
            // reads two groups per window, τ_s following each weight's sign.
            let ps: Vec<ParamMap> = (0..n)
                .map(|i| {
                    let mut p =
                        map(&[("learning_signal", ParamValue::Str(signal.as_str().into()))]);
                    if i % 2 == 1 {
                        let tau_in = num(r.random_range(4.0..8.0));
                        p.insert(
                            "dendritic".into(),
                            ParamValue::Table(map(&[("tau_syn_in", tau_in)])),
                        );
                    }
                    p
                })
                .collect();
            let first = b.create("pp_cond_exp_mc_urbanczik", &ps).unwrap();
            let mut sp = ParamMap::new();
            sp.insert("eta".into(), num(r.random_range(0.5..20.0)));
            sp.insert("tau_Delta".into(), num(r.random_range(20.0..150.0)));
            sp.insert("Wmax".into(), num(1500.0));
            (first, "urbanczik_synapse", (100.0, 600.0), sp)
        } else {
            let mut ps = Vec::new();
            for i in 0..n {
                let model_params = map(&[
                    ("V_m", num(r.random_range(-70.0..-55.0))),
                    ("V_peak", num(20.0)),
                    ("A_LTP", num(8.0e-4)),
                    ("A_LTD", num(14.0e-4)),
                    ("A_LTD_const", ParamValue::Bool(i % 2 == 0)),
                    ("u_ref_squared", num(3600.0)),
                    ("delay_u_bars", num(r.random_range(0..=5) as f64)),
                ]);
                ps.push(model_params);
            }
            let first = b.create("aeif_psc_delta_clopath", &ps).unwrap();
            let mut sp = ParamMap::new();
            sp.insert("Wmax".into(), num(12.0));
            sp.insert("tau_x".into(), num(r.random_range(5.0..25.0)));
            (first, "clopath_synapse", (2.0, 8.0), sp)
        };
    let gens: Vec<ParamMap> = (0..k)
        .map(|_| {
            let rate = r.random_range(10.0..60.0);
            map(&[("spike_times", times(&train(&mut r, rate, t_end)))])
        })
        .collect();
    let gen = b.create("spike_generator", &gens).unwrap();
    let parrots = b
        .create("parrot_neuron", &vec![ParamMap::new(); k])
        .unwrap();
    let id = |first: NodeId, i: usize| NodeId(first.0 + i as u32);
    let c = |s: NodeId, t: NodeId, w: f64, d: f64| ConnRequest {
        source: s,
        target: t,
        weight: Some(w),
        delay: Some(d),
    };
    let feed: Vec<_> = (0..k)
        .map(|i| c(id(gen, i), id(parrots, i), 1.0, 0.1))
        .collect();
    b.connect(&SynSpec::default(), &feed).unwrap();
    let receptor = urbanczik.then(|| ParamValue::Str("dendritic_exc".into()));
    let spec = SynSpec {
        synapse_model: plastic.into(),
        params: extra,
        receptor_type: receptor.clone(),
        weight_recorder: Some(wr),
        tag: 0,
        scheme: None,
    };
    let mut conns = Vec::new();
    for i in 0..k {
        for j in 0..n {
            if r.random::<f64>() < 0.8 {
                conns.push(c(
                    id(parrots, i),
                    id(nrn, j),
                    r.random_range(weight_range.0..weight_range.1),
                    delay(&mut r),
                ));
            }
        }
    }
    let ff = SynSpec {
        scheme: mix[0],
        ..spec.clone()
    };
    b.connect(&ff, &conns).unwrap();
    let mut asked = vec![mix[0].unwrap_or(scheme)];
    conns.clear();
    // Recurrent plastic connections among the neurons (no autapses).
    for i in 0..n {
        for j in 0..n {
            if i != j && r.random::<f64>() < 0.7 {
                conns.push(c(
                    id(nrn, i),
                    id(nrn, j),
                    r.random_range(weight_range.0..weight_range.1) * 0.5,
                    delay(&mut r),
                ));
            }
        }
    }
    let rec = SynSpec {
        scheme: mix[1],
        ..spec
    };
    b.connect(&rec, &conns).unwrap();
    if !conns.is_empty() {
        asked.push(mix[1].unwrap_or(scheme));
    }
    if urbanczik {
        // A somatic teacher current so that the somata spike now and then.
        let teacher = b
            .create(
                "step_current_generator",
                &[map(&[
                    ("amplitude_times", times(&[50.0, 150.0, 250.0])),
                    ("amplitude_values", times(&[400.0, -100.0, 600.0])),
                ])],
            )
            .unwrap();
        let soma_curr = SynSpec {
            receptor_type: Some(ParamValue::Str("soma_curr".into())),
            ..Default::default()
        };
        let tc: Vec<_> = (0..n).map(|j| c(teacher, id(nrn, j), 1.0, 0.1)).collect();
        b.connect(&soma_curr, &tc).unwrap();
    }
    let mut sim = b.build().unwrap();
    let tables = sim.network.shards[0]
        .synapses
        .iter()
        .filter_map(|t| t.scheme())
        .collect();
    sim.network
        .simulate((t_end * 10.0) as i64, &mut |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    let mut records = sim.network.weight_records[0].clone();
    records.sort_by_key(|w| (w.stamp, w.sender, w.target));
    let mut finals: Vec<_> = sim
        .network
        .plastic_connections()
        .iter()
        .map(|(_, c)| (c.source, c.target, c.weight))
        .collect();
    finals.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
    Outcome {
        records,
        finals,
        spikes: sim.network.counters.spikes_emitted,
        tables,
        asked,
        entries: {
            let (c, u) = sim.network.rule_counters();
            c.history_manipulations + u.history_manipulations
        },
    }
}

/// Relative difference, with `scale` as the smallest denominator: an Urbanczik weight is
/// `w0 + K(I1 − I2)`, whose terms are of the size of the initial weight, so rounding is relative
/// to that size even where the weight itself comes close to 0.
fn rel(a: f64, b: f64, scale: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs()).max(scale)
    }
}

fn compare(seed: u64, rule: Rule) -> (usize, u64) {
    let urbanczik = matches!(rule, Rule::Urbanczik(_));
    let reference = run(seed, rule, Scheme::Event, [None; 2]);
    // The smallest initial weight of the random networks (weight_range.0 · 0.5).
    let scale = if urbanczik { 50.0 } else { 1.0 };
    // Each scheme alone, then mixed: feed-forward and recurrent synapses onto the same
    // neurons in different schemes share the neurons' archives (ARCHITECTURE.md).
    use Scheme::{Compressed, Event, Time};
    for (scheme, mix) in [
        (Time, [None; 2]),
        (Compressed, [None; 2]),
        (Event, [Some(Compressed), Some(Time)]),
        (Event, [Some(Event), Some(Compressed)]),
        (Event, [Some(Time), Some(Event)]),
    ] {
        let o = run(seed, rule, scheme, mix);
        let what = format!("seed {seed}, {rule:?}, {scheme:?} {mix:?} vs Event");
        let mut want = o.asked.clone();
        want.dedup();
        let mut got = o.tables.clone();
        got.sort_by_key(|s| s.as_str());
        want.sort_by_key(|s| s.as_str());
        assert_eq!(got, want, "{what}: the tables' schemes");
        assert_eq!(o.spikes, reference.spikes, "{what}: spike counts differ");
        assert_eq!(
            o.records.len(),
            reference.records.len(),
            "{what}: weight_recorder rows differ"
        );
        for (x, y) in o.records.iter().zip(&reference.records) {
            assert_eq!(
                (x.stamp, x.sender, x.target),
                (y.stamp, y.sender, y.target),
                "{what}"
            );
            let d = rel(x.weight, y.weight, scale);
            assert!(d <= 1e-10, "{what}: {x:?} vs {y:?} (rel {d:.2e})");
        }
        assert_eq!(o.finals.len(), reference.finals.len());
        for (x, y) in o.finals.iter().zip(&reference.finals) {
            assert!(
                rel(x.2, y.2, scale) <= 1e-10,
                "{what}: final {x:?} vs {y:?}"
            );
        }
    }
    (reference.records.len(), reference.entries)
}

#[test]
fn clopath_schemes_agree_on_random_networks() {
    let mut rows = 0;
    for seed in 1..=12 {
        rows += compare(seed, Rule::Clopath).0;
    }
    // The networks must actually exercise the rule.
    assert!(rows > 1000, "only {rows} plastic spikes in all networks");
}

/// Runs seeds `seeds` under `signal`; returns the archive entries per neuron-step.
fn urbanczik(signal: LearningSignal, seeds: std::ops::RangeInclusive<u64>) -> f64 {
    let (mut rows, mut entries, mut neuron_steps) = (0, 0, 0);
    for seed in seeds {
        let (r, e) = compare(seed, Rule::Urbanczik(signal));
        rows += r;
        entries += e;
        // As in `run`: 2..=4 neurons, 4000 steps.
        let mut r = rng::stream(seed, 99, 0);
        neuron_steps += r.random_range(2..=4u64) * 4000;
    }
    assert!(rows > 500, "only {rows} plastic spikes in all networks");
    entries as f64 / neuron_steps as f64
}

#[test]
fn urbanczik_schemes_agree_on_random_networks() {
    let density = urbanczik(LearningSignal::SpikeRate, 101..=112);
    assert_eq!(density, 1.0, "spike-rate archives every step");
}

#[test]
fn urbanczik_rate_rate_schemes_agree_on_random_networks() {
    let density = urbanczik(LearningSignal::RateRate, 113..=118);
    assert_eq!(density, 1.0, "rate-rate archives every step");
}

#[test]
fn urbanczik_spike_spike_schemes_agree_on_random_networks() {
    // Sparse: only steps where somatic and dendritic spike counts differ.
    let density = urbanczik(LearningSignal::SpikeSpike, 119..=130);
    assert!(
        density > 1e-3 && density < 0.1,
        "spike-spike archive density {density}"
    );
}
