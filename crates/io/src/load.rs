//! Reads a model file (model-file.md) and builds the network it describes: kernel settings,
//! `[[create]]` blocks (parameters, distributions, per-node tables), `[[connect]]` blocks
//! (NEST's connection rules, label slices, weight and delay distributions), `[simulate]`.
//! Every refusal names the file, line and column, the field, the value and the reason.
//!
//! Counts are checked against the kernel's limits (README "Limits") and the network's memory
//! against what the machine offers before anything large is allocated; connections are
//! drawn and handed to the builder in chunks, so no list of all pairs is ever held.

use std::ops::Range;

use evplast_kernel::limits::{MAX_CONNECTIONS, MAX_NODES};
use evplast_kernel::{NodeId, Resolution};
use evplast_models::builder::memory::{check_fits, Available, MemoryEstimate};
use evplast_models::builder::Summary;
use evplast_models::params::{fmt_num, shorten, DISTRIBUTIONS};
use evplast_models::{BuildError, KernelConfig, ParamMap, ParamValue, Simulation};
use evplast_sim::kernel::Created;
use evplast_sim::{
    ApiError, ConnSpec, Dist, Draw, Kernel, NodeParamSpec, Options, Param, SynapseSpec,
};

use crate::output::RecordFormat;
use crate::tree::{self, Val, V};
use crate::FileError;

pub use evplast_kernel::archive::SchemeSetting;
pub use evplast_models::builder::Scheme;

/// Parses the model-file spelling of a scheme setting (`auto` or a scheme).
pub fn parse_scheme(s: &str) -> Option<SchemeSetting> {
    SchemeSetting::parse(s)
}

/// Options a caller may set on top of the file.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Overrides `kernel.scheme`.
    pub scheme: Option<SchemeSetting>,
    /// Overrides `kernel.record_format`.
    pub record_format: Option<RecordFormat>,
    /// Keep Poisson trains for the network dump.
    pub keep_trains: bool,
    /// Reproduce NEST 3.10's Clopath LTD buffer length (for cross-checks).
    pub nest_ltd_ring: bool,
    /// Refuse a network whose memory estimate exceeds this (`memory::available()`); `None`
    /// checks nothing.
    pub memory_available: Option<Available>,
    /// Overrides `kernel.local_num_threads` (`evplast run --threads`).
    pub threads: Option<u32>,
    /// Threads when neither the file nor `threads` says (0: NEST's default, 1).
    pub default_threads: u32,
    /// This process's MPI rank among `ranks` (0 of 1 for one process; `ranks` 0 counts as 1).
    pub rank: u32,
    pub ranks: u32,
}

/// One `[[create]]` block after building.
#[derive(Clone, Debug)]
pub struct Population {
    pub label: String,
    pub model: String,
    pub first: NodeId,
    pub n: usize,
    /// The parameters each node was created with (distributions drawn).
    pub params: Vec<ParamMap>,
}

/// One `[[connect]]` block's synapse part, for the network dump.
pub use evplast_sim::kernel::Projection;

/// A loaded and built model.
pub struct Loaded {
    /// The model file's path as given.
    pub model_path: String,
    pub sim: Simulation,
    pub kernel: KernelConfig,
    pub scheme: SchemeSetting,
    /// How recorders write their files.
    pub record_format: RecordFormat,
    pub t_sim: f64,
    pub steps: i64,
    pub populations: Vec<Population>,
    /// Synapse spec per `[[connect]]`, indexed by the builder's projection tag.
    pub projections: Vec<Projection>,
    /// The memory the network was estimated to need before it was built.
    pub memory: MemoryEstimate,
}

pub(crate) struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    pub(crate) fn err(
        &self,
        span: &Range<usize>,
        context: impl Into<String>,
        message: impl Into<String>,
    ) -> FileError {
        let (line, col) = tree::line_col(self.text, span.start);
        FileError {
            file: self.file.to_string(),
            line,
            col,
            context: context.into(),
            message: message.into(),
        }
    }

    /// A scalar value as the file writes it (`1e10`, not `10000000000`), cut if long.
    fn quote(&self, v: &Val) -> String {
        match (&v.v, self.text.get(v.span.clone())) {
            (V::Int(_) | V::Float(_), Some(src)) => shorten(src.trim()).into_owned(),
            _ => v.to_string(),
        }
    }
}

fn expect_keys(ctx: &Ctx, table: &Val, allowed: &[&str], context: &str) -> Result<(), FileError> {
    if !matches!(table.v, V::Table(_)) {
        return Err(ctx.err(
            &table.span,
            context,
            format!("expected a table, found {}", table.v.kind()),
        ));
    }
    for (k, span, _) in table.entries() {
        if !allowed.contains(&k.as_str()) {
            return Err(ctx.err(
                span,
                context,
                format!(
                    "unknown field '{}' (allowed: {})",
                    shorten(k),
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn as_f64(ctx: &Ctx, v: &Val, context: &str) -> Result<f64, FileError> {
    match v.v {
        V::Int(i) => Ok(i as f64),
        V::Float(x) if x.is_finite() => Ok(x),
        V::Float(x) => Err(ctx.err(&v.span, context, format!("{x} is not a finite number"))),
        _ => Err(ctx.err(
            &v.span,
            context,
            format!("expected a number, found {} ({v})", v.v.kind()),
        )),
    }
}

/// A whole number, written as an integer (`3`) or as a float with an integral value (`3.0`,
/// `1e10`): the README reads integers and floats alike. Floats beyond `i128` saturate (every
/// caller's limit is far below).
fn as_whole(ctx: &Ctx, v: &Val, context: &str) -> Result<i128, FileError> {
    match v.v {
        V::Int(i) => Ok(i as i128),
        V::Float(x) if !x.is_finite() => Err(ctx.err(
            &v.span,
            context,
            format!("{} is not a finite number", ctx.quote(v)),
        )),
        V::Float(x) if x.fract() != 0.0 => Err(ctx.err(
            &v.span,
            context,
            format!("{} is not a whole number", ctx.quote(v)),
        )),
        V::Float(x) => Ok(x as i128),
        _ => Err(ctx.err(
            &v.span,
            context,
            format!("expected an integer, found {} ({v})", v.v.kind()),
        )),
    }
}

/// A whole number in `min..=max`; `limit` says what the maximum is (e.g. "the most nodes a
/// network holds (node ids are 32-bit)").
fn as_count(
    ctx: &Ctx,
    v: &Val,
    context: &str,
    min: u64,
    max: u64,
    limit: &str,
) -> Result<u64, FileError> {
    let x = as_whole(ctx, v, context)?;
    if x < min as i128 {
        return Err(ctx.err(
            &v.span,
            context,
            format!("{} must be >= {min}", ctx.quote(v)),
        ));
    }
    if x > max as i128 {
        return Err(ctx.err(
            &v.span,
            context,
            format!("{} is more than {max}, {limit}", ctx.quote(v)),
        ));
    }
    Ok(x as u64)
}

fn as_str<'v>(ctx: &Ctx, v: &'v Val, context: &str) -> Result<&'v str, FileError> {
    match &v.v {
        V::Str(s) => Ok(s),
        _ => Err(ctx.err(
            &v.span,
            context,
            format!("expected a string, found {} ({v})", v.v.kind()),
        )),
    }
}

/// Reads `{ normal = { mean, std } }` and friends; `None` if `v` is not a distribution.
fn as_dist(ctx: &Ctx, v: &Val, context: &str) -> Result<Option<Dist>, FileError> {
    let [(name, _, body)] = v.entries() else {
        return Ok(None);
    };
    if !DISTRIBUTIONS.contains(&name.as_str()) || !matches!(body.v, V::Table(_)) {
        return Ok(None);
    }
    let allowed: &[&str] = match name.as_str() {
        "normal" | "lognormal" => &["mean", "std"],
        "uniform" => &["min", "max"],
        _ => &["beta"],
    };
    expect_keys(ctx, body, allowed, context)?;
    let mut args = Vec::new();
    for (k, _, x) in body.entries() {
        args.push((k.as_str(), as_f64(ctx, x, context)?));
    }
    Dist::new(name, &args, context)
        .map(Some)
        .map_err(|e| ctx.err(&v.span, context, format!("{v}: {}", e.message)))
}

/// Converts a parameter value (distributions stay distributions, drawn by the kernel).
fn to_param(ctx: &Ctx, v: &Val, context: &str) -> Result<Param, FileError> {
    Ok(match &v.v {
        V::Int(i) => Param::Value(ParamValue::Num(*i as f64)),
        V::Float(x) => Param::Value(ParamValue::Num(*x)),
        V::Bool(b) => Param::Value(ParamValue::Bool(*b)),
        V::Str(s) => Param::Value(ParamValue::Str(s.clone())),
        V::Datetime(_) => return Err(ctx.err(&v.span, context, "dates are not parameter values")),
        V::Array(a) => Param::Array(
            a.iter()
                .map(|x| to_param(ctx, x, context))
                .collect::<Result<_, _>>()?,
        ),
        V::Table(t) => {
            if let Some(d) = as_dist(ctx, v, context)? {
                Param::Dist(d)
            } else {
                let mut m = Vec::new();
                for (k, _, x) in t {
                    m.push((k.clone(), to_param(ctx, x, &format!("{context}.{k}"))?));
                }
                Param::Table(m)
            }
        }
    })
}

/// A parameters table (not a distribution).
fn to_params_table(ctx: &Ctx, v: &Val, here: &str) -> Result<Vec<(String, Param)>, FileError> {
    match to_param(ctx, v, here)? {
        Param::Table(t) => Ok(t),
        _ => Err(not_a_params_table(ctx, v, here)),
    }
}

/// The span of the value at `at` (a dotted path such as `conn_spec.indegree`) in block `c`,
/// else of the first key's table, else of the block.
fn span_at(c: &Val, at: &str) -> Range<usize> {
    let mut parts = at.split('.');
    let Some(first) = parts.next().and_then(|k| c.get(k)) else {
        return c.span.clone();
    };
    match parts.next().and_then(|k| first.get(k)) {
        Some(v) => v.span.clone(),
        None => first.span.clone(),
    }
}

/// A front-end refusal inside block `c` as a file error: the span of the offending value,
/// the context `here` plus the field.
fn api_err(ctx: &Ctx, c: &Val, here: &str, e: ApiError) -> FileError {
    let context = if e.field.is_empty() {
        here.to_string()
    } else {
        format!("{here}.{}", e.field)
    };
    ctx.err(&span_at(c, &e.at), context, e.message)
}

/// The first key `key` anywhere in `v` (depth first): its span and value.
fn find_key<'v>(v: &'v Val, key: &str) -> Option<(Range<usize>, &'v Val)> {
    match &v.v {
        V::Table(t) => t
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, s, x)| (s.clone(), x))
            .or_else(|| t.iter().find_map(|(_, _, x)| find_key(x, key))),
        V::Array(a) => a.iter().find_map(|x| find_key(x, key)),
        _ => None,
    }
}

/// Labels for a message: each cut, at most 20.
fn label_list(pops: &[Population]) -> String {
    let mut out: Vec<String> = pops
        .iter()
        .take(20)
        .map(|p| shorten(&p.label).into_owned())
        .collect();
    if pops.len() > 20 {
        out.push(format!("… ({} labels)", pops.len()));
    }
    out.join(", ")
}

/// Resolves `label` or `label[a:b:c]` to node ids (ascending), and the population.
fn select<'p>(
    ctx: &Ctx,
    v: &Val,
    pops: &'p [Population],
    context: &str,
) -> Result<(Vec<NodeId>, &'p Population), FileError> {
    let s = as_str(ctx, v, context)?;
    let (label, slice) = match s.find('[') {
        Some(i) if s.ends_with(']') => (&s[..i], Some(&s[i + 1..s.len() - 1])),
        Some(_) => {
            return Err(ctx.err(
                &v.span,
                context,
                format!("\"{}\": a slice is written label[start:stop]", shorten(s)),
            ))
        }
        None => (s, None),
    };
    let pop = pops.iter().find(|p| p.label == label).ok_or_else(|| {
        ctx.err(
            &v.span,
            context,
            format!(
                "unknown label \"{}\" (labels created before this connect: {})",
                shorten(label),
                label_list(pops)
            ),
        )
    })?;
    let n = pop.n as i64;
    let id = |i: i64| NodeId(pop.first.0 + i as u32);
    let bad = |why: &str| ctx.err(&v.span, context, format!("\"{}\": {why}", shorten(s)));
    let ids = |range: std::iter::StepBy<Range<i64>>| -> Result<Vec<NodeId>, FileError> {
        let mut out = Vec::new();
        out.try_reserve_exact(range.size_hint().0)
            .map_err(|_| bad("out of memory for the selected node ids"))?;
        out.extend(range.map(id));
        Ok(out)
    };
    let Some(slice) = slice else {
        return Ok((ids((0..n).step_by(1))?, pop));
    };
    let parse = |x: &str| -> Result<Option<i64>, FileError> {
        let x = x.trim();
        if x.is_empty() {
            Ok(None)
        } else {
            x.parse::<i64>()
                .map(Some)
                .map_err(|_| bad("slice bounds must be integers"))
        }
    };
    let parts: Vec<&str> = slice.split(':').collect();
    if parts.len() == 1 {
        let i = parse(parts[0])?.ok_or_else(|| bad("empty index"))?;
        let j = if i < 0 { n.saturating_add(i) } else { i };
        if j < 0 || j >= n {
            return Err(bad(&format!("index {i} is out of range for {n} nodes")));
        }
        return Ok((vec![id(j)], pop));
    }
    if parts.len() > 3 {
        return Err(bad("a slice has at most start:stop:step"));
    }
    let step = if parts.len() == 3 {
        parse(parts[2])?.unwrap_or(1)
    } else {
        1
    };
    if step <= 0 {
        return Err(bad("the slice step must be positive"));
    }
    let norm = |x: Option<i64>, default: i64| -> i64 {
        match x {
            None => default,
            Some(i) if i < 0 => n.saturating_add(i).max(0),
            Some(i) => i.min(n),
        }
    };
    let (a, b) = (norm(parse(parts[0])?, 0), norm(parse(parts[1])?, n));
    let out = ids((a..b.max(a)).step_by(step as usize))?;
    if out.is_empty() {
        return Err(bad(&format!(
            "selects no node of the {n} in \"{}\"",
            shorten(label)
        )));
    }
    Ok((out, pop))
}

fn as_draw(ctx: &Ctx, v: Option<&Val>, context: &str) -> Result<Draw, FileError> {
    let Some(v) = v else { return Ok(Draw::Default) };
    if let Some(d) = as_dist(ctx, v, context)? {
        return Ok(Draw::Dist(d));
    }
    if let [(name, _, Val { v: V::Table(_), .. })] = v.entries() {
        return Err(ctx.err(
            &v.span,
            context,
            format!(
                "unknown distribution '{}' (distributions: {})",
                shorten(name),
                DISTRIBUTIONS.join(", ")
            ),
        ));
    }
    Ok(Draw::Fixed(as_f64(ctx, v, context)?))
}
/// Reads, validates and builds the model in `text` (read from `file`).
pub fn load(file: &str, text: &str, opts: &LoadOptions) -> Result<Loaded, FileError> {
    let ctx = Ctx { file, text };
    let mut p = read_network(&ctx, opts, false)?;
    let memory = p.memory;
    let created: Vec<Created> = p.kernel.creates().to_vec();
    let projections = p.kernel.projections().to_vec();
    let sim = p
        .kernel
        .into_simulation()
        .map_err(|e| ctx.err(&p.doc_span, "build", e.message))?;
    for (pop, c) in p.populations.iter_mut().zip(created) {
        pop.params = c.params;
    }
    Ok(Loaded {
        model_path: file.to_string(),
        sim,
        kernel: p.config,
        scheme: p.scheme,
        record_format: p.record_format,
        t_sim: p.t_sim,
        steps: p.steps,
        populations: p.populations,
        projections,
        memory,
    })
}

/// What `evplast check` reports: everything validated as for a run, connections counted but
/// not stored, nothing built.
pub struct Checked {
    pub kernel: KernelConfig,
    pub scheme: SchemeSetting,
    pub resolution: Resolution,
    pub t_sim: f64,
    pub steps: i64,
    pub populations: Vec<Population>,
    pub summary: Summary,
}

/// Reads and validates the model in `text` as [`load`] does (the same refusals, the memory
/// check included), without storing connections or building.
pub fn check(file: &str, text: &str, opts: &LoadOptions) -> Result<Checked, FileError> {
    let ctx = Ctx { file, text };
    let mut p = read_network(&ctx, opts, true)?;
    for (pop, c) in p.populations.iter_mut().zip(p.kernel.creates()) {
        pop.params = c.params.clone();
    }
    Ok(Checked {
        kernel: p.config,
        scheme: p.scheme,
        resolution: p.kernel.resolution(),
        t_sim: p.t_sim,
        steps: p.steps,
        populations: p.populations,
        summary: p.kernel.summary().expect("not built"),
    })
}

/// A model file read into a kernel, ready to build.
struct Read {
    kernel: Kernel,
    config: KernelConfig,
    scheme: SchemeSetting,
    record_format: RecordFormat,
    t_sim: f64,
    steps: i64,
    populations: Vec<Population>,
    memory: MemoryEstimate,
    doc_span: Range<usize>,
}

/// Every step before `build`: kernel, simulate, creates, connects (stored, or only
/// validated), and the memory check of the whole network.
fn read_network(ctx: &Ctx, opts: &LoadOptions, validate_only: bool) -> Result<Read, FileError> {
    let doc = parse_document(ctx)?;
    let (config, scheme, record_format) = read_kernel(ctx, &doc, opts)?;
    let mut k = Kernel::new(
        config.clone(),
        Options {
            keep_trains: opts.keep_trains,
            validate_only,
            memory_available: opts.memory_available.clone(),
            built_once: true,
        },
    )
    .map_err(|e| {
        let span = doc
            .get("kernel")
            .and_then(|k| k.get("resolution"))
            .map_or(0..0, |v| v.span.clone());
        ctx.err(&span, "kernel.resolution", e.message)
    })?;
    let (t_sim, steps) = read_simulate(ctx, &doc, &k)?;

    let mut pops: Vec<Population> = Vec::new();
    for (ci, c) in blocks(ctx, &doc, "create")?.iter().enumerate() {
        let pop = create_block(ctx, c, ci, &pops, &mut k)?;
        pops.push(pop);
    }
    for (ci, c) in blocks(ctx, &doc, "connect")?.iter().enumerate() {
        connect_block(ctx, c, ci, &pops, &mut k)?;
    }

    // The input buffers grow with the longest delay, known only now.
    let memory = k.memory_estimate().expect("not built");
    check_fits("the network", memory, opts.memory_available.as_ref())
        .map_err(|e| ctx.err(&doc.span, "network", e.to_string()))?;
    Ok(Read {
        kernel: k,
        config,
        scheme,
        record_format,
        t_sim,
        steps,
        populations: pops,
        memory,
        doc_span: doc.span.clone(),
    })
}

/// The longest label: `.<label>.csv.partial` must fit a 255-byte file name.
const MAX_LABEL_BYTES: usize = 240;

/// A `params` table that reads as a distribution (`{ normal = { … } }`) rather than as
/// parameters by name.
fn not_a_params_table(ctx: &Ctx, v: &Val, here: &str) -> FileError {
    let name = match &v.v {
        V::Table(t) => t.first().map_or("", |e| e.0.as_str()),
        _ => "",
    };
    ctx.err(
        &v.span,
        here.to_string(),
        format!(
            "is a distribution ('{}'), not a table of parameters: a distribution goes under a \
             parameter's name, e.g. params = {{ V_m = {{ {} = {{ … }} }} }}",
            shorten(name),
            shorten(name)
        ),
    )
}

/// The TOML tree, or the syntax error with the offending text quoted.
fn parse_document(ctx: &Ctx) -> Result<Val, FileError> {
    let text = ctx.text;
    let doc = tree::parse(text).map_err(|e| {
        let span = e.span.unwrap_or(0..0);
        // Quote the offending text: the parser's message says what, not which.
        let mut near = text.get(span.clone()).unwrap_or("").trim().to_string();
        if near.is_empty() {
            near = text
                .get(span.start..)
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
        }
        let near: String = near.chars().take(40).collect();
        let msg = if near.is_empty() {
            e.message
        } else {
            format!("{} (at `{near}`)", e.message)
        };
        ctx.err(&span, "TOML syntax", msg)
    })?;
    expect_keys(
        ctx,
        &doc,
        &["kernel", "create", "connect", "simulate"],
        "top level",
    )?;
    Ok(doc)
}

/// `[kernel]`, with the caller's overrides.
fn read_kernel(
    ctx: &Ctx,
    doc: &Val,
    opts: &LoadOptions,
) -> Result<(KernelConfig, SchemeSetting, RecordFormat), FileError> {
    let mut kernel = KernelConfig::default();
    let mut scheme = SchemeSetting::Auto;
    let mut format = RecordFormat::Csv;
    if let Some(k) = doc.get("kernel") {
        expect_keys(
            ctx,
            k,
            &[
                "resolution",
                "rng_seed",
                "local_num_threads",
                "scheme",
                "history_horizon",
                "record_format",
            ],
            "[kernel]",
        )?;
        if let Some(v) = k.get("record_format") {
            let s = as_str(ctx, v, "kernel.record_format")?;
            format = RecordFormat::parse(s).ok_or_else(|| {
                ctx.err(
                    &v.span,
                    "kernel.record_format",
                    format!(
                        "\"{}\" is not a record format ({})",
                        shorten(s),
                        RecordFormat::NAMES
                    ),
                )
            })?;
            format = format
                .check_available()
                .map_err(|e| ctx.err(&v.span, "kernel.record_format", e))?;
        }
        if let Some(v) = k.get("resolution") {
            kernel.resolution = as_f64(ctx, v, "kernel.resolution")?;
        }
        if let Some(v) = k.get("rng_seed") {
            // NEST 3.10 accepts 1 ..= 2^32 − 1 (measured; its message says "(0, 2^32-1)").
            let seed = as_whole(ctx, v, "kernel.rng_seed")?;
            if !(1..=u32::MAX as i128).contains(&seed) {
                return Err(ctx.err(
                    &v.span,
                    "kernel.rng_seed",
                    format!(
                        "{} is not a seed: NEST takes seeds from 1 to {} (2^32 − 1) and refuses others (\"RNG seed must be in (0, 2^32-1)\")",
                        ctx.quote(v),
                        u32::MAX
                    ),
                ));
            }
            kernel.rng_seed = seed as u64;
        }
        if let Some(v) = k.get("local_num_threads") {
            kernel.local_num_threads = as_count(
                ctx,
                v,
                "kernel.local_num_threads",
                1,
                evplast_kernel::limits::MAX_THREADS,
                "the most threads a run uses (shard numbers are 16-bit; no machine has more cores)",
            )? as u32;
        } else if opts.default_threads > 0 {
            kernel.local_num_threads = opts.default_threads;
        }
        if let Some(t) = opts.threads {
            kernel.local_num_threads = t;
        }
        kernel.rank = opts.rank;
        kernel.ranks = opts.ranks.max(1);
        if let Some(v) = k.get("history_horizon") {
            let x = as_f64(ctx, v, "kernel.history_horizon")?;
            if x <= 0.0 {
                return Err(ctx.err(
                    &v.span,
                    "kernel.history_horizon",
                    format!("{x} must be > 0 (ms)"),
                ));
            }
            kernel.history_horizon = x;
        }
        if let Some(v) = k.get("scheme") {
            let s = as_str(ctx, v, "kernel.scheme")?;
            scheme = parse_scheme(s).ok_or_else(|| {
                ctx.err(
                    &v.span,
                    "kernel.scheme",
                    format!(
                        "\"{}\" is not a scheme ({})",
                        shorten(s),
                        SchemeSetting::NAMES
                    ),
                )
            })?;
        }
    }
    if let Some(s) = opts.scheme {
        scheme = s;
    }
    kernel.scheme = scheme;
    kernel.nest_ltd_ring = opts.nest_ltd_ring;
    Ok((kernel, scheme, opts.record_format.unwrap_or(format)))
}

/// `[simulate]`: the run's length in ms and in steps (at most `MAX_RUN_STEPS`).
fn read_simulate(ctx: &Ctx, doc: &Val, k: &Kernel) -> Result<(f64, i64), FileError> {
    let sim_t = doc.get("simulate").ok_or_else(|| {
        ctx.err(
            &doc.span,
            "[simulate]",
            "missing: add [simulate] with t = <ms>",
        )
    })?;
    expect_keys(ctx, sim_t, &["t"], "[simulate]")?;
    let tv = sim_t
        .get("t")
        .ok_or_else(|| ctx.err(&sim_t.span, "[simulate]", "missing field 't' (ms)"))?;
    let t_sim = as_f64(ctx, tv, "simulate.t")?;
    // The kernel's check, quoting the value as the file writes it.
    let steps = k.steps_for(t_sim, 0).map_err(|e| {
        let m = e.message.replacen(&fmt_num(t_sim), &ctx.quote(tv), 1);
        ctx.err(&tv.span, "simulate.t", m)
    })?;
    Ok((t_sim, steps))
}

/// The `[[create]]` or `[[connect]]` blocks.
fn blocks<'d>(ctx: &Ctx, doc: &'d Val, key: &str) -> Result<&'d [Val], FileError> {
    match doc.get(key).map(|c| &c.v) {
        Some(V::Array(a)) => Ok(a),
        Some(_) => Err(ctx.err(
            &doc.get(key).expect("present").span,
            key,
            format!("write [[{key}]] blocks (an array of tables)"),
        )),
        None => Ok(&[]),
    }
}

/// One `[[create]]` block: label, model, `n` (within the node and memory limits), parameters.
fn create_block(
    ctx: &Ctx,
    c: &Val,
    ci: usize,
    pops: &[Population],
    k: &mut Kernel,
) -> Result<Population, FileError> {
    let here = format!("[[create]] #{}", ci + 1);
    expect_keys(ctx, c, &["label", "model", "n", "params"], &here)?;
    let lv = c
        .get("label")
        .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'label'"))?;
    let label = as_str(ctx, lv, &here)?.to_string();
    // A recorder's label names its file `<label>.csv`, written first as `.<label>.csv.partial`,
    // which must fit a file name (255 bytes on Linux filesystems).
    if label.is_empty()
        || label.contains(['[', ']', '/', '\\'])
        || label.starts_with('.')
        || label.chars().any(char::is_control)
        || label.len() > MAX_LABEL_BYTES
    {
        return Err(ctx.err(
            &lv.span,
            &here,
            format!(
                "label \"{}\" must be non-empty, not start with '.', contain no [ ] / \\ or \
                 control characters, and be at most {MAX_LABEL_BYTES} bytes (it names the \
                 recorder's file)",
                shorten(&label.escape_debug().to_string())
            ),
        ));
    }
    if pops.iter().any(|p| p.label == label)
        || label == "connections"
        || label == "stats"
        || label == "network"
    {
        return Err(ctx.err(
            &lv.span,
            &here,
            format!(
                "label \"{}\" is already used (or reserved for an output file)",
                shorten(&label)
            ),
        ));
    }
    let here = format!("[[create]] #{} (label \"{}\")", ci + 1, shorten(&label));
    let mv = c
        .get("model")
        .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'model'"))?;
    let model = as_str(ctx, mv, &here)?.to_string();
    let n = match c.get("n") {
        Some(v) => as_count(
            ctx,
            v,
            &format!("{here}.n"),
            1,
            MAX_NODES,
            "the most nodes a network holds (node ids are 32-bit)",
        )?,
        None => 1,
    };
    let (one, each);
    let spec = match c.get("params") {
        None => NodeParamSpec::None,
        Some(pv @ Val { v: V::Table(_), .. }) => {
            one = to_params_table(ctx, pv, &format!("{here}.params"))?;
            NodeParamSpec::Same(&one)
        }
        Some(
            pv @ Val {
                v: V::Array(items), ..
            },
        ) => {
            if items.len() as u64 != n {
                return Err(ctx.err(
                    &pv.span,
                    format!("{here}.params"),
                    format!(
                        "has {} tables but n = {n}: give one table per node",
                        items.len()
                    ),
                ));
            }
            let mut all = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if !matches!(item.v, V::Table(_)) {
                    return Err(ctx.err(
                        &item.span,
                        format!("{here}.params[{i}]"),
                        format!("expected a table, found {}", item.v.kind()),
                    ));
                }
                all.push(to_params_table(ctx, item, &format!("{here}.params[{i}]"))?);
            }
            each = all;
            NodeParamSpec::PerNode(&each)
        }
        Some(pv) => {
            return Err(ctx.err(
                &pv.span,
                format!("{here}.params"),
                format!(
                    "expected a table or an array of tables, found {}",
                    pv.v.kind()
                ),
            ))
        }
    };
    let pspan = c.get("params").map_or(c.span.clone(), |v| v.span.clone());
    let first = k.create(&model, n, spec).map_err(|e| {
        let span = match (e.build.as_deref(), e.at.as_str()) {
            (_, "model") => mv.span.clone(),
            (_, "n") => c.get("n").map_or(c.span.clone(), |v| v.span.clone()),
            // Point at the offending key itself (inside a compartment table if the
            // model name says so), else at the whole params value.
            (
                Some(
                    BuildError::BadParam { model, param, .. }
                    | BuildError::UnknownParam { model, param, .. },
                ),
                _,
            ) => c
                .get("params")
                .and_then(|pv| {
                    let table = model.split('(').nth(1).map(|t| t.trim_end_matches(')'));
                    let scope = table
                        .and_then(|t| find_key(pv, t))
                        .map(|(_, v)| v)
                        .unwrap_or(pv);
                    find_key(scope, param).map(|(k, _)| k)
                })
                .unwrap_or_else(|| pspan.clone()),
            _ => pspan.clone(),
        };
        let context = if e.field.is_empty() {
            here.clone()
        } else {
            format!("{here}.{}", e.field)
        };
        ctx.err(&span, context, e.message)
    })?;
    Ok(Population {
        label,
        model,
        first,
        n: n as usize,
        params: Vec::new(),
    })
}

/// One `[[connect]]` block: pre and post, syn_spec, conn_spec; the kernel counts the
/// connections (against the connection and memory limits) before any is drawn.
fn connect_block(
    ctx: &Ctx,
    c: &Val,
    ci: usize,
    pops: &[Population],
    k: &mut Kernel,
) -> Result<(), FileError> {
    let here = format!("[[connect]] #{}", ci + 1);
    expect_keys(ctx, c, &["pre", "post", "conn_spec", "syn_spec"], &here)?;
    let pre_v = c
        .get("pre")
        .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'pre'"))?;
    let post_v = c
        .get("post")
        .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'post'"))?;
    let (pre, _) = select(ctx, pre_v, pops, &format!("{here}.pre"))?;
    let (post, _) = select(ctx, post_v, pops, &format!("{here}.post"))?;
    let here = format!(
        "[[connect]] #{} ({} -> {})",
        ci + 1,
        shorten(as_str(ctx, pre_v, "")?),
        shorten(as_str(ctx, post_v, "")?)
    );

    // syn_spec
    let mut syn = SynapseSpec::default();
    if let Some(s) = c.get("syn_spec") {
        if !matches!(s.v, V::Table(_)) {
            return Err(ctx.err(
                &s.span,
                format!("{here}.syn_spec"),
                format!("expected a table, found {}", s.v.kind()),
            ));
        }
        for (key, kspan, v) in s.entries() {
            let field = format!("{here}.syn_spec.{}", shorten(key));
            match key.as_str() {
                "synapse_model" => syn.synapse_model = as_str(ctx, v, &field)?.to_string(),
                "weight" => syn.weight = as_draw(ctx, Some(v), &field)?,
                "delay" => syn.delay = as_draw(ctx, Some(v), &field)?,
                "weight_recorder" => {
                    let (ids, _) = select(ctx, v, pops, &field)?;
                    if ids.len() != 1 {
                        return Err(ctx.err(
                            kspan,
                            field,
                            format!("{v} must name exactly one weight_recorder node"),
                        ));
                    }
                    syn.weight_recorder = Some(ids[0]);
                }
                _ => syn.params.push((key.clone(), to_param(ctx, v, &field)?)),
            }
        }
    }

    // conn_spec
    let mut conn = ConnSpec::default();
    if let Some(s) = c.get("conn_spec") {
        if !matches!(s.v, V::Table(_)) {
            return Err(ctx.err(
                &s.span,
                format!("{here}.conn_spec"),
                format!("expected a table, found {}", s.v.kind()),
            ));
        }
        for (key, kspan, v) in s.entries() {
            let field = format!("{here}.conn_spec.{}", shorten(key));
            match key.as_str() {
                "rule" => conn.rule = as_str(ctx, v, &field)?.to_string(),
                "allow_autapses" | "allow_multapses" => {
                    let V::Bool(x) = v.v else {
                        return Err(ctx.err(
                            &v.span,
                            field,
                            format!("expected true or false, found {v}"),
                        ));
                    };
                    if key == "allow_autapses" {
                        conn.allow_autapses = x
                    } else {
                        conn.allow_multapses = x
                    }
                }
                "indegree" | "outdegree" | "N" => {
                    let n = as_count(
                        ctx,
                        v,
                        &field,
                        0,
                        MAX_CONNECTIONS,
                        "the most connections a network holds (synapse tables index rows with 32 bits)",
                    )?;
                    conn.count = Some((key.clone(), n as f64))
                }
                "p" => conn.count = Some((key.clone(), as_f64(ctx, v, &field)?)),
                _ => {
                    return Err(ctx.err(
                        kspan,
                        field,
                        "unknown key (allowed: rule, indegree, outdegree, N, p, allow_autapses, allow_multapses)",
                    ))
                }
            }
        }
    }
    k.connect(&pre, &post, &conn, &syn)
        .map_err(|e| api_err(ctx, c, &here, e))
}
