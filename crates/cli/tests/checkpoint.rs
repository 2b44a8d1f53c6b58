//! Checkpoint and resume: a run stopped and continued from its checkpoint writes the same bytes
//! as a run that was never stopped — for every example and NEST case, in every scheme — and a
//! damaged or foreign checkpoint is refused with the reason. The independent expectation is
//! the uninterrupted run of the same binary.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every example and NEST case.
fn models() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in ["examples", "tests/nest_cases"] {
        for e in fs::read_dir(repo().join(d)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() >= 10, "examples and NEST cases not found: {v:?}");
    v
}

/// The model's `[simulate] t` (ms).
fn t_sim(model: &Path) -> f64 {
    let text = fs::read_to_string(model).unwrap();
    let v: toml::Table = toml::from_str(&text).expect("a valid model file");
    let t = &v["simulate"]["t"];
    t.as_float().or(t.as_integer().map(|i| i as f64)).unwrap()
}

fn evplast_run(model: &Path, out: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    evplast()
        .envs(env.iter().copied())
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--dump-network"])
        .args(args)
        .output()
        .unwrap()
}

fn resume(dir: &Path, args: &[&str]) -> Output {
    evplast()
        .arg("resume")
        .arg(dir)
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

/// The result files of a run (not the checkpoint, the manifest or stats.json), by name.
fn results(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv") || p.ends_with("network.json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// stats.json without the fields that measure this process (times, memory).
fn counters(dir: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("stats.json")).unwrap()).unwrap();
    for k in [
        "build_s",
        "simulate_s",
        "real_time_factor",
        "stage_s",
        "peak_rss_bytes",
    ] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

fn assert_same_run(full: &Path, resumed: &Path, what: &str) {
    let (a, b) = (results(full), results(resumed));
    assert_eq!(
        a.iter().map(|x| &x.0).collect::<Vec<_>>(),
        b.iter().map(|x| &x.0).collect::<Vec<_>>(),
        "{what}: files differ"
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{what}: {name} differs from the uninterrupted run");
    }
    assert_eq!(counters(full), counters(resumed), "{what}: stats.json");
}

/// Interrupted at ~45 % of the run (after one periodic checkpoint at ~30 %), then resumed:
/// identical to the uninterrupted run, in every scheme.
#[test]
fn a_resumed_run_is_bit_identical_for_every_example_and_scheme() {
    let dir = scratch("resume_identity");
    for model in models() {
        let t = t_sim(&model);
        let name = model.file_stem().unwrap().to_string_lossy().into_owned();
        for scheme in ["event", "time", "compressed"] {
            let what = format!("{name}, {scheme}");
            let full = dir.join(format!("{name}-{scheme}-full"));
            let o = evplast_run(&model, &full, &["--scheme", scheme], &[]);
            assert_ok(&o, &what);
            let part = dir.join(format!("{name}-{scheme}-part"));
            let every = format!("{}", t * 0.3);
            let at = format!("{}", t * 0.45);
            let o = evplast_run(
                &model,
                &part,
                &["--scheme", scheme, "--checkpoint-every", &every],
                &[("EVPLAST_TEST_INTERRUPT_AT_MS", &at)],
            );
            assert_eq!(o.status.code(), Some(130), "{what}: {}", stderr(&o));
            assert!(
                stderr(&o).contains("evplast resume"),
                "{what}: {}",
                stderr(&o)
            );
            let o = resume(&part, &[]);
            assert_ok(&o, &what);
            assert_same_run(&full, &part, &what);
        }
    }
    let _ = fs::remove_dir_all(&dir);
}

/// A run killed outright (SIGKILL, as a cluster's wall-clock limit does) is resumed from its
/// last periodic checkpoint, copied while the run went on.
#[test]
fn a_killed_run_resumes_from_its_last_periodic_checkpoint() {
    let dir = scratch("resume_after_kill");
    let model = repo().join("examples/small_network.toml");
    let full = dir.join("full");
    assert_ok(&evplast_run(&model, &full, &[], &[]), "full run");
    let out = dir.join("killed");
    let mut child = evplast()
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--dump-network", "--checkpoint-every", "500"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let copy = dir.join("copy");
    fs::create_dir_all(&copy).unwrap();
    let started = Instant::now();
    while !out.join("checkpoint.evp").exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no checkpoint");
        std::thread::sleep(Duration::from_millis(2));
    }
    // Renamed into place whole: any copy is a complete checkpoint.
    fs::copy(out.join("checkpoint.evp"), copy.join("checkpoint.evp")).unwrap();
    let _ = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let o = resume(&copy, &[]);
    assert_ok(&o, "resume after kill");
    assert_same_run(&full, &copy, "resumed after SIGKILL");
    let _ = fs::remove_dir_all(&dir);
}

/// `resume --t MORE` extends a finished run: T1 then MORE equals one run of T1 + MORE (T1 a
/// multiple of min_delay, so the first run ends on a slice boundary); without --t a finished
/// run is refused.
#[test]
fn resume_extends_a_finished_run() {
    let dir = scratch("resume_extends");
    let text = fs::read_to_string(repo().join("tests/nest_cases/recurrent_aeif.toml")).unwrap();
    let t = t_sim(&repo().join("tests/nest_cases/recurrent_aeif.toml"));
    let short = text.replace(&format!("t = {t:.1}"), &format!("t = {:.1}", t / 2.0));
    assert_ne!(short, text, "the model's simulate.t was not found");
    let long_model = write(&dir, "long.toml", &text);
    let short_model = write(&dir, "short.toml", &short);
    let full = dir.join("full");
    assert_ok(&evplast_run(&long_model, &full, &[], &[]), "long run");
    let part = dir.join("part");
    let every = format!("{t}");
    assert_ok(
        &evplast_run(&short_model, &part, &["--checkpoint-every", &every], &[]),
        "short run",
    );
    let o = resume(&part, &[]);
    assert_clean_failure(&o, "resume of a complete run");
    assert!(stderr(&o).contains("--t"), "{}", stderr(&o));
    // The refusal must not have destroyed the checkpoint.
    let o = resume(&part, &["--t", &format!("{}", t / 2.0)]);
    assert_ok(&o, "resume --t");
    let (a, b) = (results(&full), results(&part));
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        if name == "network.json" {
            continue; // it names the model's own t
        }
        assert!(x == y, "{name} of T/2 + T/2 differs from a run of T");
    }
    let _ = fs::remove_dir_all(&dir);
}

/// A damaged checkpoint, one of another evplast version, and a file that is no checkpoint are
/// refused with the reason, and nothing is simulated.
#[test]
fn damaged_or_foreign_checkpoints_are_refused() {
    let dir = scratch("resume_refused");
    let model = repo().join("tests/nest_cases/pairing_aeif.toml");
    let out = dir.join("run");
    let o = evplast_run(&model, &out, &["--checkpoint-every", "50"], &[]);
    assert_ok(&o, "run");
    let good = fs::read(out.join("checkpoint.evp")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "flipped",
            {
                let mut b = good.clone();
                let i = b.len() / 2;
                b[i] ^= 0x10;
                b
            },
            "damaged",
        ),
        ("truncated", good[..good.len() - 100].to_vec(), "damaged"),
        (
            "version",
            {
                let v = env!("CARGO_PKG_VERSION").as_bytes();
                let i = good.windows(v.len()).position(|w| w == v).unwrap();
                let mut b = good.clone();
                b[i] = b'9';
                b
            },
            "written by evplast 9",
        ),
        (
            "foreign",
            b"[kernel]\nresolution = 0.1\n".to_vec(),
            "not an evplast checkpoint",
        ),
    ];
    for (name, bytes, needle) in cases {
        let d = dir.join(name);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("checkpoint.evp"), bytes).unwrap();
        let o = resume(&d, &["--t", "10"]);
        assert_clean_failure(&o, name);
        assert!(stderr(&o).contains(needle), "{name}: {}", stderr(&o));
        assert!(
            !d.join("stats.json").exists(),
            "{name}: a refused resume wrote results"
        );
    }
    let o = resume(&dir.join("missing"), &[]);
    assert_clean_failure(&o, "missing");
    assert!(
        stderr(&o).contains("cannot read checkpoint"),
        "{}",
        stderr(&o)
    );
    let _ = fs::remove_dir_all(&dir);
}
