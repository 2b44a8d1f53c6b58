//! Reads a model file (model-file.md) and builds the network it describes: kernel settings,
//! `[[create]]` blocks (parameters, distributions, per-node tables), `[[connect]]` blocks
//! (NEST's connection rules, label slices, weight and delay distributions), `[simulate]`.
//! Every refusal names the file, line and column, the field, the value and the reason.

use std::ops::Range;

use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Normal};

use evplast_kernel::rng::{self, domain, Rng};
use evplast_kernel::NodeId;
use evplast_models::params::{shorten, DISTRIBUTIONS};
use evplast_models::{
    ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, Simulation, SynSpec,
};

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
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(
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
                format!("unknown field '{k}' (allowed: {})", allowed.join(", ")),
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

fn as_int(ctx: &Ctx, v: &Val, context: &str, min: i64) -> Result<i64, FileError> {
    match v.v {
        V::Int(i) if i >= min => Ok(i),
        V::Int(i) => Err(ctx.err(&v.span, context, format!("{i} must be >= {min}"))),
        _ => Err(ctx.err(
            &v.span,
            context,
            format!("expected an integer, found {} ({v})", v.v.kind()),
        )),
    }
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

/// Resolves `label` or `label[a:b:c]` to node ids.
fn select(
    ctx: &Ctx,
    v: &Val,
    pops: &[Population],
    context: &str,
) -> Result<Vec<NodeId>, FileError> {
    let s = as_str(ctx, v, context)?;
    let (label, slice) = match s.find('[') {
        Some(i) if s.ends_with(']') => (&s[..i], Some(&s[i + 1..s.len() - 1])),
        Some(_) => {
            return Err(ctx.err(
                &v.span,
                context,
                format!("\"{s}\": a slice is written label[start:stop]"),
            ))
        }
        None => (s, None),
    };
    let pop = pops.iter().find(|p| p.label == label).ok_or_else(|| {
        let known: Vec<&str> = pops.iter().map(|p| p.label.as_str()).collect();
        ctx.err(
            &v.span,
            context,
            format!(
                "unknown label \"{label}\" (labels created before this connect: {})",
                known.join(", ")
            ),
        )
    })?;
    let ids: Vec<NodeId> = (0..pop.n).map(|i| NodeId(pop.first.0 + i as u32)).collect();
    let Some(slice) = slice else { return Ok(ids) };
    let n = ids.len() as i64;
    let bad = |why: &str| ctx.err(&v.span, context, format!("\"{s}\": {why}"));
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
        let j = if i < 0 { n + i } else { i };
        if j < 0 || j >= n {
            return Err(bad(&format!("index {i} is out of range for {n} nodes")));
        }
        return Ok(vec![ids[j as usize]]);
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
            Some(i) if i < 0 => (n + i).max(0),
            Some(i) => i.min(n),
        }
    };
    let (a, b) = (norm(parse(parts[0])?, 0), norm(parse(parts[1])?, n));
    let out: Vec<NodeId> = (a..b)
        .step_by(step as usize)
        .map(|i| ids[i as usize])
        .collect();
    if out.is_empty() {
        return Err(bad(&format!("selects no node of the {n} in \"{label}\"")));
    }
    Ok(out)
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
        &ctx,
        &doc,
        &["kernel", "create", "connect", "simulate"],
        "top level",
    )?;

    // [kernel]
    let mut kernel = KernelConfig::default();
    let mut scheme = Scheme::Event;
    if let Some(k) = doc.get("kernel") {
        expect_keys(
            &ctx,
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
            kernel.resolution = as_f64(&ctx, v, "kernel.resolution")?;
        }
        if let Some(v) = k.get("rng_seed") {
            kernel.rng_seed = as_int(&ctx, v, "kernel.rng_seed", 0)? as u64;
        }
        if let Some(v) = k.get("local_num_threads") {
            kernel.local_num_threads = as_int(&ctx, v, "kernel.local_num_threads", 1)? as u32;
        }
        if let Some(v) = k.get("history_horizon") {
            let x = as_f64(&ctx, v, "kernel.history_horizon")?;
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
            let s = as_str(&ctx, v, "kernel.scheme")?;
            scheme = parse_scheme(s).ok_or_else(|| {
                ctx.err(
                    &v.span,
                    "kernel.scheme",
                    format!("\"{s}\" is not a scheme (time, event, compressed)"),
                )
            })?;
        }
    }
    if let Some(s) = opts.scheme {
        scheme = s;
    }
    kernel.scheme = scheme;
    kernel.nest_ltd_ring = opts.nest_ltd_ring;
    let mut b = NetworkBuilder::new(kernel.clone()).map_err(|e| {
        let span = doc
            .get("kernel")
            .and_then(|k| k.get("resolution"))
            .map_or(0..0, |v| v.span.clone());
        ctx.err(&span, "kernel.resolution", e.to_string())
    })?;
    b.keep_generated_trains(opts.keep_trains);
    let res = b.resolution();

    // [simulate]
    let sim_t = doc.get("simulate").ok_or_else(|| {
        ctx.err(
            &doc.span,
            "[simulate]",
            "missing: add [simulate] with t = <ms>",
        )
    })?;
    expect_keys(&ctx, sim_t, &["t"], "[simulate]")?;
    let tv = sim_t
        .get("t")
        .ok_or_else(|| ctx.err(&sim_t.span, "[simulate]", "missing field 't' (ms)"))?;
    let t_sim = as_f64(&ctx, tv, "simulate.t")?;
    if t_sim < 0.0 {
        return Err(ctx.err(&tv.span, "simulate.t", format!("{t_sim} must be >= 0")));
    }
    let steps = res.on_grid(t_sim).ok_or_else(|| {
        ctx.err(
            &tv.span,
            "simulate.t",
            format!("{t_sim} is not a multiple of the resolution {}", res.h()),
        )
    })?;

    if steps > evplast_kernel::time::MAX_RUN_STEPS {
        return Err(ctx.err(
            &tv.span,
            "simulate.t",
            format!("{t_sim} ms is more than the 2^31 steps a synapse's spike time can hold"),
        ));
    }

    // [[create]]
    let mut pops: Vec<Population> = Vec::new();
    let creates: &[Val] = match doc.get("create").map(|c| &c.v) {
        Some(V::Array(a)) => a,
        Some(_) => {
            return Err(ctx.err(
                &doc.get("create").unwrap().span,
                "create",
                "write [[create]] blocks (an array of tables)",
            ))
        }
        None => &[],
    };
    for (ci, c) in creates.iter().enumerate() {
        let here = format!("[[create]] #{}", ci + 1);
        expect_keys(&ctx, c, &["label", "model", "n", "params"], &here)?;
        let lv = c
            .get("label")
            .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'label'"))?;
        let label = as_str(&ctx, lv, &here)?.to_string();
        if label.is_empty() || label.contains(['[', ']', '/', '\\']) || label.starts_with('.') {
            return Err(ctx.err(&lv.span, &here, format!("label \"{label}\" must be non-empty, not start with '.', and contain no [ ] / \\")));
        }
        if pops.iter().any(|p| p.label == label)
            || label == "connections"
            || label == "stats"
            || label == "network"
        {
            return Err(ctx.err(
                &lv.span,
                &here,
                format!("label \"{label}\" is already used (or reserved for an output file)"),
            ));
        }
        let here = format!("[[create]] #{} (label \"{label}\")", ci + 1);
        let mv = c
            .get("model")
            .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'model'"))?;
        let model = as_str(&ctx, mv, &here)?.to_string();
        let n = match c.get("n") {
            Some(v) => as_int(&ctx, v, &format!("{here}.n"), 1)? as usize,
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
        let (params, pspan): (Vec<ParamMap>, Range<usize>) = match c.get("params") {
            None => (vec![ParamMap::new(); n], c.span.clone()),
            Some(pv @ Val { v: V::Table(_), .. }) => {
                let mut all = Vec::with_capacity(n);
                for i in 0..n {
                    let mut r = node_rng(i);
                    let ParamValue::Table(m) =
                        to_param(&ctx, pv, &format!("{here}.params"), &mut r)?
                    else {
                        unreachable!()
                    };
                    all.push(m);
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
                let mut all = Vec::with_capacity(n);
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
                        to_param(&ctx, item, &format!("{here}.params[{i}]"), &mut r)?
                    else {
                        unreachable!()
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
            use evplast_models::BuildError as E;
            let span = match &e {
                E::UnknownModel { .. } => mv.span.clone(),
                // Point at the offending key itself (inside a compartment table if the
                // model name says so), else at the whole params value.
                E::BadParam { model, param, .. } | E::UnknownParam { model, param, .. } => c
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
            ctx.err(&span, here.clone(), e.to_string())
        })?;
        pops.push(Population {
            label,
            model,
            first,
            n,
            params,
        });
    }

    // [[connect]]
    let mut projections = Vec::new();
    let connects: &[Val] = match doc.get("connect").map(|c| &c.v) {
        Some(V::Array(a)) => a,
        Some(_) => {
            return Err(ctx.err(
                &doc.get("connect").unwrap().span,
                "connect",
                "write [[connect]] blocks (an array of tables)",
            ))
        }
        None => &[],
    };
    for (ci, c) in connects.iter().enumerate() {
        let here = format!("[[connect]] #{}", ci + 1);
        expect_keys(&ctx, c, &["pre", "post", "conn_spec", "syn_spec"], &here)?;
        let pre_v = c
            .get("pre")
            .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'pre'"))?;
        let post_v = c
            .get("post")
            .ok_or_else(|| ctx.err(&c.span, &here, "missing field 'post'"))?;
        let pre = select(&ctx, pre_v, &pops, &format!("{here}.pre"))?;
        let post = select(&ctx, post_v, &pops, &format!("{here}.post"))?;
        let here = format!(
            "[[connect]] #{} ({} -> {})",
            ci + 1,
            as_str(&ctx, pre_v, "")?,
            as_str(&ctx, post_v, "")?
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
                let field = format!("{here}.syn_spec.{k}");
                match k.as_str() {
                    "synapse_model" => spec.synapse_model = as_str(&ctx, v, &field)?.to_string(),
                    "weight" => weight = as_draw(&ctx, Some(v), &field)?,
                    "delay" => delay = as_draw(&ctx, Some(v), &field)?,
                    "receptor_type" => {
                        spec.receptor_type = Some(to_param(&ctx, v, &field, &mut prng)?)
                    }
                    "weight_recorder" => {
                        let ids = select(&ctx, v, &pops, &field)?;
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
                            .insert(k.clone(), to_param(&ctx, v, &field, &mut prng)?);
                    }
                }
            }
        }

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
                let field = format!("{here}.conn_spec.{k}");
                match k.as_str() {
                    "rule" => rule = as_str(&ctx, v, &field)?.to_string(),
                    "allow_autapses" | "allow_multapses" => {
                        let V::Bool(x) = v.v else { return Err(ctx.err(&v.span, field, format!("expected true or false, found {v}"))) };
                        if k == "allow_autapses" {
                            autapses = x
                        } else {
                            multapses = x
                        }
                    }
                    "indegree" | "outdegree" | "N" | "p" => count = Some((k.clone(), as_f64(&ctx, v, &field)?, v.span.clone())),
                    _ => {
                        return Err(ctx.err(kspan, field, "unknown key (allowed: rule, indegree, outdegree, N, p, allow_autapses, allow_multapses)"))
                    }
                }
            }
        }
        let mut crng = rng::stream(kernel.rng_seed, domain::CONNECT, ci as u64);
        let pairs = expand_rule(
            &ctx, &rule, count, &pre, &post, autapses, multapses, &mut crng, &conn_span, &here,
        )?;
        let mut wrng = rng::stream(kernel.rng_seed, domain::SYNAPSE_PARAMS, ci as u64);
        let requests: Vec<ConnRequest> = pairs
            .into_iter()
            .map(|(s, t)| ConnRequest {
                source: s,
                target: t,
                weight: weight.get(&mut wrng),
                delay: delay.get(&mut wrng),
            })
            .collect();
        b.connect(&spec, &requests)
            .map_err(|e| ctx.err(&syn_span, here.clone(), e.to_string()))?;
        projections.push(Projection {
            synapse_model: spec.synapse_model.clone(),
            params: spec.params.clone(),
            weight_recorder: spec.weight_recorder,
        });
    }

    let sim = b
        .build()
        .map_err(|e| ctx.err(&doc.span, "build", e.to_string()))?;
    Ok(Loaded {
        sim,
        kernel,
        scheme,
        t_sim,
        steps,
        populations: pops,
        projections,
    })
}

#[allow(clippy::too_many_arguments)]
fn expand_rule(
    ctx: &Ctx,
    rule: &str,
    count: Option<(String, f64, Range<usize>)>,
    pre: &[NodeId],
    post: &[NodeId],
    autapses: bool,
    multapses: bool,
    rng: &mut Rng,
    span: &Range<usize>,
    here: &str,
) -> Result<Vec<(NodeId, NodeId)>, FileError> {
    let need = |key: &str| -> Result<(f64, Range<usize>), FileError> {
        match &count {
            Some((k, v, s)) if k == key => Ok((*v, s.clone())),
            Some((k, _, s)) => Err(ctx.err(
                s,
                format!("{here}.conn_spec.{k}"),
                format!("rule '{rule}' takes '{key}', not '{k}'"),
            )),
            None => Err(ctx.err(
                span,
                format!("{here}.conn_spec"),
                format!("rule '{rule}' needs '{key}'"),
            )),
        }
    };
    let whole = |key: &str, v: f64, s: &Range<usize>| -> Result<usize, FileError> {
        if v < 0.0 || v.fract() != 0.0 {
            return Err(ctx.err(
                s,
                format!("{here}.conn_spec.{key}"),
                format!("{v} must be a non-negative integer"),
            ));
        }
        Ok(v as usize)
    };
    let ok = |s: NodeId, t: NodeId| autapses || s != t;
    let mut out = Vec::new();
    match rule {
        "all_to_all" => {
            if count.is_some() {
                need("")?;
            }
            for &t in post {
                for &s in pre {
                    if ok(s, t) {
                        out.push((s, t));
                    }
                }
            }
        }
        "one_to_one" => {
            if count.is_some() {
                need("")?;
            }
            if pre.len() != post.len() {
                return Err(ctx.err(span, format!("{here}.conn_spec.rule"), format!("one_to_one needs equal sizes, got {} pre and {} post", pre.len(), post.len())));
            }
            for (&s, &t) in pre.iter().zip(post) {
                if ok(s, t) {
                    out.push((s, t));
                }
            }
        }
        "fixed_indegree" | "fixed_outdegree" => {
            let key = if rule == "fixed_indegree" { "indegree" } else { "outdegree" };
            let (v, s) = need(key)?;
            let k = whole(key, v, &s)?;
            let (fixed, pool) = if rule == "fixed_indegree" { (post, pre) } else { (pre, post) };
            for &f in fixed {
                let candidates: Vec<NodeId> = pool.iter().copied().filter(|&p| ok(p, f)).collect();
                if !multapses && k > candidates.len() {
                    return Err(ctx.err(&s, format!("{here}.conn_spec.{key}"), format!("{k} exceeds the {} possible partners without multapses", candidates.len())));
                }
                if candidates.is_empty() && k > 0 {
                    return Err(ctx.err(&s, format!("{here}.conn_spec.{key}"), "no possible partner"));
                }
                let chosen = draw(rng, &candidates, k, multapses);
                for p in chosen {
                    out.push(if rule == "fixed_indegree" { (p, f) } else { (f, p) });
                }
            }
        }
        "fixed_total_number" => {
            let (v, s) = need("N")?;
            let n = whole("N", v, &s)?;
            let all: Vec<(NodeId, NodeId)> = post.iter().flat_map(|&t| pre.iter().map(move |&s| (s, t))).filter(|&(s, t)| ok(s, t)).collect();
            if !multapses && n > all.len() {
                return Err(ctx.err(&s, format!("{here}.conn_spec.N"), format!("{n} exceeds the {} possible pairs without multapses", all.len())));
            }
            if all.is_empty() && n > 0 {
                return Err(ctx.err(&s, format!("{here}.conn_spec.N"), "no possible pair"));
            }
            out = draw(rng, &all, n, multapses);
        }
        "pairwise_bernoulli" => {
            let (p, s) = need("p")?;
            if !(0.0..=1.0).contains(&p) {
                return Err(ctx.err(&s, format!("{here}.conn_spec.p"), format!("{p} must be in [0, 1]")));
            }
            for &t in post {
                for &s in pre {
                    if ok(s, t) && rng.random::<f64>() < p {
                        out.push((s, t));
                    }
                }
            }
        }
        other => {
            return Err(ctx.err(
                span,
                format!("{here}.conn_spec.rule"),
                format!("unknown rule \"{other}\" (rules: all_to_all, one_to_one, fixed_indegree, fixed_outdegree, fixed_total_number, pairwise_bernoulli)"),
            ))
        }
    }
    Ok(out)
}

/// `k` draws from `pool`, with or without replacement.
fn draw<T: Copy>(rng: &mut Rng, pool: &[T], k: usize, replace: bool) -> Vec<T> {
    if replace {
        (0..k)
            .map(|_| pool[rng.random_range(0..pool.len())])
            .collect()
    } else {
        // Partial Fisher–Yates over indices.
        let mut idx: Vec<usize> = (0..pool.len()).collect();
        for i in 0..k {
            let j = rng.random_range(i..idx.len());
            idx.swap(i, j);
        }
        let mut chosen: Vec<usize> = idx[..k].to_vec();
        chosen.sort_unstable();
        chosen.into_iter().map(|i| pool[i]).collect()
    }
}
