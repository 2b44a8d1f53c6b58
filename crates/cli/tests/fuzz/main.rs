//! Robustness of `evplast check` and `evplast run` on any model file (crates/cli/tests/FUZZ.md).
//!
//! Every input must end in success or a clean error: exit 1 or 2 with a message. Findings are
//! a hang (no exit within the time bound), an exit by signal (abort on a failed allocation, a
//! stack overflow), a panic, a successful run whose CSV outputs hold NaN or inf, `check` and
//! `run` disagreeing on a file, and one update scheme failing where another succeeds.
//!
//! * `corpus`: every file of `tests/fuzz_corpus/` (regressions; a leading `# args: ...` line
//!   adds `run` arguments, `# expect: ok` demands a successful run).
//! * `fuzz`: seeded random inputs for `EVPLAST_FUZZ_SECS` seconds (default 10); each finding is
//!   written to a file under `EVPLAST_FUZZ_FINDINGS` (default `target/tmp/fuzz-findings`).

#![cfg(unix)]

mod catalog;
mod exec;
mod gen;
mod rng;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use exec::{Finding, Limits};

const BIN: &str = env!("CARGO_BIN_EXE_evplast");

/// A corpus file that still fails, with why; `matches` says whether a fuzz finding on input
/// `text` is (most likely) the same failure, so that the fuzzer reports it without failing.
/// Remove an entry when its fix lands: the corpus test fails while a listed file passes.
/// The first entry whose `matches` holds claims a fuzz finding; a hang leaves no message, so
/// hangs are attributed by the models of the input only.
struct Known {
    file: &'static str,
    reason: &'static str,
    matches: fn(&Finding, &str) -> bool,
}

const KNOWN_FAILING: &[Known] = &[
    // Empty: every corpus file passes. Add an entry (file, reason, matcher) for a new finding
    // until its fix lands.
];

fn known(file: &str) -> Option<&'static Known> {
    KNOWN_FAILING.iter().find(|k| k.file == file)
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus")
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh directory for this test process.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("evplast-fuzz-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).expect("create scratch dir");
    d
}

fn env_num(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number")),
        Err(_) => default,
    }
}

/// 20 s per process; 60 s for an unoptimised build (`cargo test` without --release). The
/// examples the fuzzer mutates run up to 10 s of network time: small_network.toml takes 6 s in
/// the time-driven scheme on a 2-core machine, and twice that under load, so a bound of 10 s
/// called it a hang (CI, seed 2, case 1082).
fn limits() -> Limits {
    let default = if cfg!(debug_assertions) { 60 } else { 20 };
    Limits {
        timeout: Duration::from_secs(env_num("EVPLAST_FUZZ_TIMEOUT", default)),
        cross_schemes: true,
    }
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    v.sort();
    v
}

/// The `# args: ...` and `# expect: ok` lines of a file's leading comments.
fn header(text: &str) -> (Vec<String>, bool) {
    let mut args = Vec::new();
    let mut expect_ok = false;
    for l in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some(a) = l.strip_prefix("# args:") {
            args.extend(a.split_whitespace().map(str::to_string));
        }
        if l.trim() == "# expect: ok" {
            expect_ok = true;
        }
    }
    (args, expect_ok)
}

#[test]
fn corpus() {
    let files = toml_files(&corpus_dir());
    assert!(!files.is_empty(), "no files in {}", corpus_dir().display());
    for k in KNOWN_FAILING {
        assert!(
            corpus_dir().join(k.file).is_file(),
            "KNOWN_FAILING names {}, which is not in the corpus",
            k.file
        );
    }
    let dir = scratch("corpus");
    let lim = limits();
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(f).expect("read corpus file");
        let (args, expect_ok) = header(&text);
        // A known hang need not cost the full bound: its fix makes a tiny model run in
        // milliseconds.
        let lim = match known(&name) {
            Some(_) => Limits {
                timeout: lim.timeout.min(Duration::from_secs(3)),
                ..lim.clone()
            },
            None => lim.clone(),
        };
        let res = exec::run_case(BIN, &dir, &text, &args, expect_ok, &lim);
        let what: Vec<String> = res.findings.iter().map(|x| x.summary.clone()).collect();
        match (known(&name), what.is_empty()) {
            (Some(k), false) => {
                eprintln!(
                    "known failing: {name}: {}\n    now: {}",
                    k.reason,
                    what.join("; ")
                )
            }
            (Some(k), true) => failures.push(format!(
                "{name} passes now: remove it from KNOWN_FAILING in tests/fuzz/main.rs ({})",
                k.reason
            )),
            (None, false) => failures.push(format!("{name}: {}", what.join("; "))),
            (None, true) => {}
        }
    }
    let _ = fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "{} of {} corpus files:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// What the fuzzer saw of one failure class.
struct Class {
    first: String,
    count: usize,
    files: Vec<PathBuf>,
    known: Option<&'static str>,
}

/// Seeds: the examples, the NEST cases and the corpus files that pass.
fn seeds() -> Vec<gen::Seed> {
    let ws = workspace_dir();
    let mut files = toml_files(&ws.join("examples"));
    files.extend(toml_files(&ws.join("tests/nest_cases")));
    files.extend(
        toml_files(&corpus_dir())
            .into_iter()
            .filter(|p| known(&p.file_name().unwrap().to_string_lossy()).is_none()),
    );
    files
        .iter()
        .filter_map(|p| {
            let text = fs::read_to_string(p).ok()?;
            Some(gen::Seed {
                name: p.file_name()?.to_string_lossy().into_owned(),
                doc: text.parse().ok()?,
                bytes: text.len(),
            })
        })
        .collect()
}

#[test]
fn fuzz() {
    let secs = env_num("EVPLAST_FUZZ_SECS", 10);
    let seed = env_num("EVPLAST_FUZZ_SEED", 1);
    if secs == 0 {
        return;
    }
    let lim = limits();
    let out = std::env::var_os("EVPLAST_FUZZ_FINDINGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings"));
    fs::create_dir_all(&out).expect("create findings dir");
    let cat = catalog::load(BIN);
    let seeds = seeds();
    let dir = scratch("fuzz");
    let t0 = Instant::now();
    let mut classes: BTreeMap<String, Class> = BTreeMap::new();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let first = env_num("EVPLAST_FUZZ_FIRST", 0);
    // 1: one line per case; 2: and the input.
    let verbose = env_num("EVPLAST_FUZZ_VERBOSE", 0);
    let mut case = first;
    while t0.elapsed() < Duration::from_secs(secs) {
        let mut r = rng::Rng::for_case(seed, case);
        let c = gen::case(&mut r, &cat, &seeds);
        let res = exec::run_case(BIN, &dir, &c.text, &c.args, false, &lim);
        if verbose >= 2 {
            eprintln!("{}", c.text);
        }
        if verbose >= 1 {
            eprintln!(
                "case {case} ({}): check {:?} {}; run {:?} {}",
                c.origin,
                res.check.code,
                res.check.first_line(),
                res.run.code,
                res.run.first_line()
            );
        }
        *tally
            .entry(match (res.check.ok(), res.run.ok()) {
                (_, true) => "run succeeded",
                (true, false) if res.run.unstable() => "run stopped (instability)",
                (true, false) => "check ok, run failed",
                (false, _) => "refused",
            })
            .or_default() += 1;
        for f in &res.findings {
            let sig = format!("{:?}: {}", f.kind, f.signature);
            let k = KNOWN_FAILING.iter().find(|k| (k.matches)(f, &c.text));
            let class = classes.entry(sig).or_insert_with(|| Class {
                first: f.summary.clone(),
                count: 0,
                files: Vec::new(),
                known: k.map(|k| k.file),
            });
            class.count += 1;
            let p = out.join(format!("{:?}-s{seed}-c{case}.toml", f.kind).to_lowercase());
            if class.files.len() < 3 && !class.files.contains(&p) {
                let mut head = format!(
                    "# fuzz finding: {}\n# (EVPLAST_FUZZ_SEED={seed}, case {case}: {})\n",
                    f.summary.replace('\n', " "),
                    c.origin
                );
                if !f.args.is_empty() {
                    head.push_str(&format!("# args: {}\n", f.args.join(" ")));
                }
                if f.expect_ok {
                    head.push_str("# expect: ok\n");
                }
                fs::write(&p, head + &c.text).expect("write finding");
                class.files.push(p);
            }
        }
        case += 1;
    }
    let _ = fs::remove_dir_all(&dir);
    eprintln!(
        "fuzz: seed {seed}, cases {first}..{case} in {:.0} s: {tally:?}",
        t0.elapsed().as_secs_f64()
    );
    let mut unknown = Vec::new();
    for (sig, c) in &classes {
        let files: Vec<String> = c.files.iter().map(|p| p.display().to_string()).collect();
        let line = format!(
            "{sig} ({} times) e.g. {}\n    {}",
            c.count,
            c.first,
            files.join("\n    ")
        );
        match c.known {
            Some(k) => eprintln!("known ({k}): {line}"),
            None if sig.starts_with("Resource") => eprintln!("resource: {line}"),
            None => {
                eprintln!("NEW: {line}");
                unknown.push(line);
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "the fuzzer found {} new failure classes (inputs written to {}):\n{}",
        unknown.len(),
        out.display(),
        unknown.join("\n")
    );
}
