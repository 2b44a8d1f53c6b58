//! CLI basics: help, the model list, one model's parameters, `check`'s summary, and the files
//! of a good `run` with the columns of model-file.md and the keys of stats.json.

mod common;

use std::fs;
use std::process::Stdio;

use common::*;

#[test]
fn help_mentions_out() {
    for args in [
        &["--help"][..],
        &["run", "--help"][..],
        &["help", "run"][..],
    ] {
        let o = run(args);
        assert_ok(&o, &format!("evplast {}", args.join(" ")));
        let text = stdout(&o);
        if args.contains(&"run") {
            assert!(
                text.contains("--out"),
                "`evplast {}` lacks --out:\n{text}",
                args.join(" ")
            );
        } else {
            for cmd in ["run", "check", "models"] {
                assert!(text.contains(cmd), "`evplast --help` lacks {cmd}:\n{text}");
            }
        }
    }
}

#[test]
fn models_lists_the_models() {
    let o = run(&["models"]);
    assert_ok(&o, "evplast models");
    let text = stdout(&o);
    for m in [
        "aeif_psc_delta_clopath",
        "hh_psc_alpha_clopath",
        "clopath_synapse",
        "parrot_neuron",
        "static_synapse",
        "spike_generator",
        "poisson_generator",
        "spike_recorder",
        "multimeter",
        "weight_recorder",
    ] {
        assert!(text.contains(m), "`evplast models` lacks {m}:\n{text}");
    }
}

#[test]
fn models_shows_parameters_with_defaults_and_units() {
    let o = run(&["models", "aeif_psc_delta_clopath"]);
    assert_ok(&o, "evplast models aeif_psc_delta_clopath");
    let text = stdout(&o);
    // NEST's defaults: V_peak 33 mV, C_m 281 pF, g_L 30 nS, tau_w 144 ms.
    for (name, default, unit) in [
        ("V_peak", "33", "mV"),
        ("C_m", "281", "pF"),
        ("g_L", "30", "nS"),
        ("tau_w", "144", "ms"),
    ] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{text}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        assert!(
            words.contains(&default) && words.contains(&unit),
            "{name} should show default {default} {unit}: {line:?}"
        );
    }
    assert!(text.contains("V_m"), "recordables missing:\n{text}");
}

#[test]
fn models_unknown_name_lists_known_models() {
    let o = run(&["models", "nope"]);
    assert_clean_failure(&o, "evplast models nope");
    let err = stderr(&o);
    for s in [
        "nope",
        "aeif_psc_delta_clopath",
        "parrot_neuron",
        "clopath_synapse",
    ] {
        assert!(
            err.contains(s),
            "`evplast models nope` stderr lacks {s}:\n{err}"
        );
    }
}

#[test]
#[cfg(unix)]
fn closed_stdout_does_not_panic() {
    let dir = scratch("closed_stdout");
    let good = write(&dir, "good.toml", GOOD);
    let good = good.to_str().unwrap();
    for args in [
        &["models"][..],
        &["models", "aeif_psc_delta_clopath"][..],
        &["check", good][..],
        &["--help"][..],
    ] {
        // A pipe whose reading end is already closed: the stdin of a process that has exited.
        let mut sink = std::process::Command::new("true")
            .stdin(Stdio::piped())
            .spawn()
            .expect("spawn true");
        let write_end = sink.stdin.take().unwrap();
        sink.wait().unwrap();
        let o = evplast()
            .args(args)
            .stdout(Stdio::from(write_end))
            .output()
            .expect("spawn evplast");
        let err = stderr(&o);
        assert!(
            !err.contains("panicked") && o.status.code() != Some(101),
            "`evplast {}` with a closed stdout panicked ({:?}):\n{err}",
            args.join(" "),
            o.status
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

/// spike_generator -> parrot (static, 0.1 ms) -> aeif (clopath, 2.5 ms), recorded by a
/// spike_recorder, a weight_recorder and a multimeter.
const GOOD: &str = r#"[kernel]
resolution = 0.1
rng_seed = 3

[[create]]
label = "gen"
model = "spike_generator"
params = { spike_times = [10.0, 12.3, 20.0, 30.0] }

[[create]]
label = "pre"
model = "parrot_neuron"
n = 2

[[create]]
label = "post"
model = "aeif_psc_delta_clopath"
params = { V_m = -70.6 }

[[create]]
label = "wr"
model = "weight_recorder"

[[create]]
label = "spikes"
model = "spike_recorder"

[[create]]
label = "vm"
model = "multimeter"
params = { record_from = ["V_m"], interval = 1.0 }

[[connect]]
pre = "gen"
post = "pre"
syn_spec = { weight = 1.0, delay = 0.1 }

[[connect]]
pre = "pre"
post = "post"
syn_spec = { synapse_model = "clopath_synapse", weight = 50.0, delay = 2.5, weight_recorder = "wr", scheme = "event" }

[[connect]]
pre = "pre"
post = "spikes"

[[connect]]
pre = "post"
post = "spikes"

[[connect]]
pre = "vm"
post = "post"

[simulate]
t = 50.0
"#;

#[test]
fn check_prints_counts_and_delays() {
    let dir = scratch("check_prints_counts");
    let model = write(&dir, "good.toml", GOOD);
    let o = check_model(&model);
    assert_ok(&o, "evplast check");
    let text = stdout(&o);
    // 1 gen + 2 parrots + 1 aeif + 3 recorders = 7 nodes; 2 static + 2 clopath synapses and
    // 4 recorder links (3 to the spike_recorder, 1 from the multimeter): 8 connections, as
    // NEST's num_connections counts them.
    let has = |words: &[&str]| text.lines().any(|l| words.iter().all(|w| l.contains(w)));
    assert!(has(&["nodes: 7"]), "node count 7 missing:\n{text}");
    assert!(
        has(&["connections: 8", "4 synapses", "4 recorder links"]),
        "connection count 8 (4 synapses, 4 recorder links) missing:\n{text}"
    );
    assert!(
        has(&["memory: about", "available"]),
        "memory estimate missing:\n{text}"
    );
    assert!(has(&["min_delay", "0.1"]), "min_delay 0.1 missing:\n{text}");
    assert!(has(&["max_delay", "2.5"]), "max_delay 2.5 missing:\n{text}");
    // The cost model's inputs for `auto` (docs/SCHEMES.md): 2 synapses onto 1 target, from
    // parrots repeating 4 spikes in 10..30 ms: 200 Hz.
    assert!(
        has(&[
            "[[connect]] #2 clopath_synapse: 2 synapses",
            "in-degree 2.0",
            "sources at 200.000 Hz (from generators)",
            "-> event (as set;"
        ]),
        "the update scheme line is missing:\n{text}"
    );
    // check writes nothing next to the model.
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        1,
        "check wrote files into {}",
        dir.display()
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn run_writes_the_documented_files() {
    let dir = scratch("run_writes_files");
    let model = write(&dir, "good.toml", GOOD);
    let out = dir.join("nested").join("out");
    let o = run_model(&model, &out);
    assert_ok(&o, "evplast run");
    assert!(!stderr(&o).contains("panicked"));

    let mut files = run_outputs(&out);
    files.sort();
    assert_eq!(
        files,
        [
            "connections.csv",
            "spikes.csv",
            "stats.json",
            "vm.csv",
            "wr.csv"
        ],
        "files in the run directory"
    );
    // No temporary files left behind; the manifest lists exactly the results.
    let all: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(all.len(), 6, "unexpected files: {all:?}");
    let manifest = fs::read_to_string(out.join(".evplast-manifest")).expect("manifest");
    let mut listed: Vec<&str> = manifest.lines().filter(|l| !l.starts_with('#')).collect();
    listed.sort();
    assert_eq!(listed, files, "the manifest lists the results");

    let (h, spikes) = read_csv(&out.join("spikes.csv"));
    assert_eq!(h, ["senders", "times"]);
    // Both parrots (ids 2, 3) repeat the 4 generator spikes 0.1 ms later.
    for id in ["2", "3"] {
        let times: Vec<&str> = spikes
            .iter()
            .filter(|r| r[0] == id)
            .map(|r| r[1].as_str())
            .collect();
        assert_eq!(times, ["10.1", "12.4", "20.1", "30.1"], "parrot {id}");
    }

    let (h, wr) = read_csv(&out.join("wr.csv"));
    assert_eq!(h, ["senders", "targets", "times", "weights"]);
    // One row per presynaptic spike through each of the 2 clopath synapses; `times` is the
    // presynaptic spike stamp (NEST_SEMANTICS.md §3).
    assert_eq!(wr.len(), 8, "weight_recorder rows:\n{wr:?}");
    for r in &wr {
        assert!(r[0] == "2" || r[0] == "3", "sender {r:?}");
        assert_eq!(r[1], "4", "target {r:?}");
        assert!(
            ["10.1", "12.4", "20.1", "30.1"].contains(&r[2].as_str()),
            "time {r:?}"
        );
        r[3].parse::<f64>().expect("weight is a number");
    }

    let (h, vm) = read_csv(&out.join("vm.csv"));
    assert_eq!(h, ["senders", "times", "V_m"]);
    // interval 1.0: samples at 1, 2, ..., 50 ms (NEST samples at interval, 2*interval, ...).
    assert_eq!(vm.len(), 50, "multimeter rows");
    assert_eq!(vm[0][..2], ["4", "1.0"]);
    assert_eq!(vm[49][..2], ["4", "50.0"]);
    for r in &vm {
        let v: f64 = r[2].parse().unwrap();
        assert!((-100.0..40.0).contains(&v), "V_m {v} out of range");
    }

    let (h, conns) = read_csv(&out.join("connections.csv"));
    assert_eq!(h, ["source", "target", "synapse_model", "weight", "delay"]);
    // Only plastic synapses: the 2 clopath connections, not the static gen -> parrot ones.
    assert_eq!(conns.len(), 2, "connections.csv:\n{conns:?}");
    for r in &conns {
        assert_eq!(r[1], "4");
        assert_eq!(r[2], "clopath_synapse");
        assert_eq!(r[4].parse::<f64>().unwrap(), 2.5, "delay {r:?}");
        // The final weight is the last one the weight_recorder saw for this connection.
        let last = wr
            .iter()
            .rfind(|w| w[0] == r[0] && w[1] == r[1])
            .expect("recorded");
        assert_eq!(
            r[3].parse::<f64>().unwrap(),
            last[3].parse::<f64>().unwrap()
        );
    }

    let stats: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("stats.json")).unwrap())
            .expect("stats.json is JSON");
    for key in [
        "complete",
        "t_reached_ms",
        "build_s",
        "simulate_s",
        "peak_rss_bytes",
        "n_nodes",
        "n_connections",
        "scheme",
        "spikes",
    ] {
        assert!(
            stats.get(key).is_some(),
            "stats.json lacks {key}:\n{stats:#}"
        );
    }
    assert_eq!(stats["complete"], true);
    assert_eq!(stats["t_reached_ms"], 50.0);
    assert!(stats["build_s"].as_f64().unwrap() >= 0.0);
    assert!(stats["simulate_s"].as_f64().unwrap() >= 0.0);
    // The stages' times are parts of the simulation's time.
    let stages: f64 = ["deliver", "advance", "update", "collect", "exchange"]
        .iter()
        .map(|k| {
            let x = stats["stage_s"][k].as_f64().expect("a stage time");
            assert!(x >= 0.0, "{k}: {x}");
            x
        })
        .sum();
    assert!(stages <= stats["simulate_s"].as_f64().unwrap(), "{stats:#}");
    assert!(stats["peak_rss_bytes"].as_u64().unwrap() > 0);
    assert_eq!(stats["n_nodes"], 7);
    // NEST's num_connections: 4 synapses and 4 recorder links.
    assert_eq!(stats["n_connections"], 8);
    assert_eq!(stats["scheme"], "auto");
    // One plastic projection, its scheme set by its connect call (the counters below are the
    // event scheme's), with what the cost model knew: 2 synapses onto 1 target from parrots
    // repeating 4 spikes in 10..30 ms (200 Hz), and its predictions (docs/SCHEMES.md).
    let choice = &stats["schemes"][0];
    assert_eq!(choice["scheme"], "event", "{stats:#}");
    assert_eq!(choice["chosen_by"], "setting", "{stats:#}");
    assert_eq!(choice["in_degree"], 2.0, "{choice:#}");
    assert_eq!(choice["rate_hz"], 200.0, "{choice:#}");
    assert_eq!(choice["rate_from"], "generators", "{choice:#}");
    for s in ["event", "compressed", "time"] {
        let p = &choice["predicted"][s];
        assert!(p["seconds"].as_f64().unwrap() > 0.0, "{choice:#}");
        // Table 1: every scheme makes one synapse call per incoming spike at least.
        let calls = p["synapse_calls"].as_f64().unwrap();
        assert!(
            calls >= 2.0 * 200.0 * 0.05 * 0.999,
            "{s}: {calls} calls in 50 ms\n{choice:#}"
        );
    }
    let recorded = spikes.len() as u64;
    assert!(
        stats["spikes"].as_u64().unwrap() >= recorded,
        "stats.json spikes < {recorded} recorded spikes"
    );
    let cl = &stats["clopath"];
    for key in [
        "synapse_calls",
        "weight_change_computations",
        "history_manipulations",
        "history_entries_max",
        "history_entries_mean",
    ] {
        assert!(
            cl.get(key).is_some(),
            "stats.json clopath lacks {key}:\n{stats:#}"
        );
        assert!(cl[key].as_f64().unwrap() >= 0.0, "clopath.{key}");
    }
    // Each presynaptic spike through a clopath synapse is one synapse call and one
    // weight_recorder row.
    assert_eq!(cl["synapse_calls"].as_u64().unwrap(), wr.len() as u64);
    assert!(
        cl["history_entries_mean"].as_f64().unwrap() <= cl["history_entries_max"].as_f64().unwrap()
    );
    let _ = fs::remove_dir_all(&dir);
}
