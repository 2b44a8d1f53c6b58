//! Recorder files: one per recorder, and the `npy` format (`--format`, `[kernel]
//! record_format`). For every example and NEST case the `.npy` columns hold exactly the numbers
//! of the CSV files (read back with ndarray-npy, compared bit for bit); several recorders under
//! one label write one file each, holding what each recorded; bad formats are refused by name.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{run, run_one_thread, scratch, stderr, write};
use ndarray::Array1;
use ndarray_npy::read_npy;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_format(model: &Path, out: &Path, format: Option<&str>) {
    let extra: &[&str] = match format {
        Some(f) => &["--format", f],
        None => &[],
    };
    let o = run_one_thread(model, out, extra);
    assert!(o.status.success(), "{model:?}: {}", stderr(&o));
}

/// A CSV file's columns as the text of each cell.
fn csv_columns(path: &Path) -> Vec<(String, Vec<String>)> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let mut cols: Vec<(String, Vec<String>)> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|h| (h.to_string(), Vec::new()))
        .collect();
    for line in lines {
        for (c, v) in cols.iter_mut().zip(line.split(',')) {
            c.1.push(v.to_string());
        }
    }
    cols
}

/// The files of a run directory that are not run-wide (stats, connections, network).
fn recorder_files(dir: &Path, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext) && n != "connections.csv")
        .collect();
    v.sort();
    v
}

#[test]
fn npy_columns_hold_the_csv_numbers_for_every_example_and_case() {
    let dir = scratch("npy_roundtrip");
    let mut checked = 0;
    for sub in ["examples", "tests/nest_cases"] {
        let mut models: Vec<PathBuf> = fs::read_dir(repo().join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        models.sort();
        for model in models {
            let name = model.file_stem().unwrap().to_string_lossy().into_owned();
            let (csv, npy) = (
                dir.join(format!("{name}_csv")),
                dir.join(format!("{name}_npy")),
            );
            run_format(&model, &csv, None);
            run_format(&model, &npy, Some("npy"));
            let files = recorder_files(&csv, ".csv");
            assert!(!files.is_empty(), "{name}: no recorder files");
            // The npy run writes exactly the columns of each CSV file, and no CSV file.
            let mut expected = Vec::new();
            for f in &files {
                let stem = f.trim_end_matches(".csv");
                for (column, cells) in csv_columns(&csv.join(f)) {
                    let path = npy.join(format!("{stem}.{column}.npy"));
                    expected.push(format!("{stem}.{column}.npy"));
                    let what = format!("{name}: {}", path.display());
                    // Times are whole steps (int64) with time_in_steps, else ms (float64).
                    let is_int = ["senders", "targets"].contains(&column.as_str())
                        || (column == "times" && !cells.iter().any(|c| c.contains('.')));
                    if cells.is_empty() && column == "times" {
                        let n = read_npy::<_, Array1<f64>>(&path)
                            .map(|a| a.len())
                            .or_else(|_| read_npy::<_, Array1<i64>>(&path).map(|a| a.len()));
                        assert_eq!(n.unwrap_or_else(|e| panic!("{what}: {e}")), 0, "{what}");
                    } else if is_int {
                        let a: Array1<i64> =
                            read_npy(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
                        let want: Vec<i64> = cells.iter().map(|c| c.parse().unwrap()).collect();
                        assert_eq!(a.to_vec(), want, "{what}");
                    } else {
                        let a: Array1<f64> =
                            read_npy(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
                        let want: Vec<u64> = cells
                            .iter()
                            .map(|c| c.parse::<f64>().unwrap().to_bits())
                            .collect();
                        let got: Vec<u64> = a.iter().map(|x| x.to_bits()).collect();
                        assert_eq!(got, want, "{what}");
                    }
                    checked += 1;
                }
            }
            expected.sort();
            assert_eq!(recorder_files(&npy, ".npy"), expected, "{name}");
            assert!(
                recorder_files(&npy, ".csv").is_empty(),
                "{name}: CSV in an npy run"
            );
            // The run-wide files are the same in both formats.
            assert_eq!(
                fs::read(csv.join("connections.csv")).unwrap(),
                fs::read(npy.join("connections.csv")).unwrap(),
                "{name}"
            );
        }
    }
    assert!(checked > 20, "{checked} columns");
}

/// Three parrots repeating known spike trains, each recorded by its own recorder of one
/// `spike_recorder` block (`n = 3`, one label).
const THREE_RECORDERS: &str = r#"
[kernel]
resolution = 0.1
KERNEL_EXTRA

[[create]]
label = "gen"
model = "spike_generator"
n = 3
params = [ { spike_times = [1.0, 2.0] }, { spike_times = [3.0] }, { spike_times = [4.0, 5.0, 6.0] } ]

[[create]]
label = "parrots"
model = "parrot_neuron"
n = 3

[[create]]
label = "sr"
model = "spike_recorder"
n = 3

[[connect]]
pre = "gen"
post = "parrots"
conn_spec = { rule = "one_to_one" }

[[connect]]
pre = "parrots"
post = "sr"
conn_spec = { rule = "one_to_one" }

[simulate]
t = 10.0
"#;

#[test]
fn several_recorders_under_one_label_write_one_file_each() {
    let dir = scratch("three_recorders");
    let model = write(&dir, "m.toml", &THREE_RECORDERS.replace("KERNEL_EXTRA", ""));
    let out = dir.join("csv");
    run_format(&model, &out, None);
    // Nodes: generators 1-3, parrots 4-6, recorders 7-9; parrot i repeats generator i one
    // delay (1 ms) later.
    let want = [
        ("sr-7.csv", "senders,times\n4,2.0\n4,3.0\n"),
        ("sr-8.csv", "senders,times\n5,4.0\n"),
        ("sr-9.csv", "senders,times\n6,5.0\n6,6.0\n6,7.0\n"),
    ];
    assert_eq!(
        recorder_files(&out, ".csv"),
        want.map(|w| w.0.to_string()).to_vec()
    );
    for (file, text) in want {
        assert_eq!(fs::read_to_string(out.join(file)).unwrap(), text, "{file}");
    }
    // The same from the model file's record_format, one array per column.
    let model = write(
        &dir,
        "m_npy.toml",
        &THREE_RECORDERS.replace("KERNEL_EXTRA", "record_format = \"npy\""),
    );
    let out = dir.join("npy");
    run_format(&model, &out, None);
    let times: Array1<f64> = read_npy(out.join("sr-9.times.npy")).unwrap();
    assert_eq!(times.to_vec(), [5.0, 6.0, 7.0]);
    let senders: Array1<i64> = read_npy(out.join("sr-8.senders.npy")).unwrap();
    assert_eq!(senders.to_vec(), [5]);
    // --format overrides the file.
    let out = dir.join("override");
    run_format(&model, &out, Some("csv"));
    assert_eq!(recorder_files(&out, ".npy"), Vec::<String>::new());
    assert_eq!(recorder_files(&out, ".csv").len(), 3);
}

#[test]
fn unknown_formats_are_refused_by_name() {
    let dir = scratch("bad_format");
    let model = write(&dir, "m.toml", &THREE_RECORDERS.replace("KERNEL_EXTRA", ""));
    let o = run(&[
        "run",
        model.to_str().unwrap(),
        "--out",
        dir.join("o").to_str().unwrap(),
        "--format",
        "hdf",
    ]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("--format") && err.contains("\"hdf\"") && err.contains("csv, npy"),
        "{err}"
    );
    let text = THREE_RECORDERS.replace("KERNEL_EXTRA", "record_format = \"parquet\"");
    let model = write(&dir, "bad.toml", &text);
    let o = run(&[
        "run",
        model.to_str().unwrap(),
        "--out",
        dir.join("o").to_str().unwrap(),
    ]);
    let err = stderr(&o);
    let line = text.lines().position(|l| l.contains("parquet")).unwrap() + 1;
    assert!(!o.status.success());
    assert!(
        err.contains(&format!("bad.toml:{line}:"))
            && err.contains("kernel.record_format")
            && err.contains("\"parquet\"")
            && err.contains("csv, npy"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// Runs `model` with recordings streamed every `rows` rows (the hidden test hook; "" for the
/// default) or held in memory (`None`: a checkpoint holds them, so a run with checkpoints does
/// not stream).
fn run_streamed(
    model: &Path,
    out: &Path,
    format: &str,
    rows: Option<&str>,
) -> std::process::Output {
    let mut cmd = common::evplast();
    cmd.args([
        "run",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .args(["--quiet", "--threads", "1", "--format", format]);
    match rows {
        Some("") => {}
        Some(n) => {
            cmd.env(evplast_io::output::STREAM_ROWS_ENV, n);
        }
        None => {
            cmd.args(["--checkpoint-every", "100000000"]);
        }
    }
    cmd.output().unwrap()
}

#[test]
fn streamed_recordings_are_the_bytes_of_recordings_held_in_memory() {
    let dir = scratch("streamed");
    let mut compared = 0;
    for sub in ["examples", "tests/nest_cases"] {
        for e in fs::read_dir(repo().join(sub)).unwrap() {
            let model = e.unwrap().path();
            if model.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let name = model.file_stem().unwrap().to_string_lossy().into_owned();
            for format in ["csv", "npy"] {
                let (a, b) = (
                    dir.join(format!("{name}_{format}_mem")),
                    dir.join(format!("{name}_{format}_st")),
                );
                for (out, rows) in [(&a, None), (&b, Some("37"))] {
                    let o = run_streamed(&model, out, format, rows);
                    assert!(o.status.success(), "{name}: {}", stderr(&o));
                }
                for f in recorder_files(&a, if format == "csv" { ".csv" } else { ".npy" }) {
                    assert_eq!(
                        fs::read(a.join(&f)).unwrap(),
                        fs::read(b.join(&f)).unwrap(),
                        "{name}: {f} streamed every 37 rows differs"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 30, "{compared} files");
}

/// 100 neurons driven over threshold, for 2 s; with `mm`, V_m of each sampled every step:
/// 2·10^6 samples, 48 MB as columns of senders, times and values.
fn sampled(mm: bool) -> String {
    let mut t = String::from(
        "[kernel]\nresolution = 0.1\n\n\
         [[create]]\nlabel = \"nrn\"\nmodel = \"aeif_psc_delta_clopath\"\nn = 100\nparams = { I_e = 800.0 }\n\n\
         [[create]]\nlabel = \"sr\"\nmodel = \"spike_recorder\"\n\n\
         [[connect]]\npre = \"nrn\"\npost = \"sr\"\n\n",
    );
    if mm {
        t.push_str(
            "[[create]]\nlabel = \"mm\"\nmodel = \"multimeter\"\nparams = { record_from = [\"V_m\"], interval = 0.1 }\n\n\
             [[connect]]\npre = \"mm\"\npost = \"nrn\"\n\n",
        );
    }
    t.push_str("[simulate]\nt = 2000.0\n");
    t
}

fn peak(out: &Path) -> f64 {
    let stats: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("stats.json")).unwrap()).unwrap();
    stats["peak_rss_bytes"].as_f64().unwrap() / 1e6
}

#[test]
fn a_long_recording_streams_to_disk_in_bounded_memory() {
    let dir = scratch("bounded");
    let (with, without) = (
        write(&dir, "mm.toml", &sampled(true)),
        write(&dir, "no.toml", &sampled(false)),
    );
    let base = dir.join("base");
    assert!(run_streamed(&without, &base, "npy", Some(""))
        .status
        .success());
    let streamed = dir.join("streamed");
    let o = run_streamed(&with, &streamed, "npy", Some(""));
    assert!(o.status.success(), "{}", stderr(&o));
    let held = dir.join("held");
    assert!(run_streamed(&with, &held, "npy", None).status.success());
    let v: Array1<f64> = read_npy(streamed.join("mm.V_m.npy")).unwrap();
    assert_eq!(v.len(), 2_000_000);
    let (p0, p1, p2) = (peak(&base), peak(&streamed), peak(&held));
    // Streamed: 2^16 rows at a time (the samplers', the recorder's, and the sorted copy and
    // columns a flush writes: about 100 B per row) and the write buffers, whatever the length
    // of the run (the same peak at 1, 2 and 4 s). Held: the whole recording.
    assert!(
        p1 <= p0 + 12.0,
        "streamed {p1:.1} MB against {p0:.1} MB without the multimeter"
    );
    assert!(
        p2 >= p0 + 45.0,
        "held in memory {p2:.1} MB against {p0:.1} MB: the test would not see a leak"
    );
}

#[cfg(not(feature = "hdf5"))]
#[test]
fn sonata_in_a_build_without_hdf5_is_refused_with_the_way_to_get_it() {
    let dir = scratch("no_hdf5");
    let model = write(&dir, "m.toml", &THREE_RECORDERS.replace("KERNEL_EXTRA", ""));
    let out = dir.join("o");
    let o = run(&[
        "run",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "sonata",
    ]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("--format") && err.contains("--features hdf5") && err.contains("libhdf5-dev"),
        "{err}"
    );
    let text = THREE_RECORDERS.replace("KERNEL_EXTRA", "record_format = \"sonata\"");
    let model = write(&dir, "s.toml", &text);
    let o = run(&[
        "run",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("s.toml:")
            && err.contains("kernel.record_format")
            && err.contains("--features hdf5"),
        "{err}"
    );
    assert!(!out.join("stats.json").exists());
}
