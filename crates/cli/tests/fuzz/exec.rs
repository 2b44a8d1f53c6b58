//! Runs `evplast check` and `evplast run` on one model file with a wall-clock bound and a
//! memory bound, and judges the outcome: success or a clean error (exit 1 or 2 with a
//! message) is fine; anything else is a finding.

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Address-space bound of a child (KiB). An input that makes evplast allocate more than this
/// should be refused; without the bound such an input would slow the whole machine down.
const MEMORY_LIMIT_KIB: u64 = 2 << 20;

/// The schemes a plastic synapse can be updated with; all must agree.
pub const SCHEMES: [&str; 3] = ["event", "time", "compressed"];

/// How one process ended.
#[derive(Debug)]
pub struct Exec {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub stderr: String,
    pub secs: f64,
}

impl Exec {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// The first line of stderr, or "(no message)".
    pub fn first_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("(no message)")
    }

    /// A clean refusal or stop of the run by the simulator: an error naming a numerical
    /// instability (which the run loop may report, unlike the loader).
    pub fn unstable(&self) -> bool {
        self.code == Some(1) && self.stderr.contains("numerical instability")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// No exit within the time bound.
    Hang,
    /// Killed by a signal (SIGABRT: allocation failure, stack overflow, abort).
    Signal,
    /// A large but finite network: killed by SIGABRT on a failed allocation smaller than the
    /// memory bound (the fuzzer's bound is far below the memory evplast's estimate checks
    /// against), or over the time bound with more than a million connections to build and
    /// write. Reported, not fatal to the fuzz test.
    Resource,
    /// Exit 101 or "panicked" on stderr.
    Panic,
    /// An exit code other than 0, 1, 2, or an error without a message.
    BadExit,
    /// A successful run whose CSV outputs hold NaN or inf.
    NonFinite,
    /// A successful run without stats.json.
    NoStats,
    /// `check` and `run` disagree on whether the file is valid.
    CheckVsRun,
    /// One update scheme succeeds where another fails, or a `# expect: ok` file fails.
    Scheme,
    /// Another number of threads wrote other bytes (every output but the timings).
    Split,
}

/// One thing wrong with one input.
#[derive(Clone, Debug)]
pub struct Finding {
    pub kind: Kind,
    /// The extra `run` arguments that show it (`--scheme compressed`).
    pub args: Vec<String>,
    /// What happened, for a human.
    pub summary: String,
    /// What identifies the class of failure: the kind, the message with numbers masked and
    /// the first frame inside the workspace.
    pub signature: String,
    /// The run must succeed to count as fixed (scheme disagreements).
    pub expect_ok: bool,
}

/// Bounds of one case.
#[derive(Clone, Debug)]
pub struct Limits {
    pub timeout: Duration,
    /// Also run the other update schemes when the file has plastic synapses.
    pub cross_schemes: bool,
}

fn mask_digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_num = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_num {
                out.push('N');
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(c);
        }
    }
    out
}

/// The first backtrace frame inside the workspace: `evplast_io::load::load` and, if the
/// backtrace has it, ` (crates/io/src/load.rs:552)` (the line without the column, which is
/// stable enough and shorter).
fn first_frame(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let i = lines.iter().position(|l| {
        let f = l.trim_start().split_once(": ").map_or("", |(_, f)| f);
        f.starts_with("evplast") || f.starts_with("<evplast")
    })?;
    let name = lines[i].trim_start().split_once(": ").unwrap().1;
    let at = lines
        .get(i + 1)
        .and_then(|l| l.trim().strip_prefix("at "))
        .map(|loc| {
            let loc = loc.find("crates/").map_or(loc, |j| &loc[j..]);
            match loc.rsplit_once(':') {
                Some((fl, col)) if col.chars().all(|c| c.is_ascii_digit()) => fl,
                _ => loc,
            }
        });
    Some(match at {
        Some(at) => format!("{name} ({at})"),
        None => name.to_string(),
    })
}

/// Spawns `bin ARGS` under the memory bound, with stderr in `dir/stderr.txt`, and waits at
/// most `timeout` (then kills it).
pub fn exec(bin: &str, args: &[String], dir: &Path, timeout: Duration) -> Exec {
    let err_path = dir.join("stderr.txt");
    let err_file = fs::File::create(&err_path).expect("create stderr file");
    let script = format!("ulimit -v {MEMORY_LIMIT_KIB} 2>/dev/null; exec \"$0\" \"$@\"");
    let t0 = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "0")
        // Backtraces then name files as crates/….
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(err_file))
        .spawn()
        .expect("spawn evplast");
    let mut pause = Duration::from_millis(1);
    let (status, timed_out) = loop {
        if let Some(s) = child.try_wait().expect("wait for evplast") {
            break (s, false);
        }
        if t0.elapsed() >= timeout {
            let _ = child.kill();
            break (child.wait().expect("reap evplast"), true);
        }
        sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    let secs = t0.elapsed().as_secs_f64();
    let bytes = fs::read(&err_path).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&bytes[..bytes.len().min(64 << 10)]).into_owned();
    Exec {
        code: status.code(),
        signal: status.signal(),
        timed_out,
        stderr,
        secs,
    }
}

/// Connections above which a run may take longer than the time bound without hanging.
const LARGE_NETWORK: u64 = 1_000_000;

/// The number of connections `evplast check` counts in `model`, if it is above
/// [`LARGE_NETWORK`].
fn large_network(model: &Path) -> Option<u64> {
    let o = Command::new(BIN_FOR_CHECK)
        .arg("check")
        .arg(model)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&o.stdout);
    let n: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("connections: "))?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    (n > LARGE_NETWORK).then_some(n)
}

const BIN_FOR_CHECK: &str = env!("CARGO_BIN_EXE_evplast");

/// What is wrong with one process's end, if anything. `out` is the run directory of a `run`.
fn judge(
    cmd: &str,
    e: &Exec,
    model: &Path,
    text: &str,
    out: Option<&Path>,
) -> Option<(Kind, String, String)> {
    let err = e.stderr.replace(&model.display().to_string(), "MODEL");
    let frame = first_frame(&err).unwrap_or_default();
    if e.timed_out {
        let models = models_in(text);
        if let Some(n) = large_network(model) {
            // Not a hang: building and writing this many connections takes its time.
            return Some((
                Kind::Resource,
                format!("{cmd}: no exit within {:.0} s with {n} connections", e.secs),
                "slow: a large network".into(),
            ));
        }
        return Some((
            Kind::Hang,
            format!("{cmd}: no exit within {:.0} s ({models})", e.secs),
            format!("hang in {cmd} with {models}"),
        ));
    }
    if let Some(sig) = e.signal {
        let first = err.lines().next().unwrap_or("(no message)");
        let bytes: Option<u64> = first
            .strip_prefix("memory allocation of ")
            .and_then(|r| r.split(' ').next()?.parse().ok());
        if bytes.is_some_and(|b| b < MEMORY_LIMIT_KIB << 10) {
            return Some((
                Kind::Resource,
                format!(
                    "{cmd}: out of the {} GiB bound: {first} {frame}",
                    MEMORY_LIMIT_KIB >> 20
                ),
                format!("out of memory: {frame}"),
            ));
        }
        return Some((
            Kind::Signal,
            format!("{cmd}: killed by signal {sig}: {first} {frame}"),
            format!("signal {sig}: {} {frame}", mask_digits(first)),
        ));
    }
    if e.code == Some(101) || err.contains("panicked") {
        let mut lines = err.lines().skip_while(|l| !l.contains("panicked"));
        let at = lines.next().unwrap_or("");
        let msg = lines.next().unwrap_or("");
        let at = at.split("panicked at ").nth(1).unwrap_or(at);
        return Some((
            Kind::Panic,
            format!("{cmd}: panic at {at} {msg} (first frame {frame})"),
            format!("panic: {} at {frame}", mask_digits(msg)),
        ));
    }
    match e.code {
        Some(0) => {}
        Some(1 | 2) if !err.trim().is_empty() => return None,
        c => {
            return Some((
                Kind::BadExit,
                format!("{cmd}: exit {c:?} with stderr {:?}", err.trim()),
                format!("exit {c:?} in {cmd}"),
            ))
        }
    }
    let out = out?;
    if !out.join("stats.json").is_file() {
        return Some((
            Kind::NoStats,
            format!("{cmd}: succeeded without stats.json"),
            "no stats.json".into(),
        ));
    }
    non_finite(out).map(|(file, col, val)| {
        let what = if file == "connections.csv" {
            "connections.csv"
        } else {
            "a recorder"
        };
        (
            Kind::NonFinite,
            format!("{cmd}: succeeded, but {file} column {col} holds {val}"),
            format!("non-finite {col} in {what}"),
        )
    })
}

/// The neuron and generator models `text` names, sorted: a hang leaves no message, so the
/// models it involves are what tells one hang from another.
fn models_in(text: &str) -> String {
    let mut v: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "model").then(|| v.trim().trim_matches('"'))
        })
        .filter(|m| !m.ends_with("_recorder") && *m != "multimeter" && *m != "parrot_neuron")
        .collect();
    v.sort();
    v.dedup();
    v.join(", ")
}

/// The first non-finite number in a CSV file of `out`: (file, column, value).
fn non_finite(out: &Path) -> Option<(String, String, String)> {
    let mut files: Vec<PathBuf> = fs::read_dir(out)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    for f in files {
        let Ok(text) = fs::read_to_string(&f) else {
            continue;
        };
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
        for line in lines {
            for (j, field) in line.split(',').enumerate() {
                if field.parse::<f64>().is_ok_and(|x| !x.is_finite()) {
                    let name = f.file_name().unwrap().to_string_lossy().into_owned();
                    let col = header.get(j).unwrap_or(&"?").to_string();
                    return Some((name, col, field.to_string()));
                }
            }
        }
    }
    None
}

/// The scheme a run of `text` with `args` uses.
fn scheme_of(text: &str, args: &[String]) -> String {
    if let Some(i) = args.iter().position(|a| a == "--scheme") {
        if let Some(s) = args.get(i + 1) {
            return s.clone();
        }
    }
    text.parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("kernel")?.get("scheme")?.as_str().map(str::to_string))
        .unwrap_or_else(|| "event".into())
}

/// Everything learnt from one input.
pub struct CaseResult {
    pub check: Exec,
    pub run: Exec,
    pub findings: Vec<Finding>,
}

/// Runs `check` and `run` on `text` (written to `dir/case.toml`), and, for a file with
/// plastic synapses whose run ended quickly without an error of the loader, the run in every
/// other scheme. `expect_ok`: the run must succeed (a regression file of a scheme disagreement).
pub fn run_case(
    bin: &str,
    dir: &Path,
    text: &str,
    args: &[String],
    expect_ok: bool,
    lim: &Limits,
) -> CaseResult {
    let model = dir.join("case.toml");
    fs::write(&model, text).expect("write case");
    let out = dir.join("out");
    let m = model.display().to_string();
    let o = out.display().to_string();
    let mut findings = Vec::new();
    let mut add = |f: Option<(Kind, String, String)>, args: &[String], expect_ok: bool| {
        if let Some((kind, summary, signature)) = f {
            findings.push(Finding {
                kind,
                args: args.to_vec(),
                summary,
                signature,
                expect_ok,
            });
        }
    };

    let check = exec(bin, &["check".into(), m.clone()], dir, lim.timeout);
    add(judge("check", &check, &model, text, None), &[], false);

    let run_with = |args: &[String]| {
        let _ = fs::remove_dir_all(&out);
        let mut a = vec![
            "run".into(),
            m.clone(),
            "--out".into(),
            o.clone(),
            "--quiet".into(),
        ];
        a.extend_from_slice(args);
        let e = exec(bin, &a, dir, lim.timeout);
        let j = judge("run", &e, &model, text, Some(&out));
        (e, j)
    };
    let (run, j) = run_with(args);
    add(j, args, false);

    if check.code == Some(1) && run.ok() {
        let s = format!(
            "check refused ({}) but run succeeded",
            check.first_line().replace(&m, "MODEL")
        );
        add(
            Some((Kind::CheckVsRun, s, "check refuses, run accepts".into())),
            args,
            false,
        );
    }
    // A run may stop on a numerical instability, which check cannot see; anything else it
    // refuses (a label that cannot be a file name) check should refuse first.
    if check.ok() && run.code == Some(1) && !run.stderr.contains("stopped") {
        let msg = run.first_line().replace(&m, "MODEL").replace(&o, "OUT");
        let s = format!("check accepted but run refused: {msg}");
        let sig = format!("check accepts, run refuses: {}", mask_digits(&msg));
        add(Some((Kind::CheckVsRun, s, sig)), args, false);
    }
    if expect_ok && !run.ok() {
        let s = format!(
            "run {args:?} must succeed: {}",
            run.first_line().replace(&m, "MODEL")
        );
        add(
            Some((Kind::Scheme, s, "expected success".into())),
            args,
            true,
        );
    }

    // The same bytes for any number of threads: a quick successful run again with 1 and 3.
    if run.ok() && run.secs < 2.0 && !args.iter().any(|a| a == "--threads") {
        let first = outputs(&out);
        for t in ["1", "3"] {
            let mut a = args.to_vec();
            a.extend(["--threads".to_string(), t.to_string()]);
            let (e, j) = run_with(&a);
            add(j, &a, false);
            if e.ok() {
                if let Some(f) = first_difference(&first, &outputs(&out)) {
                    let s = format!("--threads {t} writes other bytes than the default: {f}");
                    let sig = format!("threads differ: {}", mask_digits(&f));
                    add(Some((Kind::Split, s, sig)), &a, true);
                }
            }
        }
    }

    let plastic = text.contains("clopath_synapse") || text.contains("urbanczik_synapse");
    if lim.cross_schemes && plastic && (run.ok() || run.unstable()) && run.secs < 2.0 {
        let first = scheme_of(text, args);
        for s in SCHEMES.iter().filter(|s| **s != first) {
            let a = vec!["--scheme".to_string(), s.to_string()];
            let (e, j) = run_with(&a);
            add(j, &a, false);
            if e.ok() != run.ok() && (e.ok() || e.unstable()) {
                let (good, bad, a, msg) = if run.ok() {
                    (first.as_str(), *s, a.clone(), e.first_line().to_string())
                } else {
                    let a1 = vec!["--scheme".to_string(), first.clone()];
                    (*s, first.as_str(), a1, run.first_line().to_string())
                };
                let msg = msg.replace(&m, "MODEL");
                let summary = format!("scheme {good} succeeds, {bad} fails: {msg}");
                let sig = format!("{good} ok, {bad}: {}", mask_digits(&msg));
                add(Some((Kind::Scheme, summary, sig)), &a, true);
            }
        }
    }
    let _ = fs::remove_dir_all(&out);
    CaseResult {
        check,
        run,
        findings,
    }
}

/// Every file of a run directory (name → bytes); stats.json without what depends on the
/// machine or the number of threads (times, memory, the thread count).
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| {
                let e = e.ok()?;
                let name = e.file_name().to_string_lossy().into_owned();
                let mut bytes = fs::read(e.path()).ok()?;
                if name == "stats.json" {
                    let mut j: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
                    if let Some(o) = j.as_object_mut() {
                        o.retain(|k, _| {
                            !(k.ends_with("_s")
                                || k == "real_time_factor"
                                || k == "peak_rss_bytes"
                                || k == "threads"
                                || k == "memory")
                        });
                    }
                    bytes = j.to_string().into_bytes();
                }
                Some((name, bytes))
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The first file that differs between two run directories' [`outputs`], if any.
fn first_difference(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) -> Option<String> {
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    if names(a) != names(b) {
        return Some(format!("files {:?} against {:?}", names(a), names(b)));
    }
    a.iter()
        .zip(b)
        .find(|(x, y)| x.1 != y.1)
        .map(|(x, _)| format!("{} differs", x.0))
}

#[test]
fn judge_sees_non_finite_csv_values_and_names_the_frame() {
    let dir = std::env::temp_dir().join(format!("evplast-fuzz-{}-judge", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("stats.json"), "{}").unwrap();
    fs::write(
        dir.join("mm.csv"),
        "senders,times,V_m\n3,0.1,-70\n3,0.2,-70.5\n",
    )
    .unwrap();
    assert_eq!(non_finite(&dir), None);
    for bad in ["NaN", "inf", "-inf"] {
        fs::write(
            dir.join("mm.csv"),
            format!("senders,times,V_m\n3,0.1,-70\n3,0.2,{bad}\n"),
        )
        .unwrap();
        assert_eq!(
            non_finite(&dir),
            Some(("mm.csv".into(), "V_m".into(), bad.into()))
        );
    }
    let _ = fs::remove_dir_all(&dir);

    let stderr = "thread 'main' panicked at library/alloc/src/raw_vec/mod.rs:28:5:\n\
                  capacity overflow\nstack backtrace:\n   7: alloc::vec::Vec<T>::with_capacity\n\
                  \x20            at /rustc/x/library/alloc/src/vec/mod.rs:524:9\n\
                  \x20  8: evplast_io::load::load\n\
                  \x20            at ./crates/io/src/load.rs:552:22\n";
    assert_eq!(
        first_frame(stderr).as_deref(),
        Some("evplast_io::load::load (crates/io/src/load.rs:552)")
    );
    assert_eq!(
        mask_digits("the len is 0 but the index is 12"),
        "the len is N but the index is N"
    );
}
