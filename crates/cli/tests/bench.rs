//! `evplast bench`: a tiny benchmark network runs in every requested scheme, the schemes agree on
//! the learned weights, and out-of-range flags are refused with a message naming the flag.

mod common;

use common::{run, scratch};

/// Refused: non-zero exit, the flag and the reason on stderr, no panic.
fn refused(args: &[&str], flag: &str, reason: &str) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} was accepted");
    assert!(
        err.contains(flag) && err.contains(reason),
        "{args:?}: stderr {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

#[test]
fn bench_refuses_out_of_range_flags() {
    // 3·10⁵ s at 0.1 ms is 3·10⁹ steps: more than a 32-bit spike stamp holds.
    refused(&["bench", "--T", "300000"], "--T 300000", "2^31 steps");
    refused(
        &["bench", "--delay", "0.05"],
        "--delay 0.05",
        "below the resolution",
    );
    refused(&["bench", "--K", "0"], "--K", "must be positive");
}

#[test]
fn bench_runs_each_scheme_and_the_schemes_agree() {
    let dir = scratch("bench");
    let json = dir.join("runs.json");
    let out = run(&[
        "bench",
        "--N",
        "3",
        "--K",
        "8",
        "--T",
        "0.2",
        "--schemes",
        "event,compressed,time",
        "--static",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let scheme = |r: &serde_json::Value| r["scheme"].as_str().unwrap().to_string();
    let schemes: Vec<String> = runs.iter().map(scheme).collect();
    assert_eq!(schemes, ["static", "event", "compressed", "time"]);
    let w = |s: &str| {
        runs.iter().find(|r| scheme(r) == s).unwrap()["w_mean_final"]
            .as_f64()
            .unwrap()
    };
    // The three schemes compute the same weights up to rounding (their sums run in different
    // orders; 1e-10 relative is far above that and far below any real difference).
    for s in ["compressed", "time"] {
        assert!(
            (w(s) - w("event")).abs() <= 1e-10 * w("event").abs(),
            "{s}: {} vs event {}",
            w(s),
            w("event")
        );
    }
    // Plasticity acted: the weights moved away from the static network's.
    assert_ne!(w("event"), w("static"));
    for r in &runs {
        assert_eq!(r["n_plastic_syn"].as_u64(), Some(24), "{r}");
    }
}
