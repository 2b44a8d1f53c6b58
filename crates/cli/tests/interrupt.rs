//! Interrupted, refused and repeated runs (README, "A run writes into DIR"):
//! - SIGINT or SIGTERM stops `evplast run` at the next slice boundary; what was recorded so far
//!   is written, `stats.json` says `"complete": false` and the time reached, the exit status is
//!   130 or 143 and the message says the results are partial. The test hook
//!   `EVPLAST_TEST_INTERRUPT_AT_MS=T` raises the SIGINT flag once the simulation reaches T ms,
//!   which makes the interrupted slice known; real signals are sent too.
//! - Every run first removes the previous run's results (the files `.evplast-manifest` lists,
//!   `stats.json`, `connections.csv`, `network.json`, `.NAME.partial`) and nothing else, so no
//!   file of an older run survives next to a newer one and a refused run leaves no results.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Poisson input through parrots and clopath synapses onto aeif neurons, with every recorder.
/// All delays are 1 ms, so slices are 1 ms long.
const MODEL: &str = r#"[kernel]
resolution = 0.1
rng_seed = 7

[[create]]
label = "pg"
model = "poisson_generator"
n = 4
params = { rate = 60.0 }

[[create]]
label = "inp"
model = "parrot_neuron"
n = 20

[[create]]
label = "exc"
model = "aeif_psc_delta_clopath"
n = 4
params = { I_e = 300.0 }

[[create]]
label = "wr"
model = "weight_recorder"

[[create]]
label = "sr"
model = "spike_recorder"

[[create]]
label = "mm"
model = "multimeter"
params = { record_from = ["V_m"], interval = 1.0 }

[[connect]]
pre = "pg"
post = "inp"
conn_spec = { rule = "fixed_indegree", indegree = 2 }
syn_spec = { delay = 1.0 }

[[connect]]
pre = "inp"
post = "exc"
syn_spec = { synapse_model = "clopath_synapse", weight = 20.0, delay = 1.0, weight_recorder = "wr" }

[[connect]]
pre = "inp"
post = "sr"
syn_spec = { delay = 1.0 }

[[connect]]
pre = "exc"
post = "sr"
syn_spec = { delay = 1.0 }

[[connect]]
pre = "mm"
post = "exc"
syn_spec = { delay = 1.0 }

[simulate]
t = 100.0
"#;

/// One neuron recorded for a long time (T_SIM), to be stopped by a real signal; its recorder
/// label (`long`) differs from MODEL's so that stale files of a MODEL run would show.
const LONG: &str = r#"[[create]]
label = "n"
model = "aeif_psc_delta_clopath"
params = { I_e = 1000.0 }

[[create]]
label = "long"
model = "spike_recorder"

[[connect]]
pre = "n"
post = "long"

[simulate]
t = T_SIM
"#;

const MANIFEST: &str = ".evplast-manifest";

/// Every name in `dir`, hidden ones included, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn stats(out: &Path) -> serde_json::Value {
    let text = fs::read_to_string(out.join("stats.json"))
        .unwrap_or_else(|e| panic!("no stats.json in {}: {e}", out.display()));
    serde_json::from_str(&text).expect("stats.json is JSON")
}

/// `evplast run MODEL --out OUT --quiet` with `EVPLAST_TEST_INTERRUPT_AT_MS=at`.
fn run_interrupted_at(model: &Path, out: &Path, at: &str) -> Output {
    evplast()
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .env("EVPLAST_TEST_INTERRUPT_AT_MS", at)
        .output()
        .expect("spawn evplast run")
}

/// Rows of an evplast CSV whose `times` column (`col`) is at most `t` ms.
fn up_to(rows: &[Vec<String>], col: usize, t: f64) -> Vec<Vec<String>> {
    rows.iter()
        .filter(|r| r[col].parse::<f64>().unwrap() <= t)
        .cloned()
        .collect()
}

#[test]
fn interrupt_at_a_known_time_writes_the_prefix_of_the_full_run() {
    let dir = scratch("interrupt_known_time");
    let model = write(&dir, "model.toml", MODEL);
    // Slices are min_delay long: the independent source of the slice boundary below.
    let check = check_model(&model);
    assert_ok(&check, "check");
    assert!(
        stdout(&check).contains("min_delay 1 ms"),
        "fixture: min_delay should be 1 ms:\n{}",
        stdout(&check)
    );

    let full = dir.join("full");
    assert_ok(&run_model(&model, &full), "full run");
    let st = stats(&full);
    assert_eq!(st["complete"], true, "{st:#}");
    assert_eq!(st["t_reached_ms"], 100.0, "{st:#}");

    // Asked to stop at 37.3 ms: the run ends at the end of that slice, 38.0 ms.
    let part = dir.join("part");
    let o = run_interrupted_at(&model, &part, "37.3");
    assert_eq!(
        o.status.code(),
        Some(130),
        "SIGINT's status\n{}",
        stderr(&o)
    );
    let err = stderr(&o);
    for s in ["interrupted", "SIGINT", "t = 38.0 ms", "partial"] {
        assert!(err.contains(s), "message lacks {s:?}:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    let st = stats(&part);
    assert_eq!(st["complete"], false, "{st:#}");
    assert_eq!(st["t_reached_ms"], 38.0, "{st:#}");
    assert_eq!(st["t_sim_ms"], 100.0, "{st:#}");
    assert_eq!(
        names(&part),
        [
            MANIFEST,
            "connections.csv",
            "mm.csv",
            "sr.csv",
            "stats.json",
            "wr.csv"
        ]
    );

    // Spikes and samples: exactly the full run's up to 38.0 ms (stamps at step ends, so a
    // spike in the slice's last step is stamped 38.0 and recorded).
    let (_, sr_full) = read_csv(&full.join("sr.csv"));
    let (_, sr_part) = read_csv(&part.join("sr.csv"));
    assert!(
        sr_full.iter().any(|r| r[1].parse::<f64>().unwrap() > 38.0)
            && sr_part.len() > 10
            && sr_part.iter().any(|r| r[0].parse::<u32>().unwrap() > 24),
        "fixture: parrots and neurons should spike before and after 38 ms: {} rows",
        sr_part.len()
    );
    assert_eq!(sr_part, up_to(&sr_full, 1, 38.0), "spikes up to 38 ms");
    let (_, mm_full) = read_csv(&full.join("mm.csv"));
    let (_, mm_part) = read_csv(&part.join("mm.csv"));
    assert_eq!(mm_part, up_to(&mm_full, 1, 38.0), "samples up to 38 ms");
    assert_eq!(
        mm_part.len(),
        4 * 38,
        "4 neurons sampled at 1, 2, ..., 38 ms"
    );

    // Weight updates happen when a spike is delivered, one slice after it was emitted: the
    // last slice's spikes stay undelivered, so rows stop at 38 - 1 ms.
    let (_, wr_full) = read_csv(&full.join("wr.csv"));
    let (_, wr_part) = read_csv(&part.join("wr.csv"));
    assert!(
        !wr_part.is_empty(),
        "fixture: weights recorded before 37 ms"
    );
    assert_eq!(wr_part, up_to(&wr_full, 2, 37.0), "weight rows up to 37 ms");

    // connections.csv holds the weights at the stop: the last recorded one per connection.
    let (_, conns) = read_csv(&part.join("connections.csv"));
    let (_, conns_full) = read_csv(&full.join("connections.csv"));
    assert_eq!(conns.len(), conns_full.len());
    for c in &conns {
        if let Some(last) = wr_part.iter().rfind(|w| w[0] == c[0] && w[1] == c[1]) {
            assert_eq!(c[3], last[3], "weight of {c:?}");
        }
    }
    let _ = fs::remove_dir_all(&dir);
}

/// Spawns `evplast run` of a long model into `out` (which holds an earlier run's results),
/// waits `settle` after the simulation should have started, sends `signal` and returns its
/// output (killing it and failing if it does not stop within a minute).
fn signalled_run(model: &Path, out: &Path, signal: &str, settle: Duration) -> Output {
    let mut child = evplast()
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn evplast run");
    // The run removes the earlier stats.json first, then loads the (tiny) model and installs
    // its handlers; a signal before that kills the process (the caller then tries again).
    let t0 = Instant::now();
    while out.join("stats.json").exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(settle);
    let sent = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -{signal} {}", child.id()))
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{signal} failed");
    let t1 = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if t1.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("evplast did not stop within 60 s of SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect output")
}

#[test]
#[cfg(unix)]
fn real_signals_stop_the_run_with_partial_results_and_no_stale_files() {
    let dir = scratch("real_signals");
    let model = write(&dir, "model.toml", MODEL);
    // Minutes of wall-clock time uninterrupted (~3e5 ms/s here): far longer than the test waits.
    let t_sim = 100_000_000.0;
    let long = write(&dir, "long.toml", &LONG.replace("T_SIM", "100000000.0"));
    let out = dir.join("out");
    for (signal, status) in [("INT", 130), ("TERM", 143)] {
        // An earlier complete run of another model, plus a stray partial file.
        let _ = fs::remove_dir_all(&out);
        assert_ok(&run_model(&model, &out), "earlier run");
        fs::write(out.join(".sr.csv.partial"), "senders,times\n").unwrap();

        let mut settle = Duration::from_millis(500);
        let o = loop {
            let o = signalled_run(&long, &out, signal, settle);
            // Killed by the signal: it came before the handlers (a very slow machine).
            if o.status.code().is_none() && settle < Duration::from_secs(8) {
                settle *= 2;
                assert_ok(&run_model(&model, &out), "earlier run");
                continue;
            }
            break o;
        };
        let err = stderr(&o);
        assert_eq!(
            o.status.code(),
            Some(status),
            "SIG{signal}: {:?}\n{err}",
            o.status
        );
        for s in ["interrupted", &format!("SIG{signal}"), "partial"] {
            assert!(err.contains(s), "message lacks {s:?}:\n{err}");
        }
        assert_eq!(
            names(&out),
            [MANIFEST, "connections.csv", "long.csv", "stats.json"],
            "SIG{signal}: only the interrupted run's files"
        );
        let st = stats(&out);
        assert_eq!(st["complete"], false, "{st:#}");
        let t = st["t_reached_ms"].as_f64().unwrap();
        assert!(t > 0.0 && t < t_sim, "t_reached_ms {t}");
        assert!(
            err.contains(&format!("t = {t:.1} ms")) || err.contains(&format!("t = {t} ms")),
            "message and stats.json disagree on the time ({t}):\n{err}"
        );
        let (_, spikes) = read_csv(&out.join("long.csv"));
        assert!(!spikes.is_empty(), "the neuron spiked before the signal");
        assert!(
            spikes.iter().all(|r| r[1].parse::<f64>().unwrap() <= t),
            "spikes after the time reached"
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

/// A complete run of MODEL (with network.json) into `out`, plus files of the user's.
fn earlier_run(model: &Path, out: &Path) {
    let o = evplast()
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .arg("--dump-network")
        .output()
        .expect("spawn evplast run");
    assert_ok(&o, "earlier run");
    fs::write(out.join("notes.txt"), "mine").unwrap();
    fs::write(out.join("mine.csv"), "a,b\n").unwrap();
    fs::write(out.join(".stats.json.partial"), "{").unwrap();
    assert!(names(out).contains(&"network.json".to_string()));
}

/// After a refused run: none of the earlier results, no partial file, the user's files kept.
fn assert_no_results(out: &Path, o: &Output, what: &str) {
    assert_clean_failure(o, what);
    let err = stderr(o);
    assert!(
        err.contains(&format!("no results in {}", out.display())),
        "{what}: the message should say no results are left:\n{err}"
    );
    assert_eq!(
        names(out),
        ["mine.csv", "notes.txt"],
        "{what}: only the user's files may remain"
    );
}

#[test]
fn a_refused_run_leaves_none_of_the_earlier_results() {
    let dir = scratch("refused_after_run");
    let model = write(&dir, "model.toml", MODEL);
    let out = dir.join("out");

    earlier_run(&model, &out);
    let bad = write(
        &dir,
        "bad.toml",
        &MODEL.replace("I_e = 300.0", "I_e = 300.0, no_such_param = 1.0"),
    );
    let o = run_model(&bad, &out);
    assert_no_results(&out, &o, "unknown parameter");
    assert!(stderr(&o).contains("no_such_param"), "{}", stderr(&o));

    earlier_run(&model, &out);
    let o = run_model(&dir.join("missing.toml"), &out);
    assert_no_results(&out, &o, "missing model file");

    earlier_run(&model, &out);
    let o = run_model(&dir, &out);
    assert_no_results(&out, &o, "model file is a directory");

    // An --out that cannot be a directory (its parent is a file): refused with the reason.
    let o = run_model(&model, &dir.join("model.toml").join("out"));
    assert_clean_failure(&o, "--out under a file");
    let err = stderr(&o);
    assert!(
        err.contains("output directory") && err.contains("no results in"),
        "{err}"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_earlier_result_that_cannot_be_removed_stops_the_run_and_says_so() {
    let dir = scratch("cannot_remove");
    let model = write(&dir, "model.toml", MODEL);
    let out = dir.join("out");
    earlier_run(&model, &out);
    // A directory where the earlier run's sr.csv was: remove_file fails on it, even for root.
    fs::remove_file(out.join("sr.csv")).unwrap();
    fs::create_dir(out.join("sr.csv")).unwrap();
    fs::write(out.join("sr.csv").join("x"), "x").unwrap();
    let o = run_model(&model, &out);
    assert_clean_failure(&o, "run over an unremovable result");
    let err = stderr(&o);
    assert!(
        err.contains("cannot remove the results of an earlier run") && err.contains("sr.csv"),
        "{err}"
    );
    // Everything else of the earlier run is gone; the manifest stays, listing sr.csv, so that
    // a later run tries again.
    assert_eq!(
        names(&out),
        [MANIFEST, "mine.csv", "notes.txt", "sr.csv"],
        "after a refused run"
    );
    fs::remove_dir_all(out.join("sr.csv")).unwrap();
    assert_ok(&run_model(&model, &out), "run once sr.csv is removable");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_next_run_removes_stray_partial_files_and_the_previous_runs_outputs() {
    let dir = scratch("stray_partial");
    let model = write(&dir, "model.toml", MODEL);
    let long = write(&dir, "long.toml", &LONG.replace("T_SIM", "10.0"));
    let out = dir.join("out");
    fs::create_dir_all(&out).unwrap();
    // What a run killed while writing leaves (no manifest yet), and files of the user's whose
    // names only look similar.
    let stray = [
        ".x.csv.partial",
        ".stats.json.partial",
        ".evplast-manifest.partial",
    ];
    let user = ["notes.txt", "x.partial", "x.csv", "partial"];
    for n in stray.iter().chain(&user) {
        fs::write(out.join(n), "x").unwrap();
    }
    assert_ok(&run_model(&model, &out), "run over stray partial files");
    let mut expected: Vec<&str> = [
        MANIFEST,
        "connections.csv",
        "mm.csv",
        "sr.csv",
        "stats.json",
        "wr.csv",
    ]
    .into_iter()
    .chain(user)
    .collect();
    expected.sort();
    assert_eq!(names(&out), expected);

    // Another model with other recorder labels: MODEL's mm.csv, sr.csv and wr.csv go.
    assert_ok(&run_model(&long, &out), "second run");
    let mut expected: Vec<&str> = [MANIFEST, "connections.csv", "long.csv", "stats.json"]
        .into_iter()
        .chain(user)
        .collect();
    expected.sort();
    assert_eq!(names(&out), expected);
    let _ = fs::remove_dir_all(&dir);
}
