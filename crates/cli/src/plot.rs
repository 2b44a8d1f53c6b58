//! `evplast plot RUN_DIR [--out DIR]`: PNG figures of a finished (or stopped) run, from the
//! recorder files its manifest lists (CSV or `.npy` columns; README "Commands"):
//!
//! - each spike recorder: `<stem>_raster.png`, a raster (time × sender) over the population
//!   rate (spikes per recorded sender and second, in bins of 1/100 of the run);
//! - each weight recorder: `<stem>_weights.png`, the trajectories of up to 20 synapses over
//!   the distribution of every recorded synapse's last weight;
//! - each multimeter: `<stem>_traces.png`, one panel per recorded field, up to 5 senders each.
//!
//! Axes carry units (ms, Hz; a recordable's unit where its name says it: `V_*` mV, `g_*` nS,
//! `I_*`/`w`/`z` pA). Text is drawn in the bundled DejaVu Sans (`assets/`), so nothing but this
//! binary is needed.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

/// Width and height of every figure (pixels).
pub const SIZE: (u32, u32) = (1000, 700);

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The columns of one recorder's file(s), by header name.
struct Recording {
    stem: String,
    columns: BTreeMap<String, Vec<f64>>,
}

impl Recording {
    fn col(&self, name: &str) -> &[f64] {
        self.columns.get(name).map_or(&[], |v| v.as_slice())
    }
}

/// Reads the recorder files `run` lists in its manifest: `<stem>.csv` and `<stem>.<col>.npy`.
fn recordings(run: &Path) -> Result<Vec<Recording>> {
    let manifest = run.join(".evplast-manifest");
    let text = fs::read_to_string(&manifest).with_context(|| {
        format!(
            "{}: not a run directory of evplast (no .evplast-manifest; run `evplast run MODEL --out {}` first)",
            run.display(),
            run.display()
        )
    })?;
    let mut by_stem: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for name in text.lines() {
        let path = run.join(name);
        if let Some(stem) = name.strip_suffix(".csv") {
            if stem == "connections" {
                continue;
            }
            let t = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let mut lines = t.lines();
            let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
            let mut cols: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
            for line in lines {
                for (c, v) in cols.iter_mut().zip(line.split(',')) {
                    c.push(v.parse().unwrap_or(f64::NAN));
                }
            }
            by_stem
                .entry(stem.to_string())
                .or_default()
                .extend(header.iter().map(|h| h.to_string()).zip(cols));
        } else if let Some(rest) = name.strip_suffix(".npy") {
            let Some((stem, col)) = split_npy(rest) else {
                continue;
            };
            let values: Vec<f64> = match ndarray_npy::read_npy::<_, ndarray::Array1<f64>>(&path) {
                Ok(a) => a.to_vec(),
                Err(_) => ndarray_npy::read_npy::<_, ndarray::Array1<i64>>(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?
                    .iter()
                    .map(|&x| x as f64)
                    .collect(),
            };
            by_stem.entry(stem).or_default().insert(col, values);
        }
    }
    Ok(by_stem
        .into_iter()
        .map(|(stem, columns)| Recording { stem, columns })
        .collect())
}

/// `<stem>.<column>` of an npy file name: the column is one of the recorders' column names or
/// a recordable (which may hold a dot, `V_m.s`), so the stem ends at the first dot before
/// `senders`, `targets`, `times`, `weights`, or the field.
fn split_npy(rest: &str) -> Option<(String, String)> {
    for known in ["senders", "targets", "times", "weights"] {
        if let Some(stem) = rest.strip_suffix(&format!(".{known}")) {
            return Some((stem.to_string(), known.to_string()));
        }
    }
    // A multimeter field: the stem is that of the same run's `.senders.npy`; take the first
    // dot (labels with dots write CSV names that are unambiguous; npy ones may not be).
    let (stem, col) = rest.split_once('.')?;
    Some((stem.to_string(), col.to_string()))
}

/// The unit a recordable's name implies.
fn unit(field: &str) -> &'static str {
    let f = field.split('.').next().unwrap_or(field);
    if f.starts_with("V_") || f.starts_with("u_bar") {
        "mV"
    } else if f.starts_with("g_") {
        "nS"
    } else if f.starts_with("I_") || f == "w" || f == "z" {
        "pA"
    } else {
        ""
    }
}

fn range(v: &[f64]) -> (f64, f64) {
    let (lo, hi) = v
        .iter()
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9 * hi.abs().max(1.0));
    (lo - pad, hi + pad)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

fn err<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> anyhow::Error + '_ {
    move |e| anyhow::anyhow!("cannot draw {}: {e}", path.display())
}

fn raster(r: &Recording, path: &Path) -> Result<()> {
    let (t, s) = (r.col("times"), r.col("senders"));
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let (top, bottom) = root.split_vertically(SIZE.1 * 3 / 5);
    let (t0, t1) = range(t);
    let (s0, s1) = range(s);
    let mut c = ChartBuilder::on(&top)
        .caption(
            format!("{}: {} spikes", r.stem, t.len()),
            ("sans-serif", 22),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(t0..t1, s0..s1)
        .map_err(err(path))?;
    c.configure_mesh()
        .x_desc("time (ms)")
        .y_desc("sender (node id)")
        .draw()
        .map_err(err(path))?;
    c.draw_series(
        t.iter()
            .zip(s)
            .map(|(&x, &y)| Circle::new((x, y), 1, BLUE.filled())),
    )
    .map_err(err(path))?;
    // Rate: spikes per recorded sender and second, in 100 bins.
    let n_senders = {
        let mut v: Vec<i64> = s.iter().map(|&x| x as i64).collect();
        v.sort_unstable();
        v.dedup();
        v.len().max(1)
    };
    let bins = 100usize;
    let width = ((t1 - t0) / bins as f64).max(1e-9);
    let mut counts = vec![0.0f64; bins];
    for &x in t {
        let b = (((x - t0) / width) as usize).min(bins - 1);
        counts[b] += 1.0;
    }
    let rate: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            (
                t0 + (i as f64 + 0.5) * width,
                c / n_senders as f64 / (width * 1e-3),
            )
        })
        .collect();
    let (_, rmax) = range(&rate.iter().map(|p| p.1).collect::<Vec<_>>());
    draw_xy(
        &bottom,
        path,
        "population rate",
        "time (ms)",
        "rate (Hz)",
        (t0, t1),
        (0.0, rmax.max(1e-6)),
        &[("", rate)],
    )?;
    root.present().map_err(err(path))
}

/// One panel of lines.
#[allow(clippy::too_many_arguments)]
fn draw_xy(
    area: &Area<'_>,
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    x: (f64, f64),
    y: (f64, f64),
    lines: &[(&str, Vec<(f64, f64)>)],
) -> Result<()> {
    let mut c = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(err(path))?;
    c.configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(err(path))?;
    for (i, (label, pts)) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let s = c
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(err(path))?;
        if !label.is_empty() {
            s.label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
    }
    if lines.iter().any(|(l, _)| !l.is_empty()) {
        c.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err(path))?;
    }
    Ok(())
}

fn weights(r: &Recording, path: &Path) -> Result<()> {
    let (s, g, t, w) = (
        r.col("senders"),
        r.col("targets"),
        r.col("times"),
        r.col("weights"),
    );
    let mut by_syn: BTreeMap<(i64, i64), Vec<(f64, f64)>> = BTreeMap::new();
    for k in 0..t.len() {
        by_syn
            .entry((s[k] as i64, g[k] as i64))
            .or_default()
            .push((t[k], w[k]));
    }
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let (top, bottom) = root.split_vertically(SIZE.1 * 3 / 5);
    let shown: Vec<(String, Vec<(f64, f64)>)> = by_syn
        .iter()
        .take(20)
        .map(|((a, b), v)| (format!("{a}→{b}"), v.clone()))
        .collect();
    let lines: Vec<(&str, Vec<(f64, f64)>)> = shown
        .iter()
        .map(|(l, v)| (if by_syn.len() <= 8 { l.as_str() } else { "" }, v.clone()))
        .collect();
    draw_xy(
        &top,
        path,
        &format!(
            "{}: weights of {} of {} synapses at their presynaptic spikes",
            r.stem,
            shown.len(),
            by_syn.len()
        ),
        "time (ms)",
        "weight",
        range(t),
        range(w),
        &lines,
    )?;
    // The distribution of the last recorded weights.
    let last: Vec<f64> = by_syn
        .values()
        .filter_map(|v| v.last().map(|p| p.1))
        .collect();
    let (lo, hi) = range(&last);
    let bins = 30usize;
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u32; bins];
    for &x in &last {
        counts[(((x - lo) / width) as usize).min(bins - 1)] += 1;
    }
    let cmax = counts.iter().copied().max().unwrap_or(1).max(1);
    let mut c = ChartBuilder::on(&bottom)
        .caption("last recorded weight per synapse", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(lo..hi, 0u32..cmax + 1)
        .map_err(err(path))?;
    c.configure_mesh()
        .x_desc("weight")
        .y_desc("synapses")
        .draw()
        .map_err(err(path))?;
    c.draw_series(counts.iter().enumerate().map(|(i, &n)| {
        let x0 = lo + i as f64 * width;
        Rectangle::new([(x0, 0), (x0 + width, n)], BLUE.mix(0.6).filled())
    }))
    .map_err(err(path))?;
    root.present().map_err(err(path))
}

fn traces(r: &Recording, path: &Path) -> Result<()> {
    let (s, t) = (r.col("senders"), r.col("times"));
    let fields: Vec<&String> = r
        .columns
        .keys()
        .filter(|k| !["senders", "times"].contains(&k.as_str()))
        .collect();
    if fields.is_empty() {
        bail!("{}: a multimeter file without recorded fields", r.stem);
    }
    let mut senders: Vec<i64> = s.iter().map(|&x| x as i64).collect();
    senders.sort_unstable();
    senders.dedup();
    senders.truncate(5);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let panels = root.split_evenly((fields.len(), 1));
    for (panel, f) in panels.iter().zip(&fields) {
        let v = r.col(f);
        let lines: Vec<(String, Vec<(f64, f64)>)> = senders
            .iter()
            .map(|&id| {
                let pts = (0..t.len())
                    .filter(|&k| s[k] as i64 == id)
                    .map(|k| (t[k], v[k]))
                    .collect();
                (format!("node {id}"), pts)
            })
            .collect();
        let lines: Vec<(&str, Vec<(f64, f64)>)> =
            lines.iter().map(|(l, p)| (l.as_str(), p.clone())).collect();
        let u = unit(f);
        let y_desc = if u.is_empty() {
            f.to_string()
        } else {
            format!("{f} ({u})")
        };
        draw_xy(
            panel,
            path,
            &format!("{}: {f}", r.stem),
            "time (ms)",
            &y_desc,
            range(t),
            range(v),
            &lines,
        )?;
    }
    root.present().map_err(err(path))
}

/// One figure of lines (points joined) into `path`: `evplast bench --plot`.
pub fn lines_png(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<()> {
    register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow::anyhow!("the bundled font cannot be read"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory of {}", path.display()))?;
    }
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .collect();
    let (y0, y1) = range(&ys);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let lines: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(l, p)| (l.as_str(), p.clone()))
        .collect();
    draw_xy(
        &root,
        path,
        title,
        x_desc,
        y_desc,
        range(&xs),
        (y0.min(0.0), y1),
        &lines,
    )?;
    root.present().map_err(err(path))
}

/// Draws every figure of the run in `run` into `out` (default: `run`); returns the files.
pub fn plot(run: &Path, out: Option<&Path>) -> Result<Vec<PathBuf>> {
    let out = out.unwrap_or(run);
    let recs = recordings(run)?;
    fs::create_dir_all(out)
        .with_context(|| format!("cannot create the plot directory {}", out.display()))?;
    let probe = out.join(".evplast-plot-probe");
    fs::write(&probe, b"")
        .with_context(|| format!("cannot write into the plot directory {}", out.display()))?;
    let _ = fs::remove_file(&probe);
    register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow::anyhow!("the bundled font cannot be read"))?;
    let mut written = Vec::new();
    for r in &recs {
        let kind = if r.columns.contains_key("weights") {
            "weights"
        } else if r.columns.len() > 2 {
            "traces"
        } else {
            "raster"
        };
        let path = out.join(format!("{}_{kind}.png", r.stem));
        match kind {
            "weights" => weights(r, &path)?,
            "traces" => traces(r, &path)?,
            _ => raster(r, &path)?,
        }
        written.push(path);
    }
    if let Some(path) = pairing(run, out)? {
        written.push(path);
    }
    if written.is_empty() {
        bail!("{}: the run recorded nothing to plot", run.display());
    }
    Ok(written)
}

/// A run of `examples/spike_pairing.toml` (its `stats.json` names the model): the Clopath
/// pairing curve of Clopath et al. (2010) Fig. 2b, `pairing_curve.png` — the final weight of
/// each copy, normalised as `examples/spike_pairing.py` does (100·15·(w − 0.5)/0.5 + 100: %
/// of the initial weight), against the pairing rate; copies 1–5 post-before-pre, 6–10
/// pre-before-post, at 10, 20, 30, 40, 50 Hz (the file's header).
fn pairing(run: &Path, out: &Path) -> Result<Option<PathBuf>> {
    let stats = fs::read_to_string(run.join("stats.json")).unwrap_or_default();
    let model = serde_json::from_str::<serde_json::Value>(&stats)
        .ok()
        .and_then(|v| v["model"].as_str().map(String::from))
        .unwrap_or_default();
    if Path::new(&model)
        .file_stem()
        .is_none_or(|s| s != "spike_pairing")
    {
        return Ok(None);
    }
    let text = fs::read_to_string(run.join("connections.csv"))
        .with_context(|| format!("cannot read {}", run.join("connections.csv").display()))?;
    let mut rows: Vec<(i64, f64)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            Some((c.first()?.parse().ok()?, c.get(3)?.parse().ok()?))
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    if rows.len() != 10 {
        bail!(
            "{}: a spike-pairing run has 10 plastic connections, not {}",
            run.display(),
            rows.len()
        );
    }
    let norm = |w: f64| 100.0 * 15.0 * (w - 0.5) / 0.5 + 100.0;
    let rates = [10.0, 20.0, 30.0, 40.0, 50.0];
    let curve = |from: usize| -> Vec<(f64, f64)> {
        rates
            .iter()
            .zip(&rows[from..from + 5])
            .map(|(&r, w)| (r, norm(w.1)))
            .collect()
    };
    let path = out.join("pairing_curve.png");
    lines_png(
        &path,
        "Clopath spike pairing (Clopath et al. 2010, Fig. 2b)",
        "pairing rate (Hz)",
        "normalised weight (% of initial)",
        &[
            ("post before pre".into(), curve(0)),
            ("pre before post".into(), curve(5)),
        ],
    )?;
    Ok(Some(path))
}
