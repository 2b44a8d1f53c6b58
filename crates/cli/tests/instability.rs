//! A numerical instability stops `evplast run` cleanly: non-zero exit, a message naming the
//! node id and the time in ms, and no results (no stats.json, no connections.csv).
//! NEST's aeif_psc_delta_clopath throws NumericalInstability when V_m < -1e3 mV.

mod common;

use std::fs;

use common::*;

/// Numbers followed by "ms" in `text` (e.g. "t = 0.1 ms", "at 0.1ms").
fn times_ms(text: &str) -> Vec<f64> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("ms") {
        let before = text[..i].trim_end();
        let start = before
            .rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
            .map_or(0, |j| j + 1);
        if let Ok(x) = before[start..].parse::<f64>() {
            out.push(x);
        }
    }
    out
}

#[test]
fn blow_up_names_node_and_time() {
    // Nodes 1..=2 are parrots, 3..=4 aeif neurons; only node 4 gets I_e = -1e9 pA, which drives
    // V_m below -1e3 mV within the first step (C_m = 281 pF: dV/dt ~ -3.6e6 mV/ms).
    let toml = r#"[kernel]
resolution = 0.1

[[create]]
label = "inp"
model = "parrot_neuron"
n = 2

[[create]]
label = "exc"
model = "aeif_psc_delta_clopath"
n = 2
params = [ { I_e = 0.0 }, { I_e = -1e9 } ]

[[create]]
label = "sr"
model = "spike_recorder"

[[connect]]
pre = "inp"
post = "exc"
syn_spec = { synapse_model = "clopath_synapse", weight = 1.0, delay = 1.0 }

[[connect]]
pre = "exc"
post = "sr"

[simulate]
t = 20.0
"#;
    let dir = scratch("blow_up_names_node_and_time");
    let model = write(&dir, "unstable.toml", toml);
    // The file itself is valid: the failure belongs to the simulation.
    assert_ok(&check_model(&model), "check of a valid but unstable model");
    let out = dir.join("out");
    let o = run_model(&model, &out);
    assert_clean_failure(&o, "unstable run");
    let err = stderr(&o);
    assert!(
        err.contains("node 4"),
        "the message must name the unstable node (id 4):\n{err}"
    );
    assert!(
        !err.contains("node 3"),
        "node 3 is stable and must not be blamed:\n{err}"
    );
    let t = times_ms(&err);
    assert!(
        t.iter().any(|&x| (0.0..=0.2).contains(&x)),
        "the message must give the time in ms (within the first steps), found {t:?}:\n{err}"
    );
    let left = run_outputs(&out);
    assert!(
        !left.contains(&"stats.json".to_string()),
        "an unstable run wrote stats.json: {left:?}"
    );
    assert!(
        !left.contains(&"connections.csv".to_string()),
        "an unstable run wrote connections.csv: {left:?}"
    );
    // Nor the recordings it streamed before the failure.
    let hidden: Vec<String> = fs::read_dir(&out)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !hidden.iter().any(|n| n.ends_with(".partial")),
        "an unstable run left partial files: {hidden:?}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn blow_up_later_in_the_run() {
    // A dc_generator switched on at 50 ms: the neuron is fine before and must be reported
    // after 50 ms, not at the start.
    let toml = r#"[[create]]
label = "n"
model = "aeif_psc_delta_clopath"

[[create]]
label = "dc"
model = "dc_generator"
params = { amplitude = -1e9, start = 50.0 }

[[connect]]
pre = "dc"
post = "n"
syn_spec = { delay = 1.0 }

[simulate]
t = 100.0
"#;
    let dir = scratch("blow_up_later_in_the_run");
    let model = write(&dir, "late.toml", toml);
    assert_ok(&check_model(&model), "check of a valid but unstable model");
    let out = dir.join("out");
    let o = run_model(&model, &out);
    assert_clean_failure(&o, "late unstable run");
    let err = stderr(&o);
    assert!(
        err.contains("node 1"),
        "the message must name node 1:\n{err}"
    );
    let t = times_ms(&err);
    assert!(
        t.iter().any(|&x| (50.0..=52.0).contains(&x)),
        "the instability starts just after 50 ms (dc start 50, delay 1), found {t:?}:\n{err}"
    );
    let left = run_outputs(&out);
    assert!(
        !left.contains(&"stats.json".to_string()) && !left.contains(&"connections.csv".to_string()),
        "an unstable run left {left:?}"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// A non-finite weight is blamed on the synapse where it arose, not on the neuron it would
/// reach, and the time is printed as the grid gives it. `eta = 1e307` makes the weight's scale
/// 15·C_m·τ_s·η/(g_L(τ_L − τ_s)) ≈ 6e308, beyond the largest double: the first update gives
/// an infinite or NaN weight, which clipping to `Wmax` (or a NaN passing every comparison)
/// would otherwise hide. In every scheme.
#[test]
fn non_finite_weight_names_the_synapse_and_the_grid_time() {
    let toml = r#"[[create]]
label = "sg"
model = "spike_generator"
params = { spike_times = [140.3, 300.0] }

[[create]]
label = "p"
model = "parrot_neuron"

[[create]]
label = "nrn"
model = "pp_cond_exp_mc_urbanczik"

[[connect]]
pre = "sg"
post = "p"

[[connect]]
pre = "p"
post = "nrn"
syn_spec = { synapse_model = "urbanczik_synapse", eta = 1e307, receptor_type = "dendritic_exc", delay = 1.0 }

[simulate]
t = 400.0
"#;
    let dir = scratch("non_finite_weight_names_the_synapse");
    let model = write(&dir, "weight.toml", toml);
    for scheme in ["event", "time", "compressed"] {
        let out = dir.join(scheme);
        let o = evplast()
            .args([
                "run",
                model.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .args(["--scheme", scheme, "--quiet"])
            .output()
            .unwrap();
        assert_clean_failure(&o, scheme);
        let err = stderr(&o);
        // Nodes: 1 generator, 2 parrot, 3 neuron; the parrot repeats 140.3 at 141.3 ms (default delay 1 ms).
        assert!(
            err.contains("urbanczik_synapse from node 2 to node 3 at t = 141.3 ms"),
            "{scheme}: the message must name the synapse and the grid time:\n{err}"
        );
        assert!(err.contains("weight = "), "{scheme}: {err}");
        assert!(
            !err.contains("141.30000"),
            "{scheme}: float noise in the time:\n{err}"
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

/// Stiff parameters (a time constant far below the resolution) used to hang, as in NEST: the
/// step size shrinks to the stability limit, ~1e9 sub-steps per step. Past the sub-step budget
/// the run stops and names the node, the time and the fastest time constant.
#[test]
fn stiff_parameters_stop_with_the_likely_parameter() {
    let cases = [
        (
            "aeif_psc_delta_clopath",
            "{ C_m = 1e-9, I_e = 10.0 }",
            "C_m/g_L = 3.333e-11 ms",
        ),
        (
            "hh_psc_alpha_clopath",
            "{ tau_u_bar_minus = 1e-9 }",
            "tau_u_bar_minus = 1.000e-9 ms",
        ),
        (
            "pp_cond_exp_mc_urbanczik",
            "{ soma = { C_m = 1e-9, I_e = 100.0 } }",
            "soma.C_m/g_sp = 1.667e-12 ms",
        ),
    ];
    let dir = scratch("stiff_parameters_stop");
    for (model, params, hint) in cases {
        let toml = format!(
            "[[create]]\nlabel = \"n\"\nmodel = \"{model}\"\nparams = {params}\n\n[simulate]\nt = 100.0\n"
        );
        let file = write(&dir, &format!("{model}.toml"), &toml);
        let o = run_model(&file, &dir.join(model));
        assert_clean_failure(&o, model);
        let err = stderr(&o);
        for needle in [
            &format!("node 1 ({model}) at t = 0.1 ms"),
            "too stiff",
            hint,
        ] {
            assert!(err.contains(needle), "{model}: no '{needle}' in:\n{err}");
        }
    }
    let _ = fs::remove_dir_all(&dir);
}
