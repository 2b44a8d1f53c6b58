//! Reads a model file (model-file.md) and builds the network it describes: kernel settings,
//! `[[create]]` blocks (parameters, distributions, per-node tables), `[[connect]]` blocks
//! (NEST's connection rules, label slices, weight and delay distributions), `[simulate]`.
//! Every refusal names the file, line and column, the field, the value and the reason.
//!
//! Counts are checked against the kernel's limits (README "Limits") and the network's memory
//! against what the machine offers before anything large is allocated; connections are
//! drawn and handed to the builder in chunks, so no list of all pairs is ever held.

use std::ops::Range;

use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Normal};

use evplast_kernel::limits::{MAX_CONNECTIONS, MAX_NODES};
use evplast_kernel::rng::{self, domain, Rng};
use evplast_kernel::{NodeId, Resolution};
use evplast_models::builder::memory::{self, Available, MemoryEstimate};
use evplast_models::builder::Summary;
use evplast_models::params::{shorten, DISTRIBUTIONS};
use evplast_models::registry::{self, ModelInfo};
use evplast_models::{
    BuildError, ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, Simulation,
    SynSpec,
};

use crate::rules::Rule;
use crate::tree::{self, Val, V};
use crate::FileError;

pub use evplast_models::builder::Scheme;

/// Parses the model-file spelling of a scheme.
pub fn parse_scheme(s: &str) -> Option<Scheme> {
    match s {
        "time" => Some(Scheme::Time),
        "event" => Some(Scheme::Event),
        "compressed" => Some(Scheme::Compressed),
        _ => None,
    }
}

/// Options a caller may set on top of the file.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Overrides `kernel.scheme`.
    pub scheme: Option<Scheme>,
    /// Keep Poisson trains for the network dump.
    pub keep_trains: bool,
    /// Reproduce NEST 3.10's Clopath LTD buffer length (for cross-checks).
    pub nest_ltd_ring: bool,
    /// Refuse a network whose memory estimate exceeds this (`memory::available()`); `None`
    /// checks nothing.
    pub memory_available: Option<Available>,
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
#[derive(Clone, Debug)]
pub struct Projection {
    pub synapse_model: String,
    pub params: ParamMap,
    pub weight_recorder: Option<NodeId>,
}

/// A loaded and built model.
pub struct Loaded {
    pub sim: Simulation,
    pub kernel: KernelConfig,
    pub scheme: Scheme,
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

/// A distribution to draw per node or per connection.
#[derive(Clone, Debug)]
enum Dist {
    Normal(Normal<f64>),
    Uniform(f64, f64),
    LogNormal(LogNormal<f64>),
    Exponential(Exp<f64>, f64),
}

impl Dist {
    fn sample(&self, rng: &mut Rng) -> f64 {
        match self {
            Dist::Normal(d) => d.sample(rng),
            Dist::Uniform(lo, hi) => lo + (hi - lo) * rng.random::<f64>(),
            Dist::LogNormal(d) => d.sample(rng),
            Dist::Exponential(d, scale) => scale * d.sample(rng),
        }
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
    let field = |k: &str, default: Option<f64>| -> Result<f64, FileError> {
        match body.get(k) {
            Some(x) => as_f64(ctx, x, context),
            None => default.ok_or_else(|| {
                ctx.err(
                    &body.span,
                    context,
                    format!("distribution '{name}' needs '{k}'"),
                )
            }),
        }
    };
    let bad = |why: &str| ctx.err(&v.span, context, format!("{v}: {why}"));
    let d = match name.as_str() {
        "normal" => {
            expect_keys(ctx, body, &["mean", "std"], context)?;
            let (m, s) = (field("mean", Some(0.0))?, field("std", Some(1.0))?);
            Dist::Normal(Normal::new(m, s).map_err(|_| bad("std must be >= 0"))?)
        }
        "uniform" => {
            expect_keys(ctx, body, &["min", "max"], context)?;
            let (lo, hi) = (field("min", Some(0.0))?, field("max", Some(1.0))?);
            if hi < lo {
                return Err(bad("max must be >= min"));
            }
            Dist::Uniform(lo, hi)
        }
        "lognormal" => {
            expect_keys(ctx, body, &["mean", "std"], context)?;
            let (m, s) = (field("mean", Some(0.0))?, field("std", Some(1.0))?);
            Dist::LogNormal(LogNormal::new(m, s).map_err(|_| bad("std must be >= 0"))?)
        }
        _ => {
            expect_keys(ctx, body, &["beta"], context)?;
            let beta = field("beta", Some(1.0))?;
            if beta <= 0.0 {
                return Err(bad("beta must be > 0"));
            }
            Dist::Exponential(Exp::new(1.0).expect("rate 1"), beta)
        }
    };
    Ok(Some(d))
}

/// Converts a parameter value, drawing distributions from `rng`.
fn to_param(ctx: &Ctx, v: &Val, context: &str, rng: &mut Rng) -> Result<ParamValue, FileError> {
    Ok(match &v.v {
        V::Int(i) => ParamValue::Num(*i as f64),
        V::Float(x) => ParamValue::Num(*x),
        V::Bool(b) => ParamValue::Bool(*b),
        V::Str(s) => ParamValue::Str(s.clone()),
        V::Datetime(_) => return Err(ctx.err(&v.span, context, "dates are not parameter values")),
        V::Array(a) => ParamValue::Array(
            a.iter()
                .map(|x| to_param(ctx, x, context, rng))
                .collect::<Result<_, _>>()?,
        ),
        V::Table(t) => {
            if let Some(d) = as_dist(ctx, v, context)? {
                ParamValue::Num(d.sample(rng))
            } else {
                let mut m = ParamMap::new();
                for (k, _, x) in t {
                    m.insert(k.clone(), to_param(ctx, x, &format!("{context}.{k}"), rng)?);
                }
                ParamValue::Table(m)
            }
        }
    })
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

/// A weight or delay: fixed, drawn per connection, or the synapse default.
enum Draw {
    Default,
    Fixed(f64),
    Dist(Dist),
}

impl Draw {
    fn get(&self, rng: &mut Rng) -> Option<f64> {
        match self {
            Draw::Default => None,
            Draw::Fixed(x) => Some(*x),
            Draw::Dist(d) => Some(d.sample(rng)),
        }
    }
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
    let p = read_network(&ctx, opts, false)?;
    let sim = p
        .builder
        .build()
        .map_err(|e| ctx.err(&p.doc_span, "build", e.to_string()))?;
    Ok(Loaded {
        sim,
        kernel: p.kernel,
        scheme: p.scheme,
        t_sim: p.t_sim,
        steps: p.steps,
        populations: p.populations,
        projections: p.projections,
        memory: p.memory,
    })
}

/// What `evplast check` reports: everything validated as for a run, connections counted but
/// not stored, nothing built.
pub struct Checked {
    pub kernel: KernelConfig,
    pub scheme: Scheme,
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
    let p = read_network(&ctx, opts, true)?;
    Ok(Checked {
        kernel: p.kernel,
        scheme: p.scheme,
        resolution: p.builder.resolution(),
        t_sim: p.t_sim,
        steps: p.steps,
        populations: p.populations,
        summary: p.builder.summary(),
    })
}

/// A model file read into a builder, ready to build.
struct Read {
    builder: NetworkBuilder,
    kernel: KernelConfig,
    scheme: Scheme,
    t_sim: f64,
    steps: i64,
    populations: Vec<Population>,
    projections: Vec<Projection>,
    memory: MemoryEstimate,
    doc_span: Range<usize>,
}

/// Every step before `build`: kernel, simulate, creates, connects (stored, or only
/// validated), and the memory check of the whole network.
fn read_network(ctx: &Ctx, opts: &LoadOptions, validate_only: bool) -> Result<Read, FileError> {
    let doc = parse_document(ctx)?;
    let (kernel, scheme) = read_kernel(ctx, &doc, opts)?;
    let mut b = NetworkBuilder::new(kernel.clone()).map_err(|e| {
        let span = doc
            .get("kernel")
            .and_then(|k| k.get("resolution"))
            .map_or(0..0, |v| v.span.clone());
        ctx.err(&span, "kernel.resolution", e.to_string())
    })?;
    b.keep_generated_trains(opts.keep_trains);
    if validate_only {
        b.validate_only();
    }
    let (t_sim, steps) = read_simulate(ctx, &doc, &b)?;
    let avail = opts.memory_available.as_ref();

    let mut pops: Vec<Population> = Vec::new();
    for (ci, c) in blocks(ctx, &doc, "create")?.iter().enumerate() {
        let pop = create_block(ctx, c, ci, &pops, &mut b, &kernel, avail)?;
        pops.push(pop);
    }
    let mut projections = Vec::new();
    for (ci, c) in blocks(ctx, &doc, "connect")?.iter().enumerate() {
        projections.push(connect_block(ctx, c, ci, &pops, &mut b, &kernel, avail)?);
    }

    // The input buffers grow with the longest delay, known only now.
    let memory = b.memory_estimate();
    memory::check_fits("the network", memory, avail)
        .map_err(|e| ctx.err(&doc.span, "network", e.to_string()))?;
    Ok(Read {
        builder: b,
        kernel,
        scheme,
        t_sim,
        steps,
        populations: pops,
        projections,
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
) -> Result<(KernelConfig, Scheme), FileError> {
    let mut kernel = KernelConfig::default();
    let mut scheme = Scheme::Event;
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
            ],
            "[kernel]",
        )?;
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
                u32::MAX as u64,
                "the most threads (32 bits)",
            )? as u32;
        }
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
                        "\"{}\" is not a scheme (time, event, compressed)",
                        shorten(s)
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
    Ok((kernel, scheme))
}

/// `[simulate]`: the run's length in ms and in steps (at most `MAX_RUN_STEPS`).
fn read_simulate(ctx: &Ctx, doc: &Val, b: &NetworkBuilder) -> Result<(f64, i64), FileError> {
    let res = b.resolution();
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
    let span = tv.span.clone();
    let tv = ctx.quote(tv);
    if t_sim < 0.0 {
        return Err(ctx.err(&span, "simulate.t", format!("{tv} must be >= 0")));
    }
    let max = evplast_kernel::time::MAX_RUN_STEPS;
    if t_sim / res.h() > max as f64 + 0.5 {
        return Err(ctx.err(
            &span,
            "simulate.t",
            format!(
                "{tv} ms is more than {max} steps (2^31 − 1, {} ms at resolution {} ms), the longest run (synapses keep spike times in 32 bits)",
                res.ms_exact(max),
                res.h()
            ),
        ));
    }
    let steps = res.on_grid(t_sim).ok_or_else(|| {
        ctx.err(
            &span,
            "simulate.t",
            format!("{tv} is not a multiple of the resolution {}", res.h()),
        )
    })?;
    if steps > max {
        return Err(ctx.err(
            &span,
            "simulate.t",
            format!("{tv} ms is more than {max} steps (2^31 − 1), the longest run"),
        ));
    }
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
    b: &mut NetworkBuilder,
    kernel: &KernelConfig,
    avail: Option<&Available>,
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
    let info = registry::find(&model).map_err(|e| ctx.err(&mv.span, &here, e.to_string()))?;
    let n_span = c.get("n").map_or(c.span.clone(), |v| v.span.clone());
    let n = match c.get("n") {
        Some(v) => {
            let n = as_count(
                ctx,
                v,
                &format!("{here}.n"),
                1,
                MAX_NODES,
                "the most nodes a network holds (node ids are 32-bit)",
            )?;
            b.check_create(info, n)
                .map_err(|e| ctx.err(&v.span, format!("{here}.n"), e.to_string()))?;
            n as usize
        }
        None => 1,
    };
    let first_id = b.n_nodes() as u32 + 1;
    let node_rng = |i: usize| {
        rng::stream(
            kernel.rng_seed,
            domain::NODE_PARAMS,
            (first_id as u64) + i as u64,
        )
    };
    // Room for n parameter maps, after checking that n nodes fit in memory (the first
    // node's map stands for all: drawn values change no sizes).
    let reserve = |first: Option<&ParamMap>| -> Result<Vec<ParamMap>, FileError> {
        let each = b.node_bytes(info) + first.map_or(0, memory::param_map_bytes);
        let mut need = b.memory_estimate();
        need.nodes = need.nodes.saturating_add((n as u64).saturating_mul(each));
        need.input_buffers = need
            .input_buffers
            .saturating_add((n as u64).saturating_mul(b.channel_bytes(info)));
        memory::check_fits(
            &format!("the network with these {n} {model} nodes"),
            need,
            avail,
        )
        .map_err(|e| ctx.err(&n_span, format!("{here}.n"), e.to_string()))?;
        let mut all = Vec::new();
        all.try_reserve_exact(n).map_err(|_| {
            ctx.err(
                &n_span,
                format!("{here}.n"),
                format!("out of memory for the parameters of {n} nodes"),
            )
        })?;
        Ok(all)
    };
    let (params, pspan): (Vec<ParamMap>, Range<usize>) = match c.get("params") {
        None => {
            let mut all = reserve(None)?;
            all.resize(n, ParamMap::new());
            (all, c.span.clone())
        }
        Some(pv @ Val { v: V::Table(_), .. }) => {
            let draw = |i: usize| -> Result<ParamMap, FileError> {
                let mut r = node_rng(i);
                let ParamValue::Table(m) = to_param(ctx, pv, &format!("{here}.params"), &mut r)?
                else {
                    return Err(not_a_params_table(ctx, pv, &format!("{here}.params")));
                };
                Ok(m)
            };
            let first = draw(0)?;
            let mut all = reserve(Some(&first))?;
            all.push(first);
            for i in 1..n {
                all.push(draw(i)?);
            }
            (all, pv.span.clone())
        }
        Some(
            pv @ Val {
                v: V::Array(items), ..
            },
        ) => {
            if items.len() != n {
                return Err(ctx.err(
                    &pv.span,
                    format!("{here}.params"),
                    format!(
                        "has {} tables but n = {n}: give one table per node",
                        items.len()
                    ),
                ));
            }
            let mut all = reserve(None)?;
            for (i, item) in items.iter().enumerate() {
                if !matches!(item.v, V::Table(_)) {
                    return Err(ctx.err(
                        &item.span,
                        format!("{here}.params[{i}]"),
                        format!("expected a table, found {}", item.v.kind()),
                    ));
                }
                let mut r = node_rng(i);
                let ParamValue::Table(m) =
                    to_param(ctx, item, &format!("{here}.params[{i}]"), &mut r)?
                else {
                    return Err(not_a_params_table(
                        ctx,
                        item,
                        &format!("{here}.params[{i}]"),
                    ));
                };
                all.push(m);
            }
            (all, pv.span.clone())
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
    let first = b.create(&model, &params).map_err(|e| {
        let span = match &e {
            BuildError::UnknownModel { .. } => mv.span.clone(),
            // Point at the offending key itself (inside a compartment table if the
            // model name says so), else at the whole params value.
            BuildError::BadParam { model, param, .. }
            | BuildError::UnknownParam { model, param, .. } => c
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
            BuildError::Limit(_) | BuildError::Kernel(_) => n_span.clone(),
            _ => pspan.clone(),
        };
        ctx.err(&span, here.clone(), e.to_string())
    })?;
    Ok(Population {
        label,
        model,
        first,
        n,
        params,
    })
}

/// Connections handed to the builder as they are drawn, a chunk at a time, with their weights
/// and delays (so no list of all pairs exists).
struct Sink<'a> {
    b: &'a mut NetworkBuilder,
    spec: &'a SynSpec,
    weight: &'a Draw,
    delay: &'a Draw,
    rng: Rng,
    buf: Vec<ConnRequest>,
}

impl Sink<'_> {
    const CHUNK: usize = 1 << 16;

    fn push(&mut self, source: NodeId, target: NodeId) -> Result<(), BuildError> {
        self.buf.push(ConnRequest {
            source,
            target,
            weight: self.weight.get(&mut self.rng),
            delay: self.delay.get(&mut self.rng),
        });
        if self.buf.len() == Self::CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), BuildError> {
        let r = self.b.connect(self.spec, &self.buf);
        self.buf.clear();
        r
    }
}

/// One `[[connect]]` block: pre and post, syn_spec, conn_spec; the connections are counted
/// (against the connection and memory limits) before any is drawn.
fn connect_block(
    ctx: &Ctx,
    c: &Val,
    ci: usize,
    pops: &[Population],
    b: &mut NetworkBuilder,
    kernel: &KernelConfig,
    avail: Option<&Available>,
) -> Result<Projection, FileError> {
    let here = format!("[[connect]] #{}", ci + 1);
    expect_keys(ctx, c, &["pre", "post", "conn_spec", "syn_spec"], &here)?;
    let pre_v = c
        .get("pre")
        .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'pre'"))?;
    let post_v = c
        .get("post")
        .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'post'"))?;
    let (pre, pre_pop) = select(ctx, pre_v, pops, &format!("{here}.pre"))?;
    let (post, post_pop) = select(ctx, post_v, pops, &format!("{here}.post"))?;
    let here = format!(
        "[[connect]] #{} ({} -> {})",
        ci + 1,
        shorten(as_str(ctx, pre_v, "")?),
        shorten(as_str(ctx, post_v, "")?)
    );

    // syn_spec
    let mut spec = SynSpec {
        tag: ci as u32,
        ..SynSpec::default()
    };
    let mut weight = Draw::Default;
    let mut delay = Draw::Default;
    let syn_span = c.get("syn_spec").map_or(c.span.clone(), |s| s.span.clone());
    if let Some(s) = c.get("syn_spec") {
        if !matches!(s.v, V::Table(_)) {
            return Err(ctx.err(
                &s.span,
                format!("{here}.syn_spec"),
                format!("expected a table, found {}", s.v.kind()),
            ));
        }
        let mut prng = rng::stream(
            kernel.rng_seed,
            domain::SYNAPSE_PARAMS,
            u64::MAX - ci as u64,
        );
        for (k, kspan, v) in s.entries() {
            let field = format!("{here}.syn_spec.{}", shorten(k));
            match k.as_str() {
                "synapse_model" => spec.synapse_model = as_str(ctx, v, &field)?.to_string(),
                "weight" => weight = as_draw(ctx, Some(v), &field)?,
                "delay" => delay = as_draw(ctx, Some(v), &field)?,
                "receptor_type" => spec.receptor_type = Some(to_param(ctx, v, &field, &mut prng)?),
                "weight_recorder" => {
                    let (ids, _) = select(ctx, v, pops, &field)?;
                    if ids.len() != 1 {
                        return Err(ctx.err(
                            kspan,
                            field,
                            format!("{v} must name exactly one weight_recorder node"),
                        ));
                    }
                    spec.weight_recorder = Some(ids[0]);
                }
                _ => {
                    spec.params
                        .insert(k.clone(), to_param(ctx, v, &field, &mut prng)?);
                }
            }
        }
    }
    let syn = registry::find(&spec.synapse_model)
        .map_err(|e| ctx.err(&syn_span, &here, e.to_string()))?;

    // conn_spec
    let mut rule = "all_to_all".to_string();
    let (mut autapses, mut multapses) = (true, true);
    let mut count: Option<(String, f64, Range<usize>)> = None;
    let conn_span = c
        .get("conn_spec")
        .map_or(c.span.clone(), |s| s.span.clone());
    if let Some(s) = c.get("conn_spec") {
        if !matches!(s.v, V::Table(_)) {
            return Err(ctx.err(
                &s.span,
                format!("{here}.conn_spec"),
                format!("expected a table, found {}", s.v.kind()),
            ));
        }
        for (k, kspan, v) in s.entries() {
            let field = format!("{here}.conn_spec.{}", shorten(k));
            match k.as_str() {
                "rule" => rule = as_str(ctx, v, &field)?.to_string(),
                "allow_autapses" | "allow_multapses" => {
                    let V::Bool(x) = v.v else {
                        return Err(ctx.err(
                            &v.span,
                            field,
                            format!("expected true or false, found {v}"),
                        ));
                    };
                    if k == "allow_autapses" {
                        autapses = x
                    } else {
                        multapses = x
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
                    count = Some((k.clone(), n as f64, v.span.clone()))
                }
                "p" => count = Some((k.clone(), as_f64(ctx, v, &field)?, v.span.clone())),
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
    let rule = Rule::read(
        ctx, &rule, count, &pre, &post, autapses, multapses, &conn_span, &here,
    )?;

    // Count, then check the limits before drawing anything.
    let (n, n_span, n_field) = rule.count(&pre, &post, autapses, &conn_span, &here);
    b.check_connections(n)
        .map_err(|e| ctx.err(&n_span, &n_field, e.to_string()))?;
    let model_of = |p: &Population| registry::find(&p.model).expect("created");
    let (src, tgt): (&ModelInfo, &ModelInfo) = (model_of(pre_pop), model_of(post_pop));
    let mut need = b.memory_estimate();
    need.synapses = need
        .synapses
        .saturating_add(b.connection_bytes(syn.name, src, tgt, n))
        .saturating_add(rule.scratch_bytes(n, multapses));
    memory::check_fits(
        &format!("the network with these {n} connections"),
        need,
        avail,
    )
    .map_err(|e| ctx.err(&n_span, &n_field, e.to_string()))?;
    b.expect_connections(n);

    let mut sink = Sink {
        b,
        spec: &spec,
        weight: &weight,
        delay: &delay,
        rng: rng::stream(kernel.rng_seed, domain::SYNAPSE_PARAMS, ci as u64),
        buf: Vec::new(),
    };
    let mut crng = rng::stream(kernel.rng_seed, domain::CONNECT, ci as u64);
    let to_file = |e: BuildError| {
        let span = if matches!(e, BuildError::Limit(_)) {
            &conn_span
        } else {
            &syn_span
        };
        ctx.err(span, here.clone(), e.to_string())
    };
    rule.expand(
        ctx,
        &here,
        &pre,
        &post,
        autapses,
        multapses,
        &mut crng,
        &mut |s, t| sink.push(s, t).map_err(to_file),
    )?;
    sink.flush().map_err(to_file)?;
    Ok(Projection {
        synapse_model: spec.synapse_model.clone(),
        params: spec.params.clone(),
        weight_recorder: spec.weight_recorder,
    })
}
