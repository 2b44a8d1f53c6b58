//! The three update schemes agree where the compressed scheme's lazy scaling is most fragile:
//! inputs that fall silent for seconds, kernel time constants far below the resolution and far
//! above the run, and short and long `history_horizon`s (a long one lets a group go unfolded
//! for the whole silence). Every weight must stay finite and agree across schemes within 1e-10
//! relative (as in `schemes.rs`: the schemes sum the same terms in a different order, a few
//! ulps per term) — or, where a factor underflows, to the same 0 a direct sum gives.

use evplast_kernel::record::WeightRecord;
use evplast_kernel::NodeId;
use evplast_models::builder::Scheme;
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

/// Bursts separated by long silences: every `period` ms for `len` ms at the given starts,
/// shifted per input so that inputs differ.
fn bursty(i: usize, starts: &[f64], len: f64, period: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for &s in starts {
        let mut t = s + 0.7 * i as f64 + 0.1;
        while t < s + len {
            out.push((t * 10.0).round() / 10.0);
            t += period;
        }
    }
    out
}

struct Case {
    name: String,
    urbanczik: bool,
    neuron: ParamMap,
    synapse: ParamMap,
    weight: f64,
    horizon: f64,
    /// Relative tolerance on the weights.
    tol: f64,
}

const T_END: f64 = 3200.0;
const STARTS: [f64; 3] = [5.0, 1400.0, 3050.0];

fn run(case: &Case, scheme: Scheme) -> (Vec<WeightRecord>, u64) {
    let cfg = KernelConfig {
        rng_seed: 3,
        scheme: scheme.into(),
        history_horizon: case.horizon,
        ..Default::default()
    };
    let mut b = NetworkBuilder::new(cfg).unwrap();
    let k = 3;
    let wr = b.create("weight_recorder", &[ParamMap::new()]).unwrap();
    let model = if case.urbanczik {
        "pp_cond_exp_mc_urbanczik"
    } else {
        "aeif_psc_delta_clopath"
    };
    let nrn = b.create(model, &vec![case.neuron.clone(); 2]).unwrap();
    let gens: Vec<ParamMap> = (0..k)
        .map(|i| {
            map(&[(
                "spike_times",
                times(&bursty(i, &STARTS, 80.0, 7.3 + i as f64)),
            )])
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
    let spec = SynSpec {
        synapse_model: if case.urbanczik {
            "urbanczik_synapse"
        } else {
            "clopath_synapse"
        }
        .into(),
        params: case.synapse.clone(),
        receptor_type: case
            .urbanczik
            .then(|| ParamValue::Str("dendritic_exc".into())),
        weight_recorder: Some(wr),
        tag: 0,
        scheme: None,
    };
    let mut conns = Vec::new();
    for i in 0..k {
        for j in 0..2 {
            // Two delays, so that a neuron has two compressed groups.
            conns.push(c(id(parrots, i), id(nrn, j), case.weight, 1.0 + i as f64));
        }
    }
    b.connect(&spec, &conns).unwrap();
    // A current that makes the neurons fire within the bursts only.
    let drive = b
        .create(
            "step_current_generator",
            &[map(&[
                ("amplitude_times", times(&[10.0, 60.0, 1405.0, 1450.0])),
                (
                    "amplitude_values",
                    times(if case.urbanczik {
                        &[600.0, 0.0, 600.0, 0.0]
                    } else {
                        &[900.0, 0.0, 900.0, 0.0]
                    }),
                ),
            ])],
        )
        .unwrap();
    let curr = SynSpec {
        receptor_type: case.urbanczik.then(|| ParamValue::Str("soma_curr".into())),
        ..Default::default()
    };
    let tc: Vec<_> = (0..2).map(|j| c(drive, id(nrn, j), 1.0, 0.1)).collect();
    b.connect(&curr, &tc).unwrap();
    let mut sim = b.build().unwrap();
    sim.network
        .simulate((T_END * 10.0) as i64, &mut |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{} ({scheme:?}): {e}", case.name));
    let mut records = sim.network.weight_records[0].clone();
    records.sort_by_key(|w| (w.stamp, w.sender, w.target));
    (records, sim.network.counters.spikes_emitted)
}

fn rel(a: f64, b: f64, scale: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs()).max(scale)
    }
}

fn check(case: &Case) {
    let (reference, spikes) = run(case, Scheme::Event);
    // Every burst reaches every synapse: the silences are really crossed.
    let last = reference.iter().map(|w| w.stamp).max().unwrap_or(0);
    assert!(
        last >= (STARTS[2] * 10.0) as i64,
        "{}: no plastic spike after the last silence",
        case.name
    );
    for w in &reference {
        assert!(w.weight.is_finite(), "{}: event scheme {w:?}", case.name);
    }
    for scheme in [Scheme::Time, Scheme::Compressed] {
        let (o, s) = run(case, scheme);
        let what = format!("{} ({scheme:?} vs Event)", case.name);
        assert_eq!(s, spikes, "{what}: spike counts differ");
        assert_eq!(o.len(), reference.len(), "{what}: rows differ");
        for (x, y) in o.iter().zip(&reference) {
            assert_eq!((x.stamp, x.sender, x.target), (y.stamp, y.sender, y.target));
            assert!(x.weight.is_finite(), "{what}: {x:?}");
            let d = rel(x.weight, y.weight, case.weight);
            assert!(d <= case.tol, "{what}: {x:?} vs {y:?} (rel {d:.2e})");
        }
    }
}

/// Urbanczik–Senn: τ_Δ from far below the resolution to far above the run, with tiny and huge
/// dendritic time constants (τ_L = C_m/g_L and τ_syn_ex), short and long horizons. The case of
/// the issue (τ_Δ = 1 ms, a 1.3 s silence) made the compressed fold divide by an underflowed
/// factor.
#[test]
fn urbanczik_schemes_agree_across_silences_and_extreme_time_constants() {
    let mut n = 0;
    for tau_delta in [0.01, 1.0, 100.0, 1e6] {
        for (c_m, tau_syn) in [(300.0, 3.0), (0.3, 0.02), (3e6, 5e4)] {
            for horizon in [100.0, 1e5] {
                let dend = ParamValue::Table(map(&[
                    ("C_m", num(c_m)),
                    ("g_L", num(30.0)),
                    ("tau_syn_ex", num(tau_syn)),
                ]));
                let case = Case {
                    name: format!(
                        "urbanczik tau_Delta {tau_delta}, C_m {c_m}, tau_syn {tau_syn}, horizon {horizon}"
                    ),
                    urbanczik: true,
                    neuron: map(&[("dendritic", dend)]),
                    synapse: map(&[
                        ("tau_Delta", num(tau_delta)),
                        ("eta", num(5.0)),
                        ("Wmax", num(1e4)),
                        ("Wmin", num(0.0)),
                    ]),
                    weight: 300.0,
                    horizon,
                    // w = w0 + K·(I1 − I2), and for τ_Δ far above the run I2 ≈ I1 (1 − t/τ_Δ):
                    // the difference cancels all but t/τ_Δ of the integrals, so their rounding
                    // (1e-10, as above) is amplified by up to τ_Δ / T.
                    tol: 1e-10 * (tau_delta / T_END).max(1.0),
                };
                check(&case);
                n += 1;
            }
        }
    }
    assert_eq!(n, 24);
}

/// Clopath: τ_x (the synapse's kernel, the one compressed groups fold) from far below the
/// resolution to far above the run, and the neuron's low-pass filters up to far above the run.
/// (Not far below the resolution: there the neuron's ODEs are stiff, and the RKF45 step-size
/// control turns rounding-level differences of the weights into differences of the size of its
/// error tolerance, so the schemes agree only to about 1e-4 — a property of the integrator, not
/// of the schemes.)
#[test]
fn clopath_schemes_agree_across_silences_and_extreme_time_constants() {
    for tau_x in [0.01, 15.0, 1e6] {
        for (tau_plus, tau_minus) in [(7.0, 10.0), (1e5, 2e5)] {
            for horizon in [100.0, 1e5] {
                let case = Case {
                    name: format!(
                        "clopath tau_x {tau_x}, tau_u_bar {tau_plus}/{tau_minus}, horizon {horizon}"
                    ),
                    urbanczik: false,
                    neuron: map(&[
                        ("tau_u_bar_plus", num(tau_plus)),
                        ("tau_u_bar_minus", num(tau_minus)),
                        ("A_LTP", num(8e-3)),
                        ("A_LTD", num(14e-3)),
                    ]),
                    synapse: map(&[("tau_x", num(tau_x)), ("Wmax", num(100.0))]),
                    weight: 5.0,
                    horizon,
                    tol: 1e-10,
                };
                check(&case);
            }
        }
    }
}
