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

/// `evplast bench ARGS... --json F` in a fresh directory `name`: the runs it reports.
fn bench_json(name: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let json = scratch(name).join("runs.json");
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.extend(["--json", json.to_str().unwrap()]);
    let out = run(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

#[test]
fn bench_runs_each_scheme_and_the_schemes_agree() {
    let runs = bench_json(
        "bench",
        &[
            "--N",
            "3",
            "--K",
            "8",
            "--T",
            "0.2",
            "--schemes",
            "event,compressed,time",
            "--static",
        ],
    );
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

/// Runs a small Urbanczik–Senn bench under `signal` in every scheme; returns the runs.
fn urbanczik_runs(signal: &str) -> Vec<serde_json::Value> {
    bench_json(
        &format!("bench_{signal}"),
        &[
            "--rule",
            "urbanczik",
            "--signal",
            signal,
            "--N",
            "4",
            "--K",
            "20",
            "--rate",
            "40",
            "--T",
            "0.3",
            "--schemes",
            "event,compressed,time",
        ],
    )
}

#[test]
fn bench_runs_each_learning_signal_and_spike_spike_archives_less() {
    let mut entries = Vec::new();
    for signal in ["spike_rate", "rate_rate", "spike_spike"] {
        let runs = urbanczik_runs(signal);
        let w: Vec<f64> = runs
            .iter()
            .map(|r| r["w_mean_final"].as_f64().unwrap())
            .collect();
        for (r, x) in runs.iter().zip(&w) {
            assert_eq!(r["signal"], signal, "{r}");
            assert!((x - w[0]).abs() <= 1e-10 * w[0].abs(), "{signal}: {w:?}");
        }
        assert_ne!(w[0], runs[0]["w_init"].as_f64().unwrap(), "{signal}");
        // The event scheme's H: archive entries written.
        entries.push(runs[0]["history_manipulations"].as_u64().unwrap());
    }
    // Spike–rate and rate–rate archive every step of every neuron (4 × 3000); spike–spike
    // only the steps where the soma's and the dendrite's spike counts differ.
    assert_eq!(entries[..2], [12_000, 12_000]);
    assert!(entries[2] > 0 && entries[2] < 1_200, "{entries:?}");
    refused(
        &["bench", "--signal", "spike_spike"],
        "--signal spike_spike",
        "--rule urbanczik",
    );
    refused(
        &["bench", "--rule", "urbanczik", "--signal", "spiky"],
        "spiky",
        "spike_rate",
    );
}

#[test]
fn bench_sweeps_one_variable_and_plots_time_against_it() {
    let dir = scratch("bench_plot");
    let (json, png) = (dir.join("runs.json"), dir.join("figs/k.png"));
    let out = run(&[
        "bench",
        "--N",
        "3",
        "--K",
        "8,16,24",
        "--T",
        "0.1",
        "--schemes",
        "event,compressed",
        "--json",
        json.to_str().unwrap(),
        "--plot",
        png.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let ks: Vec<u64> = runs.iter().map(|r| r["K"].as_u64().unwrap()).collect();
    assert_eq!(
        ks,
        [8, 8, 16, 16, 24, 24],
        "a run per scheme and K, in order"
    );
    let decoder = png::Decoder::new(std::fs::File::open(&png).unwrap());
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1000, 700));
    refused(
        &["bench", "--K", "8,16", "--rate", "5,10"],
        "--K, --rate, --delay",
        "only one of them",
    );
    refused(&["bench", "--plot", "x.png"], "--plot", "swept variable");
    refused(&["bench", "--peers", "nest.csv"], "--peers", "--plot FILE");
}
