//! Bad input is refused: `evplast check` and `evplast run` exit non-zero without panicking,
//! stderr locates the error as `FILE:LINE:COL: CONTEXT: MESSAGE` and names the field, the
//! offending value and a reason, and a refused `run` leaves no results behind.
//! NEST's corresponding refusals are in tools/nest_check/NEST_SEMANTICS.md.

mod common;

use std::fs;

use common::*;

/// A parrot `a` and an aeif_psc_delta_clopath `b`, then `tail`.
fn parrot_and_aeif(tail: &str) -> String {
    format!(
        "[[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\n\n\
         [[create]]\nlabel = \"b\"\nmodel = \"aeif_psc_delta_clopath\"\n\n\
         {tail}\n[simulate]\nt = 10.0\n"
    )
}

#[test]
fn unknown_model_name() {
    let toml = r#"[[create]]
label = "a"
model = "iaf_psc_nope"

[simulate]
t = 10.0
"#;
    refused(
        "unknown_model_name",
        toml,
        &[line_of(toml, "iaf_psc_nope")],
        // the value, the reason, and the list of known models to choose from
        &[
            "iaf_psc_nope",
            "unknown model",
            "aeif_psc_delta_clopath",
            "parrot_neuron",
        ],
    );
}

#[test]
fn unknown_neuron_parameter() {
    let toml = r#"[[create]]
label = "a"
model = "aeif_psc_delta_clopath"
params = { V_m = -70.0, tau_nope = 3.0 }

[simulate]
t = 10.0
"#;
    refused(
        "unknown_neuron_parameter",
        toml,
        &[line_of(toml, "tau_nope")],
        &["tau_nope", "aeif_psc_delta_clopath", "unknown parameter"],
    );
}

#[test]
fn negative_membrane_capacitance() {
    let toml = r#"[[create]]
label = "a"
model = "aeif_psc_delta_clopath"
params = { C_m = -1.0 }

[simulate]
t = 10.0
"#;
    refused(
        "negative_membrane_capacitance",
        toml,
        &[line_of(toml, "C_m")],
        &["C_m", "-1", "> 0"],
    );
}

#[test]
fn reset_not_below_peak() {
    // NEST: "Ensure that V_reset < V_peak". Equal is refused too (default V_peak = 33).
    for (i, params) in [
        "V_reset = 40.0",
        "V_reset = 33.0",
        "V_peak = 0.0, V_reset = 0.0",
    ]
    .into_iter()
    .enumerate()
    {
        let toml = format!(
            "[[create]]\nlabel = \"a\"\nmodel = \"aeif_psc_delta_clopath\"\n\
             params = {{ {params} }}\n\n[simulate]\nt = 10.0\n"
        );
        refused(
            &format!("reset_not_below_peak_{i}"),
            &toml,
            &[line_of(&toml, "V_reset")],
            &["V_reset", "V_peak"],
        );
    }
}

#[test]
fn negative_adaptation_time_constant() {
    let toml = r#"[[create]]
label = "a"
model = "aeif_psc_delta_clopath"
params = { tau_w = -5.0 }

[simulate]
t = 10.0
"#;
    refused(
        "negative_adaptation_time_constant",
        toml,
        &[line_of(toml, "tau_w")],
        &["tau_w", "-5", "> 0"],
    );
}

#[test]
fn delay_below_resolution() {
    // 0.04 ms rounds to 0 steps at h = 0.1: NEST refuses it ("Delay must be greater than or
    // equal to resolution"); 0.05 rounds up to one step and is accepted.
    let tail = |d: &str| {
        format!(
            "[kernel]\nresolution = 0.1\n\n\
             [[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\n\n\
             [[create]]\nlabel = \"b\"\nmodel = \"parrot_neuron\"\n\n\
             [[connect]]\npre = \"a\"\npost = \"b\"\nsyn_spec = {{ weight = 1.0, delay = {d} }}\n\n\
             [simulate]\nt = 10.0\n"
        )
    };
    let toml = tail("0.04");
    refused(
        "delay_below_resolution",
        &toml,
        &[line_of(&toml, "delay")],
        &["delay", "0.04", "resolution"],
    );
    let summary = accepted("delay_rounded_up", &tail("0.05"));
    assert!(
        summary.contains("min_delay 0.1 ms"),
        "delay 0.05 must round up to one step (0.1 ms):\n{summary}"
    );
}

#[test]
fn unknown_label_in_pre_or_post() {
    for (i, (pre, post)) in [("zzz", "b"), ("a", "zzz"), ("a[0:5]", "zzz[0]")]
        .into_iter()
        .enumerate()
    {
        let toml = parrot_and_aeif(&format!(
            "[[connect]]\npre = \"{pre}\"\npost = \"{post}\"\n"
        ));
        let field = if pre.starts_with("zzz") {
            "pre"
        } else {
            "post"
        };
        refused(
            &format!("unknown_label_{i}"),
            &toml,
            &[line_of(&toml, "zzz")],
            &["zzz", "unknown label", field],
        );
    }
}

#[test]
fn broken_toml_syntax() {
    for (i, (toml, marker)) in [
        (
            "[[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\n\n[simulate]\nt = 10.0\n",
            "model",
        ),
        (
            "[[create]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\n\n[simulate]\nt = 10.0\n",
            "[[create]",
        ),
        (
            "[[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\nn = 3x\n\n[simulate]\nt = 10.0\n",
            "3x",
        ),
        (
            "[[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\nn = 1\nn = 2\n\n[simulate]\nt = 10.0\n",
            "n = 2",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        refused(
            &format!("broken_toml_syntax_{i}"),
            toml,
            &[line_of(toml, marker)],
            &["TOML"],
        );
    }
}

#[test]
fn toml_syntax_errors_name_the_offending_text() {
    // A syntax error should name what it refuses, not only where: the duplicated key, the
    // unquoted value.
    let dup = "[[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\nn = 1\nn = 2\n\n[simulate]\nt = 10.0\n";
    let dir = scratch("toml_syntax_names_text");
    let model = write(&dir, "dup.toml", dup);
    let o = check_model(&model);
    assert_clean_failure(&o, "duplicate key");
    let err = stderr(&o);
    assert!(
        ["`n`", "'n'", "\"n\"", "n = 2"]
            .iter()
            .any(|k| err.contains(k)),
        "a duplicate-key error must name the key 'n':\n{err}"
    );
    let bare =
        "[[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\nn = 3x\n\n[simulate]\nt = 10.0\n";
    let model = write(&dir, "bare.toml", bare);
    let o = check_model(&model);
    assert_clean_failure(&o, "unquoted value");
    let err = stderr(&o);
    assert!(
        err.contains("3x"),
        "a bad-value error must quote the value 3x:\n{err}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn clopath_synapse_onto_parrot() {
    // NEST refuses clopath_synapse onto a node without a Clopath archive (parrot_neuron).
    let toml = r#"[[create]]
label = "a"
model = "parrot_neuron"

[[create]]
label = "b"
model = "parrot_neuron"

[[connect]]
pre = "a"
post = "b"
syn_spec = { synapse_model = "clopath_synapse", weight = 1.0, delay = 1.0 }

[simulate]
t = 10.0
"#;
    refused(
        "clopath_synapse_onto_parrot",
        toml,
        &[line_of(toml, "synapse_model")],
        &["clopath_synapse", "parrot_neuron", "Clopath archive"],
    );
}

#[test]
fn clopath_weight_sign_rules() {
    // NEST (NEST_SEMANTICS.md §7): (w >= 0) == (Wmin >= 0) is checked first, then
    // (w >= 0) == (Wmax > 0).
    let toml = parrot_and_aeif(
        "[[connect]]\npre = \"a\"\npost = \"b\"\n\
         syn_spec = { synapse_model = \"clopath_synapse\", weight = 0.5, Wmax = -1.0 }\n",
    );
    refused(
        "clopath_weight_vs_wmax",
        &toml,
        &[line_of(&toml, "Wmax")],
        &["weight", "0.5", "Wmax", "-1"],
    );
    let toml = parrot_and_aeif(
        "[[connect]]\npre = \"a\"\npost = \"b\"\n\
         syn_spec = { synapse_model = \"clopath_synapse\", weight = -0.5, Wmin = 0.0 }\n",
    );
    refused(
        "clopath_weight_vs_wmin",
        &toml,
        &[line_of(&toml, "Wmin")],
        &["weight", "-0.5", "Wmin"],
    );
    // The accepted counterparts NEST lists: {-0.5, Wmin -1, Wmax 0} and {0, Wmin 0, Wmax 1}.
    accepted(
        "clopath_weight_negative_ok",
        &parrot_and_aeif(
            "[[connect]]\npre = \"a\"\npost = \"b\"\n\
             syn_spec = { synapse_model = \"clopath_synapse\", weight = -0.5, Wmin = -1.0, Wmax = 0.0 }\n",
        ),
    );
    accepted(
        "clopath_weight_zero_ok",
        &parrot_and_aeif(
            "[[connect]]\npre = \"a\"\npost = \"b\"\n\
             syn_spec = { synapse_model = \"clopath_synapse\", weight = 0.0, Wmin = 0.0, Wmax = 1.0 }\n",
        ),
    );
}

#[test]
fn unknown_kernel_key() {
    let toml = r#"[kernel]
resolution = 0.1
rng_sed = 3

[[create]]
label = "a"
model = "parrot_neuron"

[simulate]
t = 10.0
"#;
    refused(
        "unknown_kernel_key",
        toml,
        &[line_of(toml, "rng_sed")],
        &["rng_sed", "kernel", "unknown"],
    );
}

#[test]
fn multimeter_records_unknown_field() {
    // aeif_psc_delta_clopath has no g_ex; a parrot has no V_m.
    let toml = r#"[[create]]
label = "b"
model = "aeif_psc_delta_clopath"

[[create]]
label = "mm"
model = "multimeter"
params = { record_from = ["V_m", "g_ex"], interval = 1.0 }

[[connect]]
pre = "mm"
post = "b"

[simulate]
t = 10.0
"#;
    // NEST refuses this at Connect: the line of the record_from or of the [[connect]] is fine.
    refused(
        "multimeter_records_unknown_field",
        toml,
        &[
            line_of(toml, "record_from"),
            line_of(toml, "pre = \"mm\"") - 1,
        ],
        &["record_from", "g_ex", "aeif_psc_delta_clopath"],
    );
    let toml = r#"[[create]]
label = "p"
model = "parrot_neuron"

[[create]]
label = "mm"
model = "multimeter"
params = { record_from = ["V_m"] }

[[connect]]
pre = "mm"
post = "p"

[simulate]
t = 10.0
"#;
    refused(
        "multimeter_records_parrot",
        toml,
        &[
            line_of(toml, "record_from"),
            line_of(toml, "pre = \"mm\"") - 1,
        ],
        &["record_from", "V_m", "parrot_neuron"],
    );
}

#[test]
fn spike_times_unsorted_or_off_grid() {
    let gen = |times: &str| {
        format!(
            "[kernel]\nresolution = 0.1\n\n\
             [[create]]\nlabel = \"g\"\nmodel = \"spike_generator\"\n\
             params = {{ spike_times = [{times}] }}\n\n[simulate]\nt = 10.0\n"
        )
    };
    // NEST: "Spike times must be sorted in non-descending order."
    let toml = gen("1.0, 5.0, 2.0");
    refused(
        "spike_times_unsorted",
        &toml,
        &[line_of(&toml, "spike_times")],
        &["spike_times", "sorted"],
    );
    // NEST: "Time point 2.05 is not representable in current resolution."
    let toml = gen("1.0, 2.05");
    refused(
        "spike_times_off_grid",
        &toml,
        &[line_of(&toml, "spike_times")],
        &["spike_times", "2.05", "resolution"],
    );
    // NEST: "spike time cannot be set to 0."
    let toml = gen("0.0, 2.0");
    refused(
        "spike_times_zero",
        &toml,
        &[line_of(&toml, "spike_times")],
        &["spike_times", "> 0"],
    );
    // Repeated times are multiplicity, and float noise (0.1 * 3) is on the grid: both accepted.
    accepted(
        "spike_times_repeated",
        &gen("0.30000000000000004, 2.0, 2.0"),
    );
}

#[test]
fn one_to_one_with_unequal_sizes() {
    let toml = r#"[[create]]
label = "a"
model = "parrot_neuron"
n = 3

[[create]]
label = "b"
model = "parrot_neuron"
n = 2

[[connect]]
pre = "a"
post = "b"
conn_spec = { rule = "one_to_one" }

[simulate]
t = 10.0
"#;
    refused(
        "one_to_one_with_unequal_sizes",
        toml,
        &[line_of(toml, "one_to_one")],
        &["one_to_one", "3", "2"],
    );
}

#[test]
fn poisson_rate_too_high_for_a_count_per_step() {
    // A step's count is one u32 multiplicity: rate·h may not exceed 4e9 (4e13 Hz at 0.1 ms).
    let toml = r#"[kernel]
resolution = 0.1

[[create]]
label = "g"
model = "poisson_generator"
params = { rate = 9.2e18 }

[[create]]
label = "p"
model = "parrot_neuron"

[[connect]]
pre = "g"
post = "p"

[simulate]
t = 5.0
"#;
    refused(
        "poisson_rate_too_high",
        toml,
        &[line_of(toml, "9.2e18")],
        &[
            "poisson_generator",
            "rate",
            "9200000000000000000",
            "4e13 Hz",
            "u32",
        ],
    );
}

#[test]
fn generator_drives_clopath_synapse() {
    // NEST: a device cannot send through clopath_synapse; a parrot_neuron must relay.
    for (i, (model, params)) in [
        ("spike_generator", "spike_times = [1.0]"),
        ("poisson_generator", "rate = 10.0"),
    ]
    .into_iter()
    .enumerate()
    {
        let toml = format!(
            "[[create]]\nlabel = \"g\"\nmodel = \"{model}\"\nparams = {{ {params} }}\n\n\
             [[create]]\nlabel = \"b\"\nmodel = \"aeif_psc_delta_clopath\"\n\n\
             [[connect]]\npre = \"g\"\npost = \"b\"\n\
             syn_spec = {{ synapse_model = \"clopath_synapse\", weight = 1.0, delay = 1.0 }}\n\n\
             [simulate]\nt = 10.0\n"
        );
        refused(
            &format!("generator_drives_clopath_{i}"),
            &toml,
            &[line_of(&toml, "synapse_model")],
            &["clopath_synapse", model],
        );
    }
}

#[test]
fn missing_model_file() {
    let dir = scratch("missing_model_file");
    let model = dir.join("does_not_exist.toml");
    let out = dir.join("out");
    for o in [check_model(&model), run_model(&model, &out)] {
        assert_clean_failure(&o, "missing model file");
        let err = stderr(&o);
        assert!(
            err.contains(&model.display().to_string()),
            "the error must name the missing file:\n{err}"
        );
    }
    assert!(run_outputs(&out).is_empty());
    let _ = fs::remove_dir_all(&dir);
}

/// A network that runs fine, with a spike_recorder and a plastic synapse.
const GOOD: &str = r#"[[create]]
label = "gen"
model = "spike_generator"
params = { spike_times = [1.0, 2.0] }

[[create]]
label = "pre"
model = "parrot_neuron"

[[create]]
label = "post"
model = "aeif_psc_delta_clopath"

[[create]]
label = "sr"
model = "spike_recorder"

[[connect]]
pre = "gen"
post = "pre"
syn_spec = { delay = 0.1 }

[[connect]]
pre = "pre"
post = "post"
syn_spec = { synapse_model = "clopath_synapse", weight = 1.0, delay = 0.1 }

[[connect]]
pre = "pre"
post = "sr"

[simulate]
t = 10.0
"#;

#[test]
fn failed_run_removes_stats_of_an_earlier_run() {
    // stats.json marks a complete run: after a later run in the same directory fails during
    // simulation, the directory must not look complete.
    let dir = scratch("failed_run_removes_stats");
    let out = dir.join("out");
    let good = write(&dir, "good.toml", GOOD);
    assert_ok(&run_model(&good, &out), "first, good run");
    assert!(
        out.join("stats.json").exists(),
        "the good run wrote no stats.json"
    );
    assert!(out.join("connections.csv").exists());

    let bad = write(
        &dir,
        "unstable.toml",
        &GOOD.replace(
            "model = \"aeif_psc_delta_clopath\"",
            "model = \"aeif_psc_delta_clopath\"\nparams = { I_e = -1e9 }",
        ),
    );
    assert_ok(&check_model(&bad), "the unstable model is valid input");
    let o = run_model(&bad, &out);
    assert_clean_failure(&o, "unstable run into a used directory");
    assert!(
        !out.join("stats.json").exists(),
        "stats.json of the earlier run survived a failed run in {}",
        out.display()
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn output_directory_is_a_file() {
    let dir = scratch("output_directory_is_a_file");
    let good = write(&dir, "good.toml", GOOD);
    let out = write(&dir, "not_a_dir", "x");
    let o = run_model(&good, &out);
    assert_clean_failure(&o, "--out names a regular file");
    let err = stderr(&o);
    assert!(
        err.contains(&out.display().to_string()),
        "the error must name the output path:\n{err}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn spike_times_are_rounded_to_tics_first() {
    // NEST 3.10 (NEST_SEMANTICS.md §1): "Times are first rounded to tics (1 tic = 0.001 ms).
    // So 2.0004999 is accepted as 2.0, while 2.0005 and 2.001 are refused."
    let gen = |t: &str| {
        format!(
            "[[create]]\nlabel = \"g\"\nmodel = \"spike_generator\"\n\
             params = {{ spike_times = [{t}] }}\n\n[simulate]\nt = 10.0\n"
        )
    };
    accepted("spike_times_half_tic", &gen("2.0004999"));
    for (i, t) in ["2.0005", "2.001"].into_iter().enumerate() {
        let toml = gen(t);
        refused(
            &format!("spike_times_tic_off_grid_{i}"),
            &toml,
            &[line_of(&toml, "spike_times")],
            &["spike_times", t],
        );
    }
}

#[test]
fn device_window_off_the_grid() {
    // NEST 3.10: "start must be a multiple of the simulation resolution" (likewise origin, stop).
    for (i, (key, value)) in [("start", "2.05"), ("stop", "3.95"), ("origin", "0.15")]
        .into_iter()
        .enumerate()
    {
        let toml = format!(
            "[[create]]\nlabel = \"g\"\nmodel = \"spike_generator\"\n\
             params = {{ spike_times = [1.0], {key} = {value} }}\n\n[simulate]\nt = 10.0\n"
        );
        refused(
            &format!("device_window_off_grid_{i}"),
            &toml,
            &[line_of(&toml, "spike_times")],
            &[key, value, "multiple of the resolution"],
        );
    }
}
