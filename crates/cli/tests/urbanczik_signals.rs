//! Urbanczik–Senn's learning signals (docs/URBANCZIK.md) on the model files users run. For each
//! signal the three update schemes agree on the learning example and on the NEST case
//! `urbanczik_silent` (spike times identical, every other recorded number — weights, membrane
//! potentials — within 1e-10 relative: the schemes sum the same terms in another order), and the
//! learning example (Urbanczik & Senn Fig. 1B) learns: its loss over the last 5 pattern
//! repetitions is at most half that over the first 5 (examples/urbanczik_loss.py's measure).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{run_one_thread, scratch, write};

const SIGNALS: [&str; 3] = ["spike_rate", "rate_rate", "spike_spike"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The model file `file` with every `pp_cond_exp_mc_urbanczik` under `learning_signal`.
fn with_signal(file: &str, signal: &str) -> String {
    let text = fs::read_to_string(repo().join(file)).unwrap();
    let mut out = String::new();
    let mut n = 0;
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        // Both files give the neuron's `theta` in its `[create.params]`.
        if line.starts_with("theta = ") {
            out.push_str(&format!("learning_signal = \"{signal}\"\n"));
            n += 1;
        }
    }
    assert_eq!(n, 1, "{file}: where to put learning_signal");
    out
}

/// Runs `model` in `scheme` into `dir/<name>`; returns the output directory.
fn run_in(dir: &Path, model: &Path, scheme: &str, name: &str) -> PathBuf {
    let out = dir.join(name);
    let o = run_one_thread(model, &out, &["--scheme", scheme]);
    assert!(
        o.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// A CSV file's columns by header name.
fn columns(path: &Path) -> BTreeMap<String, Vec<f64>> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let mut cols: BTreeMap<String, Vec<f64>> =
        header.iter().map(|h| (h.clone(), Vec::new())).collect();
    for line in lines {
        for (h, v) in header.iter().zip(line.split(',')) {
            // connections.csv names the synapse model: not a number, compared as 0.
            cols.get_mut(h).unwrap().push(v.parse().unwrap_or(0.0));
        }
    }
    cols
}

/// Every recorder file and connections.csv of `a` and `b` agree: ids and times exactly, other
/// numbers to `rtol` (relative to max(|x|, 1)).
fn agree(a: &Path, b: &Path, what: &str, rtol: f64) -> usize {
    let mut files = 0;
    for e in fs::read_dir(a).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "csv") {
            continue;
        }
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let (x, y) = (columns(&p), columns(&b.join(&name)));
        assert_eq!(
            x.keys().collect::<Vec<_>>(),
            y.keys().collect::<Vec<_>>(),
            "{what} {name}"
        );
        for (h, xs) in &x {
            let ys = &y[h];
            assert_eq!(xs.len(), ys.len(), "{what} {name} {h}: rows");
            let exact = ["senders", "targets", "times", "source", "target", "delay"];
            for (i, (u, v)) in xs.iter().zip(ys).enumerate() {
                if exact.contains(&h.as_str()) {
                    assert_eq!(u, v, "{what} {name} {h} row {i}");
                } else {
                    let d = (u - v).abs() / u.abs().max(v.abs()).max(1.0);
                    assert!(d <= rtol, "{what} {name} {h} row {i}: {u} vs {v}");
                }
            }
        }
        files += 1;
    }
    files
}

fn schemes_agree(file: &str) {
    let dir = scratch(&format!("signals_{}", file.replace('/', "_")));
    for signal in SIGNALS {
        let model = write(&dir, &format!("{signal}.toml"), &with_signal(file, signal));
        let event = run_in(&dir, &model, "event", &format!("{signal}_event"));
        for scheme in ["compressed", "time"] {
            let other = run_in(&dir, &model, scheme, &format!("{signal}_{scheme}"));
            let what = format!("{file}, {signal}: {scheme} vs event");
            assert!(agree(&event, &other, &what, 1e-10) >= 2, "{what}");
        }
    }
}

#[test]
fn schemes_agree_on_the_learning_example_under_every_signal() {
    schemes_agree("examples/urbanczik_learning.toml");
}

#[test]
fn schemes_agree_on_the_nest_case_under_every_signal() {
    schemes_agree("tests/nest_cases/urbanczik_silent.toml");
}

/// Mean loss (V*_W − U_M)² over the multimeter samples of pattern repetitions `reps`
/// (examples/urbanczik_loss.py: windows (400 + 200 r, 600 + 200 r] ms while the teacher is on).
fn loss(mm: &BTreeMap<String, Vec<f64>>, reps: std::ops::Range<usize>) -> f64 {
    let (g_l, e_l, g_sp, e_ex, e_in) = (30.0, -70.0, 600.0, 0.0, -75.0);
    let mut per_rep = Vec::new();
    for r in reps {
        let (t0, t1) = (400.0 + 200.0 * r as f64, 600.0 + 200.0 * r as f64);
        let (mut sum, mut n) = (0.0, 0);
        for (i, &t) in mm["times"].iter().enumerate() {
            if mm["senders"][i] != 1.0 || t <= t0 + 1e-6 || t > t1 + 1e-6 {
                continue;
            }
            let v_star = (g_l * e_l + g_sp * mm["V_m.p"][i]) / (g_l + g_sp);
            let (ge, gi) = (mm["g_ex.s"][i], mm["g_in.s"][i]);
            let u_m = (ge * e_ex + gi * e_in) / (ge + gi);
            sum += (v_star - u_m).powi(2);
            n += 1;
        }
        assert!(n > 100, "repetition {r}: {n} samples");
        per_rep.push(sum / n as f64);
    }
    per_rep.iter().sum::<f64>() / per_rep.len() as f64
}

#[test]
fn the_learning_example_learns_under_every_signal() {
    let dir = scratch("signals_learning");
    for signal in SIGNALS {
        let text = with_signal("examples/urbanczik_learning.toml", signal);
        let model = write(&dir, &format!("{signal}.toml"), &text);
        let out = run_in(&dir, &model, "auto", signal);
        let mm = columns(&out.join("mm.csv"));
        let (before, after) = (loss(&mm, 0..5), loss(&mm, 95..100));
        assert!(
            after <= 0.5 * before,
            "{signal}: loss {before:.2} mV² before, {after:.2} mV² after learning"
        );
    }
}
