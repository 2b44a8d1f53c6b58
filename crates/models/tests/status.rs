//! NEST's GetStatus/SetStatus on a built network: defaults as NEST 3.10 reports them (values
//! copied from `nest.Create(model).get()` in NEST 3.10.0), round trips, refusals that change
//! nothing, and SetStatus between runs compared with networks created with the new values.

use std::ops::ControlFlow;

use evplast_kernel::network::{Population, StatusCtx};
use evplast_kernel::NodeId;
use evplast_models::{
    ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, Simulation, SynSpec,
};

fn map(kv: &[(&str, ParamValue)]) -> ParamMap {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn num(x: f64) -> ParamValue {
    ParamValue::Num(x)
}

fn nums(v: &[f64]) -> ParamValue {
    ParamValue::Array(v.iter().map(|x| num(*x)).collect())
}

fn conn(s: NodeId, t: NodeId, w: f64) -> ConnRequest {
    ConnRequest {
        source: s,
        target: t,
        weight: Some(w),
        delay: Some(1.0),
    }
}

fn pop<'a>(sim: &'a mut Simulation, model: &str) -> &'a mut Box<dyn Population> {
    sim.network.shards[0]
        .populations
        .iter_mut()
        .find(|p| p.model() == model)
        .expect("population")
}

fn status(sim: &mut Simulation, model: &str) -> ParamMap {
    let mut m = ParamMap::new();
    pop(sim, model).get_status(0, &mut m);
    m
}

fn set(sim: &mut Simulation, model: &str, p: &ParamMap) -> Result<(), evplast_kernel::BuildError> {
    let ctx = StatusCtx {
        res: sim.network.res,
        now: sim.network.now,
    };
    pop(sim, model).set_status(0, p, &ctx)
}

fn run(sim: &mut Simulation, ms: f64) {
    let steps = sim.network.res.duration_steps(ms);
    sim.network
        .simulate(steps, &mut |_| ControlFlow::Continue(()))
        .unwrap();
}

/// Stamps of every recorded spike of `sender`.
fn spikes_of(sim: &Simulation, sender: NodeId) -> Vec<i64> {
    let mut v: Vec<i64> = sim.network.spike_recording.events[0]
        .iter()
        .filter(|e| e.sender == sender)
        .map(|e| e.stamp)
        .collect();
    v.sort();
    v
}

/// One node of `model` with `params`, alone.
fn single(model: &str, params: ParamMap) -> Simulation {
    let mut b = NetworkBuilder::new(KernelConfig::default()).unwrap();
    b.create(model, &[params]).unwrap();
    b.build().unwrap()
}

#[test]
fn get_status_after_create_reports_nest_defaults() {
    let mut s = single("aeif_psc_delta_clopath", ParamMap::new());
    let m = status(&mut s, "aeif_psc_delta_clopath");
    for (k, v) in [
        ("C_m", 281.0),
        ("V_m", -70.6),
        ("tau_u_bar_plus", 7.0),
        ("A_LTD", 0.00014),
        ("theta_plus", -45.3),
        ("u_bar_bar", -70.6),
        ("w", 0.0),
    ] {
        assert_eq!(m.get(k), Some(&num(v)), "{k}");
    }
    assert_eq!(m.get("A_LTD_const"), Some(&ParamValue::Bool(true)));
    // NEST 3.10 reports neither z nor V_th (recordable only).
    assert!(!m.contains_key("z") && !m.contains_key("V_th"));

    let mut s = single("hh_psc_alpha_clopath", ParamMap::new());
    let m = status(&mut s, "hh_psc_alpha_clopath");
    assert_eq!(m.get("Act_m"), Some(&num(0.05293248525724958)));
    assert_eq!(m.get("Inact_h"), Some(&num(0.5961207535084603)));
    assert_eq!(m.get("E_L"), Some(&num(-54.402)));

    let mut s = single("pp_cond_exp_mc_urbanczik", ParamMap::new());
    let m = status(&mut s, "pp_cond_exp_mc_urbanczik");
    assert_eq!(m.get("g_sp"), Some(&num(600.0)));
    let (Some(ParamValue::Table(soma)), Some(ParamValue::Table(dend))) =
        (m.get("soma"), m.get("dendritic"))
    else {
        panic!("nested soma/dendritic: {m:?}")
    };
    assert_eq!(soma.get("E_in"), Some(&num(-75.0)));
    assert_eq!(dend.get("E_in"), Some(&num(0.0)));
    assert_eq!(dend.get("V_m"), Some(&num(-70.0)));

    let mut s = single("spike_generator", ParamMap::new());
    let m = status(&mut s, "spike_generator");
    assert_eq!(m.get("spike_times"), Some(&nums(&[])));
    assert_eq!(m.get("start"), Some(&num(0.0)));
    // NEST shows DBL_MAX; evplast's "never" is inf, accepted back by SetStatus.
    assert_eq!(m.get("stop"), Some(&num(f64::INFINITY)));

    let mut s = single("poisson_generator", ParamMap::new());
    assert_eq!(
        status(&mut s, "poisson_generator").get("rate"),
        Some(&num(0.0))
    );
}

#[test]
fn set_then_get_round_trips() {
    let mut s = single("aeif_psc_delta_clopath", ParamMap::new());
    let p = map(&[("V_m", num(-60.0)), ("C_m", num(200.0)), ("w", num(3.0))]);
    set(&mut s, "aeif_psc_delta_clopath", &p).unwrap();
    let m = status(&mut s, "aeif_psc_delta_clopath");
    for (k, v) in &p {
        assert_eq!(m.get(k), Some(v), "{k}");
    }
    assert_eq!(
        m.get("g_L"),
        Some(&num(30.0)),
        "untouched keys keep their values"
    );

    // A nested dictionary is merged into the compartment, as NEST does.
    let mut s = single("pp_cond_exp_mc_urbanczik", ParamMap::new());
    let soma = map(&[("V_m", num(-60.0))]);
    set(
        &mut s,
        "pp_cond_exp_mc_urbanczik",
        &map(&[("soma", ParamValue::Table(soma))]),
    )
    .unwrap();
    let m = status(&mut s, "pp_cond_exp_mc_urbanczik");
    let Some(ParamValue::Table(soma)) = m.get("soma") else {
        panic!()
    };
    assert_eq!(soma.get("V_m"), Some(&num(-60.0)));
    assert_eq!(soma.get("C_m"), Some(&num(300.0)));

    let mut s = single("spike_generator", ParamMap::new());
    let p = map(&[("spike_times", nums(&[1.0, 2.5])), ("origin", num(3.0))]);
    set(&mut s, "spike_generator", &p).unwrap();
    let m = status(&mut s, "spike_generator");
    assert_eq!(m.get("spike_times"), Some(&nums(&[1.0, 2.5])));
    assert_eq!(m.get("origin"), Some(&num(3.0)));
}

#[test]
fn a_refused_set_changes_nothing_and_says_why() {
    let mut s = single("aeif_psc_delta_clopath", ParamMap::new());
    let before = status(&mut s, "aeif_psc_delta_clopath");
    let e = set(
        &mut s,
        "aeif_psc_delta_clopath",
        &map(&[("V_m", num(-50.0)), ("C_m", num(-1.0))]),
    )
    .unwrap_err()
    .to_string();
    for part in ["aeif_psc_delta_clopath", "C_m", "-1", "must be > 0"] {
        assert!(e.contains(part), "{part} in {e}");
    }
    let e = set(&mut s, "aeif_psc_delta_clopath", &map(&[("z", num(1.0))]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown parameter 'z'"), "{e}");
    let e = set(
        &mut s,
        "aeif_psc_delta_clopath",
        &map(&[("V_reset", num(40.0))]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("V_reset") && e.contains("smaller than V_peak"),
        "{e}"
    );
    assert_eq!(status(&mut s, "aeif_psc_delta_clopath"), before);

    let mut s = single("spike_generator", ParamMap::new());
    let e = set(
        &mut s,
        "spike_generator",
        &map(&[("spike_times", nums(&[12.0, 11.0]))]),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("spike_times") && e.contains("sorted"), "{e}");
    assert_eq!(
        status(&mut s, "spike_generator").get("spike_times"),
        Some(&nums(&[]))
    );
}

/// spike generator → parrot → recorder; returns the simulation and the parrot's id.
fn sg_parrot(times: &[f64]) -> (Simulation, NodeId) {
    let mut b = NetworkBuilder::new(KernelConfig::default()).unwrap();
    let sg = b
        .create("spike_generator", &[map(&[("spike_times", nums(times))])])
        .unwrap();
    let parrot = b.create("parrot_neuron", &[ParamMap::new()]).unwrap();
    let sr = b.create("spike_recorder", &[ParamMap::new()]).unwrap();
    b.connect(
        &SynSpec::default(),
        &[conn(sg, parrot, 1.0), conn(parrot, sr, 1.0)],
    )
    .unwrap();
    (b.build().unwrap(), parrot)
}

#[test]
fn new_spike_times_after_a_run_emit_what_a_generator_created_with_them_would() {
    let (mut a, parrot) = sg_parrot(&[1.0, 5.0]);
    run(&mut a, 10.0);
    let new = [3.0, 9.9, 10.0, 10.1, 11.0, 12.0];
    set(
        &mut a,
        "spike_generator",
        &map(&[("spike_times", nums(&new))]),
    )
    .unwrap();
    run(&mut a, 20.0);
    let (mut b, parrot_b) = sg_parrot(&new);
    run(&mut b, 30.0);
    // Parrot spikes of generator spikes after T1 = 10 ms (delay 1 ms).
    let after = |v: Vec<i64>| v.into_iter().filter(|&s| s > 110).collect::<Vec<_>>();
    assert_eq!(after(spikes_of(&a, parrot)), after(spikes_of(&b, parrot_b)));
    // NEST 3.10 (same network): the parrot spikes at 2, 6, 11.1, 12, 13 ms — times at or
    // before 10 ms are skipped, 10.1 is kept.
    assert_eq!(spikes_of(&a, parrot), vec![20, 60, 111, 120, 130]);
}

#[test]
fn a_poisson_rate_set_to_zero_after_a_run_emits_nothing_after() {
    let mut b = NetworkBuilder::new(KernelConfig::default()).unwrap();
    let pg = b
        .create("poisson_generator", &[map(&[("rate", num(2000.0))])])
        .unwrap();
    let parrot = b.create("parrot_neuron", &[ParamMap::new()]).unwrap();
    let sr = b.create("spike_recorder", &[ParamMap::new()]).unwrap();
    b.connect(
        &SynSpec::default(),
        &[conn(pg, parrot, 1.0), conn(parrot, sr, 1.0)],
    )
    .unwrap();
    let mut s = b.build().unwrap();
    run(&mut s, 20.0);
    set(&mut s, "poisson_generator", &map(&[("rate", num(0.0))])).unwrap();
    run(&mut s, 50.0);
    let v = spikes_of(&s, parrot);
    assert!(v.len() > 10, "spikes before the change: {v:?}");
    // Draws up to 20 ms still arrive 1 ms later; nothing after that.
    assert!(v.iter().all(|&t| t <= 210), "{v:?}");
}

/// An aeif neuron driven by I_e, recorded.
fn aeif(params: ParamMap) -> (Simulation, NodeId) {
    let mut b = NetworkBuilder::new(KernelConfig::default()).unwrap();
    let n = b.create("aeif_psc_delta_clopath", &[params]).unwrap();
    let sr = b.create("spike_recorder", &[ParamMap::new()]).unwrap();
    b.connect(&SynSpec::default(), &[conn(n, sr, 1.0)]).unwrap();
    (b.build().unwrap(), n)
}

#[test]
fn setting_v_m_before_the_first_step_equals_creating_with_it() {
    let i_e = ("I_e", num(800.0));
    let (mut a, na) = aeif(map(std::slice::from_ref(&i_e)));
    run(&mut a, 0.0);
    set(
        &mut a,
        "aeif_psc_delta_clopath",
        &map(&[("V_m", num(-52.0)), ("w", num(10.0))]),
    )
    .unwrap();
    run(&mut a, 200.0);
    let (mut b, nb) = aeif(map(&[i_e, ("V_m", num(-52.0)), ("w", num(10.0))]));
    run(&mut b, 200.0);
    let (sa, sb) = (spikes_of(&a, na), spikes_of(&b, nb));
    assert!(!sa.is_empty());
    assert_eq!(sa, sb);
    assert_eq!(
        status(&mut a, "aeif_psc_delta_clopath"),
        status(&mut b, "aeif_psc_delta_clopath")
    );
}

#[test]
fn synapse_status_reports_and_refuses_as_documented() {
    let mut b = NetworkBuilder::new(KernelConfig::default()).unwrap();
    let n = b
        .create(
            "aeif_psc_delta_clopath",
            &[ParamMap::new(), ParamMap::new()],
        )
        .unwrap();
    let m = NodeId(n.0 + 1);
    let clopath = SynSpec {
        synapse_model: "clopath_synapse".into(),
        ..Default::default()
    };
    b.connect(&clopath, &[conn(n, m, 2.0)]).unwrap();
    b.connect(&SynSpec::default(), &[conn(m, n, 3.0)]).unwrap();
    let mut s = b.build().unwrap();
    let res = s.network.res;
    let t = s.network.shards[0]
        .synapses
        .iter_mut()
        .find(|t| t.model() == "clopath_synapse")
        .unwrap();
    let get = |t: &dyn evplast_kernel::network::SynapseTable| {
        let mut o = ParamMap::new();
        t.get_conn(0, res, &mut o);
        o
    };
    // NEST 3.10's GetStatus of this connection (less source, target and bookkeeping).
    let nest = map(&[
        ("Wmax", num(100.0)),
        ("Wmin", num(0.0)),
        ("delay", num(1.0)),
        ("tau_x", num(15.0)),
        ("weight", num(2.0)),
        ("x_bar", num(0.0)),
    ]);
    assert_eq!(get(t.as_ref()), nest);
    t.set_conn(0, &map(&[("weight", num(5.0)), ("tau_x", num(15.0))]), res)
        .unwrap();
    assert_eq!(get(t.as_ref()).get("weight"), Some(&num(5.0)));
    let before = get(t.as_ref());
    for (p, want) in [
        (map(&[("tau_x", num(20.0))]), "shared by all connections"),
        (map(&[("weight", num(-1.0))]), "same sign as Wmin"),
        (
            map(&[("delay", num(2.0))]),
            "cannot change after the network is built",
        ),
        (map(&[("x_bar", num(1.0))]), "presynaptic trace"),
        (map(&[("foo", num(1.0))]), "unknown parameter 'foo'"),
    ] {
        let e = t.set_conn(0, &p, res).unwrap_err().to_string();
        assert!(e.contains("clopath_synapse") && e.contains(want), "{e}");
        assert_eq!(get(t.as_ref()), before, "refused {p:?} changed nothing");
    }
    let st = s.network.shards[0]
        .synapses
        .iter_mut()
        .find(|t| t.model() == "static_synapse")
        .unwrap();
    st.set_conn(0, &map(&[("weight", num(-4.0))]), res).unwrap();
    let mut o = ParamMap::new();
    st.get_conn(0, res, &mut o);
    assert_eq!(o, map(&[("weight", num(-4.0)), ("delay", num(1.0))]));
}
