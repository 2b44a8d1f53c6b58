//! Determinism: the same model file with the same `rng_seed` gives byte-identical outputs
//! (every file but stats.json, which holds timings); another seed gives other results.
//! Every random draw is used: Poisson trains, a `normal` V_m, `fixed_indegree`, `uniform`
//! weights, and clopath synapses whose weights follow from all of them.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::*;

const MODEL: &str = r#"[kernel]
resolution = 0.1
rng_seed = SEED

[[create]]
label = "pg"
model = "poisson_generator"
n = 4
params = { rate = 30.0 }

[[create]]
label = "inp"
model = "parrot_neuron"
n = 20

[[create]]
label = "exc"
model = "aeif_psc_delta_clopath"
n = 8
params = { V_m = { normal = { mean = -60.0, std = 5.0 } }, A_LTP = 8.0e-4, A_LTD = 14.0e-4 }

[[create]]
label = "wr"
model = "weight_recorder"

[[create]]
label = "sr"
model = "spike_recorder"

[[create]]
label = "mm"
model = "multimeter"
params = { record_from = ["V_m", "u_bar_plus"], interval = 1.0 }

[[connect]]
pre = "pg"
post = "inp"
conn_spec = { rule = "fixed_indegree", indegree = 2 }
syn_spec = { delay = 0.1 }

[[connect]]
pre = "inp"
post = "exc"
conn_spec = { rule = "fixed_indegree", indegree = 6 }
syn_spec = { synapse_model = "clopath_synapse", weight = { uniform = { min = 5.0, max = 15.0 } }, delay = 1.0, weight_recorder = "wr" }

[[connect]]
pre = "inp"
post = "sr"

[[connect]]
pre = "exc"
post = "sr"

[[connect]]
pre = "mm"
post = "exc"

[simulate]
t = 500.0
"#;

const OUTPUTS: [&str; 4] = ["sr.csv", "wr.csv", "mm.csv", "connections.csv"];

fn run_seed(dir: &Path, seed: u64, out: &str) -> std::path::PathBuf {
    let model = write(
        dir,
        &format!("seed{seed}.toml"),
        &MODEL.replace("SEED", &seed.to_string()),
    );
    let out = dir.join(out);
    assert_ok(&run_model(&model, &out), &format!("run with seed {seed}"));
    out
}

fn stats(out: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(out.join("stats.json")).unwrap()).unwrap()
}

/// (source, target) pairs of connections.csv.
fn pairs(out: &Path) -> BTreeSet<(u32, u32)> {
    let (_, rows) = read_csv(&out.join("connections.csv"));
    rows.iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_spikes() {
    let dir = scratch("determinism");
    let a = run_seed(&dir, 12345, "a");
    let b = run_seed(&dir, 12345, "b");
    let c = run_seed(&dir, 54321, "c");

    // The run is not trivial: inputs and exc neurons (ids 25..=32) spike, weights are recorded.
    let (_, spikes) = read_csv(&a.join("sr.csv"));
    let exc_spikes = spikes
        .iter()
        .filter(|r| r[0].parse::<u32>().unwrap() >= 25)
        .count();
    assert!(
        exc_spikes > 10,
        "fixture too quiet: {exc_spikes} exc spikes"
    );
    assert!(spikes.len() > exc_spikes + 100, "fixture too quiet: inputs");
    assert!(read_csv(&a.join("wr.csv")).1.len() > 100);

    // Same seed: every output but stats.json byte-identical.
    let mut names: Vec<String> = run_outputs(&a)
        .into_iter()
        .filter(|n| n != "stats.json")
        .collect();
    names.sort();
    let mut expected: Vec<String> = OUTPUTS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected, "outputs of the run");
    assert_eq!(run_outputs(&b), run_outputs(&a), "same files in both runs");
    for name in &names {
        let (x, y) = (
            fs::read(a.join(name)).unwrap(),
            fs::read(b.join(name)).unwrap(),
        );
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
    // ... and the counters in stats.json agree too (only timings and memory may differ).
    let (sa, sb) = (stats(&a), stats(&b));
    for key in ["n_nodes", "n_connections", "spikes", "clopath"] {
        assert_eq!(
            sa[key], sb[key],
            "stats.json {key} differs for the same seed"
        );
    }

    // Another seed: other spikes, other drawn connections, other initial V_m.
    assert_ne!(
        fs::read(a.join("sr.csv")).unwrap(),
        fs::read(c.join("sr.csv")).unwrap(),
        "another rng_seed gave the same spikes"
    );
    assert_ne!(
        pairs(&a),
        pairs(&c),
        "another rng_seed gave the same fixed_indegree connections"
    );
    let first_vm = |out: &Path| read_csv(&out.join("mm.csv")).1[0][2].clone();
    assert_ne!(
        first_vm(&a),
        first_vm(&c),
        "another rng_seed gave the same first V_m sample"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn thread_count_does_not_change_results() {
    // Random streams belong to nodes and connections, not to threads (model-file.md,
    // NEST's local_num_threads), and the shards' spikes merge in a total order: 1, 2, 3 and
    // 4 threads (shards) give the same bytes.
    let dir = scratch("determinism_threads");
    let run = |n: u32| {
        let model = write(
            &dir,
            &format!("threads{n}.toml"),
            &MODEL.replace("SEED", &format!("777\nlocal_num_threads = {n}")),
        );
        let out = dir.join(format!("t{n}"));
        assert_ok(&run_model(&model, &out), &format!("run with {n} threads"));
        assert_eq!(stats(&out)["threads"], n, "the run used {n} shards");
        out
    };
    let one = run(1);
    assert!(
        stats(&one)["spikes"].as_u64().unwrap() > 0,
        "the network spikes"
    );
    for n in [2, 3, 4] {
        let other = run(n);
        for name in OUTPUTS {
            assert!(
                fs::read(one.join(name)).unwrap() == fs::read(other.join(name)).unwrap(),
                "{name} differs between 1 and {n} threads"
            );
        }
        let counters = |out: &Path| {
            let s = stats(out);
            (
                s["clopath"].clone(),
                s["spikes"].clone(),
                s["slices"].clone(),
            )
        };
        assert_eq!(
            counters(&one),
            counters(&other),
            "stats between 1 and {n} threads"
        );
    }
    let _ = fs::remove_dir_all(&dir);
}
