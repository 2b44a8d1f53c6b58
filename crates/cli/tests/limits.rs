//! Limits (README "Limits"): counts beyond what the kernel's types hold and networks beyond
//! the memory are refused quickly, before anything is allocated, with `FILE:LINE:COL`, the
//! field, the value and the limit; messages stay short and say what exists; stats.json
//! counts as NEST does.

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::*;

/// Huge counts must be refused long before any allocation could take this long.
const QUICK: Duration = Duration::from_secs(20);

/// `[[create]]` of `n` parrots labelled `label`.
fn parrots(label: &str, n: &str) -> String {
    format!("[[create]]\nlabel = \"{label}\"\nmodel = \"parrot_neuron\"\nn = {n}\n\n")
}

const SIM: &str = "[simulate]\nt = 1.0\n";

/// `refused_env`, also asserting that it was quick.
fn refused_quickly(name: &str, toml: &str, env: &[(&str, &str)], line: usize, needles: &[&str]) {
    let t0 = Instant::now();
    refused_env(name, toml, env, &[line], needles);
    assert!(
        t0.elapsed() < QUICK,
        "{name}: refusing took {:?}",
        t0.elapsed()
    );
}

#[test]
fn huge_node_counts_are_refused_with_the_limit() {
    // Node ids are u32 and 1-based: at most 2^32 − 2 nodes. Integers and floats alike.
    for (i, n) in ["9223372036854775807", "4294967296", "1e300", "4294967295"]
        .into_iter()
        .enumerate()
    {
        let toml = format!("{}{SIM}", parrots("a", n));
        refused_quickly(
            &format!("huge_n_{i}"),
            &toml,
            &[],
            line_of(&toml, "n = "),
            &["n", n, "4294967294", "node ids"],
        );
    }
    // The limit counts the nodes created before.
    let toml = format!("{}{}{SIM}", parrots("a", "10"), parrots("b", "4294967290"));
    refused_quickly(
        "huge_n_in_all",
        &toml,
        &[],
        line_of(&toml, "n = 4294967290"),
        &["4294967290", "4294967300", "4294967294", "10 exist"],
    );
    // Within the id limit, the memory refuses: about 150 B per parrot.
    let toml = format!("{}{SIM}", parrots("a", "4294967294"));
    refused_quickly(
        "huge_n_memory",
        &toml,
        &[("EVPLAST_MEMORY_AVAILABLE", "8000000000")],
        line_of(&toml, "n = "),
        &[
            "4294967294",
            "needs about",
            "GiB",
            "7.5 GiB available",
            "EVPLAST_MEMORY_AVAILABLE",
        ],
    );
}

#[test]
fn huge_connection_counts_are_refused_with_the_limit() {
    // Synapse tables index rows with u32: at most 2^32 − 1 connections in all.
    let net = format!("{}{}", parrots("a", "100000"), parrots("b", "100000"));
    for (i, (key, value, rule)) in [
        ("indegree", "9223372036854775807", "fixed_indegree"),
        ("indegree", "1e10", "fixed_indegree"),
        ("outdegree", "1e300", "fixed_outdegree"),
        ("N", "4294967296", "fixed_total_number"),
    ]
    .into_iter()
    .enumerate()
    {
        let toml = format!(
            "{net}[[connect]]\npre = \"a\"\npost = \"b\"\n\
             conn_spec = {{ rule = \"{rule}\", {key} = {value} }}\n\n{SIM}"
        );
        refused_quickly(
            &format!("huge_count_{i}"),
            &toml,
            &[],
            line_of(&toml, "conn_spec"),
            &[key, value, "4294967295", "connections"],
        );
    }
    // Each count is fine, the product is not: 100000 targets × 50000.
    let toml = format!(
        "{net}[[connect]]\npre = \"a\"\npost = \"b\"\n\
         conn_spec = {{ rule = \"fixed_indegree\", indegree = 50000 }}\n\n{SIM}"
    );
    refused_quickly(
        "huge_product",
        &toml,
        &[],
        line_of(&toml, "conn_spec"),
        &["indegree", "5000000000", "4294967295"],
    );
    // all_to_all counts its pairs before drawing any.
    let toml = format!(
        "{}{}[[connect]]\npre = \"a\"\npost = \"b\"\n\n{SIM}",
        parrots("a", "70000"),
        parrots("b", "70000")
    );
    refused_quickly(
        "huge_all_to_all",
        &toml,
        &[],
        line_of(&toml, "pre = \"a\"") - 1,
        &["4900000000", "4294967295", "conn_spec"],
    );
}

#[test]
fn a_network_beyond_the_memory_is_refused_before_it_is_built() {
    // 60000 × 60000 = 3.6e9 connections fit the count limit but need ~94 GB (26 B each).
    let toml = format!(
        "{}{}[[connect]]\npre = \"a\"\npost = \"b\"\nconn_spec = {{ rule = \"all_to_all\" }}\n\n{SIM}",
        parrots("a", "60000"),
        parrots("b", "60000")
    );
    refused_quickly(
        "memory_all_to_all",
        &toml,
        &[("EVPLAST_MEMORY_AVAILABLE", "16000000000")],
        line_of(&toml, "conn_spec"),
        &[
            "3600000000 connections",
            "needs about 87.2 GiB",
            "synapses 87.2 GiB",
            "14.9 GiB available",
        ],
    );
    // Long delays make every input ring long: 10^6 parrots × 2^17 slots × 8 B = 977 GiB,
    // known only once the delays are (the check before building).
    let toml = format!(
        "{}[[connect]]\npre = \"a[0]\"\npost = \"a[1]\"\nsyn_spec = {{ delay = 6553.5 }}\n\n{SIM}",
        parrots("a", "1000000")
    );
    refused_quickly(
        "memory_input_rings",
        &toml,
        &[("EVPLAST_MEMORY_AVAILABLE", "16000000000")],
        1,
        &["network", "input buffers 9", "GiB", "14.9 GiB available"],
    );
}

#[test]
fn check_prints_the_memory_estimate() {
    // 1000 × 1000 static synapses at 26 B each (collected columns and the sort permutation).
    let toml = format!(
        "{}{}[[connect]]\npre = \"a\"\npost = \"b\"\n\n{SIM}",
        parrots("a", "1000"),
        parrots("b", "1000")
    );
    let dir = scratch("check_memory");
    let model = write(&dir, "model.toml", &toml);
    let o = check_model_env(&model, &[("EVPLAST_MEMORY_AVAILABLE", "5000000000")]);
    assert_ok(&o, "check");
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("memory: about"))
        .unwrap_or_else(|| panic!("no memory line:\n{text}"));
    assert!(
        line.contains("synapses 24.8 MiB")
            && line.contains("4.7 GiB available (EVPLAST_MEMORY_AVAILABLE)"),
        "{line}"
    );
    assert!(
        text.contains("connections: 1000000 (1000000 synapses, 0 recorder links)"),
        "{text}"
    );
    // A bad override is an error, not ignored.
    let o = check_model_env(&model, &[("EVPLAST_MEMORY_AVAILABLE", "lots")]);
    assert_clean_failure(&o, "bad EVPLAST_MEMORY_AVAILABLE");
    assert!(
        stderr(&o).contains("EVPLAST_MEMORY_AVAILABLE"),
        "{}",
        stderr(&o)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn whole_numbers_may_be_written_as_floats() {
    // README: integers and floats are read alike; a float count must be whole.
    let toml = format!(
        "{}{}[[connect]]\npre = \"a\"\npost = \"b\"\n\
         conn_spec = {{ rule = \"fixed_indegree\", indegree = 2.0 }}\n\n\
         [kernel]\nrng_seed = 5.0\n\n{SIM}",
        parrots("a", "3.0"),
        parrots("b", "2")
    );
    let text = accepted("float_counts", &toml);
    assert!(text.contains("n = 3 "), "{text}");
    assert!(text.contains("connections: 4 "), "{text}");
    let toml = format!("{}{SIM}", parrots("a", "3.5"));
    refused(
        "fractional_n",
        &toml,
        &[line_of(&toml, "n = ")],
        &["n", "3.5", "whole number"],
    );
    let toml = format!(
        "{}[[connect]]\npre = \"a\"\npost = \"a\"\nconn_spec = {{ rule = \"fixed_outdegree\", outdegree = 1.5 }}\n\n{SIM}",
        parrots("a", "3")
    );
    refused(
        "fractional_outdegree",
        &toml,
        &[line_of(&toml, "conn_spec")],
        &["outdegree", "1.5", "whole number"],
    );
}

#[test]
fn spike_multiplicities_beyond_32_bits_are_refused() {
    // Not silently capped: the kernel's multiplicity is a u32 (the model layer shows the
    // value as a number, 1e10 = 10000000000).
    let gen = |m: &str| {
        format!(
            "[[create]]\nlabel = \"g\"\nmodel = \"spike_generator\"\n\
             params = {{ spike_times = [1.0], spike_multiplicities = [{m}] }}\n\n{SIM}"
        )
    };
    let toml = gen("1e10");
    refused(
        "multiplicity_1e10",
        &toml,
        &[line_of(&toml, "spike_multiplicities")],
        &["spike_multiplicities", "10000000000", "4294967295"],
    );
    accepted("multiplicity_max", &gen("4294967295"));
}

#[test]
fn rng_seed_as_nest() {
    // NEST 3.10 (measured): SetKernelStatus({'rng_seed': 0}) raises "RNG seed must be in
    // (0, 2^32-1)."; 1 and 2^32 − 1 are accepted, 2^32 and −1 refused.
    let kernel = |seed: &str| format!("[kernel]\nrng_seed = {seed}\n\n{}{SIM}", parrots("a", "1"));
    for (i, seed) in ["0", "4294967296", "-1"].into_iter().enumerate() {
        let toml = kernel(seed);
        refused(
            &format!("rng_seed_{i}"),
            &toml,
            &[line_of(&toml, "rng_seed")],
            &[
                "kernel.rng_seed",
                seed,
                "4294967295",
                "RNG seed must be in (0, 2^32-1)",
            ],
        );
    }
    accepted("rng_seed_1", &kernel("1"));
    accepted("rng_seed_max", &kernel("4294967295"));
}

#[test]
fn delays_and_runs_beyond_their_bits_are_refused() {
    let two = format!("{}{}", parrots("a", "1"), parrots("b", "1"));
    // Delays are u16 steps: 6553.5 ms is 65535 steps at 0.1 ms, 6553.6 ms is one too many.
    let conn = |d: &str| {
        format!(
            "{two}[[connect]]\npre = \"a\"\npost = \"b\"\nsyn_spec = {{ delay = {d} }}\n\n{SIM}"
        )
    };
    let toml = conn("6553.6");
    refused(
        "delay_over_u16",
        &toml,
        &[line_of(&toml, "syn_spec")],
        &["delay", "6553.6", "65535 steps", "6553.5 ms"],
    );
    let text = accepted("delay_u16_max", &conn("6553.5"));
    assert!(text.contains("max_delay 6553.5 ms"), "{text}");
    // Runs: at most 2^31 − 1 steps (214748364.7 ms at 0.1 ms).
    let run = |t: &str| format!("{}[simulate]\nt = {t}\n", parrots("a", "1"));
    for (i, t) in ["214748364.8", "1e300"].into_iter().enumerate() {
        let toml = run(t);
        refused(
            &format!("run_over_i32_{i}"),
            &toml,
            &[line_of(&toml, "t = ")],
            &["simulate.t", t, "2147483647 steps", "214748364.7 ms"],
        );
    }
    accepted("run_i32_max", &run("214748364.7"));
}

#[test]
fn models_without_parameters_say_so() {
    let toml = format!(
        "[[create]]\nlabel = \"sr\"\nmodel = \"spike_recorder\"\nparams = {{ rate = 1.0 }}\n\n{SIM}"
    );
    // A recorder takes only the recorders' shared keys (devices/recording.rs).
    refused(
        "spike_recorder_params",
        &toml,
        &[line_of(&toml, "rate")],
        &[
            "'rate'",
            "valid parameters: origin, start, stop, label, record_to, time_in_steps",
        ],
    );
    // static_synapse's only parameters are weight and delay.
    let toml = format!(
        "{}{}[[connect]]\npre = \"a\"\npost = \"b\"\nsyn_spec = {{ tau_x = 3.0 }}\n\n{SIM}",
        parrots("a", "1"),
        parrots("b", "1")
    );
    let dir = scratch("static_params");
    let o = check_model(&write(&dir, "model.toml", &toml));
    assert_clean_failure(&o, "static_synapse tau_x");
    assert!(
        stderr(&o).contains("unknown parameter 'tau_x' (valid parameters: weight, delay)"),
        "{}",
        stderr(&o)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn unknown_distributions_say_which_exist() {
    let toml = format!(
        "{}{}[[connect]]\npre = \"a\"\npost = \"b\"\nsyn_spec = {{ weight = {{ gauss = {{ mean = 1.0 }} }} }}\n\n{SIM}",
        parrots("a", "1"),
        parrots("b", "1")
    );
    refused(
        "unknown_distribution_weight",
        &toml,
        &[line_of(&toml, "gauss")],
        &[
            "weight",
            "unknown distribution 'gauss'",
            "normal, uniform, lognormal, exponential",
        ],
    );
    let toml = format!(
        "[[create]]\nlabel = \"b\"\nmodel = \"aeif_psc_delta_clopath\"\n\
         params = {{ V_m = {{ gauss = {{ mean = -60.0 }} }} }}\n\n{SIM}"
    );
    refused(
        "unknown_distribution_param",
        &toml,
        &[line_of(&toml, "gauss")],
        &["V_m", "gauss", "normal, uniform, lognormal, exponential"],
    );
}

#[test]
fn huge_strings_are_cut_in_messages() {
    let big = "x".repeat(1_000_000);
    let cut = format!("{}… (1000000 bytes)", "x".repeat(60));
    for (i, toml) in [
        // a huge label in the context of another error
        format!("[[create]]\nlabel = \"{big}\"\nmodel = \"nope\"\n\n{SIM}"),
        // a huge model name
        format!("[[create]]\nlabel = \"a\"\nmodel = \"{big}\"\n\n{SIM}"),
        // a huge unknown label, and a huge parameter name and value
        format!("{}[[connect]]\npre = \"{big}\"\npost = \"a\"\n\n{SIM}", parrots("a", "1")),
        format!("[[create]]\nlabel = \"a\"\nmodel = \"parrot_neuron\"\nparams = {{ {big} = \"{big}\" }}\n\n{SIM}"),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = scratch(&format!("huge_string_{i}"));
        let o = check_model(&write(&dir, "model.toml", &toml));
        assert_clean_failure(&o, "huge string");
        let err = stderr(&o);
        assert!(err.contains(&cut), "case {i}: {}", &err[..err.len().min(500)]);
        assert!(err.len() < 2000, "case {i}: a {} byte message", err.len());
        let _ = fs::remove_dir_all(&dir);
    }
}

#[test]
fn times_beyond_the_time_range_are_refused() {
    let toml = format!(
        "[[create]]\nlabel = \"g\"\nmodel = \"dc_generator\"\nparams = {{ start = 1e300 }}\n\n{SIM}"
    );
    refused(
        "start_1e300",
        &toml,
        &[line_of(&toml, "start")],
        &["start", "1e300", "largest time"],
    );
}

#[test]
fn device_windows_compare_steps() {
    // spike_generator: start < t ≤ stop, times relative to origin (NEST 3.10). With origin
    // 0.5, start 1.0, stop 3.0 the spikes at 1, 2, 3 ms are emitted at 2.5 and 3.5 ms (1.0
    // is not after start; 3.0 is not after stop).
    let toml = "[kernel]\nresolution = 0.1\n\n\
        [[create]]\nlabel = \"g\"\nmodel = \"spike_generator\"\n\
        params = { spike_times = [1.0, 2.0, 3.0], origin = 0.5, start = 1.0, stop = 3.0 }\n\n\
        [[create]]\nlabel = \"sr\"\nmodel = \"spike_recorder\"\n\n\
        [[connect]]\npre = \"g\"\npost = \"sr\"\n\n[simulate]\nt = 10.0\n";
    let dir = scratch("device_windows");
    let out = dir.join("out");
    assert_ok(&run_model(&write(&dir, "model.toml", toml), &out), "run");
    let (_, rows) = read_csv(&out.join("sr.csv"));
    let times: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(times, ["2.5", "3.5"]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn stats_count_as_nest() {
    // NEST 3.10 (measured with the same network): a spike_generator with multiplicities
    // [1, 2, 1] drives a parrot; both are recorded. local_spike_counter = 4 (the parrot's
    // spikes times their multiplicity; the generator's are not counted), num_connections = 3
    // (generator → parrot and both recorder links).
    let toml = "[[create]]\nlabel = \"g\"\nmodel = \"spike_generator\"\n\
        params = { spike_times = [1.0, 2.0, 3.0], spike_multiplicities = [1, 2, 1] }\n\n\
        [[create]]\nlabel = \"p\"\nmodel = \"parrot_neuron\"\n\n\
        [[create]]\nlabel = \"sr\"\nmodel = \"spike_recorder\"\n\n\
        [[connect]]\npre = \"g\"\npost = \"p\"\n\n\
        [[connect]]\npre = \"p\"\npost = \"sr\"\n\n\
        [[connect]]\npre = \"g\"\npost = \"sr\"\n\n[simulate]\nt = 10.0\n";
    let dir = scratch("stats_as_nest");
    let out = dir.join("out");
    assert_ok(&run_model(&write(&dir, "model.toml", toml), &out), "run");
    let stats: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["spikes"], 4, "{stats:#}");
    assert_eq!(stats["n_connections"], 3, "{stats:#}");
    // The recorder saw the generator's 4 spikes and the parrot's 4.
    let (_, rows) = read_csv(&out.join("sr.csv"));
    assert_eq!(rows.len(), 8);
    let _ = fs::remove_dir_all(&dir);
}

/// `evplast ARGS` with its address space limited to `kib` KiB (`ulimit -v`).
fn evplast_limited(kib: u64, args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_evplast"))
        .args(args)
        .output()
        .expect("spawn sh")
}

#[test]
fn check_validates_without_storing_and_a_failed_allocation_is_an_error() {
    // 3000 × 3000 static synapses: about 223 MiB when built. In 100 MB of address space
    // `check` validates every connection and prints the estimate (it stores none), and `run`
    // stops with an error when an allocation fails, instead of aborting.
    let toml = format!(
        "{}{}[[connect]]\npre = \"a\"\npost = \"b\"\n\n{SIM}",
        parrots("a", "3000"),
        parrots("b", "3000")
    );
    let dir = scratch("ulimit");
    let model = write(&dir, "model.toml", &toml);
    let o = evplast_limited(100_000, &["check".as_ref(), model.as_os_str()]);
    assert_ok(&o, "check in 100 MB");
    assert!(stdout(&o).contains("synapses 223 MiB"), "{}", stdout(&o));
    let out = dir.join("out");
    let o = evplast_limited(
        100_000,
        &[
            "run".as_ref(),
            model.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
    );
    assert_clean_failure(&o, "run in 100 MB");
    let err = stderr(&o);
    assert!(
        location(&err, &model).is_some() && err.contains("out of memory: the system refused"),
        "{err}"
    );
    assert!(!out.join("stats.json").exists());
    let _ = fs::remove_dir_all(&dir);
}

/// A recorder's label names its file: one that cannot be a file name (a control character, or
/// longer than the 255-byte file-name limit allows for `.<label>.csv.partial`) is refused by
/// `check` and `run` alike, before anything is simulated (found by the fuzzer).
#[test]
fn labels_that_cannot_name_a_file_are_refused() {
    for (name, label) in [
        ("label_nul", "\\u0000"),
        ("label_tab", "a\\tb"),
        ("label_long", &"x".repeat(241)),
    ] {
        let toml = format!(
            "[[create]]\nlabel = \"{label}\"\nmodel = \"spike_recorder\"\n\n[simulate]\nt = 1.0\n"
        );
        refused(
            name,
            &toml,
            &[2],
            &["label", "240 bytes", "control characters"],
        );
    }
    // 240 bytes is accepted.
    let toml = format!(
        "[[create]]\nlabel = \"{}\"\nmodel = \"spike_recorder\"\n\n[simulate]\nt = 1.0\n",
        "x".repeat(240)
    );
    accepted("label_240", &toml);
}

/// A `params` table that reads as a distribution is refused with what to write instead (it
/// reached an `unreachable!()`; found by the fuzzer).
#[test]
fn a_distribution_in_place_of_the_params_table_is_refused() {
    refused(
        "params_is_a_distribution",
        "[[create]]\nlabel = \"n\"\nmodel = \"parrot_neuron\"\nparams = { lognormal = {} }\n\n[simulate]\nt = 1.0\n",
        &[4],
        &["params", "is a distribution ('lognormal')", "under a parameter's name"],
    );
    refused(
        "params_entry_is_a_distribution",
        "[[create]]\nlabel = \"n\"\nmodel = \"parrot_neuron\"\nn = 2\nparams = [ { normal = {} }, {} ]\n\n[simulate]\nt = 1.0\n",
        &[5],
        &["params[0]", "is a distribution ('normal')"],
    );
}

/// `stop = inf` (the default, as `evplast models` shows it, and accepted by NEST) may be
/// written; `-inf` and `nan` are refused.
#[test]
fn device_stop_may_be_inf() {
    let model = |stop: &str| {
        format!(
            "[[create]]\nlabel = \"pg\"\nmodel = \"poisson_generator\"\nparams = {{ rate = 10.0, stop = {stop} }}\n\n[simulate]\nt = 1.0\n"
        )
    };
    accepted("stop_inf", &model("inf"));
    for (name, v) in [("stop_minus_inf", "-inf"), ("stop_nan", "nan")] {
        refused(
            name,
            &model(v),
            &[4],
            &["stop", "must be a finite number or inf"],
        );
    }
}

#[test]
fn thread_counts_outside_1_to_1024_are_refused() {
    // kernel.local_num_threads (NEST's name) in the model file: located, with the limit.
    for (v, needle) in [("0", ">= 1"), ("-2", ">= 1"), ("1025", "1024")] {
        let toml = format!(
            "[kernel]\nlocal_num_threads = {v}\n\n{}[simulate]\nt = 1.0\n",
            parrots("a", "1")
        );
        refused(
            &format!("threads_{v}"),
            &toml,
            &[2],
            &["kernel.local_num_threads", v, needle],
        );
    }
    // --threads on the command line: refused before anything is read.
    let dir = scratch("threads_flag");
    let model = write(
        &dir,
        "m.toml",
        &format!("{}[simulate]\nt = 1.0\n", parrots("a", "1")),
    );
    for (v, needle) in [
        ("0", "at least 1"),
        ("1025", "more than 1024"),
        ("two", "not a whole number"),
    ] {
        let o = run(&[
            "run",
            &model.display().to_string(),
            "--out",
            &dir.join("out").display().to_string(),
            "--threads",
            v,
        ]);
        assert_eq!(o.status.code(), Some(2), "--threads {v}: a usage error");
        assert!(stderr(&o).contains(needle), "--threads {v}: {}", stderr(&o));
        assert!(!dir.join("out").exists(), "--threads {v} wrote results");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_launch_by_mpirun_without_the_mpi_feature_is_refused() {
    // Without the `mpi` feature every rank would run the whole network into the same
    // directory; the binary says so instead (OpenMPI's and PMI's variables).
    let dir = scratch("mpi_without_feature");
    let model = write(
        &dir,
        "m.toml",
        &format!("{}[simulate]\nt = 1.0\n", parrots("a", "1")),
    );
    let out = dir.join("out");
    for var in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
        let o = run_model_env(&model, &out, &[(var, "2")]);
        assert_clean_failure(&o, var);
        let e = stderr(&o);
        assert!(
            e.contains("without MPI") && e.contains("--features mpi"),
            "{var}: {e}"
        );
        assert!(run_outputs(&out).is_empty(), "{var}: results written");
    }
    // One rank of one is a plain run.
    assert_ok(
        &run_model_env(&model, &out, &[("OMPI_COMM_WORLD_SIZE", "1")]),
        "one rank",
    );
    let _ = fs::remove_dir_all(&dir);
}
