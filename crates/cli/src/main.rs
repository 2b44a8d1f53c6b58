//! `evplast`: run, check and describe spiking-network models with voltage-based plasticity.
//!
//! Test hook (hidden from `--help`): with `EVPLAST_TEST_INTERRUPT_AT_MS=T` in the environment,
//! `evplast run` behaves as if SIGINT arrived once the simulation reaches T ms, so that the
//! interrupted path can be tested at a known slice (`crates/cli/tests/interrupt.rs`).

use std::fmt;
use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod bench;
mod plot;
#[cfg(feature = "mpi")]
mod ranks;

use evplast_kernel::network::Exchange;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use evplast_io::checkpoint;
use evplast_io::output::{self, RecordFormat, Timings};
use evplast_io::{load, LoadOptions, Scheme, SchemeSetting};
use evplast_models::builder::memory;
use evplast_models::params::shorten;
use evplast_models::registry::{self, ModelKind};

#[derive(Parser)]
#[command(
    name = "evplast",
    version,
    about = "Spiking neural networks with voltage-based plasticity (Clopath), matching NEST",
    long_about = "evplast simulates spiking neural networks described in a model file (TOML, with NEST's \
model, parameter and connection names) and writes spikes, sampled state and plastic weights as CSV.\n\n\
Start with:\n  evplast run examples/spike_pairing.toml --out out/pairing\n  evplast models\n  evplast models aeif_psc_delta_clopath"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemeArg {
    /// Per plastic projection, the scheme the cost model predicts fastest (docs/SCHEMES.md).
    Auto,
    Time,
    Event,
    Compressed,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a model file and write the results into a directory.
    ///
    /// Writes <label>.csv for every spike_recorder, multimeter and weight_recorder,
    /// connections.csv (final weights of plastic synapses) and stats.json (timing, peak
    /// memory, counters). stats.json is written last: a directory without it holds no
    /// finished run. The results of the previous run in DIR are removed first (the files
    /// its .evplast-manifest lists), so a failed run leaves none. SIGINT or SIGTERM stops the
    /// run at the next slice and writes what was recorded so far, with "complete": false in
    /// stats.json (exit status 130 or 143).
    Run {
        /// The model file (TOML).
        model: PathBuf,
        /// Output directory (created if missing).
        #[arg(long, short)]
        out: PathBuf,
        /// Update scheme of voltage-based synapses (overrides kernel.scheme).
        #[arg(long, value_enum)]
        scheme: Option<SchemeArg>,
        /// How recorders write their files (overrides kernel.record_format): csv, one
        /// <label>.csv each; npy, one <label>.<column>.npy per column (numpy.load).
        #[arg(long, value_parser = parse_format)]
        format: Option<RecordFormat>,
        /// Threads (1 to 1024; overrides kernel.local_num_threads; default: every available
        /// core). The results are the same bytes for any number.
        #[arg(long, value_parser = parse_threads)]
        threads: Option<u32>,
        /// Also write network.json: the realised network (for tools/nest_check).
        #[arg(long)]
        dump_network: bool,
        /// Never show a progress bar.
        #[arg(long)]
        quiet: bool,
        /// Reproduce NEST 3.10's Clopath LTD buffer, which loses LTD values when min_delay > 1
        /// step (nest-models.md §2.4). For cross-checks against NEST only.
        #[arg(long)]
        nest_ltd_ring: bool,
        /// Write DIR/checkpoint.evp every T_MS of simulated time (rounded up to a multiple of
        /// min_delay), at an interruption and at the end; `evplast resume DIR` continues from
        /// it, bit-identical to an uninterrupted run.
        #[arg(long, value_name = "T_MS")]
        checkpoint_every: Option<f64>,
    },
    /// Continue a run from its checkpoint (DIR/checkpoint.evp, written by
    /// `evplast run --checkpoint-every`), to the end the run asked for or MORE_MS beyond it.
    ///
    /// The model is rebuilt from the copy inside the checkpoint, the state restored, and the
    /// results written into DIR as an uninterrupted run would have written them.
    Resume {
        /// The run directory holding checkpoint.evp.
        dir: PathBuf,
        /// Simulate this much beyond the end of the run (ms).
        #[arg(long, value_name = "MORE_MS")]
        t: Option<f64>,
        /// Never show a progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Draw a run's recordings as PNG figures: a raster with the population rate per spike
    /// recorder, weight trajectories and the final weights per weight recorder, traces per
    /// multimeter.
    Plot {
        /// The run directory (written by `evplast run`).
        run_dir: PathBuf,
        /// Where the figures go (default: the run directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate a model file and print a summary (nodes, connections, delays).
    Check {
        /// The model file (TOML).
        model: PathBuf,
    },
    /// Time the benchmark network (N targets × K plastic synapses from 2K Poisson parrots).
    ///
    /// Runs each scheme (and with --static the static-synapse baseline) in its own process and
    /// prints build and simulation time, real-time factor, peak RSS and the Table 1 counters.
    Bench(Box<bench::BenchArgs>),
    /// List the models, or show one model's parameters with defaults and units.
    Models {
        /// A model name, e.g. aeif_psc_delta_clopath.
        name: Option<String>,
    },
}

/// `--threads`: 1 to [`limits::MAX_THREADS`].
fn parse_threads(s: &str) -> Result<u32, String> {
    let max = evplast_kernel::limits::MAX_THREADS;
    match s.trim().parse::<i64>() {
        Ok(n) if n >= 1 && n as u64 <= max => Ok(n as u32),
        Ok(n) if n < 1 => Err(format!("{n} threads: must be at least 1")),
        Ok(n) => Err(format!(
            "{n} threads: more than {max}, the most a run uses (shard numbers are 16-bit; no machine has more cores)"
        )),
        Err(_) => Err(format!("{s:?} is not a whole number of threads")),
    }
}

/// Every core this process may use (1 if that cannot be told).
fn available_threads() -> u32 {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get() as u32)
        .min(evplast_kernel::limits::MAX_THREADS as u32)
}

/// The number of ranks `mpirun` (OpenMPI, MPICH, PMIx) says this process is one of, and the
/// variable that says it, if more than one.
fn launched_ranks() -> Option<(&'static str, u64)> {
    [
        "OMPI_COMM_WORLD_SIZE",
        "PMI_SIZE",
        "PMIX_SIZE",
        "MPI_LOCALNRANKS",
    ]
    .into_iter()
    .find_map(|var| {
        let n = std::env::var(var).ok()?.trim().parse::<u64>().ok()?;
        (n > 1).then_some((var, n))
    })
}

#[cfg(not(feature = "mpi"))]
/// Started by `mpirun` as one of several ranks, but built without the `mpi` feature: every
/// rank would run the whole network into the same directory.
fn refuse_mpi_launch() -> Result<()> {
    if let Some((var, n)) = launched_ranks() {
        anyhow::bail!(
            "started as one of {n} MPI ranks ({var}={n}), but this evplast was built \
             without MPI: every rank would simulate the whole network into the same \
             directory. Build it with `cargo build --release --features mpi` (needs \
             OpenMPI), or run it without mpirun (threads: --threads)"
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Run { .. } | Command::Resume { .. } | Command::Bench(_)
    ) {
        #[cfg(not(feature = "mpi"))]
        if let Err(e) = refuse_mpi_launch() {
            eprintln!("error: {e:#}");
            return ExitCode::from(1);
        }
    }
    let result = match cli.command {
        Command::Run {
            model,
            out,
            scheme,
            format,
            threads,
            dump_network,
            quiet,
            nest_ltd_ring,
            checkpoint_every,
        } => with_ranks(|ex| {
            run(
                &model,
                &out,
                RunArgs {
                    scheme: scheme.map(|s| match s {
                        SchemeArg::Auto => SchemeSetting::Auto,
                        SchemeArg::Time => Scheme::Time.into(),
                        SchemeArg::Event => Scheme::Event.into(),
                        SchemeArg::Compressed => Scheme::Compressed.into(),
                    }),
                    format,
                    threads,
                    dump_network,
                    quiet,
                    nest_ltd_ring,
                    checkpoint_every,
                },
                ex,
            )
        }),
        Command::Resume { dir, t, quiet } => resume(&dir, t, quiet),
        Command::Check { model } => check(&model),
        Command::Plot { run_dir, out } => plot::plot(&run_dir, out.as_deref()).map(|files| {
            for f in files {
                println!("{}", f.display());
            }
        }),
        Command::Models { name } => models(name.as_deref()),
        // Under mpirun every configuration runs in the ranks themselves; otherwise each runs
        // in a child process (which never starts MPI).
        Command::Bench(a) if launched_ranks().is_some() => with_ranks(|ex| bench::bench(&a, ex)),
        Command::Bench(a) => bench::bench(&a, None),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<Interrupted>().is_some() => {
            eprintln!("evplast: {e}");
            let signal = e.downcast_ref::<Interrupted>().map_or(0, |i| i.signal);
            // As shells report a process killed by a signal.
            ExitCode::from(128 + signal as u8)
        }
        // A closed pipe (e.g. `evplast models | head`) is not an error of ours.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A run stopped (or signalled) by SIGINT or SIGTERM; what was recorded has been written.
#[derive(Debug)]
struct Interrupted {
    /// The signal's number (2 or 15).
    signal: i32,
    complete: bool,
    t_reached: String,
    t_sim: String,
    out: PathBuf,
    /// A checkpoint was written at the stop.
    resumable: bool,
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.signal == SIGTERM {
            "SIGTERM"
        } else {
            "SIGINT"
        };
        let out = self.out.display();
        if self.complete {
            write!(
                f,
                "{name} received after the simulation of {} ms had finished; the results in {out} are complete",
                self.t_sim
            )
        } else {
            write!(
                f,
                "run interrupted by {name} at t = {} ms of {} ms; the results in {out} are partial \
                 (recorded up to {} ms; stats.json says \"complete\": false)",
                self.t_reached, self.t_sim, self.t_reached
            )?;
            if self.resumable {
                write!(f, "; `evplast resume {out}` continues the run")?;
            }
            Ok(())
        }
    }
}

impl std::error::Error for Interrupted {}

const SIGINT: i32 = signal_hook::consts::SIGINT;
const SIGTERM: i32 = signal_hook::consts::SIGTERM;

/// Makes SIGINT and SIGTERM store their number in the returned flag instead of killing the
/// process; the step loop reads it once per slice. A second signal kills as usual, so that a
/// run stuck in writing can still be stopped.
fn catch_interrupts() -> Result<Arc<AtomicUsize>> {
    let signal = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // Registration order matters: the default action is armed only by an earlier signal.
        signal_hook::flag::register_conditional_default(sig, Arc::clone(&seen))?;
        signal_hook::flag::register(sig, Arc::clone(&seen))?;
        signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize)?;
    }
    Ok(signal)
}

/// The simulated time (ms) of `EVPLAST_TEST_INTERRUPT_AT_MS`, if set (see the crate docs).
fn test_interrupt_at() -> Result<Option<f64>> {
    const VAR: &str = "EVPLAST_TEST_INTERRUPT_AT_MS";
    let Some(v) = std::env::var_os(VAR) else {
        return Ok(None);
    };
    let t = v
        .to_str()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t >= 0.0);
    t.map(Some)
        .ok_or_else(|| anyhow::anyhow!("{VAR}={v:?}: expected a time in ms (>= 0)"))
}

/// `--format`: a record format's name.
fn parse_format(s: &str) -> Result<RecordFormat, String> {
    RecordFormat::parse(s)
        .ok_or_else(|| {
            format!(
                "\"{s}\" is not a record format (expected one of: {})",
                RecordFormat::NAMES
            )
        })?
        .check_available()
}

/// What `evplast run` was asked for.
struct RunArgs {
    scheme: Option<SchemeSetting>,
    format: Option<RecordFormat>,
    threads: Option<u32>,
    dump_network: bool,
    quiet: bool,
    nest_ltd_ring: bool,
    checkpoint_every: Option<f64>,
}

/// Where a simulation starts: a model file, or a checkpoint.
struct Start {
    model_path: String,
    model_text: String,
    scheme: Option<SchemeSetting>,
    format: Option<RecordFormat>,
    /// `--threads`, or a resumed run's shard count.
    threads: Option<u32>,
    dump_network: bool,
    nest_ltd_ring: bool,
    /// `--checkpoint-every` in ms (fresh runs; a resumed run keeps its interval in steps, in
    /// the checkpoint's options).
    checkpoint_every_ms: Option<f64>,
    resume: Option<Resumed>,
}

/// A run continued from its checkpoint.
struct Resumed {
    path: PathBuf,
    options: checkpoint::RunOptions,
    state: Vec<u8>,
    /// `--t`: ms beyond the run's end.
    more_ms: Option<f64>,
}

/// `evplast run`: removes the previous run's results from `out`, then loads, simulates and
/// writes. Any failure leaves no results in `out`, and its message says so.
/// Runs `f` with the MPI ranks of this run if there are several (`--features mpi` under
/// `mpirun`), else with none.
fn with_ranks<T>(f: impl FnOnce(Option<&dyn Exchange>) -> Result<T>) -> Result<T> {
    #[cfg(feature = "mpi")]
    {
        let r = ranks::Ranks::start()?;
        f((r.ranks() > 1).then_some(&r as &dyn Exchange))
    }
    #[cfg(not(feature = "mpi"))]
    f(None)
}

fn run(model: &Path, out: &Path, a: RunArgs, ex: Option<&dyn Exchange>) -> Result<()> {
    if let Some(t) = a.checkpoint_every.filter(|t| !(t.is_finite() && *t > 0.0)) {
        anyhow::bail!("--checkpoint-every {t}: must be a positive time in ms");
    }
    if let Some(ex) = ex {
        let n = ex.ranks();
        if a.checkpoint_every.is_some() {
            anyhow::bail!("--checkpoint-every: checkpoints of a run of {n} MPI ranks are not supported (run it in one process)");
        }
        if a.dump_network {
            anyhow::bail!("--dump-network: the network dump of a run of {n} MPI ranks is not supported (run it in one process)");
        }
        if ex.rank() != 0 {
            // Rank 0 alone owns the output directory.
            let start = Start {
                model_path: model.display().to_string(),
                model_text: read_model_agreed(model, ex)?,
                scheme: a.scheme,
                format: a.format,
                threads: a.threads,
                dump_network: false,
                nest_ltd_ring: a.nest_ltd_ring,
                checkpoint_every_ms: None,
                resume: None,
            };
            return simulate_and_write(start, out, true, Some(ex));
        }
    }
    let removed = remove_previous(out)?;
    let start = || -> Result<Start> {
        let text = match ex {
            Some(ex) => read_model_agreed(model, ex)?,
            None => std::fs::read_to_string(model)
                .with_context(|| format!("cannot read model file {}", model.display()))?,
        };
        Ok(Start {
            model_path: model.display().to_string(),
            model_text: text,
            scheme: a.scheme,
            format: a.format,
            threads: a.threads,
            dump_network: a.dump_network,
            nest_ltd_ring: a.nest_ltd_ring,
            checkpoint_every_ms: a.checkpoint_every,
            resume: None,
        })
    };
    let result = start().and_then(|s| simulate_and_write(s, out, a.quiet, ex));
    explain_failure(result, out, removed)
}

/// Every rank reads the model file itself; if any rank cannot, all stop (the one that could
/// not says why), instead of the others waiting for it.
fn read_model_agreed(model: &Path, ex: &dyn Exchange) -> Result<String> {
    let text = std::fs::read_to_string(model).with_context(|| {
        format!(
            "cannot read model file {} (MPI rank {})",
            model.display(),
            ex.rank()
        )
    });
    if ex.any(text.is_err()) {
        text?;
        anyhow::bail!(
            "another MPI rank cannot read model file {} (its message says why)",
            model.display()
        );
    }
    text
}

/// `evplast resume DIR`: reads the checkpoint, removes the run's other results, rebuilds the
/// network from the model inside the checkpoint, restores its state and goes on.
fn resume(dir: &Path, more_ms: Option<f64>, quiet: bool) -> Result<()> {
    if let Some(t) = more_ms.filter(|t| !(t.is_finite() && *t > 0.0)) {
        anyhow::bail!("--t {t}: must be a positive time in ms");
    }
    let c = checkpoint::read(dir)?;
    if more_ms.is_none() && c.options.now >= c.options.end {
        anyhow::bail!(
            "the run in {} is complete (its checkpoint is at the end it asked for): give --t \
             MORE_MS to continue it",
            dir.display()
        );
    }
    let removed = remove_previous(dir)?;
    // The checkpoint is not a result to remove: it stays until this run writes its own.
    checkpoint::put_back(dir, &c.bytes)
        .with_context(|| format!("cannot write the checkpoint into {}", dir.display()))?;
    let start = Start {
        model_path: c.model_path,
        model_text: c.model_text,
        scheme: c.options.scheme,
        format: c.options.format,
        threads: Some(c.options.threads),
        dump_network: c.options.dump_network,
        nest_ltd_ring: c.options.nest_ltd_ring,
        checkpoint_every_ms: None,
        resume: Some(Resumed {
            path: dir.join(checkpoint::FILE),
            options: c.options,
            state: c.state,
            more_ms,
        }),
    };
    explain_failure(simulate_and_write(start, dir, quiet, None), dir, removed)
}

fn remove_previous(out: &Path) -> Result<usize> {
    output::remove_previous(out).with_context(|| {
        format!(
            "cannot remove the results of an earlier run from {}, so the run was not started \
             (files of that run may remain there)",
            out.display()
        )
    })
}

/// Adds to a failure that `out` holds no results (and what was removed from it).
fn explain_failure(result: Result<()>, out: &Path, removed: usize) -> Result<()> {
    match result {
        Err(e) if e.downcast_ref::<Interrupted>().is_none() => {
            // The recordings streamed so far (`.NAME.partial`) go too: best effort, the
            // failure is the one to report.
            let _ = output::remove_previous(out);
            let earlier = match removed {
                0 => String::new(),
                1 => "; the 1 file of an earlier run there was removed".to_string(),
                n => format!("; the {n} files of an earlier run there were removed"),
            };
            Err(anyhow::anyhow!(
                "{e:#}\nno results in {}{earlier}",
                out.display()
            ))
        }
        r => r,
    }
}

fn save_checkpoint(
    out: &Path,
    start: &Start,
    options: &checkpoint::RunOptions,
    net: &mut evplast_kernel::network::Network,
) -> Result<()> {
    checkpoint::write(out, &start.model_path, &start.model_text, options, net)
        .with_context(|| format!("cannot write the checkpoint into {}", out.display()))
}

fn simulate_and_write(
    mut start: Start,
    out: &Path,
    quiet: bool,
    ex: Option<&dyn Exchange>,
) -> Result<()> {
    let interrupt_at = test_interrupt_at()?;
    let t0 = Instant::now();
    let (rank, ranks) = ex.map_or((0, 1), |e| (e.rank(), e.ranks()));
    let opts = LoadOptions {
        scheme: start.scheme,
        record_format: start.format,
        keep_trains: start.dump_network,
        nest_ltd_ring: start.nest_ltd_ring,
        memory_available: memory::available().map_err(anyhow::Error::msg)?,
        threads: start.threads,
        // The cores are shared by the ranks of one machine.
        default_threads: (available_threads() / ranks as u32).max(1),
        rank: rank as u32,
        ranks: ranks as u32,
    };
    let loaded = load(&start.model_path, &start.model_text, &opts);
    if let Some(ex) = ex {
        // A rank that cannot build (bad input, memory) stops every rank with its message.
        if ex.any(loaded.is_err()) {
            loaded?;
            anyhow::bail!(
                "another MPI rank refused {} (its message says why)",
                start.model_path
            );
        }
    }
    let mut loaded = loaded?;
    loaded.sim.network.ranks = ranks;
    // What the network leaves of the memory available bounds what spike recorders may hold.
    if let Some(a) = &opts.memory_available {
        loaded.sim.network.spike_recording.budget = a.bytes.saturating_sub(loaded.memory.total());
    }
    if rank == 0 {
        output::prepare_dir(out)
            .with_context(|| format!("cannot use output directory {}", out.display()))?;
    }
    let res = loaded.sim.network.res;
    let min_delay = loaded.sim.network.min_delay;
    // Checkpoints fall on slice boundaries (multiples of min_delay), where a run can be cut
    // and continued without changing a bit.
    let mut options = checkpoint::RunOptions {
        scheme: start.scheme,
        format: start.format,
        dump_network: start.dump_network,
        nest_ltd_ring: start.nest_ltd_ring,
        checkpoint_every: start.checkpoint_every_ms.map_or(0, |t| {
            let steps = res.duration_steps(t).max(1);
            (steps + min_delay - 1) / min_delay * min_delay
        }),
        end: loaded.steps,
        now: 0,
        threads: loaded.sim.network.shards.len() as u32,
    };
    if let Some(r) = start.resume.take() {
        checkpoint::restore(&r.path, r.state, &mut loaded.sim.network)?;
        options = checkpoint::RunOptions {
            end: r.options.end + r.more_ms.map_or(0, |t| res.duration_steps(t)),
            ..r.options
        };
        let now = loaded.sim.network.now;
        if now >= options.end {
            anyhow::bail!(
                "the run in {} is complete (t = {} ms): give --t MORE_MS to continue it",
                out.display(),
                output::fmt_time(res, now)
            );
        }
        // The directory stays resumable while this process runs.
        save_checkpoint(out, &start, &options, &mut loaded.sim.network)?;
    }
    let build_s = t0.elapsed().as_secs_f64();
    let end = options.end;
    loaded.steps = end;
    loaded.t_sim = res.ms(end);

    let show = !quiet && std::io::stderr().is_terminal();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(end as u64),
        indicatif::ProgressDrawTarget::hidden(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {percent:>3}% simulated {msg} (eta {eta})",
        )
        .expect("valid template"),
    );
    let interrupt_at = interrupt_at.map(|t| res.duration_steps(t));
    // Installed only now: a signal while loading still ends the process at once, and
    // nothing of ours is in `out` yet.
    let signal = catch_interrupts().context("cannot install the SIGINT/SIGTERM handlers")?;
    let t1 = Instant::now();
    let mut shown = false;
    let every = options.checkpoint_every;
    let model_name = start.model_path.clone();
    // Recorder files are written while the run goes on (memory stays bounded), except where
    // the recordings must stay in memory: in a checkpoint (it holds them), or for rank 0 to
    // gather (several ranks).
    let mut stream = if every == 0 && ex.is_none() {
        Some(
            output::Streaming::start(out, &loaded)
                .with_context(|| format!("cannot write into {}", out.display()))?,
        )
    } else {
        None
    };
    let stream_rows = output::stream_rows();
    // Steps between flushes: a first guess, then from the rows a step recorded so far.
    let mut stream_steps = min_delay.max(100 / min_delay * min_delay);
    let mut since_flush = 0;
    loop {
        let now = loaded.sim.network.now;
        let signalled = signal.load(Ordering::Relaxed) != 0;
        if now >= end || ex.map_or(signalled, |e| e.any(signalled)) {
            break;
        }
        let next = if every > 0 {
            end.min((now / every + 1) * every)
        } else if stream.is_some() {
            end.min((now + stream_steps) / min_delay * min_delay)
                .max(now + 1)
        } else {
            end
        };
        let result = loaded.sim.network.simulate_exchanging(
            next - now,
            &mut |now| {
                // Only runs longer than a couple of seconds get a bar.
                if show && !shown && t1.elapsed() > Duration::from_secs(2) {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    shown = true;
                }
                if shown {
                    bar.set_position(now as u64);
                    bar.set_message(format!("{} ms", output::fmt_time(res, now)));
                }
                if interrupt_at.is_some_and(|at| now >= at) {
                    signal.store(SIGINT as usize, Ordering::Relaxed);
                }
                // The one check per slice: a relaxed load, no lock, no allocation.
                match signal.load(Ordering::Relaxed) {
                    0 => ControlFlow::Continue(()),
                    _ => ControlFlow::Break(()),
                }
            },
            ex,
        );
        if let Err(e) = result {
            bar.finish_and_clear();
            return Err(e).with_context(|| format!("simulation of {model_name} stopped"));
        }
        // At every interval, at an interruption (a slice boundary) and at the end.
        if every > 0 {
            save_checkpoint(out, &start, &options, &mut loaded.sim.network)?;
        }
        if let Some(st) = &mut stream {
            let held = st.rows_held(&mut loaded.sim);
            since_flush += loaded.sim.network.now - now;
            // Aim the next flush at `stream_rows` rows, on slice boundaries.
            let per_step = held as f64 / since_flush.max(1) as f64;
            let left = (stream_rows.saturating_sub(held)).max(1) as f64;
            let want = (left / per_step.max(1e-9)).min(end as f64) as i64;
            stream_steps = (want / min_delay * min_delay).max(min_delay);
            if held >= stream_rows {
                st.flush(&mut loaded.sim).with_context(|| {
                    format!("cannot write the recordings into {}", out.display())
                })?;
                since_flush = 0;
                let want = (stream_rows as f64 / per_step.max(1e-9)).min(end as f64) as i64;
                stream_steps = (want / min_delay * min_delay).max(min_delay);
            }
        }
    }
    bar.finish_and_clear();
    let simulate_s = t1.elapsed().as_secs_f64();
    if let Some(ex) = ex {
        // Rank 0 gathers the other ranks' recorders and writes alone; the connections
        // come from every rank a batch at a time while it writes them.
        loaded.sim.network.gather(ex);
        if rank != 0 {
            loaded
                .sim
                .network
                .each_plastic_connection(Some(ex), &mut |_, _| {});
            return Ok(());
        }
    }
    output::write_run(
        out,
        &mut loaded,
        Timings {
            build_s,
            simulate_s,
        },
        start.dump_network,
        ex,
        stream,
    )
    .with_context(|| format!("cannot write results to {}", out.display()))?;
    let net = &loaded.sim.network;
    let signal = signal.load(Ordering::Relaxed) as i32;
    if signal != 0 {
        return Err(Interrupted {
            signal,
            complete: net.now >= end,
            t_reached: output::fmt_time(res, net.now),
            t_sim: output::fmt_time(res, end),
            out: out.to_path_buf(),
            resumable: every > 0,
        }
        .into());
    }
    eprintln!(
        "simulated {} ms in {:.3} s ({} nodes, {} connections, {} spikes); results in {}",
        output::fmt_time(res, end),
        simulate_s,
        net.n_nodes,
        loaded.sim.n_connections,
        net.counters.spikes_emitted,
        out.display()
    );
    Ok(())
}

fn check(model: &Path) -> Result<()> {
    let text = std::fs::read_to_string(model)
        .with_context(|| format!("cannot read model file {}", model.display()))?;
    let available = memory::available().map_err(anyhow::Error::msg)?;
    let opts = LoadOptions {
        memory_available: available.clone(),
        ..LoadOptions::default()
    };
    let c = evplast_io::check(&model.display().to_string(), &text, &opts)?;
    let s = &c.summary;
    let mut o = std::io::stdout().lock();
    writeln!(o, "{}: ok", model.display())?;
    writeln!(
        o,
        "resolution {} ms, simulate {} ms ({} steps), scheme {}",
        c.resolution.h(),
        c.t_sim,
        c.steps,
        c.scheme.as_str()
    )?;
    writeln!(o, "nodes: {}", s.n_nodes)?;
    for p in &c.populations {
        let last = p.first.0 + p.n as u32 - 1;
        writeln!(
            o,
            "  {:<16} {:<32} n = {:<6} ids {}..={}",
            shorten(&p.label),
            p.model,
            p.n,
            p.first,
            last
        )?;
    }
    writeln!(
        o,
        "connections: {} ({} synapses, {} recorder links)",
        s.n_connections,
        s.n_synapses,
        s.n_connections - s.n_synapses as u64
    )?;
    for (model, n) in &s.tables {
        writeln!(o, "  {model:<32} {n}")?;
    }
    writeln!(
        o,
        "min_delay {} ms, max_delay {} ms",
        c.resolution.ms(s.min_delay),
        c.resolution.ms(s.max_delay)
    )?;
    if !s.schemes.is_empty() {
        writeln!(
            o,
            "update schemes (docs/SCHEMES.md), predicted simulate time per simulated second:"
        )?;
    }
    for ch in &s.schemes {
        let [ev, co, ti] = ch.predicted_s;
        writeln!(
            o,
            "  [[connect]] #{} {}: {} synapses, in-degree {:.1}, sources at {:.3} Hz ({}) -> {} ({}; event {:.3} s, compressed {:.3} s, time {:.3} s)",
            ch.tag + 1,
            ch.synapse_model,
            ch.synapses,
            ch.in_degree,
            ch.rate_hz,
            if ch.rate_known { "from generators" } else { "assumed" },
            ch.scheme.as_str(),
            if ch.chosen { "auto" } else { "as set" },
            ev,
            co,
            ti
        )?;
    }
    // Estimated from the counts; the connections were validated, not stored.
    let available = match available {
        Some(a) => format!(
            "{} available ({})",
            evplast_kernel::error::fmt_bytes(a.bytes as u128),
            a.source
        ),
        None => "available memory unknown".to_string(),
    };
    writeln!(o, "memory: about {}; {available}", s.memory)?;
    Ok(())
}

fn receptor_list(r: &[(u32, &str, u32)]) -> String {
    r.iter()
        .map(|(n, name, _)| {
            if name.is_empty() {
                n.to_string()
            } else {
                format!("{name} ({n})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn models(name: Option<&str>) -> Result<()> {
    let mut o = std::io::stdout().lock();
    let Some(name) = name else {
        for kind in [
            ModelKind::Neuron,
            ModelKind::Synapse,
            ModelKind::Generator,
            ModelKind::Recorder,
        ] {
            writeln!(o, "{}s:", kind.as_str())?;
            for m in registry::MODELS.iter().filter(|m| m.kind == kind) {
                writeln!(o, "  {:<32} {}", m.name, m.summary)?;
            }
        }
        writeln!(o, "\n`evplast models NAME` shows a model's parameters.")?;
        return Ok(());
    };
    let m = registry::find(name)?;
    writeln!(o, "{} ({}): {}", m.name, m.kind.as_str(), m.summary)?;
    let mut docs = Vec::new();
    (m.describe)(&mut docs);
    if !docs.is_empty() {
        writeln!(
            o,
            "\n{:<28} {:>14}  {:<7} meaning",
            "parameter", "default", "unit"
        )?;
        for d in docs {
            writeln!(
                o,
                "{:<28} {:>14}  {:<7} {}",
                d.name, d.default, d.unit, d.doc
            )?;
        }
    }
    if !m.recordables.is_empty() {
        writeln!(
            o,
            "\nrecordables (multimeter record_from): {}",
            m.recordables.join(", ")
        )?;
    }
    if m.kind == ModelKind::Neuron {
        writeln!(
            o,
            "\nreceptor_type for spikes: {}",
            receptor_list(m.spike_receptors)
        )?;
        if !m.current_receptors.is_empty() {
            writeln!(
                o,
                "receptor_type for currents (dc_generator, step_current_generator): {}",
                receptor_list(m.current_receptors)
            )?;
        }
    }
    Ok(())
}
