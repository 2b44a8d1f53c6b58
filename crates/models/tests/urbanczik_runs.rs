//! `urbanczik_synapse` keeps its presynaptic traces once per run of rows (one source, one
//! projection, targets whose dendrites share τ_L and τ_s = τ_syn_ex = τ_syn_in), and per row
//! where they differ. Sharing must change nothing: the weights a source's synapses onto several
//! targets reach together equal, bit for bit, those each synapse reaches in a network of its
//! target alone — in every scheme, with repeated spikes (multiplicity 2), for targets that share
//! their time constants, targets with τ_syn_ex ≠ τ_syn_in (whose τ_s follows the sign of the
//! weight, which here reaches 0 at Wmin), and targets with different τ_L.

use evplast_kernel::NodeId;
use evplast_models::builder::Scheme;
use evplast_models::{ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, SynSpec};

fn num(x: f64) -> ParamValue {
    ParamValue::Num(x)
}

fn map(kv: &[(&str, ParamValue)]) -> ParamMap {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn arr(v: &[f64]) -> ParamValue {
    ParamValue::Array(v.iter().map(|x| num(*x)).collect())
}

/// A target neuron: dendritic C_m, tau_syn_ex, tau_syn_in.
type Dendrite = (f64, f64, f64);

/// Simulates one source onto `targets` (one connect call; onto target `only` alone if given,
/// the others created all the same: the neurons' random streams are keyed by their ids) and
/// returns every target's weight records (stamp, weight), in target order.
fn run(targets: &[Dendrite], scheme: Scheme, w0: f64, only: Option<usize>) -> Vec<Vec<(i64, f64)>> {
    let w0s = vec![w0; targets.len()];
    run_with(targets, scheme, &w0s, only, &[])
}

/// [`run`] with initial weight `w0s[i]` onto target `i`, and `sets`: at step `s`, the weight of
/// the connection onto target `i` is set to `w` (NEST's SetStatus between runs).
fn run_with(
    targets: &[Dendrite],
    scheme: Scheme,
    w0s: &[f64],
    only: Option<usize>,
    sets: &[(i64, usize, f64)],
) -> Vec<Vec<(i64, f64)>> {
    let mut b = NetworkBuilder::new(KernelConfig {
        rng_seed: 7,
        scheme: scheme.into(),
        ..Default::default()
    })
    .unwrap();
    let c = |s: NodeId, t: NodeId, w: f64, d: f64| ConnRequest {
        source: s,
        target: t,
        weight: Some(w),
        delay: Some(d),
    };
    // Spikes every ~7 ms, some twice in one step (the parrot repeats them with multiplicity 2).
    let mut times: Vec<f64> = (1..60)
        .map(|i| (i as f64 * 6.9 * 10.0).round() / 10.0)
        .collect();
    times.extend([69.0, 138.0, 207.0]);
    times.sort_by(f64::total_cmp);
    let gen = b
        .create("spike_generator", &[map(&[("spike_times", arr(&times))])])
        .unwrap();
    let parrot = b.create("parrot_neuron", &[ParamMap::new()]).unwrap();
    b.connect(&SynSpec::default(), &[c(gen, parrot, 1.0, 0.1)])
        .unwrap();
    let wr = b.create("weight_recorder", &[ParamMap::new()]).unwrap();
    let mut nrns = Vec::new();
    for &(c_m, ex, inh) in targets {
        let dend = map(&[
            ("C_m", num(c_m)),
            ("tau_syn_ex", num(ex)),
            ("tau_syn_in", num(inh)),
        ]);
        let n = b
            .create(
                "pp_cond_exp_mc_urbanczik",
                &[map(&[("dendritic", ParamValue::Table(dend))])],
            )
            .unwrap();
        // A somatic drive so that the soma fires now and then.
        let drive_times: Vec<f64> = (1..400).map(|i| i as f64).collect();
        let drive = b
            .create(
                "spike_generator",
                &[map(&[
                    ("spike_times", arr(&drive_times)),
                    ("spike_weights", arr(&vec![11.0; 399])),
                ])],
            )
            .unwrap();
        let soma = SynSpec {
            receptor_type: Some(ParamValue::Str("soma_exc".into())),
            ..Default::default()
        };
        b.connect(&soma, &[c(drive, n, 1.0, 0.1)]).unwrap();
        nrns.push(n);
    }
    let us = SynSpec {
        synapse_model: "urbanczik_synapse".into(),
        params: map(&[
            ("eta", num(40.0)),
            ("Wmin", num(0.0)),
            ("Wmax", num(1350.0)),
        ]),
        receptor_type: Some(ParamValue::Str("dendritic_exc".into())),
        weight_recorder: Some(wr),
        ..Default::default()
    };
    let conns: Vec<_> = nrns
        .iter()
        .enumerate()
        .filter(|&(i, _)| only.is_none_or(|o| o == i))
        .map(|(i, &n)| c(parrot, n, w0s[i], 0.5))
        .collect();
    b.connect(&us, &conns).unwrap();
    let mut sim = b.build().unwrap();
    let mut now = 0;
    for &(at, i, w) in sets.iter().chain([&(4000, usize::MAX, 0.0)]) {
        sim.network
            .simulate(at - now, &mut |_| std::ops::ControlFlow::Continue(()))
            .unwrap();
        now = at;
        if i == usize::MAX {
            break;
        }
        let shard = &mut sim.network.shards[0];
        let owner = &shard.channel_owner;
        let t = shard
            .synapses
            .iter()
            .position(|t| t.model() == "urbanczik_synapse")
            .unwrap();
        let row = (0..shard.synapses[t].len())
            .find(|&r| owner[shard.synapses[t].columns().channel[r] as usize] == nrns[i].0)
            .unwrap();
        let res = sim.network.res;
        shard.synapses[t]
            .set_conn(row, &map(&[("weight", num(w))]), res)
            .unwrap();
    }
    nrns.iter()
        .map(|&n| {
            sim.network.weight_records[0]
                .iter()
                .filter(|w| w.target == n)
                .map(|w| (w.stamp, w.weight))
                .collect()
        })
        .collect()
}

#[test]
fn shared_traces_give_each_synapse_its_own_weights_bit_for_bit() {
    let same = (300.0, 3.0, 3.0);
    let split_s = (300.0, 3.0, 6.0);
    let other_l = (150.0, 3.0, 3.0);
    let mut hit_zero = false;
    for scheme in [Scheme::Event, Scheme::Compressed, Scheme::Time] {
        for targets in [
            vec![same, same, same],
            vec![split_s, split_s],
            vec![same, other_l, same, split_s],
        ] {
            for w0 in [40.0, 2.0] {
                let together = run(&targets, scheme, w0, None);
                for i in 0..targets.len() {
                    let alone = run(&targets, scheme, w0, Some(i));
                    assert!(!alone[i].is_empty(), "no spikes reached the synapse");
                    assert_eq!(
                        together[i], alone[i],
                        "{scheme:?} {targets:?} w0 {w0}: target {i} differs"
                    );
                    hit_zero |= alone[i].iter().any(|&(_, w)| w == 0.0);
                }
            }
        }
    }
    // A weight at 0 switches τ_s from τ_syn_ex to τ_syn_in: the case runs must not share.
    assert!(hit_zero, "no weight reached Wmin = 0");
}

/// Initial weights are stored once per projection while its connections share one, and per
/// connection once they differ (connected so, or set so). Both stores must give the same
/// weights bit for bit: a projection connected with one weight and one connection's weight set
/// between runs, against the same done with the store per connection from the start (one
/// weight connected differently, then set to the shared value before the first run).
#[test]
fn initial_weights_stored_once_or_per_connection_give_the_same_weights() {
    let same = (300.0, 3.0, 3.0);
    let targets = [same, same, same];
    for scheme in [Scheme::Event, Scheme::Compressed, Scheme::Time] {
        let shared = run_with(&targets, scheme, &[40.0; 3], None, &[(2000, 1, 20.0)]);
        let per_row = run_with(
            &targets,
            scheme,
            &[40.0, 41.0, 40.0],
            None,
            &[(0, 1, 40.0), (2000, 1, 20.0)],
        );
        assert_eq!(shared, per_row, "{scheme:?}");
        // The set changed the weights of its connection only.
        let unset = run_with(&targets, scheme, &[40.0; 3], None, &[]);
        assert_ne!(
            shared[1], unset[1],
            "{scheme:?}: the set weight had no effect"
        );
        assert_eq!(shared[0], unset[0], "{scheme:?}");
        assert_eq!(shared[2], unset[2], "{scheme:?}");
    }
}
