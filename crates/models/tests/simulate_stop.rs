//! `Network::simulate` stops at the slice boundary where its progress callback returns
//! `Break` (how the CLI honours SIGINT), and a stopped run resumed for the remaining steps
//! gives exactly the spikes and weights of an uninterrupted one: stopping loses nothing.

use std::ops::ControlFlow;

use evplast_kernel::NodeId;
use evplast_models::{
    ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, Simulation, SynSpec,
};

fn map(kv: &[(&str, ParamValue)]) -> ParamMap {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// A spike generator → parrot → clopath_synapse → an aeif neuron driven to spike by I_e, both
/// spiking neurons recorded; every delay 1 ms, so slices are 10 steps of 0.1 ms.
fn build() -> Simulation {
    let mut b = NetworkBuilder::new(KernelConfig::default()).unwrap();
    let times = (1..40).map(|k| ParamValue::Num(k as f64 * 2.5)).collect();
    let gen = b
        .create(
            "spike_generator",
            &[map(&[("spike_times", ParamValue::Array(times))])],
        )
        .unwrap();
    let parrot = b.create("parrot_neuron", &[ParamMap::new()]).unwrap();
    let nrn = b
        .create(
            "aeif_psc_delta_clopath",
            &[map(&[("I_e", ParamValue::Num(600.0))])],
        )
        .unwrap();
    let sr = b.create("spike_recorder", &[ParamMap::new()]).unwrap();
    let c = |s: NodeId, t: NodeId, w: f64| ConnRequest {
        source: s,
        target: t,
        weight: Some(w),
        delay: Some(1.0),
    };
    b.connect(
        &SynSpec::default(),
        &[c(gen, parrot, 1.0), c(parrot, sr, 1.0), c(nrn, sr, 1.0)],
    )
    .unwrap();
    let clopath = SynSpec {
        synapse_model: "clopath_synapse".into(),
        ..Default::default()
    };
    b.connect(&clopath, &[c(parrot, nrn, 20.0)]).unwrap();
    b.build().unwrap()
}

fn spikes(sim: &Simulation) -> Vec<(i64, u32)> {
    let mut v: Vec<(i64, u32)> = sim.network.spike_recording.events[0]
        .iter()
        .map(|e| (e.stamp, e.sender.0))
        .collect();
    v.sort();
    v
}

fn weights(sim: &Simulation) -> Vec<f64> {
    let conns = sim.network.plastic_connections();
    conns.iter().map(|(_, c)| c.weight).collect()
}

#[test]
fn break_stops_at_the_slice_boundary_and_resuming_changes_nothing() {
    let steps = 1000;
    let mut full = build();
    full.network
        .simulate(steps, &mut |_| ControlFlow::Continue(()))
        .unwrap();
    assert_eq!(full.network.now, steps);
    let (full_spikes, full_weights) = (spikes(&full), weights(&full));
    assert!(
        full_spikes.iter().any(|s| s.1 == 3) && full_spikes.len() > 40,
        "the fixture should make both neurons spike: {full_spikes:?}"
    );

    let mut stopped = build();
    let mut seen = Vec::new();
    // The callback runs only at slice ends, so asking to stop from step 395 on ends the run at
    // step 400, the end of that slice.
    stopped
        .network
        .simulate(steps, &mut |now| {
            seen.push(now);
            if now >= 395 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(stopped.network.now, 400);
    assert_eq!(seen, (1..=40).map(|k| k * 10).collect::<Vec<_>>());
    let prefix: Vec<_> = full_spikes.iter().copied().filter(|s| s.0 <= 400).collect();
    assert_eq!(spikes(&stopped), prefix, "spikes up to the stop");

    stopped
        .network
        .simulate(steps - 400, &mut |_| ControlFlow::Continue(()))
        .unwrap();
    assert_eq!(stopped.network.now, steps);
    assert_eq!(spikes(&stopped), full_spikes);
    assert_eq!(weights(&stopped), full_weights);
}
