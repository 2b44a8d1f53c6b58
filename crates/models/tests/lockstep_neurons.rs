//! The lockstep integration of aeif_psc_delta_clopath (chunks of neurons take their first
//! sub-step of a step together) changes nothing: nine neurons in one population (two full chunks
//! and a remainder) give bit for bit the state traces and spikes of the same nine neurons
//! created one per population, which never run in lockstep. The neurons differ in drive and
//! parameters so that chunks mix free, clamped, refractory, rejected and multi-sub-step neurons.

use std::collections::BTreeMap;

use evplast_kernel::NodeId;
use evplast_models::neurons::aeif_psc_delta_clopath::RECORDABLES;
use evplast_models::{ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, SynSpec};

fn map(kv: &[(&str, f64)]) -> ParamMap {
    kv.iter()
        .map(|(k, v)| (k.to_string(), ParamValue::Num(*v)))
        .collect()
}

/// Neuron `i`'s parameters.
fn neuron(i: usize) -> ParamMap {
    let mut p = map(&[("I_e", 1000.0 + 80.0 * i as f64)]);
    match i {
        2 => p.extend(map(&[("t_ref", 1.5)])),
        4 => p.extend(map(&[("Delta_T", 0.0)])),
        5 => p.extend(map(&[("gsl_error_tol", 1e-8), ("a", 1.0)])),
        7 => p.extend(map(&[("V_m", -55.0), ("t_clamp", 0.0)])),
        _ => {}
    }
    p
}

/// Input spike times of neuron `i` (ms), from a small LCG: irregular and different per neuron.
fn input_times(i: usize) -> Vec<f64> {
    let mut x: u64 = 12345 + 977 * i as u64;
    let mut t = 1.0;
    let mut out = Vec::new();
    while t < 290.0 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        t += 0.1 * (1 + (x >> 33) % 40) as f64;
        out.push((t * 10.0).round() / 10.0);
    }
    out
}

type Trace = BTreeMap<(u32, i64), Vec<u64>>;

/// Runs the nine neurons, one population (`together`) or one population each.
fn run(together: bool) -> (Trace, Vec<(u32, i64)>) {
    let n = 9;
    let mut b = NetworkBuilder::new(KernelConfig::default()).unwrap();
    let params: Vec<ParamMap> = (0..n).map(neuron).collect();
    let neurons: Vec<NodeId> = if together {
        let first = b.create("aeif_psc_delta_clopath", &params).unwrap();
        (0..n as u32).map(|i| NodeId(first.0 + i)).collect()
    } else {
        params
            .iter()
            .map(|p| {
                b.create("aeif_psc_delta_clopath", std::slice::from_ref(p))
                    .unwrap()
            })
            .collect()
    };
    // Every state variable.
    let fields: Vec<ParamValue> = RECORDABLES
        .iter()
        .map(|f| ParamValue::Str(f.to_string()))
        .collect();
    assert_eq!(fields.len(), 7);
    let mut mm = map(&[("interval", 0.1)]);
    mm.insert("record_from".into(), ParamValue::Array(fields));
    let mm = b.create("multimeter", &[mm]).unwrap();
    let sr = b.create("spike_recorder", &[ParamMap::new()]).unwrap();
    let mut conns = Vec::new();
    for (i, &nrn) in neurons.iter().enumerate() {
        let times = input_times(i).into_iter().map(ParamValue::Num).collect();
        let mut g = ParamMap::new();
        g.insert("spike_times".into(), ParamValue::Array(times));
        let gen = b.create("spike_generator", &[g]).unwrap();
        conns.push(ConnRequest {
            source: gen,
            target: nrn,
            weight: Some(if i % 3 == 0 { 6.0 } else { -2.5 }),
            delay: Some(1.0),
        });
        conns.push(ConnRequest {
            source: mm,
            target: nrn,
            weight: None,
            delay: None,
        });
        conns.push(ConnRequest {
            source: nrn,
            target: sr,
            weight: None,
            delay: None,
        });
    }
    b.connect(&SynSpec::default(), &conns).unwrap();
    let mut sim = b.build().unwrap();
    sim.network
        .simulate(3000, &mut |_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    sim.network.drain_samples();
    let d = &sim.network.multimeters[0];
    let w = d.fields.len();
    let mut trace = Trace::new();
    for (r, (s, t)) in d.senders.iter().zip(&d.stamps).enumerate() {
        let bits = d.values[r * w..(r + 1) * w].iter().map(|v| v.to_bits());
        trace.insert((s.0, *t), bits.collect());
    }
    let spikes = sim.network.spike_recording.events[0]
        .iter()
        .map(|e| (e.sender.0, e.stamp))
        .collect();
    (trace, spikes)
}

#[test]
fn lockstep_population_equals_single_neuron_populations() {
    let (trace_a, spikes_a) = run(true);
    let (trace_b, spikes_b) = run(false);
    assert_eq!(trace_a.len(), 9 * 3000);
    assert_eq!(trace_a.len(), trace_b.len());
    for (key, a) in &trace_a {
        assert_eq!(
            Some(a),
            trace_b.get(key),
            "state differs at (node, stamp) {key:?}"
        );
    }
    assert_eq!(spikes_a, spikes_b);
    // The drive makes most neurons fire repeatedly, so clamps and rejections occur.
    let firing = (1..=9u32)
        .filter(|&n| spikes_a.iter().filter(|s| s.0 == n).count() >= 3)
        .count();
    assert!(
        firing >= 6,
        "only {firing} neurons fire ≥ 3 times: {spikes_a:?}"
    );
}
