//! An independent check of `urbanczik_synapse` under each learning signal: the weight at every
//! presynaptic spike is recomputed from recorded quantities alone — the potentials `V_m.p` and
//! `V_m.s` of every step, the neuron's spike times, the presynaptic spike times — with the
//! closed form of nest-models.md §5 (docs/URBANCZIK.md for the signals):
//!
//! ```text
//! w(t_s) = w0 + K Σ_{t_e + d ≤ t_s} PSP(t_e + d) · dPI(t_e) · (1 − e^{−(t_s − t_e − d)/τ_Δ})
//! PSP(τ) = Σ_{t_j < τ} e^{−(τ − t_j)/τ_L} − e^{−(τ − t_j)/τ_s}
//! K = 15 C_m τ_s η / (g_L (τ_L − τ_s))
//! spike–rate:  dPI(t) = (n(t) − φ(V*_W(t))·h) · h(V*_W(t))
//! rate–rate:   dPI(t) = (φ(V_m.s(t)) − φ(V*_W(t)))·h · h(V*_W(t))
//! spike–spike: dPI(t) = (n(t) − n_d(t)) · h(V*_W(t))
//! ```
//! The dendritic spikes `n_d` of spike–spike are drawn again here from their documented
//! stream (the run's seed, the neuron's id) and rule: outside the soma's dead time, one spike
//! with probability `1 − e^{−φ(V_m.p)·h}`. The synapse computes the sum recursively (two running
//! integrals and two traces, only at spikes, over a sparse archive for spike–spike); the
//! closed form sums everything afresh. Tolerance rtol 1e-9: the inputs are the same f64
//! values, so only the summation order differs (~1e-13 here). Drawing the dendrite from
//! φ(V_m.p + 0.5 mV) instead makes the spike–spike case fail (rel 2.9e-4).

use evplast_kernel::archive::urbanczik::{LearningSignal, RateFunction};
use evplast_kernel::rng::{self, domain};
use evplast_kernel::NodeId;
use evplast_models::{ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, SynSpec};
use rand::RngExt;

fn num(x: f64) -> ParamValue {
    ParamValue::Num(x)
}

fn map(kv: &[(&str, ParamValue)]) -> ParamMap {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn arr(v: &[f64]) -> ParamValue {
    ParamValue::Array(v.iter().map(|x| num(*x)).collect())
}

#[test]
fn spike_rate_weights_equal_the_closed_form_from_recordings() {
    check(LearningSignal::SpikeRate);
}

#[test]
fn rate_rate_weights_equal_the_closed_form_from_recordings() {
    check(LearningSignal::RateRate);
}

#[test]
fn spike_spike_weights_equal_the_closed_form_from_recordings() {
    check(LearningSignal::SpikeSpike);
}

fn check(signal: LearningSignal) {
    let h = 0.1;
    let seed = 3;
    let (w0, eta, tau_delta, delay) = (90.0, 0.17, 100.0, 0.3);
    let mut b = NetworkBuilder::new(KernelConfig {
        rng_seed: seed,
        ..Default::default()
    })
    .unwrap();
    let signal_name = ParamValue::Str(signal.as_str().into());
    let nrn = b
        .create(
            "pp_cond_exp_mc_urbanczik",
            &[map(&[("learning_signal", signal_name)])],
        )
        .unwrap();
    let pre_times: Vec<f64> = vec![
        5.0, 17.3, 40.0, 41.0, 90.0, 133.3, 180.0, 181.5, 240.0, 299.0,
    ];
    let gen = b
        .create(
            "spike_generator",
            &[map(&[("spike_times", arr(&pre_times))])],
        )
        .unwrap();
    let parrot = b.create("parrot_neuron", &[ParamMap::new()]).unwrap();
    // A somatic drive strong enough to make the soma fire now and then (the n(t) term).
    let drive_times: Vec<f64> = (1..280).map(|i| i as f64).collect();
    let drive = b
        .create(
            "spike_generator",
            &[map(&[
                ("spike_times", arr(&drive_times)),
                ("spike_weights", arr(&vec![12.0; 279])),
            ])],
        )
        .unwrap();
    // A dendritic drive that lifts V_m.p towards θ, so that the dendrite spikes too.
    let dend_drive = b
        .create(
            "spike_generator",
            &[map(&[
                ("spike_times", arr(&drive_times)),
                ("spike_weights", arr(&vec![150.0; 279])),
            ])],
        )
        .unwrap();
    let fields = ParamValue::Array(vec![
        ParamValue::Str("V_m.p".into()),
        ParamValue::Str("V_m.s".into()),
    ]);
    let mm = b
        .create(
            "multimeter",
            &[map(&[("record_from", fields), ("interval", num(h))])],
        )
        .unwrap();
    let sr = b.create("spike_recorder", &[ParamMap::new()]).unwrap();
    let wr = b.create("weight_recorder", &[ParamMap::new()]).unwrap();
    let c = |s: NodeId, t: NodeId, w: f64, d: f64| ConnRequest {
        source: s,
        target: t,
        weight: Some(w),
        delay: Some(d),
    };
    b.connect(&SynSpec::default(), &[c(gen, parrot, 1.0, 0.1)])
        .unwrap();
    let soma_exc = SynSpec {
        receptor_type: Some(ParamValue::Str("soma_exc".into())),
        ..Default::default()
    };
    b.connect(&soma_exc, &[c(drive, nrn, 1.0, 0.1)]).unwrap();
    let dendritic_exc = SynSpec {
        receptor_type: Some(ParamValue::Str("dendritic_exc".into())),
        ..Default::default()
    };
    b.connect(&dendritic_exc, &[c(dend_drive, nrn, 1.0, 0.1)])
        .unwrap();
    let mut us_params = ParamMap::new();
    us_params.insert("eta".into(), num(eta));
    us_params.insert("tau_Delta".into(), num(tau_delta));
    us_params.insert("Wmax".into(), num(1350.0));
    let us = SynSpec {
        synapse_model: "urbanczik_synapse".into(),
        params: us_params,
        receptor_type: Some(ParamValue::Str("dendritic_exc".into())),
        weight_recorder: Some(wr),
        tag: 0,
        scheme: None,
    };
    b.connect(&us, &[c(parrot, nrn, w0, delay)]).unwrap();
    b.connect(
        &SynSpec::default(),
        &[c(mm, nrn, 1.0, 0.1), c(nrn, sr, 1.0, 0.1)],
    )
    .unwrap();
    let mut sim = b.build().unwrap();
    let steps = 3000;
    sim.network
        .simulate(steps, &mut |_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    sim.network.drain_samples();

    // Recorded quantities.
    let vm = &sim.network.multimeters[0];
    assert_eq!(vm.stamps.len(), steps as usize);
    let mut v_d = vec![f64::NAN; steps as usize + 1];
    let mut v_s = vec![f64::NAN; steps as usize + 1];
    for (k, &s) in vm.stamps.iter().enumerate() {
        v_d[s as usize] = vm.values[2 * k];
        v_s[s as usize] = vm.values[2 * k + 1];
    }
    let mut n_spikes = vec![0u32; steps as usize + 1];
    for e in &sim.network.spike_recording.events[0] {
        n_spikes[e.stamp as usize] += 1;
    }
    let soma_spikes: u32 = n_spikes.iter().sum();
    assert!(
        soma_spikes > 3,
        "the soma must spike for the n(t) term to be tested ({soma_spikes} spikes)"
    );
    let records = &sim.network.weight_records[0];
    assert_eq!(records.len(), pre_times.len());

    // NEST's defaults of pp_cond_exp_mc_urbanczik (nest-models.md §4.3).
    let rate = RateFunction {
        phi_max: 0.15,
        rate_slope: 0.5,
        beta: 1.0 / 3.0,
        theta: -55.0,
    };
    let (g_l_s, e_l_s, g_sp) = (30.0, -70.0, 600.0);
    let (c_m_d, g_l_d, tau_s) = (300.0, 30.0, 3.0);
    let tau_l = c_m_d / g_l_d;
    let k_factor = 15.0 * c_m_d * tau_s * eta / (g_l_d * (tau_l - tau_s));
    // Spike–spike: the dendritic draws again, outside the soma's dead time (t_ref 3 ms).
    let mut n_dend = vec![0u32; steps as usize + 1];
    if signal == LearningSignal::SpikeSpike {
        let mut stream = rng::stream(seed, domain::DENDRITE_SPIKES, u64::from(nrn.0));
        let (dead, mut r) = ((3.0 / h) as i64, 0);
        for s in 1..=steps as usize {
            if r > 0 {
                r -= 1;
                continue;
            }
            let p = -(-(1000.0 * rate.phi(v_d[s])) * h * 1e-3).exp_m1();
            n_dend[s] = u32::from(stream.random::<f64>() <= p);
            if n_spikes[s] > 0 {
                r = dead;
            }
        }
        let drawn: u32 = n_dend.iter().sum();
        assert!(drawn > 10, "the dendrite must spike ({drawn} spikes)");
    }
    let dpi: Vec<f64> = (0..=steps as usize)
        .map(|s| {
            if s == 0 {
                return 0.0;
            }
            let v = (e_l_s * g_l_s + v_d[s] * g_sp) / (g_sp + g_l_s);
            match signal {
                LearningSignal::SpikeRate => (n_spikes[s] as f64 - rate.phi(v) * h) * rate.h(v),
                LearningSignal::RateRate => (rate.phi(v_s[s]) - rate.phi(v)) * h * rate.h(v),
                LearningSignal::SpikeSpike => (n_spikes[s] as f64 - n_dend[s] as f64) * rate.h(v),
            }
        })
        .collect();
    // Presynaptic spike stamps at the synapse: the parrot re-emits at generator time + 0.1.
    let pre: Vec<i64> = records.iter().map(|r| r.stamp).collect();
    let d = (delay / h).round() as i64;
    for r in records {
        let ts = r.stamp;
        let mut sum = 0.0;
        for te in 1..=(ts - d) {
            let tau_e = te + d;
            let psp: f64 = pre
                .iter()
                .filter(|&&tj| tj < tau_e)
                .map(|&tj| {
                    let dt = (tau_e - tj) as f64 * h;
                    (-dt / tau_l).exp() - (-dt / tau_s).exp()
                })
                .sum();
            let low_pass = 1.0 - (-((ts - tau_e) as f64 * h) / tau_delta).exp();
            sum += psp * dpi[te as usize] * low_pass;
        }
        let expected = (w0 + k_factor * sum).clamp(0.0, 1350.0);
        let rel = ((r.weight - expected) / expected).abs();
        assert!(
            rel < 1e-9,
            "{signal:?}, t = {} ms: synapse {} vs closed form {expected} (rel {rel:.2e})",
            ts as f64 * h,
            r.weight
        );
    }
    // The rule must actually have moved the weight for the check to mean something.
    let last = records.last().unwrap().weight;
    assert!((last - w0).abs() > 1e-3, "weight barely moved: {last}");
}
