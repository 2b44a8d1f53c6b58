//! Bad input for the Urbanczik–Senn models (`pp_cond_exp_mc_urbanczik`, `urbanczik_synapse`,
//! `step_current_generator`) is refused like any other bad input (see refused.rs): `evplast
//! check` and `evplast run` exit non-zero without panicking, stderr locates the error as
//! `FILE:LINE:COL: CONTEXT: MESSAGE` and names the field, the offending value and a reason,
//! and a refused `run` leaves no results behind. NEST's rules are in
//! /work/shared/spec/nest-models.md §4–§5 and in NEST 3.10's `pp_cond_exp_mc_urbanczik.{h,cpp}`,
//! `urbanczik_synapse.h` and `step_current_generator.cpp`.
//! One good network at the end checks connections.csv and the `urbanczik` block of stats.json.

mod common;

use std::fs;

use common::*;

/// Nodes `a` and `a2` (parrot_neuron), `n` (pp_cond_exp_mc_urbanczik), `c`
/// (aeif_psc_delta_clopath), `g` (spike_generator) and `s` (step_current_generator), then
/// one `[[connect]]` from `pre` to `post` with the inline `syn_spec` (on one line).
fn urbanczik_net(pre: &str, post: &str, syn_spec: &str) -> String {
    format!(
        "[kernel]\nresolution = 0.1\n\n\
         [[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\n\n\
         [[create]]\nlabel = \"a2\"\nmodel = \"parrot_neuron\"\n\n\
         [[create]]\nlabel = \"n\"\nmodel = \"pp_cond_exp_mc_urbanczik\"\n\n\
         [[create]]\nlabel = \"c\"\nmodel = \"aeif_psc_delta_clopath\"\n\n\
         [[create]]\nlabel = \"g\"\nmodel = \"spike_generator\"\n\
         params = {{ spike_times = [1.0] }}\n\n\
         [[create]]\nlabel = \"s\"\nmodel = \"step_current_generator\"\n\
         params = {{ amplitude_times = [1.0], amplitude_values = [5.0] }}\n\n\
         [[connect]]\npre = \"{pre}\"\npost = \"{post}\"\nsyn_spec = {{ {syn_spec} }}\n\n\
         [simulate]\nt = 10.0\n"
    )
}

/// One node of `model` with the inline `params` (on one line).
fn one_node(model: &str, params: &str) -> String {
    format!(
        "[kernel]\nresolution = 0.1\n\n\
         [[create]]\nlabel = \"x\"\nmodel = \"{model}\"\nparams = {{ {params} }}\n\n\
         [simulate]\nt = 10.0\n"
    )
}

const VALID_SPIKE_RECEPTORS: [&str; 4] = ["soma_exc", "soma_inh", "dendritic_exc", "dendritic_inh"];

// ---------------------------------------------------------------------------------------------
// Receptors

#[test]
fn unknown_receptor_name_onto_urbanczik_neuron() {
    // NEST: UnknownReceptorType; the dictionary key is "dendritic_exc", not "dendrite_exc".
    let toml = urbanczik_net("a", "n", "receptor_type = \"dendrite_exc\", weight = 1.0");
    let mut needles = vec!["receptor_type", "dendrite_exc", "pp_cond_exp_mc_urbanczik"];
    needles.extend(VALID_SPIKE_RECEPTORS);
    refused(
        "unknown_receptor_name",
        &toml,
        &[line_of(&toml, "syn_spec")],
        &needles,
    );
}

#[test]
fn unknown_receptor_number_onto_urbanczik_neuron() {
    // Spike receptors are 1..=4; 5 and 6 are current receptors, 7 does not exist, and NEST
    // rejects receptor 0 for this model (also when receptor_type is left out). Non-integers
    // and negative numbers are no receptors either.
    for (i, r) in ["7", "0", "-1", "1.5"].into_iter().enumerate() {
        let toml = urbanczik_net("a", "n", &format!("receptor_type = {r}, weight = 1.0"));
        let mut needles = vec!["receptor_type", r, "pp_cond_exp_mc_urbanczik"];
        needles.extend(VALID_SPIKE_RECEPTORS);
        refused(
            &format!("unknown_receptor_number_{i}"),
            &toml,
            &[line_of(&toml, "syn_spec")],
            &needles,
        );
    }
}

#[test]
fn missing_receptor_onto_urbanczik_neuron() {
    // No receptor_type means receptor 0, which NEST rejects for pp_cond_exp_mc_urbanczik.
    let toml = urbanczik_net("a", "n", "weight = 1.0");
    let mut needles = vec!["receptor_type", "0", "pp_cond_exp_mc_urbanczik"];
    needles.extend(VALID_SPIKE_RECEPTORS);
    refused(
        "missing_receptor",
        &toml,
        &[line_of(&toml, "syn_spec")],
        &needles,
    );
}

#[test]
fn receptor_name_onto_point_neuron() {
    // aeif_psc_delta_clopath has only receptor 0 and no receptor names.
    let toml = urbanczik_net("a", "c", "receptor_type = \"soma_exc\", weight = 1.0");
    refused(
        "receptor_name_onto_point_neuron",
        &toml,
        &[line_of(&toml, "syn_spec")],
        &["receptor_type", "soma_exc", "aeif_psc_delta_clopath"],
    );
}

// ---------------------------------------------------------------------------------------------
// Weight signs

#[test]
fn negative_static_weight_onto_urbanczik_neuron() {
    // NEST's documentation: "all synaptic weights must be positive numbers! The distinction
    // between excitatory and inhibitory synapses is made explicitly by specifying the receptor
    // type". (NEST does not check it; soma_inh with -5 would add a negative conductance.)
    let toml = urbanczik_net("a", "n", "receptor_type = \"soma_inh\", weight = -5.0");
    refused(
        "negative_static_weight_onto_urbanczik",
        &toml,
        &[line_of(&toml, "syn_spec")],
        &["weight", "-5", "pp_cond_exp_mc_urbanczik"],
    );
}

#[test]
fn negative_urbanczik_weight_onto_urbanczik_neuron() {
    // The sign rules of urbanczik_synapse hold (weight, Wmin, Wmax all negative), but spike
    // weights onto pp_cond_exp_mc_urbanczik must be positive.
    let toml = urbanczik_net(
        "a",
        "n",
        "synapse_model = \"urbanczik_synapse\", receptor_type = \"dendritic_exc\", \
         weight = -1.0, Wmin = -10.0, Wmax = -0.5",
    );
    refused(
        "negative_urbanczik_weight_onto_urbanczik",
        &toml,
        &[line_of(&toml, "syn_spec")],
        &["weight", "-1", "pp_cond_exp_mc_urbanczik"],
    );
}

#[test]
fn urbanczik_weight_and_wmax_of_opposite_sign() {
    // NEST (urbanczik_synapse::set_status): "Weight and Wmax must have same sign."
    let toml = urbanczik_net(
        "a",
        "n",
        "synapse_model = \"urbanczik_synapse\", receptor_type = \"dendritic_exc\", \
         weight = 10.0, Wmax = -1.0",
    );
    refused(
        "urbanczik_weight_vs_wmax",
        &toml,
        &[line_of(&toml, "syn_spec")],
        &["weight", "10", "Wmax", "-1", "sign"],
    );
}

#[test]
fn urbanczik_positive_weight_with_zero_wmax() {
    // NEST 3.10 urbanczik_synapse.h, set_status, second check:
    //   (weight >= 0) - (weight < 0) must equal (Wmax > 0) - (Wmax <= 0)
    // so Wmax = 0 pairs only with a negative weight: weight 1 with Wmax 0 throws "Weight and
    // Wmax must have same sign." (clopath_synapse has the same rule, and evplast follows it
    // there: refused.rs clopath_weight_sign_rules). evplast compares with Wmax >= 0.
    let toml = urbanczik_net(
        "a",
        "n",
        "synapse_model = \"urbanczik_synapse\", receptor_type = \"dendritic_exc\", \
         weight = 1.0, Wmin = 0.0, Wmax = 0.0",
    );
    refused(
        "urbanczik_weight_vs_zero_wmax",
        &toml,
        &[line_of(&toml, "syn_spec")],
        &["weight", "1", "Wmax", "0", "sign"],
    );
}

// ---------------------------------------------------------------------------------------------
// Plastic synapses onto the wrong archive, or from devices

#[test]
fn urbanczik_synapse_onto_clopath_neuron() {
    // NEST test_urbanczik_synapse.py: only pp_cond_exp_mc_urbanczik accepts urbanczik_synapse.
    let toml = urbanczik_net(
        "a",
        "c",
        "synapse_model = \"urbanczik_synapse\", weight = 1.0, delay = 1.0",
    );
    refused(
        "urbanczik_synapse_onto_clopath_neuron",
        &toml,
        &[line_of(&toml, "synapse_model")],
        &[
            "urbanczik_synapse",
            "aeif_psc_delta_clopath",
            "Urbanczik archive",
        ],
    );
}

#[test]
fn urbanczik_synapse_onto_parrot() {
    let toml = urbanczik_net(
        "a",
        "a2",
        "synapse_model = \"urbanczik_synapse\", weight = 1.0, delay = 1.0",
    );
    refused(
        "urbanczik_synapse_onto_parrot",
        &toml,
        &[line_of(&toml, "synapse_model")],
        &["urbanczik_synapse", "parrot_neuron", "Urbanczik archive"],
    );
}

#[test]
fn clopath_synapse_onto_urbanczik_neuron() {
    let toml = urbanczik_net(
        "a",
        "n",
        "synapse_model = \"clopath_synapse\", receptor_type = \"dendritic_exc\", weight = 1.0",
    );
    refused(
        "clopath_synapse_onto_urbanczik_neuron",
        &toml,
        &[line_of(&toml, "synapse_model")],
        &[
            "clopath_synapse",
            "pp_cond_exp_mc_urbanczik",
            "Clopath archive",
        ],
    );
}

#[test]
fn spike_generator_drives_urbanczik_synapse() {
    // A device cannot send through a plastic synapse; a parrot_neuron must relay (nest-models.md
    // §0, §7.3).
    let toml = urbanczik_net(
        "g",
        "n",
        "synapse_model = \"urbanczik_synapse\", receptor_type = \"dendritic_exc\", weight = 1.0",
    );
    refused(
        "spike_generator_drives_urbanczik",
        &toml,
        &[line_of(&toml, "synapse_model")],
        &["urbanczik_synapse", "spike_generator", "parrot_neuron"],
    );
}

// ---------------------------------------------------------------------------------------------
// urbanczik_synapse parameters

#[test]
fn unknown_urbanczik_synapse_parameter() {
    // The parameter is tau_Delta; names are case-sensitive.
    let toml = urbanczik_net(
        "a",
        "n",
        "synapse_model = \"urbanczik_synapse\", receptor_type = \"dendritic_exc\", \
         tau_delta = 10.0",
    );
    refused(
        "unknown_urbanczik_parameter",
        &toml,
        &[line_of(&toml, "tau_delta")],
        &[
            "tau_delta",
            "urbanczik_synapse",
            "unknown parameter",
            "tau_Delta",
        ],
    );
}

#[test]
fn urbanczik_tau_delta_zero() {
    // NEST does not check tau_Delta, but 0 divides by zero in exp(-(t_s - t_l)/tau_Delta)
    // (the weight becomes NaN); a negative one makes the low-pass grow without bound.
    for (i, v) in ["0.0", "-5.0"].into_iter().enumerate() {
        let toml = urbanczik_net(
            "a",
            "n",
            &format!(
                "synapse_model = \"urbanczik_synapse\", receptor_type = \"dendritic_exc\", \
                 tau_Delta = {v}"
            ),
        );
        let shown = if i == 0 { "0" } else { "-5" };
        refused(
            &format!("urbanczik_tau_delta_{i}"),
            &toml,
            &[line_of(&toml, "tau_Delta")],
            &["tau_Delta", shown, "> 0"],
        );
    }
}

// ---------------------------------------------------------------------------------------------
// pp_cond_exp_mc_urbanczik parameters

const PP: &str = "pp_cond_exp_mc_urbanczik";

#[test]
fn dendritic_capacitance_zero() {
    // NEST: "Capacitance (dendritic) must be strictly positive."
    let toml = one_node(PP, "dendritic = { C_m = 0.0 }");
    refused(
        "dendritic_capacitance_zero",
        &toml,
        &[line_of(&toml, "C_m")],
        &["dendritic", "C_m", "0", "> 0"],
    );
}

#[test]
fn compartment_error_in_params_table_is_located_on_its_line() {
    // The NEST parity case tests/nest_cases/urbanczik_silent.toml writes neuron parameters as
    // a [create.params] table with one line per key; the error should point at the line of
    // the bad compartment, not at the header four lines above.
    let toml = r#"[kernel]
resolution = 0.1

[[create]]
label = "x"
model = "pp_cond_exp_mc_urbanczik"
[create.params]
t_ref = 3.0
phi_max = 0.1
soma = { C_m = 300.0 }
dendritic = { C_m = 0.0 }

[simulate]
t = 10.0
"#;
    refused(
        "compartment_error_in_params_table",
        toml,
        &[line_of(toml, "dendritic")],
        &["dendritic", "C_m", "0", "> 0"],
    );
}

#[test]
fn soma_synaptic_time_constant_negative() {
    // NEST: "All time constants must be strictly positive."
    let toml = one_node(PP, "soma = { tau_syn_ex = -1.0 }");
    refused(
        "soma_tau_syn_ex_negative",
        &toml,
        &[line_of(&toml, "tau_syn_ex")],
        &["soma", "tau_syn_ex", "-1", "> 0"],
    );
}

#[test]
fn unknown_compartment_parameter() {
    let toml = one_node(PP, "soma = { g_Lx = 1.0 }");
    refused(
        "unknown_compartment_parameter",
        &toml,
        &[line_of(&toml, "g_Lx")],
        &["soma", "g_Lx", "unknown parameter", "g_L"],
    );
}

#[test]
fn compartment_not_a_table() {
    let toml = one_node(PP, "soma = 5.0");
    refused(
        "compartment_not_a_table",
        &toml,
        &[line_of(&toml, "soma")],
        &["soma", "5", "table"],
    );
}

#[test]
fn negative_phi_max() {
    // NEST: "Maximum rate cannot be negative."
    let toml = one_node(PP, "phi_max = -1");
    refused(
        "negative_phi_max",
        &toml,
        &[line_of(&toml, "phi_max")],
        &["phi_max", "-1", ">= 0"],
    );
}

#[test]
fn negative_rate_slope() {
    // NEST: "Rate slope cannot be negative."
    let toml = one_node(PP, "rate_slope = -0.5");
    refused(
        "negative_rate_slope",
        &toml,
        &[line_of(&toml, "rate_slope")],
        &["rate_slope", "-0.5", ">= 0"],
    );
}

#[test]
fn negative_dead_time() {
    // NEST: "Refractory time cannot be negative."
    let toml = one_node(PP, "t_ref = -1");
    refused(
        "negative_t_ref",
        &toml,
        &[line_of(&toml, "t_ref")],
        &["t_ref", "-1", ">= 0"],
    );
}

#[test]
fn unknown_learning_signal() {
    // evplast's extension (docs/URBANCZIK.md): the valid names are listed.
    for value in ["\"spike\"", "1"] {
        let toml = one_node(PP, &format!("learning_signal = {value}"));
        refused(
            "unknown_learning_signal",
            &toml,
            &[line_of(&toml, "learning_signal")],
            &[
                "learning_signal",
                "\"spike_rate\", \"rate_rate\", \"spike_spike\"",
            ],
        );
    }
}

// ---------------------------------------------------------------------------------------------
// step_current_generator

const SCG: &str = "step_current_generator";

#[test]
fn amplitude_times_not_increasing() {
    // NEST: "step_current_generator: amplitude times must be at strictly increasing time
    // steps." (equal times too), and "Amplitude can only be changed at strictly positive
    // times (t > 0)."
    for (i, (times, shown)) in [
        ("1.0, 3.5, 2.5", "2.5"),
        ("1.0, 2.5, 2.5", "2.5"),
        ("0.0, 2.5", "0"),
    ]
    .into_iter()
    .enumerate()
    {
        let values = ["10.0", "20.0", "30.0"][..times.split(',').count()].join(", ");
        let toml = one_node(
            SCG,
            &format!("amplitude_times = [{times}], amplitude_values = [{values}]"),
        );
        refused(
            &format!("amplitude_times_not_increasing_{i}"),
            &toml,
            &[line_of(&toml, "amplitude_times")],
            &[
                "amplitude_times",
                shown,
                if i < 2 { "increasing" } else { "> 0" },
            ],
        );
    }
}

#[test]
fn amplitude_times_off_grid() {
    // NEST: "step_current_generator: Time point 2.05 is not representable in current
    // resolution."
    let toml = one_node(
        SCG,
        "amplitude_times = [1.0, 2.05], amplitude_values = [10.0, 20.0]",
    );
    refused(
        "amplitude_times_off_grid",
        &toml,
        &[line_of(&toml, "amplitude_times")],
        &["amplitude_times", "2.05", "resolution"],
    );
}

#[test]
fn amplitude_times_and_values_differ_in_length() {
    // NEST: "Amplitude times and values have to be the same size." (and giving only one of
    // the two: "Amplitude times and values must be reset together.")
    for (i, (times, values)) in [("1.0, 2.0", "7.5"), ("1.0", "7.5, 8.5"), ("1.0, 2.0", "")]
        .into_iter()
        .enumerate()
    {
        let params = if values.is_empty() {
            format!("amplitude_times = [{times}]")
        } else {
            format!("amplitude_times = [{times}], amplitude_values = [{values}]")
        };
        let toml = one_node(SCG, &params);
        let mut needles = vec!["amplitude_values"];
        if !values.is_empty() {
            needles.push("7.5");
        }
        refused(
            &format!("amplitude_length_mismatch_{i}"),
            &toml,
            &[line_of(&toml, "amplitude_times")],
            &needles,
        );
    }
}

#[test]
fn current_generator_onto_spike_receptor() {
    // Currents go to soma_curr (5) or dendritic_curr (6); dendritic_exc (3) is a spike
    // receptor (NEST: IncompatibleReceptorType ... CurrentEvent), and receptor 0 is rejected.
    for (i, (r, shown)) in [
        ("receptor_type = \"dendritic_exc\", ", "dendritic_exc"),
        ("receptor_type = 3, ", "3"),
        ("", "0"),
    ]
    .into_iter()
    .enumerate()
    {
        let toml = urbanczik_net("s", "n", &format!("{r}weight = 1.0"));
        refused(
            &format!("current_generator_onto_spike_receptor_{i}"),
            &toml,
            &[line_of(&toml, "syn_spec")],
            &["receptor_type", shown, "soma_curr", "dendritic_curr"],
        );
    }
}

#[test]
fn spike_input_onto_current_receptor() {
    // The reverse: spikes cannot go to soma_curr.
    let toml = urbanczik_net("a", "n", "receptor_type = \"soma_curr\", weight = 1.0");
    let mut needles = vec!["receptor_type", "soma_curr"];
    needles.extend(VALID_SPIKE_RECEPTORS);
    refused(
        "spike_input_onto_current_receptor",
        &toml,
        &[line_of(&toml, "syn_spec")],
        &needles,
    );
}

// ---------------------------------------------------------------------------------------------
// A good network

const GOOD: &str = r#"[kernel]
resolution = 0.1
rng_seed = 5
# The counters checked below are the event scheme's (Table 1).
scheme = "event"

[[create]]
label = "nrn"
model = "pp_cond_exp_mc_urbanczik"
params = { soma = { C_m = 300.0 }, dendritic = { g_L = 30.0 } }

[[create]]
label = "other"
model = "pp_cond_exp_mc_urbanczik"

[[create]]
label = "gen"
model = "spike_generator"
n = 2
params = [ { spike_times = [1.0, 5.0, 12.0, 30.0] }, { spike_times = [2.0, 5.0, 20.0, 40.0, 41.0] } ]

[[create]]
label = "pre"
model = "parrot_neuron"
n = 2

[[create]]
label = "drive"
model = "spike_generator"
params = { spike_times = [3.0, 10.0, 25.0] }

[[create]]
label = "teacher"
model = "step_current_generator"
params = { amplitude_times = [5.0, 25.0], amplitude_values = [400.0, -100.0] }

[[create]]
label = "wr"
model = "weight_recorder"

[[connect]]
pre = "gen"
post = "pre"
conn_spec = { rule = "one_to_one" }
syn_spec = { delay = 0.1 }

[[connect]]
pre = "pre[0]"
post = "nrn"
syn_spec = { synapse_model = "urbanczik_synapse", receptor_type = "dendritic_exc", weight = 50.0, delay = 0.1, eta = 0.5, Wmax = 500.0, weight_recorder = "wr" }

[[connect]]
pre = "pre[1]"
post = "nrn"
syn_spec = { synapse_model = "urbanczik_synapse", receptor_type = 3, weight = 80.0, delay = 1.0, weight_recorder = "wr" }

[[connect]]
pre = "drive"
post = "nrn"
syn_spec = { receptor_type = 1, weight = 5.0, delay = 0.1 }

[[connect]]
pre = "drive"
post = "other"
syn_spec = { receptor_type = "dendritic_inh", weight = 5.0, delay = 0.1 }

[[connect]]
pre = "teacher"
post = "nrn"
syn_spec = { receptor_type = "soma_curr", weight = 1.0, delay = 0.1 }

[[connect]]
pre = "teacher"
post = "other"
syn_spec = { receptor_type = 6, weight = -1.0, delay = 0.1 }

[simulate]
t = 50.0
"#;

#[test]
fn good_urbanczik_network_runs() {
    accepted("good_urbanczik_check", GOOD);
    let dir = scratch("good_urbanczik_network");
    let model = write(&dir, "model.toml", GOOD);
    let out = dir.join("out");
    let o = run_model(&model, &out);
    assert_ok(&o, "good urbanczik network");

    // Node ids in creation order: nrn 1, other 2, gen 3-4, pre 5-6, drive 7, teacher 8, wr 9.
    let (h, wr) = read_csv(&out.join("wr.csv"));
    assert_eq!(h, ["senders", "targets", "times", "weights"]);
    assert!(!wr.is_empty(), "the weight_recorder saw no spikes");
    for r in &wr {
        assert!(r[0] == "5" || r[0] == "6", "weight_recorder row {r:?}");
        assert_eq!(r[1], "1", "weight_recorder row {r:?}");
        let w: f64 = r[3].parse().unwrap();
        assert!(
            (0.0..=500.0).contains(&w),
            "weight {w} outside [Wmin, Wmax]"
        );
    }
    // 4 spikes through pre[0], 5 through pre[1], all before the end (delays 0.1 and 1 ms).
    assert_eq!(wr.len(), 9, "weight_recorder rows:\n{wr:?}");

    let (h, conns) = read_csv(&out.join("connections.csv"));
    assert_eq!(h, ["source", "target", "synapse_model", "weight", "delay"]);
    let urb: Vec<_> = conns
        .iter()
        .filter(|r| r[2] == "urbanczik_synapse")
        .collect();
    assert_eq!(urb.len(), 2, "connections.csv:\n{conns:?}");
    for (r, (src, delay)) in urb.iter().zip([("5", 0.1), ("6", 1.0)]) {
        assert_eq!(r[0], src, "{r:?}");
        assert_eq!(r[1], "1", "{r:?}");
        assert_eq!(r[4].parse::<f64>().unwrap(), delay, "{r:?}");
        // The final weight is the last one the weight_recorder saw for this connection.
        let last = wr.iter().rfind(|w| w[0] == r[0]).expect("recorded");
        assert_eq!(
            r[3].parse::<f64>().unwrap(),
            last[3].parse::<f64>().unwrap()
        );
    }

    let stats: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("stats.json")).unwrap())
            .expect("stats.json is JSON");
    let steps = stats["steps"].as_u64().expect("stats.json steps");
    assert_eq!(steps, 500, "50 ms at 0.1 ms");
    let u = &stats["urbanczik"];
    assert!(
        u.is_object(),
        "stats.json has no urbanczik object:\n{stats:#}"
    );
    for key in [
        "synapse_calls",
        "weight_change_computations",
        "history_manipulations",
        "history_entries_max",
        "history_entries_mean",
    ] {
        assert!(
            u.get(key).is_some(),
            "stats.json urbanczik lacks {key}:\n{stats:#}"
        );
        assert!(u[key].as_f64().unwrap() >= 0.0, "urbanczik.{key}");
    }
    // One archive entry per step, and only for the neuron with urbanczik_synapse inputs
    // ("other" has none, so it keeps no archive): nest-models.md §4.6.
    assert_eq!(
        u["history_manipulations"].as_u64().unwrap(),
        steps,
        "history_manipulations:\n{stats:#}"
    );
    // Each presynaptic spike through an urbanczik synapse is one synapse call and one
    // weight_recorder row.
    assert_eq!(u["synapse_calls"].as_u64().unwrap(), wr.len() as u64);
    assert!(u["weight_change_computations"].as_u64().unwrap() > 0);
    assert!(u["history_entries_max"].as_u64().unwrap() >= 1);
    assert!(u["history_entries_mean"].as_f64().unwrap() > 0.0);
    assert!(
        u["history_entries_max"].as_f64().unwrap() >= u["history_entries_mean"].as_f64().unwrap()
    );
    let _ = fs::remove_dir_all(&dir);
}
