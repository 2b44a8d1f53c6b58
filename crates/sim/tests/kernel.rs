//! The library front end as a user drives it: chunked runs against one run, recorder windows
//! against an unwindowed recorder of the same spikes, status before and after the build, and
//! the error classes.

use std::ops::ControlFlow;

use evplast_kernel::NodeId;
use evplast_models::builder::Scheme;
use evplast_models::{KernelConfig, ParamMap, ParamValue};
use evplast_sim::kernel::Events;
use evplast_sim::{
    ConnSpec, Dist, Draw, ErrorKind, Kernel, NodeParamSpec, Options, Param, SynapseSpec,
};

fn num(x: f64) -> Param {
    Param::Value(ParamValue::Num(x))
}

fn map(kv: &[(&str, ParamValue)]) -> ParamMap {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn ids(first: NodeId, n: u32) -> Vec<NodeId> {
    (0..n).map(|i| NodeId(first.0 + i)).collect()
}

/// A multimeter of V_m every `interval` ms.
fn v_m_multimeter(k: &mut Kernel, interval: f64) -> NodeId {
    let record_from = ParamValue::Array(vec![ParamValue::Str("V_m".into())]);
    k.create(
        "multimeter",
        1,
        NodeParamSpec::Same(&[
            ("record_from".into(), Param::Value(record_from)),
            ("interval".into(), num(interval)),
        ]),
    )
    .unwrap()
}

fn run(k: &mut Kernel, t: f64) {
    k.simulate(t, &mut |_| ControlFlow::Continue(())).unwrap();
}

/// Poisson inputs through parrots onto aeif_psc_delta_clopath neurons with clopath synapses
/// (weights drawn), a weight recorder, spike recorders (one windowed), a multimeter.
struct Net {
    k: Kernel,
    nrn: Vec<NodeId>,
    sr_all: NodeId,
    sr_win: NodeId,
    wr: NodeId,
    mm: NodeId,
    pg: Vec<NodeId>,
}

fn clopath_net(scheme: Scheme) -> Net {
    let cfg = KernelConfig {
        scheme: scheme.into(),
        rng_seed: 7,
        ..KernelConfig::default()
    };
    let mut k = Kernel::new(cfg, Options::default()).unwrap();
    let pg = k
        .create(
            "poisson_generator",
            20,
            NodeParamSpec::Same(&[("rate".into(), num(40.0))]),
        )
        .unwrap();
    let prrt = k.create("parrot_neuron", 20, NodeParamSpec::None).unwrap();
    let nrn = k
        .create(
            "aeif_psc_delta_clopath",
            3,
            NodeParamSpec::Same(&[(
                "V_m".into(),
                Param::Dist(Dist::new("normal", &[("mean", -65.0), ("std", 3.0)], "V_m").unwrap()),
            )]),
        )
        .unwrap();
    let wr = k.create("weight_recorder", 1, NodeParamSpec::None).unwrap();
    let sr_all = k.create("spike_recorder", 1, NodeParamSpec::None).unwrap();
    let sr_win = k
        .create(
            "spike_recorder",
            1,
            NodeParamSpec::Same(&[
                ("origin".into(), num(10.0)),
                ("start".into(), num(20.0)),
                ("stop".into(), num(60.0)),
            ]),
        )
        .unwrap();
    let mm = v_m_multimeter(&mut k, 0.5);
    let one_to_one = ConnSpec {
        rule: "one_to_one".into(),
        ..ConnSpec::default()
    };
    k.connect(
        &ids(pg, 20),
        &ids(prrt, 20),
        &one_to_one,
        &SynapseSpec::default(),
    )
    .unwrap();
    k.copy_model(
        "clopath_synapse",
        "clopath_rec",
        &map(&[
            ("weight_recorder", ParamValue::Num(wr.0 as f64)),
            ("Wmax", ParamValue::Num(60.0)),
        ]),
    )
    .unwrap();
    let syn = SynapseSpec {
        synapse_model: "clopath_rec".into(),
        weight: Draw::Dist(Dist::new("uniform", &[("min", 20.0), ("max", 40.0)], "w").unwrap()),
        delay: Draw::Fixed(1.0),
        ..SynapseSpec::default()
    };
    let indeg = ConnSpec {
        rule: "fixed_indegree".into(),
        count: Some(("indegree".into(), 12.0)),
        ..ConnSpec::default()
    };
    k.connect(&ids(prrt, 20), &ids(nrn, 3), &indeg, &syn)
        .unwrap();
    for sr in [sr_all, sr_win] {
        k.connect(
            &ids(prrt, 20),
            &[sr],
            &ConnSpec::default(),
            &SynapseSpec::default(),
        )
        .unwrap();
        k.connect(
            &ids(nrn, 3),
            &[sr],
            &ConnSpec::default(),
            &SynapseSpec::default(),
        )
        .unwrap();
    }
    k.connect(
        &[mm],
        &ids(nrn, 3),
        &ConnSpec::default(),
        &SynapseSpec::default(),
    )
    .unwrap();
    Net {
        k,
        nrn: ids(nrn, 3),
        sr_all,
        sr_win,
        wr,
        mm,
        pg: ids(pg, 20),
    }
}

fn everything(n: &mut Net) -> (Vec<Events>, Vec<f64>) {
    n.k.drain_samples();
    let ev = [n.sr_all, n.sr_win, n.wr, n.mm]
        .iter()
        .map(|&r| n.k.events(r).unwrap())
        .collect();
    let w =
        n.k.connections(None, None, Some("clopath_synapse"))
            .unwrap()
            .weight;
    (ev, w)
}

#[test]
fn chunked_simulate_equals_one_simulate_in_every_scheme() {
    for scheme in [Scheme::Event, Scheme::Compressed, Scheme::Time] {
        let mut one = clopath_net(scheme);
        run(&mut one.k, 150.0);
        let mut chunks = clopath_net(scheme);
        for t in [0.1, 33.3, 0.0, 50.0, 16.6, 50.0] {
            run(&mut chunks.k, t);
        }
        assert_eq!(chunks.k.biological_time(), 150.0);
        let (a, b) = (everything(&mut one), everything(&mut chunks));
        assert!(
            a.0[0].times.len() > 100,
            "the network spikes: {}",
            a.0[0].times.len()
        );
        assert!(!a.0[2].weights.is_empty(), "weights are recorded");
        assert_eq!(a, b, "{scheme:?}");
    }
}

#[test]
fn a_recorder_window_keeps_exactly_the_events_inside_it() {
    let mut n = clopath_net(Scheme::Event);
    run(&mut n.k, 100.0);
    let all = n.k.events(n.sr_all).unwrap();
    let win = n.k.events(n.sr_win).unwrap();
    // NEST's rule for recorders: origin + start < t <= origin + stop.
    let expect: Vec<(i64, i64)> = all
        .stamps
        .iter()
        .zip(&all.senders)
        .filter(|(s, _)| **s > 300 && **s <= 700)
        .map(|(s, n)| (*s, *n))
        .collect();
    let got: Vec<(i64, i64)> = win
        .stamps
        .iter()
        .copied()
        .zip(win.senders.iter().copied())
        .collect();
    assert!(!expect.is_empty());
    assert_eq!(got, expect);

    // Widened between runs: the window applies from now on, earlier events stay.
    n.k.set_status(n.sr_win, &map(&[("stop", ParamValue::Num(f64::INFINITY))]))
        .unwrap();
    run(&mut n.k, 50.0);
    let all = n.k.events(n.sr_all).unwrap();
    let win = n.k.events(n.sr_win).unwrap();
    let expect: Vec<i64> = all
        .stamps
        .iter()
        .copied()
        .filter(|s| (*s > 300 && *s <= 700) || *s > 1000)
        .collect();
    assert_eq!(win.stamps, expect);
    let st = n.k.get_status(n.sr_win).unwrap();
    assert_eq!(
        st.get("n_events"),
        Some(&ParamValue::Num(expect.len() as f64))
    );
}

#[test]
fn status_before_the_build_is_the_status_after_it() {
    let mut n = clopath_net(Scheme::Event);
    let before: Vec<ParamMap> = n.nrn.iter().map(|&i| n.k.get_status(i).unwrap()).collect();
    n.k.prepare().unwrap();
    let after: Vec<ParamMap> = n.nrn.iter().map(|&i| n.k.get_status(i).unwrap()).collect();
    assert_eq!(before, after);
    // Drawn V_m differ between nodes; defaults are NEST's.
    assert_ne!(before[0].get("V_m"), before[1].get("V_m"));
    assert_eq!(before[0].get("C_m"), Some(&ParamValue::Num(281.0)));
    assert_eq!(
        before[0].get("model"),
        Some(&ParamValue::Str("aeif_psc_delta_clopath".into()))
    );
}

#[test]
fn a_rate_set_to_zero_between_runs_silences_the_inputs() {
    let mut n = clopath_net(Scheme::Event);
    run(&mut n.k, 50.0);
    for &g in &n.pg {
        n.k.set_status(g, &map(&[("rate", ParamValue::Num(0.0))]))
            .unwrap();
    }
    let before = n.k.events(n.sr_all).unwrap().times.len();
    run(&mut n.k, 50.0);
    let ev = n.k.events(n.sr_all).unwrap();
    // Parrots relay what arrived up to one delay (1 ms) after the change, nothing later.
    let late = ev
        .times
        .iter()
        .zip(&ev.senders)
        .filter(|(t, s)| **t > 52.0 && **s <= 40)
        .count();
    assert!(before > 0);
    assert_eq!(late, 0);
    assert_eq!(
        n.k.get_status(n.pg[0]).unwrap().get("rate"),
        Some(&ParamValue::Num(0.0))
    );
}

#[test]
fn refusals_carry_nest_error_classes() {
    fn kind<T>(r: Result<T, evplast_sim::ApiError>) -> ErrorKind {
        r.map(|_| ()).unwrap_err().kind
    }
    let mut n = clopath_net(Scheme::Event);
    assert_eq!(
        kind(n.k.create("no_such_model", 1, NodeParamSpec::None)),
        ErrorKind::UnknownModelName
    );
    assert_eq!(
        kind(n.k.create(
            "parrot_neuron",
            1,
            NodeParamSpec::Same(&[("V_m".into(), num(1.0))])
        )),
        ErrorKind::UnaccessedDictionaryEntry
    );
    assert_eq!(
        kind(n.k.create(
            "aeif_psc_delta_clopath",
            1,
            NodeParamSpec::Same(&[("C_m".into(), num(-1.0))])
        )),
        ErrorKind::BadProperty
    );
    // A clopath synapse onto a parrot (no Clopath archive).
    let syn = SynapseSpec {
        synapse_model: "clopath_synapse".into(),
        ..SynapseSpec::default()
    };
    assert_eq!(
        kind(n.k.connect(&n.nrn, &[NodeId(21)], &ConnSpec::default(), &syn)),
        ErrorKind::IllegalConnection
    );
    // A connect call's `scheme`: a scheme by name, and only on plastic synapses.
    let with_scheme = |model: &str, s: &str| SynapseSpec {
        synapse_model: model.into(),
        params: vec![("scheme".into(), Param::Value(ParamValue::Str(s.into())))],
        ..SynapseSpec::default()
    };
    for (model, s, why) in [
        ("clopath_synapse", "fast", "'fast' is not a scheme"),
        ("clopath_synapse", "auto", "'auto' is not a scheme"),
        (
            "static_synapse",
            "event",
            "static_synapse has no update scheme",
        ),
    ] {
        let e =
            n.k.connect(&n.nrn, &n.nrn, &ConnSpec::default(), &with_scheme(model, s))
                .unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadProperty, "{e}");
        assert!(
            e.to_string().contains("syn_spec.scheme") && e.to_string().contains(why),
            "{e}"
        );
    }
    assert_eq!(
        kind(n.k.connect(
            &[NodeId(100_000)],
            &n.nrn,
            &ConnSpec::default(),
            &SynapseSpec::default()
        )),
        ErrorKind::UnknownNode
    );
    assert_eq!(
        kind(n.k.simulate(0.05, &mut |_| ControlFlow::Continue(()))),
        ErrorKind::BadParameter
    );
    assert_eq!(
        kind(n.k.simulate(1e300, &mut |_| ControlFlow::Continue(()))),
        ErrorKind::BadParameter
    );
    run(&mut n.k, 1.0);
    // After a run: nodes can be added, delays outside min..max_delay cannot (tests/grow.rs).
    let p = n.k.create("parrot_neuron", 1, NodeParamSpec::None).unwrap();
    let late = SynapseSpec {
        delay: Draw::Fixed(5.0),
        ..SynapseSpec::default()
    };
    assert_eq!(
        kind(n.k.connect(&[p], &[p], &ConnSpec::default(), &late)),
        ErrorKind::BadDelay
    );
}

/// NEST 3.10 (measured: multimeter interval 0.1 ms onto aeif_psc_delta_clopath, min_delay 1 ms)
/// shows a multimeter's last sample at 10.0 ms after Simulate(10.5), still 10.0 after 0.2 and
/// 0.2 ms more, and 11.0 after another 0.2 ms: samples after the start of the last aligned
/// min_delay slice appear only after the next Simulate.
#[test]
fn multimeter_samples_of_the_last_slice_appear_after_the_next_run() {
    let mut k = Kernel::new(KernelConfig::default(), Options::default()).unwrap();
    let n = k
        .create("aeif_psc_delta_clopath", 1, NodeParamSpec::None)
        .unwrap();
    let mm = v_m_multimeter(&mut k, 0.1);
    let syn = SynapseSpec {
        delay: Draw::Fixed(1.0),
        ..SynapseSpec::default()
    };
    k.connect(&[mm], &[n], &ConnSpec::default(), &syn).unwrap();
    let mut last = Vec::new();
    for t in [10.5, 0.2, 0.2, 0.2] {
        run(&mut k, t);
        k.drain_samples();
        last.push(*k.events(mm).unwrap().times.last().unwrap());
    }
    assert_eq!(last, vec![10.0, 10.0, 10.0, 11.0]);
}

/// Counts and distributions are checked by the kernel itself, whichever front end calls it.
#[test]
fn counts_and_distributions_are_checked_by_the_kernel() {
    let mut k = Kernel::new(KernelConfig::default(), Options::default()).unwrap();
    let a = k.create("parrot_neuron", 5, NodeParamSpec::None).unwrap();
    let pre = ids(a, 5);
    for v in [-1.0, 2.5, f64::NAN, 1e300] {
        let conn = ConnSpec {
            rule: "fixed_indegree".into(),
            count: Some(("indegree".into(), v)),
            ..ConnSpec::default()
        };
        let e = k
            .connect(&pre, &pre, &conn, &SynapseSpec::default())
            .unwrap_err();
        assert_eq!(
            (e.kind, e.at.as_str()),
            (ErrorKind::BadParameter, "conn_spec.indegree"),
            "{v}"
        );
        assert!(e.message.contains("whole number"), "{}", e.message);
    }
    for name in ["normal", "lognormal"] {
        let e = Dist::new(name, &[("std", -0.5)], "V_m").unwrap_err();
        assert!(e.message.contains("std must be >= 0"), "{}", e.message);
    }
    assert_eq!(k.n_nodes(), 5, "nothing was made by the refused calls");
    assert_eq!(
        k.summary().unwrap().n_connections,
        0,
        "nothing was connected by the refused calls"
    );
}

/// Random values given to SetStatus are drawn per node from streams keyed by node id and
/// call: the same calls give the same values whatever nodes are set alongside, and each node
/// and each call draws its own.
#[test]
fn set_status_draws_per_node_and_call() {
    let v_m = |k: &Kernel, id: NodeId| match k.get_status(id).unwrap().get("V_m") {
        Some(ParamValue::Num(x)) => *x,
        other => panic!("{other:?}"),
    };
    let normal = [(
        "V_m".to_string(),
        Param::Dist(Dist::new("normal", &[("mean", -60.0), ("std", 5.0)], "V_m").unwrap()),
    )];
    let make = || {
        let mut k = Kernel::new(KernelConfig::default(), Options::default()).unwrap();
        let a = k
            .create("aeif_psc_delta_clopath", 4, NodeParamSpec::None)
            .unwrap();
        (k, ids(a, 4))
    };
    let (mut all, n) = make();
    all.set_status_drawn(&n, &normal).unwrap();
    let (mut some, m) = make();
    some.set_status_drawn(&m[2..], &normal).unwrap();
    assert_eq!(v_m(&all, n[2]), v_m(&some, m[2]));
    assert_eq!(v_m(&all, n[3]), v_m(&some, m[3]));
    assert_eq!(v_m(&some, m[0]), -70.6, "nodes not set keep NEST's default");
    let drawn: Vec<f64> = n.iter().map(|&i| v_m(&all, i)).collect();
    assert!(drawn.windows(2).all(|w| w[0] != w[1]), "{drawn:?}");
    all.set_status_drawn(&n, &normal).unwrap();
    assert_ne!(v_m(&all, n[0]), drawn[0], "a second call draws anew");
}

/// As in NEST, GetConnections lists every connection, generator and recorder links included,
/// so that their number is `num_connections`; the links of devices are read-only.
#[test]
fn get_connections_lists_device_links_too() {
    let mut n = clopath_net(Scheme::Event);
    let before = n.k.num_connections();
    let all = n.k.connections(None, None, None).unwrap();
    assert_eq!(all.source.len() as u64, before);
    assert_eq!(
        n.k.num_connections(),
        before,
        "the count survives the build"
    );
    // Poisson generator -> parrot links: 20, weight 1 (the static_synapse default).
    let pg = n.k.connections(Some(&n.pg), None, None).unwrap();
    assert_eq!(pg.source.len(), 20);
    assert!(pg.weight.iter().all(|&w| w == 1.0));
    let st = n.k.connection_status(pg.handle[0]).unwrap();
    assert_eq!(
        st.get("delay"),
        Some(&ParamValue::Num(1.0)),
        "NEST's default delay"
    );
    let e =
        n.k.set_connection_status(pg.handle[0], &map(&[("weight", ParamValue::Num(2.0))]))
            .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadProperty);
    // Sorted by source, then target.
    let keys: Vec<(u32, u32)> = all
        .source
        .iter()
        .copied()
        .zip(all.target.iter().copied())
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]));
}
