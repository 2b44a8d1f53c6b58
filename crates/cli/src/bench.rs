//! `evplast bench`: builds the benchmark network of `../shared/bench/` itself and times it.
//!
//! N target neurons, each with K plastic synapses (`fixed_indegree`, no multapses) from a pool
//! of 2K parrot neurons that repeat independent Poisson trains at `rate` (one
//! poisson_generator, an independent train per parrot); delay 1 ms; resolution 0.1 ms.
//! Clopath: `aeif_psc_delta_clopath` defaults, weight `26 mV / (K·rate·τ_m)`, Wmax
//! `max(100, 10 w0)`. Urbanczik–Senn: the nest-models.md §7.3 neuron (`--signal`: its
//! `learning_signal`, docs/URBANCZIK.md), `dendritic_exc`, weight
//! `0.2·0.3·C_m·(200·10 Hz)/(K·rate)` (= 0.2·90 pA·2000 Hz/(K·rate)), eta 0.17, tau_Delta 100,
//! Wmax `4.5·C_m·max(1, w0/90)`. `--static` runs the same network with static synapses.
//!
//! Several schemes (or `--static`) run as separate child processes so that each peak RSS is
//! its own. Under `mpirun` (a build with `--features mpi`) every configuration runs in the
//! ranks themselves, one after another: each rank builds its share, and rank 0 reports; the
//! peak RSS is then the largest rank's, and includes the configurations run before.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};

use evplast_io::output::peak_rss_bytes;
use evplast_kernel::archive::{Scheme, SchemeSetting};
use evplast_kernel::network::Exchange;
use evplast_kernel::NodeId;
use evplast_models::builder::cost;
use evplast_models::{KernelConfig, ParamMap, ParamValue};
use evplast_sim::{ConnSpec, Draw, Kernel, NodeParamSpec, Options, Param, SynapseSpec};

/// Options of `evplast bench`.
#[derive(Args, Clone, Debug)]
pub struct BenchArgs {
    /// Plasticity rule.
    #[arg(long, value_parser = ["clopath", "urbanczik"], default_value = "clopath")]
    pub rule: String,
    /// Urbanczik–Senn's learning signal (the neurons' `learning_signal`).
    #[arg(long, value_parser = ["spike_rate", "rate_rate", "spike_spike"], default_value = "spike_rate")]
    pub signal: String,
    /// Number of target neurons.
    #[arg(long = "N", default_value_t = 100)]
    pub n: usize,
    /// Plastic synapses per target (in-degree); the input pool has 2K parrots. Several,
    /// comma-separated, sweep it (one of --K, --rate, --delay may).
    #[arg(long = "K", default_value = "500", value_delimiter = ',')]
    pub k: Vec<usize>,
    /// Input rate per parrot (Hz); several sweep it.
    #[arg(long, default_value = "10", value_delimiter = ',')]
    pub rate: Vec<f64>,
    /// Simulated time (s).
    #[arg(long = "T", default_value_t = 1.0)]
    pub t: f64,
    /// Synaptic delay of the plastic synapses (ms); several sweep it.
    #[arg(long, default_value = "1", value_delimiter = ',')]
    pub delay: Vec<f64>,
    /// Update schemes to run, comma-separated (event, compressed, time, and auto: the
    /// scheme the cost model picks, reported as `chosen`).
    #[arg(long, default_value = "event,compressed,time", value_delimiter = ',')]
    pub schemes: Vec<String>,
    /// Thread counts to run each scheme with, comma-separated (strong scaling); the runs'
    /// `digest` (of the neurons' spikes and the final weights) is the same for every count.
    #[arg(long, default_value = "1", value_delimiter = ',')]
    pub threads: Vec<u32>,
    /// Also run the same network with static synapses (the plasticity overhead baseline).
    #[arg(long = "static")]
    pub with_static: bool,
    /// Run only the static-synapse network.
    #[arg(long)]
    pub static_only: bool,
    /// Random seed.
    #[arg(long, default_value_t = 12345)]
    pub seed: u64,
    /// Append one CSV row per run to this file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Write all runs as a JSON array to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Draw the simulation time against the swept variable (--K, --rate or --delay with
    /// several values, else several --threads), one line per scheme, into this PNG file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// CSV files of tools/bench/bench_nest.py or bench_brian2.py runs of the same network,
    /// drawn beside evplast's lines (rows whose other settings match).
    #[arg(long, value_delimiter = ',')]
    pub peers: Vec<PathBuf>,
    /// Internal: run exactly one configuration in this process and print its JSON.
    #[arg(long, hide = true)]
    pub child: bool,
}

fn num(x: f64) -> ParamValue {
    ParamValue::Num(x)
}

/// The largest of the ranks' `x` (collective), or `x`.
fn max_over_ranks(x: u64, ex: Option<&dyn Exchange>) -> u64 {
    let Some(ex) = ex else { return x };
    let (mut all, mut ranges) = (Vec::new(), Vec::new());
    ex.all_gather(&x.to_le_bytes(), &mut all, &mut ranges);
    ranges
        .iter()
        .map(|r| u64::from_le_bytes(all[r.clone()].try_into().unwrap_or_default()))
        .max()
        .unwrap_or(x)
}

/// Builds and simulates one configuration with `threads` threads (per rank, with `ex`);
/// returns its measurements (on rank 0; `None` on the others).
fn run_one(
    a: &BenchArgs,
    scheme: SchemeSetting,
    static_syn: bool,
    threads: u32,
    ex: Option<&dyn Exchange>,
) -> Result<Option<Value>> {
    let t0 = Instant::now();
    let rss0 = max_over_ranks(peak_rss_bytes().unwrap_or(0), ex);
    let cfg = KernelConfig {
        rng_seed: a.seed,
        scheme,
        local_num_threads: threads,
        rank: ex.map_or(0, |e| e.rank() as u32),
        ranks: ex.map_or(1, |e| e.ranks() as u32),
        ..Default::default()
    };
    let mut k = Kernel::new(
        cfg,
        Options {
            built_once: true,
            ..Options::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let m = 2 * a.k[0];
    let rate_khz = a.rate[0] * 1e-3;
    let (model, syn_model, w0, params, receptor): (&str, &str, f64, ParamMap, Option<ParamValue>) =
        if a.rule == "clopath" {
            let tau_m = 281.0 / 30.0;
            let w0 = 26.0 / (a.k[0] as f64 * rate_khz * tau_m);
            let mut p = ParamMap::new();
            p.insert("Wmax".into(), num(100f64.max(10.0 * w0)));
            ("aeif_psc_delta_clopath", "clopath_synapse", w0, p, None)
        } else {
            let c = 300.0;
            let w0 = 0.2 * 0.3 * c * (200.0 * 10.0) / (a.k[0] as f64 * a.rate[0]);
            let mut p = ParamMap::new();
            p.insert("tau_Delta".into(), num(100.0));
            p.insert("eta".into(), num(0.17));
            p.insert("Wmax".into(), num(4.5 * c * 1f64.max(w0 / 90.0)));
            (
                "pp_cond_exp_mc_urbanczik",
                "urbanczik_synapse",
                w0,
                p,
                Some(ParamValue::Str("dendritic_exc".into())),
            )
        };
    let nrn_params: ParamMap = if a.rule == "clopath" {
        ParamMap::new()
    } else {
        let comp = |e_in: Option<f64>| {
            let mut c = ParamMap::new();
            for (k, v) in [
                ("V_m", -70.0),
                ("C_m", 300.0),
                ("E_L", -70.0),
                ("g_L", 30.0),
                ("tau_syn_ex", 3.0),
                ("tau_syn_in", 3.0),
            ] {
                c.insert(k.into(), num(v));
            }
            if let Some(e) = e_in {
                c.insert("E_ex".into(), num(0.0));
                c.insert("E_in".into(), num(e));
            }
            ParamValue::Table(c)
        };
        let mut p = ParamMap::new();
        for (k, v) in [
            ("t_ref", 3.0),
            ("g_sp", 600.0),
            ("phi_max", 0.15),
            ("rate_slope", 0.5),
            ("beta", 1.0 / 3.0),
            ("theta", -55.0),
        ] {
            p.insert(k.into(), num(v));
        }
        p.insert("learning_signal".into(), ParamValue::Str(a.signal.clone()));
        p.insert("soma".into(), comp(Some(-75.0)));
        p.insert("dendritic".into(), comp(None));
        p
    };
    // Through the library front end, as a model file or a Python script builds it.
    let table = |m: &ParamMap| -> Vec<(String, Param)> {
        m.iter()
            .map(|(k, v)| (k.clone(), Param::Value(v.clone())))
            .collect()
    };
    let ids = |first: NodeId, n: usize| -> Vec<NodeId> {
        (0..n as u32).map(|i| NodeId(first.0 + i)).collect()
    };
    let api = |e: evplast_sim::ApiError| anyhow::anyhow!("{e}");
    let nrn_table = table(&nrn_params);
    let nrn = k
        .create(model, a.n as u64, NodeParamSpec::Same(&nrn_table))
        .map_err(api)?;
    let pg = k
        .create(
            "poisson_generator",
            1,
            NodeParamSpec::Same(&[("rate".into(), Param::Value(num(a.rate[0])))]),
        )
        .map_err(api)?;
    let parrots = k
        .create("parrot_neuron", m as u64, NodeParamSpec::None)
        .map_err(api)?;
    let sr = k
        .create("spike_recorder", 1, NodeParamSpec::None)
        .map_err(api)?;
    let feed = SynapseSpec {
        weight: Draw::Fixed(1.0),
        delay: Draw::Fixed(0.1),
        ..SynapseSpec::default()
    };
    k.connect(&[pg], &ids(parrots, m), &ConnSpec::default(), &feed)
        .map_err(api)?;
    let mut syn = SynapseSpec {
        synapse_model: if static_syn {
            "static_synapse"
        } else {
            syn_model
        }
        .into(),
        weight: Draw::Fixed(w0),
        delay: Draw::Fixed(a.delay[0]),
        ..SynapseSpec::default()
    };
    if let Some(r) = receptor {
        syn.params.push(("receptor_type".into(), Param::Value(r)));
    }
    if !static_syn {
        syn.params.extend(table(&params));
    }
    let indegree = ConnSpec {
        rule: "fixed_indegree".into(),
        count: Some(("indegree".into(), a.k[0] as f64)),
        allow_multapses: false,
        ..ConnSpec::default()
    };
    k.connect(&ids(parrots, m), &ids(nrn, a.n), &indegree, &syn)
        .map_err(api)?;
    k.connect(
        &ids(nrn, a.n),
        &[sr],
        &ConnSpec::default(),
        &SynapseSpec::default(),
    )
    .map_err(api)?;
    k.prepare().map_err(api)?;
    let build_s = t0.elapsed().as_secs_f64();
    let rss_build = max_over_ranks(peak_rss_bytes().unwrap_or(0), ex);
    let t1 = Instant::now();
    let sim = k.simulation_mut().expect("built");
    let steps = sim.network.res.duration_steps(a.t * 1e3);
    sim.network
        .simulate_exchanging(steps, &mut |_| std::ops::ControlFlow::Continue(()), ex)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let sim_s = t1.elapsed().as_secs_f64();
    // Before anything below allocates.
    let peak = max_over_ranks(peak_rss_bytes().unwrap_or(0), ex);
    let net = &mut sim.network;
    if let Some(ex) = ex {
        net.gather(ex);
    }
    // Every rank recorded every spike (they are exchanged each slice).
    let post_spikes = net.spike_recording.events[0].len();
    // FNV-1a over the neurons' spikes (sender, stamp) and the final weights' bits (by
    // source, then target): equal digests, equal results.
    let mut digest = 0xcbf2_9ce4_8422_2325u64;
    let mut eat = |x: u64| {
        for b in x.to_le_bytes() {
            digest = (digest ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    };
    for s in &net.spike_recording.events[0] {
        eat(s.sender.0 as u64);
        eat(s.stamp as u64);
    }
    let (mut n_w, mut sum_w) = (0u64, 0.0);
    net.each_plastic_connection(ex, &mut |_, c| {
        eat(c.weight.to_bits());
        n_w += 1;
        sum_w += c.weight;
    });
    if ex.is_some_and(|e| e.rank() != 0) {
        return Ok(None);
    }
    let mean_w = if n_w == 0 { w0 } else { sum_w / n_w as f64 };
    let (clopath, urbanczik) = net.rule_counters();
    let counters = if a.rule == "clopath" {
        clopath
    } else {
        urbanczik
    };
    let n_syn = a.n * a.k[0];
    Ok(Some(json!({
        "simulator": "evplast",
        "rule": if static_syn { format!("{}_static", a.rule) } else { a.rule.clone() },
        "signal": if a.rule == "clopath" { "" } else { a.signal.as_str() },
        "scheme": if static_syn { "static" } else { scheme.as_str() },
        "chosen": if static_syn {
            "static".to_string()
        } else {
            sim.schemes.iter().map(|c| c.scheme.as_str()).collect::<Vec<_>>().join("+")
        },
        "predicted_s": sim.schemes.iter().map(|c| {
            c.predicted_s[cost::index(c.scheme)] * a.t
        }).sum::<f64>(),
        "N": a.n, "K": a.k[0], "M_inputs": m, "rate_hz": a.rate[0], "T_s": a.t, "delay_ms": a.delay[0],
        "n_plastic_syn": n_syn,
        "w_init": w0, "w_mean_final": mean_w,
        "post_rate_hz": post_spikes as f64 / (a.n as f64 * a.t),
        "build_s": build_s, "sim_s": sim_s, "rtf": sim_s / a.t,
        "stage_s": evplast_io::output::stage_json(&sim.network.stage_times),
        "ns_per_syn_event": 1e9 * sim_s / (n_syn as f64 * a.rate[0] * a.t).max(1.0),
        "rss_start_bytes": rss0, "rss_after_build_bytes": rss_build, "peak_rss_bytes": peak,
        "synapse_calls": counters.synapse_calls,
        "weight_change_computations": counters.weight_change_computations,
        "history_manipulations": counters.history_manipulations,
        "history_entries_max": counters.history_entries_max,
        "history_entries_mean": counters.history_entries_mean(),
        "seed": a.seed,
        "threads": threads,
        "ranks": ex.map_or(1, |e| e.ranks()),
        "digest": format!("{digest:016x}"),
    })))
}

const COLUMNS: &[&str] = &[
    "simulator",
    "rule",
    "signal",
    "scheme",
    "chosen",
    "predicted_s",
    "N",
    "K",
    "M_inputs",
    "rate_hz",
    "T_s",
    "delay_ms",
    "n_plastic_syn",
    "w_init",
    "w_mean_final",
    "post_rate_hz",
    "build_s",
    "sim_s",
    "rtf",
    "ns_per_syn_event",
    "rss_start_bytes",
    "rss_after_build_bytes",
    "peak_rss_bytes",
    "synapse_calls",
    "weight_change_computations",
    "history_manipulations",
    "history_entries_max",
    "history_entries_mean",
    "seed",
    "threads",
    "ranks",
    "digest",
];

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs `evplast bench` (as one of several MPI ranks with `ex`).
pub fn bench(a: &BenchArgs, ex: Option<&dyn Exchange>) -> Result<()> {
    let schemes: Vec<SchemeSetting> = a
        .schemes
        .iter()
        .map(|s| {
            evplast_io::load::parse_scheme(s.trim()).with_context(|| {
                format!(
                    "--schemes: unknown scheme \"{s}\" ({})",
                    SchemeSetting::NAMES
                )
            })
        })
        .collect::<Result<_>>()?;
    if a.rule == "clopath" && a.signal != "spike_rate" {
        bail!(
            "--signal {}: a learning signal of the urbanczik rule (--rule urbanczik)",
            a.signal
        );
    }
    if a.n == 0 || a.k.contains(&0) || a.rate.iter().any(|r| *r <= 0.0) || a.t <= 0.0 {
        bail!("--N, --K, --rate and --T must be positive");
    }
    if let Some(d) = a.delay.iter().find(|d| **d < 0.1) {
        bail!("--delay {d} ms is below the resolution 0.1 ms");
    }
    let swept = [
        ("--K", a.k.len()),
        ("--rate", a.rate.len()),
        ("--delay", a.delay.len()),
    ];
    if swept.iter().filter(|s| s.1 > 1).count() > 1 {
        bail!("--K, --rate, --delay: only one of them may have several values (a sweep)");
    }
    if !a.peers.is_empty() && a.plot.is_none() {
        bail!("--peers: the peers' rows are drawn beside evplast's; give --plot FILE too");
    }
    if a.plot.is_some() && swept.iter().all(|s| s.1 == 1) && a.threads.len() == 1 {
        bail!("--plot: draws time against a swept variable; give several values to --K, --rate, --delay or --threads");
    }
    if !a.child && swept.iter().any(|s| s.1 > 1) {
        // One configuration per value of the swept variable, in the order given.
        let mut results = Vec::new();
        for (k, rate, delay) in a.k.iter().flat_map(|&k| {
            a.rate
                .iter()
                .flat_map(move |&r| a.delay.iter().map(move |&d| (k, r, d)))
        }) {
            let one = BenchArgs {
                k: vec![k],
                rate: vec![rate],
                delay: vec![delay],
                csv: None,
                json: None,
                plot: None,
                ..a.clone()
            };
            results.extend(runs_of(&one, &schemes, ex)?);
        }
        if ex.is_some_and(|e| e.rank() != 0) {
            return Ok(());
        }
        return report(a, &results);
    }
    if a.t * 1e4 > evplast_kernel::time::MAX_RUN_STEPS as f64 {
        bail!(
            "--T {} s is more than the 2^31 steps of 0.1 ms a synapse's spike time can hold",
            a.t
        );
    }
    if a.child {
        let scheme = schemes.first().copied().unwrap_or(SchemeSetting::Auto);
        let threads = a.threads.first().copied().unwrap_or(1);
        if let Some(v) = run_one(a, scheme, a.static_only, threads, None)? {
            println!("{v}");
        }
        return Ok(());
    }
    let results = runs_of(a, &schemes, ex)?;
    if ex.is_some_and(|e| e.rank() != 0) {
        return Ok(());
    }
    report(a, &results)
}

/// Runs every scheme (and the static baseline) and thread count of one configuration: in
/// child processes, or here as MPI ranks (rank 0 gets the results).
fn runs_of(
    a: &BenchArgs,
    schemes: &[SchemeSetting],
    ex: Option<&dyn Exchange>,
) -> Result<Vec<Value>> {
    let mut runs: Vec<(Option<SchemeSetting>, bool)> = Vec::new();
    if a.with_static || a.static_only {
        runs.push((None, true));
    }
    if !a.static_only {
        runs.extend(schemes.iter().map(|s| (Some(*s), false)));
    }
    let max = evplast_kernel::limits::MAX_THREADS;
    if let Some(t) = a.threads.iter().find(|&&t| t == 0 || t as u64 > max) {
        bail!("--threads {t}: each count must be 1 to {max}");
    }
    let runs: Vec<(Option<SchemeSetting>, bool, u32)> = runs
        .into_iter()
        .flat_map(|(s, st)| a.threads.iter().map(move |&t| (s, st, t)))
        .collect();
    let mut results = Vec::new();
    if let Some(ex) = ex {
        // Ranks cannot start child processes that are ranks too: each configuration runs here.
        for (scheme, static_syn, threads) in runs {
            let scheme = scheme.unwrap_or(Scheme::Event.into());
            results.extend(run_one(a, scheme, static_syn, threads, Some(ex))?);
        }
        return Ok(results);
    }
    let exe = std::env::current_exe().context("cannot find the evplast executable")?;
    for (scheme, static_syn, threads) in runs {
        let mut cmd = std::process::Command::new(&exe);
        cmd.arg("bench")
            .arg("--child")
            .args(["--rule", &a.rule])
            .args(["--signal", &a.signal])
            .arg(format!("--N={}", a.n))
            .arg(format!("--K={}", a.k[0]));
        cmd.arg(format!("--rate={}", a.rate[0]))
            .arg(format!("--T={}", a.t))
            .arg(format!("--delay={}", a.delay[0]));
        cmd.arg(format!("--seed={}", a.seed)).arg(format!(
            "--schemes={}",
            scheme.unwrap_or(Scheme::Event.into()).as_str()
        ));
        cmd.arg(format!("--threads={threads}"));
        if static_syn {
            cmd.arg("--static-only");
        }
        let out = cmd
            .output()
            .context("cannot start a benchmark child process")?;
        if !out.status.success() {
            bail!(
                "benchmark run failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let v: Value =
            serde_json::from_slice(&out.stdout).context("benchmark child wrote no JSON")?;
        results.push(v);
    }
    Ok(results)
}

/// `--plot`: simulation time against the swept variable, a line per scheme (and thread count
/// where several), and the peers' rows of the same network from `--peers`.
fn plot(a: &BenchArgs, path: &Path, results: &[Value]) -> Result<()> {
    let (key, x_desc) = if a.k.len() > 1 {
        ("K", "in-degree K (synapses per target)")
    } else if a.rate.len() > 1 {
        ("rate_hz", "input rate (Hz)")
    } else if a.delay.len() > 1 {
        ("delay_ms", "delay (ms)")
    } else {
        ("threads", "threads")
    };
    let f = |v: &Value, k: &str| -> Option<f64> {
        v[k].as_f64()
            .or_else(|| v[k].as_str().and_then(|s| s.parse().ok()))
    };
    let mut series: std::collections::BTreeMap<String, Vec<(f64, f64)>> = Default::default();
    for v in results {
        let scheme = v["scheme"].as_str().unwrap_or("?");
        let mut name = format!("evplast {scheme}");
        if key != "threads" && a.threads.len() > 1 {
            name += &format!(", {} threads", v["threads"]);
        }
        if let (Some(x), Some(y)) = (f(v, key), f(v, "sim_s")) {
            series.entry(name).or_default().push((x, y));
        }
    }
    // Peers: rows of the same rule and settings but the swept one.
    let same = |r: &std::collections::HashMap<String, String>, col: &str, want: f64| {
        r.get(col)
            .and_then(|s| s.parse::<f64>().ok())
            .is_some_and(|x| (x - want).abs() < 1e-9)
    };
    for file in &a.peers {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("--peers: cannot read {}", file.display()))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
        for line in lines {
            let r: std::collections::HashMap<String, String> = header
                .iter()
                .map(|h| h.to_string())
                .zip(line.split(',').map(String::from))
                .collect();
            let rule = r.get("rule").map(String::as_str).unwrap_or("");
            // evplast's own rows of a sweep file are not peers.
            if r.get("simulator").is_some_and(|s| s == "evplast")
                || rule.trim_end_matches("_static") != a.rule
                || !same(&r, "N", a.n as f64)
                || !same(&r, "T_s", a.t)
                || (key != "K" && !same(&r, "K", a.k[0] as f64))
                || (key != "rate_hz" && !same(&r, "rate_hz", a.rate[0]))
                || (key != "delay_ms" && !same(&r, "delay_ms", a.delay[0]))
            {
                continue;
            }
            let (Some(x), Some(y)) = (
                r.get(key).and_then(|s| s.parse::<f64>().ok()),
                r.get("sim_s").and_then(|s| s.parse::<f64>().ok()),
            ) else {
                continue;
            };
            let sim = r.get("simulator").cloned().unwrap_or_else(|| "peer".into());
            let scheme = r.get("scheme").cloned().unwrap_or_default();
            series
                .entry(format!("{sim} {scheme}"))
                .or_default()
                .push((x, y));
        }
    }
    let series: Vec<(String, Vec<(f64, f64)>)> = series
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by(|p, q| p.0.total_cmp(&q.0));
            (k, v)
        })
        .collect();
    let title = format!(
        "{} benchmark: N = {}, T = {} s{}",
        a.rule,
        a.n,
        a.t,
        match key {
            "K" => format!(", {} Hz, delay {} ms", a.rate[0], a.delay[0]),
            "rate_hz" => format!(", K = {}, delay {} ms", a.k[0], a.delay[0]),
            "delay_ms" => format!(", K = {}, {} Hz", a.k[0], a.rate[0]),
            _ => format!(", K = {}, {} Hz", a.k[0], a.rate[0]),
        }
    );
    crate::plot::lines_png(path, &title, x_desc, "simulation time (s)", &series)
}

/// The table on stdout, and the CSV and JSON files asked for.
fn report(a: &BenchArgs, results: &[Value]) -> Result<()> {
    if let Some(path) = &a.plot {
        plot(a, path, results)?;
    }
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "{:<10} {:<11} {:>5} {:>5} {:>6} {:>5} {:>7} {:>9} {:>9} {:>7} {:>9} {:>10} {:>12} {:>12} {:>10} {:>8} {:>16}",
        "rule", "scheme", "N", "K", "rate", "T", "threads", "build_s", "sim_s", "rtf", "rss_MB", "post_Hz", "M", "C", "H", "L_max", "digest"
    )?;
    for v in results {
        writeln!(
            o,
            "{:<10} {:<11} {:>5} {:>5} {:>6} {:>5} {:>7} {:>9.3} {:>9.3} {:>7.3} {:>9.1} {:>10.2} {:>12} {:>12} {:>10} {:>8} {:>16}",
            v["rule"].as_str().unwrap_or(""),
            match (v["scheme"].as_str(), v["chosen"].as_str()) {
                (Some("auto"), Some(c)) => format!("auto/{c}"),
                (s, _) => s.unwrap_or("").to_string(),
            },
            v["N"].as_u64().unwrap_or(0),
            v["K"].as_u64().unwrap_or(0),
            v["rate_hz"].as_f64().unwrap_or(0.0),
            v["T_s"].as_f64().unwrap_or(0.0),
            v["threads"].as_u64().unwrap_or(0),
            v["build_s"].as_f64().unwrap_or(0.0),
            v["sim_s"].as_f64().unwrap_or(0.0),
            v["rtf"].as_f64().unwrap_or(0.0),
            v["peak_rss_bytes"].as_f64().unwrap_or(0.0) / 1e6,
            v["post_rate_hz"].as_f64().unwrap_or(0.0),
            v["synapse_calls"].as_u64().unwrap_or(0),
            v["weight_change_computations"].as_u64().unwrap_or(0),
            v["history_manipulations"].as_u64().unwrap_or(0),
            v["history_entries_max"].as_u64().unwrap_or(0),
            v["digest"].as_str().unwrap_or(""),
        )?;
    }
    if let Some(path) = &a.csv {
        let new = !path.exists();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        if new {
            writeln!(f, "{}", COLUMNS.join(","))?;
        }
        for v in results {
            writeln!(
                f,
                "{}",
                COLUMNS
                    .iter()
                    .map(|c| cell(&v[*c]))
                    .collect::<Vec<_>>()
                    .join(",")
            )?;
        }
    }
    if let Some(path) = &a.json {
        std::fs::write(path, serde_json::to_string_pretty(results)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
