//! Create and Connect between runs (NEST allows both): the grown network against NEST 3.10's
//! numbers for a late Clopath synapse (tools/nest_check/NEST_SEMANTICS.md §11), against a
//! network of our own that had the same parts from the start (recorders, a late multimeter,
//! a Poisson generator's old trains) or that starts at 0 instead of T (a neuron created
//! between runs), and the refusals.

use std::ops::ControlFlow;

use evplast_kernel::NodeId;
use evplast_models::builder::Scheme;
use evplast_models::{KernelConfig, ParamValue};
use evplast_sim::kernel::Events;
use evplast_sim::{ConnSpec, Draw, ErrorKind, Kernel, NodeParamSpec, Options, Param, SynapseSpec};

fn num(x: f64) -> Param {
    Param::Value(ParamValue::Num(x))
}

fn arr(xs: &[f64]) -> Param {
    Param::Value(ParamValue::Array(
        xs.iter().map(|&x| ParamValue::Num(x)).collect(),
    ))
}

fn kernel(scheme: Scheme) -> Kernel {
    let cfg = KernelConfig {
        scheme: scheme.into(),
        rng_seed: 11,
        ..KernelConfig::default()
    };
    Kernel::new(cfg, Options::default()).unwrap()
}

fn run(k: &mut Kernel, t: f64) {
    k.simulate(t, &mut |_| ControlFlow::Continue(())).unwrap();
}

fn create(k: &mut Kernel, model: &str, params: &[(&str, Param)]) -> NodeId {
    let p: Vec<(String, Param)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    k.create(model, 1, NodeParamSpec::Same(&p)).unwrap()
}

fn syn(model: &str, weight: f64, delay: f64) -> SynapseSpec {
    SynapseSpec {
        synapse_model: model.into(),
        weight: Draw::Fixed(weight),
        delay: Draw::Fixed(delay),
        ..SynapseSpec::default()
    }
}

fn connect(k: &mut Kernel, a: NodeId, b: NodeId, s: &SynapseSpec) -> Result<(), ErrorKind> {
    k.connect(&[a], &[b], &ConnSpec::default(), s)
        .map_err(|e| e.kind)
}

/// NEST's probe p11/p13 (tools/nest_check/probes/p11_connect_after_simulate.py): a
/// clopath_synapse from a parrot onto an aeif_psc_delta_clopath neuron that has another
/// plastic input, connected at 0 or between Simulate(50) and Simulate(100). Returns its weight.
fn late_clopath(
    scheme: Scheme,
    late: bool,
    post_spikes: &[f64],
    pre: &[f64],
    d: f64,
    other_delays: &[f64],
    other_plastic: bool,
) -> Result<f64, ErrorKind> {
    let mut k = kernel(scheme);
    let nrn = create(&mut k, "aeif_psc_delta_clopath", &[]);
    let sgp = create(
        &mut k,
        "spike_generator",
        &[("spike_times", arr(post_spikes))],
    );
    connect(&mut k, sgp, nrn, &syn("static_synapse", 1000.0, 0.1)).unwrap();
    let prrt = create(&mut k, "parrot_neuron", &[]);
    let sg = create(&mut k, "spike_generator", &[("spike_times", arr(pre))]);
    connect(&mut k, sg, prrt, &syn("static_synapse", 1.0, 0.1)).unwrap();
    let d1 = create(&mut k, "parrot_neuron", &[]);
    let d2 = create(&mut k, "parrot_neuron", &[]);
    for &dd in other_delays {
        connect(&mut k, d1, d2, &syn("static_synapse", 1.0, dd)).unwrap();
    }
    if other_plastic {
        let p2 = create(&mut k, "parrot_neuron", &[]);
        connect(&mut k, p2, nrn, &syn("clopath_synapse", 1.0, 1.0)).unwrap();
    }
    let s = syn("clopath_synapse", 10.0, d);
    if !late {
        connect(&mut k, prrt, nrn, &s)?;
    }
    run(&mut k, 50.0);
    if late {
        connect(&mut k, prrt, nrn, &s)?;
    }
    run(&mut k, 100.0);
    let c = k.connections(Some(&[prrt]), Some(&[nrn]), None).unwrap();
    assert_eq!(c.weight.len(), 1);
    Ok(c.weight[0])
}

#[test]
fn a_clopath_synapse_connected_between_runs_ends_at_nest_s_weight_in_every_scheme() {
    // (post spikes, pre spikes, delay, other delays, NEST's weight connected at 0, at 50 ms),
    // printed by NEST 3.10 to 9 decimals (probes p11 and p13).
    let p11 = [10.0, 20.0, 30.0, 40.0, 60.0, 70.0];
    let p13 = [10.0, 20.0, 30.0, 40.0, 47.0, 60.0, 70.0];
    type Case<'a> = (&'a [f64], &'a [f64], f64, &'a [f64], f64, f64);
    let cases: [Case; 9] = [
        (&p11, &[55.0, 75.0], 1.0, &[1.0], 10.005927222, 10.005927222),
        // A spike in the last slice of the first run (49.9 + 0.1) or before: the late
        // synapse never gets it.
        (&p11, &[49.9, 75.0], 1.0, &[1.0], 10.002662162, 9.99765589),
        (&p11, &[45.0, 75.0], 1.0, &[1.0], 10.001395241, 9.99765589),
        (
            &p13,
            &[50.3, 75.0],
            1.0,
            &[3.0, 0.1],
            10.007296603,
            10.007296603,
        ),
        (
            &p13,
            &[51.0, 75.0],
            1.0,
            &[3.0, 0.1],
            10.008075411,
            10.008075411,
        ),
        (
            &p13,
            &[52.0, 53.0, 75.0],
            1.0,
            &[3.0, 0.1],
            10.025025729,
            10.025025729,
        ),
        // The first window reaches back before the connection (t_s − d < 50).
        (
            &p13,
            &[50.3, 75.0],
            3.0,
            &[3.0, 0.1],
            10.026139603,
            10.026139603,
        ),
        (
            &p13,
            &[51.0, 75.0],
            3.0,
            &[3.0, 0.1],
            10.016908148,
            10.016908148,
        ),
        (
            &p13,
            &[52.0, 53.0, 75.0],
            3.0,
            &[3.0, 0.1],
            10.016114818,
            10.016114818,
        ),
    ];
    for scheme in [Scheme::Event, Scheme::Compressed, Scheme::Time] {
        for (post, pre, d, others, at0, at50) in cases {
            for (late, nest) in [(false, at0), (true, at50)] {
                let w = late_clopath(scheme, late, post, pre, d, others, true).unwrap();
                // NEST printed 9 decimals: within half a unit of the last one, plus rounding.
                assert!(
                    (w - nest).abs() <= 6e-10,
                    "{scheme:?} pre {pre:?} d {d} late {late}: {w} vs NEST {nest}"
                );
            }
        }
    }
}

#[test]
fn a_first_plastic_input_onto_a_simulated_neuron_ends_at_nest_s_weight_in_every_scheme() {
    // NEST keeps every Clopath neuron's delayed ū± but writes its LTP and LTD histories only
    // while it has plastic inputs (NEST_SEMANTICS.md §13): where the first window or the LTD
    // at t_s − d reaches back before the connection, the weight differs from a synapse
    // connected at 0. (post spikes, pre spikes, delay, other delays, NEST's weight at 50 ms.)
    let p11 = [10.0, 20.0, 30.0, 40.0, 60.0, 70.0];
    let p13 = [10.0, 20.0, 30.0, 40.0, 47.0, 60.0, 70.0];
    type Case<'a> = (&'a [f64], &'a [f64], f64, &'a [f64], f64);
    let cases: [Case; 9] = [
        (&p11, &[55.0, 75.0], 1.0, &[1.0], 10.005927222),
        (&p11, &[49.9, 75.0], 1.0, &[1.0], 9.99765589),
        (&p11, &[45.0, 75.0], 1.0, &[1.0], 9.99765589),
        (&p13, &[50.3, 75.0], 1.0, &[3.0, 0.1], 10.011468702),
        (&p13, &[51.0, 75.0], 1.0, &[3.0, 0.1], 10.008075411),
        (&p13, &[52.0, 53.0, 75.0], 1.0, &[3.0, 0.1], 10.025025729),
        (&p13, &[50.3, 75.0], 3.0, &[3.0, 0.1], 10.008837987),
        (&p13, &[51.0, 75.0], 3.0, &[3.0, 0.1], 10.00923115),
        (&p13, &[52.0, 53.0, 75.0], 3.0, &[3.0, 0.1], 10.020376187),
    ];
    for scheme in [Scheme::Event, Scheme::Compressed, Scheme::Time] {
        for (post, pre, d, others, nest) in cases {
            let w = late_clopath(scheme, true, post, pre, d, others, false).unwrap();
            assert!(
                (w - nest).abs() <= 6e-10,
                "{scheme:?} pre {pre:?} d {d}: {w} vs NEST {nest}"
            );
        }
    }
}

#[test]
fn delays_outside_the_built_range_and_a_late_initial_trace_are_refused() {
    let mut k = kernel(Scheme::Event);
    let a = create(&mut k, "parrot_neuron", &[]);
    let b = create(&mut k, "parrot_neuron", &[]);
    connect(&mut k, a, b, &syn("static_synapse", 1.0, 1.0)).unwrap();
    run(&mut k, 10.0);
    // NEST: BadDelay "Minimum and maximum delay cannot be changed after Simulate" (§11).
    for d in [2.0, 0.5] {
        let e = k
            .connect(
                &[a],
                &[b],
                &ConnSpec::default(),
                &syn("static_synapse", 1.0, d),
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadDelay, "{d}");
        assert!(e.message.contains("min_delay 1.0 ms"), "{}", e.message);
    }
    connect(&mut k, a, b, &syn("static_synapse", 1.0, 1.0)).unwrap();
    run(&mut k, 1.0);
    assert_eq!(k.num_connections(), 2);

    let mut k = kernel(Scheme::Event);
    let nrn = create(&mut k, "aeif_psc_delta_clopath", &[]);
    let p = create(&mut k, "parrot_neuron", &[]);
    connect(&mut k, p, nrn, &syn("clopath_synapse", 1.0, 1.0)).unwrap();
    run(&mut k, 5.0);
    let mut s = syn("clopath_synapse", 1.0, 1.0);
    s.params.push(("x_bar".into(), num(0.5)));
    let e = k
        .connect(&[p], &[nrn], &ConnSpec::default(), &s)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadProperty);
    assert!(e.message.contains("x_bar"), "{}", e.message);
    // Onto a neuron without history (created after the run, or without plastic inputs before
    // it), the trace is as at the start: accepted.
    let fresh = create(&mut k, "aeif_psc_delta_clopath", &[]);
    let built_without = create(&mut k, "aeif_psc_delta_clopath", &[]);
    run(&mut k, 5.0);
    k.connect(&[p], &[fresh, built_without], &ConnSpec::default(), &s)
        .unwrap();
    run(&mut k, 5.0);
}

fn v_m(k: &mut Kernel, mm: NodeId) -> (Vec<i64>, Vec<f64>) {
    k.drain_samples();
    let e = k.events(mm).unwrap();
    (e.stamps, e.values[0].1.clone())
}

fn multimeter(k: &mut Kernel) -> NodeId {
    let rf = Param::Value(ParamValue::Array(vec![ParamValue::Str("V_m".into())]));
    create(
        k,
        "multimeter",
        &[("record_from", rf), ("interval", num(0.1))],
    )
}

#[test]
fn a_neuron_created_between_runs_evolves_as_one_created_at_zero_shifted_by_the_first_run() {
    const T: f64 = 30.0;
    const STEPS: i64 = 300;
    let grown = {
        let mut k = kernel(Scheme::Event);
        let old = create(&mut k, "aeif_psc_delta_clopath", &[("I_e", num(700.0))]);
        let mm_old = multimeter(&mut k);
        connect(&mut k, mm_old, old, &syn("static_synapse", 1.0, 1.0)).unwrap();
        run(&mut k, T);
        let n = create(&mut k, "aeif_psc_delta_clopath", &[]);
        let sg = create(
            &mut k,
            "spike_generator",
            &[("spike_times", arr(&[T + 5.0, T + 12.0, T + 12.5]))],
        );
        connect(&mut k, sg, n, &syn("static_synapse", 600.0, 1.0)).unwrap();
        let mm = multimeter(&mut k);
        connect(&mut k, mm, n, &syn("static_synapse", 1.0, 1.0)).unwrap();
        let sr = create(&mut k, "spike_recorder", &[]);
        connect(&mut k, n, sr, &syn("static_synapse", 1.0, 1.0)).unwrap();
        run(&mut k, 40.0);
        let (st, v) = v_m(&mut k, mm);
        (
            st.iter().map(|s| s - STEPS).collect::<Vec<_>>(),
            v,
            k.events(sr).unwrap().stamps,
        )
    };
    let fresh = {
        let mut k = kernel(Scheme::Event);
        // The same node ids are not needed: the neuron's own stream does not exist (aeif).
        let n = create(&mut k, "aeif_psc_delta_clopath", &[]);
        let sg = create(
            &mut k,
            "spike_generator",
            &[("spike_times", arr(&[5.0, 12.0, 12.5]))],
        );
        connect(&mut k, sg, n, &syn("static_synapse", 600.0, 1.0)).unwrap();
        let mm = multimeter(&mut k);
        connect(&mut k, mm, n, &syn("static_synapse", 1.0, 1.0)).unwrap();
        let sr = create(&mut k, "spike_recorder", &[]);
        connect(&mut k, n, sr, &syn("static_synapse", 1.0, 1.0)).unwrap();
        run(&mut k, 40.0);
        let (st, v) = v_m(&mut k, mm);
        (st, v, k.events(sr).unwrap().stamps)
    };
    assert!(fresh.1.len() > 300, "{}", fresh.1.len());
    assert!(!fresh.2.is_empty(), "the neuron spikes");
    assert_eq!(grown.0, fresh.0);
    assert_eq!(grown.1, fresh.1, "V_m bit for bit");
    assert_eq!(
        grown.2.iter().map(|s| s - STEPS).collect::<Vec<_>>(),
        fresh.2
    );
}

#[test]
fn recorders_and_a_multimeter_connected_between_runs_get_exactly_the_later_events() {
    let mut k = kernel(Scheme::Event);
    let n = create(&mut k, "aeif_psc_delta_clopath", &[("I_e", num(800.0))]);
    let p = create(&mut k, "parrot_neuron", &[]);
    // A parrot spike stamped 20.0 lies in the last slice of the first run.
    let sg = create(
        &mut k,
        "spike_generator",
        &[("spike_times", arr(&[5.0, 19.9, 25.0, 33.0]))],
    );
    connect(&mut k, sg, p, &syn("static_synapse", 1.0, 0.1)).unwrap();
    let sr_all = create(&mut k, "spike_recorder", &[]);
    let mm_all = multimeter(&mut k);
    for x in [n, p] {
        connect(&mut k, x, sr_all, &syn("static_synapse", 1.0, 1.0)).unwrap();
    }
    connect(&mut k, mm_all, n, &syn("static_synapse", 1.0, 1.0)).unwrap();
    run(&mut k, 20.0);
    let sr_late = create(&mut k, "spike_recorder", &[]);
    let mm_late = multimeter(&mut k);
    for x in [n, p] {
        connect(&mut k, x, sr_late, &syn("static_synapse", 1.0, 1.0)).unwrap();
    }
    connect(&mut k, mm_late, n, &syn("static_synapse", 1.0, 1.0)).unwrap();
    run(&mut k, 30.0);
    let (all, late) = (k.events(sr_all).unwrap(), k.events(sr_late).unwrap());
    let after = |e: &Events| -> Vec<(i64, i64)> {
        e.senders
            .iter()
            .zip(&e.stamps)
            .filter(|(_, &s)| s > 200)
            .map(|(&a, &b)| (a, b))
            .collect()
    };
    assert!(all.stamps.contains(&200), "a spike in the last slice");
    assert!(after(&all).len() >= 2, "{:?}", all.stamps);
    assert_eq!(after(&late), after(&all));
    assert_eq!(late.stamps.len(), after(&all).len());
    let (sa, va) = v_m(&mut k, mm_all);
    let (sl, vl) = v_m(&mut k, mm_late);
    let keep = sa.partition_point(|&s| s <= 200);
    assert_eq!(sl, sa[keep..].to_vec());
    assert_eq!(vl, va[keep..].to_vec());
}

#[test]
fn a_poisson_generator_gaining_a_target_keeps_its_old_trains() {
    let go = |late: bool| {
        let mut k = kernel(Scheme::Event);
        let pg = create(&mut k, "poisson_generator", &[("rate", num(300.0))]);
        let a = create(&mut k, "parrot_neuron", &[]);
        let b = create(&mut k, "parrot_neuron", &[]);
        let sr = create(&mut k, "spike_recorder", &[]);
        connect(&mut k, pg, a, &syn("static_synapse", 1.0, 1.0)).unwrap();
        for x in [a, b] {
            connect(&mut k, x, sr, &syn("static_synapse", 1.0, 1.0)).unwrap();
        }
        run(&mut k, 50.0);
        if late {
            connect(&mut k, pg, b, &syn("static_synapse", 1.0, 1.0)).unwrap();
        }
        run(&mut k, 50.0);
        let e = k.events(sr).unwrap();
        let of = |n: NodeId| -> Vec<i64> {
            e.senders
                .iter()
                .zip(&e.stamps)
                .filter(|(&s, _)| s == n.0 as i64)
                .map(|(_, &t)| t)
                .collect()
        };
        (of(a), of(b))
    };
    let (a0, b0) = go(false);
    let (a1, b1) = go(true);
    assert!(a0.len() > 10 && b0.is_empty());
    assert_eq!(a1, a0, "the old train is unchanged");
    assert!(b1.len() > 5, "{}", b1.len());
    // Generated from the step after 50 ms on, arriving a delay later.
    assert!(b1[0] > 510, "{b1:?}");
}

#[test]
fn connections_made_after_get_connections_are_listed_and_settable() {
    let mut k = kernel(Scheme::Event);
    let nrn = create(&mut k, "aeif_psc_delta_clopath", &[]);
    let p = create(&mut k, "parrot_neuron", &[]);
    connect(&mut k, p, nrn, &syn("clopath_synapse", 1.0, 1.0)).unwrap();
    assert_eq!(k.connections(None, None, None).unwrap().weight, vec![1.0]);
    let q = create(&mut k, "parrot_neuron", &[]);
    connect(&mut k, q, nrn, &syn("clopath_synapse", 2.0, 1.0)).unwrap();
    let c = k.connections(None, None, Some("clopath_synapse")).unwrap();
    assert_eq!(c.weight, vec![1.0, 2.0]);
    assert_eq!(c.source, vec![p.0, q.0]);
    let mut m = evplast_models::ParamMap::new();
    m.insert("weight".into(), ParamValue::Num(3.0));
    k.set_connection_status(c.handle[1], &m).unwrap();
    run(&mut k, 10.0);
    assert_eq!(
        k.connections(None, None, None).unwrap().weight,
        vec![1.0, 3.0]
    );
    assert_eq!(k.num_connections(), 2);
}
