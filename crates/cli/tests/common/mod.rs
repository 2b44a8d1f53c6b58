//! Helpers shared by the CLI integration tests: run the real `evplast` binary on tiny model
//! files written into a fresh directory under the system temp dir.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `evplast` binary built by Cargo for these tests.
pub fn evplast() -> Command {
    Command::new(env!("CARGO_BIN_EXE_evplast"))
}

/// A fresh, empty directory unique to this test process and `name`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("evplast-cli-tests-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Writes `text` to `dir/file` and returns the path.
pub fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let p = dir.join(file);
    fs::write(&p, text).expect("write fixture");
    p
}

/// Runs `evplast ARGS...` and returns its output.
pub fn run(args: &[&str]) -> Output {
    evplast().args(args).output().expect("spawn evplast")
}

/// `evplast run MODEL --out OUT --quiet --threads 1 EXTRA...` (one thread: tests run side by
/// side, and a thread that only waits at every slice would wait for a core too).
pub fn run_one_thread(model: &Path, out: &Path, extra: &[&str]) -> Output {
    evplast()
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--threads", "1"])
        .args(extra)
        .output()
        .expect("spawn evplast run")
}

/// `evplast run MODEL --out OUT --quiet`.
pub fn run_model(model: &Path, out: &Path) -> Output {
    run_model_env(model, out, &[])
}

/// `evplast run MODEL --out OUT --quiet` with environment variables set.
pub fn run_model_env(model: &Path, out: &Path, env: &[(&str, &str)]) -> Output {
    evplast()
        .envs(env.iter().copied())
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .output()
        .expect("spawn evplast run")
}

/// `evplast check MODEL`.
pub fn check_model(model: &Path) -> Output {
    check_model_env(model, &[])
}

/// `evplast check MODEL` with environment variables set.
pub fn check_model_env(model: &Path, env: &[(&str, &str)]) -> Output {
    evplast()
        .envs(env.iter().copied())
        .arg("check")
        .arg(model)
        .output()
        .expect("spawn evplast check")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts that `o` succeeded; shows stderr otherwise.
pub fn assert_ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: expected success, got {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

/// Asserts a clean failure: a non-zero exit that is not Rust's panic status (101), and no
/// panic message on stderr.
pub fn assert_clean_failure(o: &Output, what: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "{what}: expected failure, got success\nstdout:\n{}\nstderr:\n{err}",
        stdout(o)
    );
    assert!(
        !err.contains("panicked"),
        "{what}: evplast panicked instead of refusing cleanly:\n{err}"
    );
    assert_ne!(
        o.status.code(),
        Some(101),
        "{what}: exit status 101 is Rust's panic status\nstderr:\n{err}"
    );
    // An abort ("memory allocation of … bytes failed") ends the process with a signal.
    assert!(
        o.status.code().is_some(),
        "{what}: evplast was killed by a signal ({:?}) instead of refusing:\n{err}",
        o.status
    );
}

/// 1-based number of the line of `text` that contains `marker` (which must occur once).
pub fn line_of(text: &str, marker: &str) -> usize {
    let hits: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(marker))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "fixture error: marker {marker:?} must occur on exactly one line"
    );
    hits[0]
}

/// The `(line, col)` of the first `FILE:LINE:COL: ` location of `file` in `stderr`, if any.
pub fn location(stderr: &str, file: &Path) -> Option<(usize, usize)> {
    let prefix = format!("{}:", file.display());
    let mut rest = stderr;
    while let Some(i) = rest.find(&prefix) {
        let after = &rest[i + prefix.len()..];
        let parsed = (|| {
            let (line, after) = after.split_once(':')?;
            let (col, after) = after.split_once(':')?;
            if !after.starts_with(' ') {
                return None;
            }
            Some((line.parse().ok()?, col.parse().ok()?))
        })();
        if parsed.is_some() {
            return parsed;
        }
        rest = after;
    }
    None
}

/// Output files a run writes; none of them may exist after a refused run.
pub fn run_outputs(out: &Path) -> Vec<String> {
    let Ok(rd) = fs::read_dir(out) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv") || n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// Reads a CSV file written by evplast: header and rows, split on commas.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("{} is empty", path.display()))
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// True if `needle` occurs in `hay`. A numeric needle ("7", "-1", "0.5") must occur as a
/// whole number: not inside a longer number or word, so "7" is not found in "17" or "0.7".
pub fn mentions(hay: &str, needle: &str) -> bool {
    if needle.parse::<f64>().is_err() {
        return hay.contains(needle);
    }
    let b = hay.as_bytes();
    hay.match_indices(needle).any(|(i, m)| {
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(i + m.len()).copied();
        let after2 = b.get(i + m.len() + 1).copied();
        let glued_before =
            before.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'));
        let glued_after = after.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
            || (after == Some(b'.') && after2.is_some_and(|c| c.is_ascii_digit()));
        !glued_before && !glued_after
    })
}

/// Expects `toml` to be refused by both `check` and `run`, with an error located on one of
/// `lines` (1-based) of the file and a message mentioning every string of `needles` (numbers
/// as whole numbers; the model file's own path is not searched).
pub fn refused(name: &str, toml: &str, lines: &[usize], needles: &[&str]) {
    refused_env(name, toml, &[], lines, needles)
}

/// [`refused`] with environment variables set (e.g. `EVPLAST_MEMORY_AVAILABLE`).
pub fn refused_env(
    name: &str,
    toml: &str,
    env: &[(&str, &str)],
    lines: &[usize],
    needles: &[&str],
) {
    let dir = scratch(name);
    let model = write(&dir, "model.toml", toml);
    let out = dir.join("out");
    for (cmd, o) in [
        ("check", check_model_env(&model, env)),
        ("run", run_model_env(&model, &out, env)),
    ] {
        let what = format!("{name}: evplast {cmd}");
        assert_clean_failure(&o, &what);
        let err = stderr(&o);
        let loc = location(&err, &model);
        assert!(
            loc.is_some(),
            "{what}: stderr does not locate the error as {}:LINE:COL: ...\n{err}",
            model.display()
        );
        let (line, _) = loc.unwrap();
        assert!(
            lines.contains(&line),
            "{what}: error located on line {line}, expected line {lines:?}\n{err}\nfile:\n{toml}"
        );
        let text = err.replace(&model.display().to_string(), "MODEL");
        for n in needles {
            assert!(mentions(&text, n), "{what}: stderr lacks {n:?}:\n{err}");
        }
    }
    let left = run_outputs(&out);
    assert!(
        !left.contains(&"stats.json".to_string()) && !left.contains(&"connections.csv".to_string()),
        "{name}: a refused run left {left:?} in {}",
        out.display()
    );
    assert!(
        left.is_empty(),
        "{name}: a refused run wrote {left:?} into {}",
        out.display()
    );
    let _ = fs::remove_dir_all(&dir);
}

/// Expects `toml` to be accepted by `evplast check`; returns its stdout.
pub fn accepted(name: &str, toml: &str) -> String {
    let dir = scratch(name);
    let model = write(&dir, "model.toml", toml);
    let o = check_model(&model);
    assert_ok(&o, name);
    let _ = fs::remove_dir_all(&dir);
    stdout(&o)
}
