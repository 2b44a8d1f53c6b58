//! NEST's reference numbers for `clopath_synapse` (test_clopath_synapse.py,
//! nest-models.md §8.1): six spike-pairing protocols on both Clopath neurons.
//!
//! Tolerance rtol 1e-7 as in NEST's test: our RKF45 reproduces GSL's step sequence, so the
//! remaining differences are rounding in the order of floating-point operations.

use evplast_kernel::NodeId;
use evplast_models::{ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, SynSpec};

fn num(x: f64) -> ParamValue {
    ParamValue::Num(x)
}

fn map(kv: &[(&str, ParamValue)]) -> ParamMap {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn times(t: &[f64]) -> ParamValue {
    ParamValue::Array(t.iter().map(|x| num(*x)).collect())
}

/// Runs one protocol and returns the last recorded weight.
fn pairing(neuron: &str, params: ParamMap, post_weight: f64, pre: &[f64], post: &[f64]) -> f64 {
    let mut b = NetworkBuilder::new(KernelConfig::default()).unwrap();
    let nrn = b.create(neuron, &[params]).unwrap();
    let pre_gen = b
        .create("spike_generator", &[map(&[("spike_times", times(pre))])])
        .unwrap();
    let post_gen = b
        .create("spike_generator", &[map(&[("spike_times", times(post))])])
        .unwrap();
    let parrot = b.create("parrot_neuron", &[ParamMap::new()]).unwrap();
    let wr = b.create("weight_recorder", &[ParamMap::new()]).unwrap();
    let c = |s: NodeId, t: NodeId, w: f64| ConnRequest {
        source: s,
        target: t,
        weight: Some(w),
        delay: Some(0.1),
    };
    b.connect(
        &SynSpec::default(),
        &[c(pre_gen, parrot, 1.0), c(post_gen, nrn, post_weight)],
    )
    .unwrap();
    let spec = SynSpec {
        synapse_model: "clopath_synapse".into(),
        weight_recorder: Some(wr),
        ..Default::default()
    };
    b.connect(&spec, &[c(parrot, nrn, 0.5)]).unwrap();
    let mut sim = b.build().unwrap();
    let t_sim = 10.0 + pre.iter().chain(post).fold(0.0f64, |a, b| a.max(*b));
    sim.network
        .simulate((t_sim / 0.1).round() as i64, &mut |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    let rec = &sim.network.weight_records[0];
    assert_eq!(
        rec.len(),
        pre.len(),
        "one weight record per presynaptic spike"
    );
    rec.last().unwrap().weight
}

const PROTOCOLS: [(&[f64], &[f64]); 6] = [
    (
        &[29.0, 129.0, 229.0, 329.0, 429.0],
        &[19.0, 119.0, 219.0, 319.0, 419.0],
    ),
    (
        &[29.0, 62.3, 95.7, 129.0, 162.3],
        &[19.0, 52.3, 85.7, 119.0, 152.3],
    ),
    (
        &[29.0, 49.0, 69.0, 89.0, 109.0],
        &[19.0, 39.0, 59.0, 79.0, 99.0],
    ),
    (
        &[129.0, 229.0, 329.0, 429.0, 529.0, 629.0],
        &[139.0, 239.0, 339.0, 439.0, 539.0, 639.0],
    ),
    (
        &[62.3, 95.6, 129.0, 162.3, 195.6, 229.0],
        &[72.3, 105.6, 139.0, 172.3, 205.6, 239.0],
    ),
    (
        &[49.0, 69.0, 89.0, 109.0, 129.0, 149.0],
        &[59.0, 79.0, 99.0, 119.0, 139.0, 159.0],
    ),
];

fn normalised(w: f64) -> f64 {
    100.0 * 15.0 * (w - 0.5) / 0.5 + 100.0
}

fn check(neuron: &str, params: ParamMap, post_weight: f64, expected: [f64; 6]) {
    let mut bad = Vec::new();
    for (i, (pre, post)) in PROTOCOLS.iter().enumerate() {
        let got = normalised(pairing(neuron, params.clone(), post_weight, pre, post));
        let rel = ((got - expected[i]) / expected[i]).abs();
        if rel > 1e-7 {
            bad.push(format!(
                "protocol {}: got {got:.10}, NEST {:.10} (rel {rel:.2e})",
                i + 1,
                expected[i]
            ));
        }
    }
    assert!(bad.is_empty(), "{neuron}:\n{}", bad.join("\n"));
}

#[test]
fn aeif_psc_delta_clopath_matches_nest() {
    // nest-models.md §7.1 parameter set plus V_peak = 33.
    let params = map(&[
        ("V_m", num(-70.6)),
        ("E_L", num(-70.6)),
        ("C_m", num(281.0)),
        ("theta_minus", num(-70.6)),
        ("theta_plus", num(-45.3)),
        ("A_LTD", num(14.0e-5)),
        ("A_LTP", num(8.0e-5)),
        ("tau_u_bar_minus", num(10.0)),
        ("tau_u_bar_plus", num(7.0)),
        ("delay_u_bars", num(4.0)),
        ("a", num(4.0)),
        ("b", num(0.0805)),
        ("V_reset", num(-70.6 + 21.0)),
        ("V_clamp", num(33.0)),
        ("t_clamp", num(2.0)),
        ("t_ref", num(0.0)),
        ("V_peak", num(33.0)),
    ]);
    check(
        "aeif_psc_delta_clopath",
        params,
        80.0,
        [
            57.82638722,
            72.16730112,
            149.43359357,
            103.30408341,
            124.03640668,
            157.02882555,
        ],
    );
}

#[test]
fn hh_psc_alpha_clopath_matches_nest() {
    let params = map(&[
        ("V_m", num(-64.9)),
        ("C_m", num(100.0)),
        ("tau_syn_ex", num(0.2)),
        ("tau_syn_in", num(2.0)),
        ("theta_minus", num(-64.9)),
        ("theta_plus", num(-35.0)),
        ("A_LTD", num(14.0e-5)),
        ("A_LTP", num(8.0e-5)),
        ("tau_u_bar_minus", num(10.0)),
        ("tau_u_bar_plus", num(114.0)),
        ("delay_u_bars", num(5.0)),
    ]);
    check(
        "hh_psc_alpha_clopath",
        params,
        2000.0,
        [
            70.14343863,
            99.49206222,
            178.1028757,
            119.63314118,
            167.37750688,
            178.83111685,
        ],
    );
}
