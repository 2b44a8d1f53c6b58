//! The [`Kernel`]: NEST's `Create`, `Connect`, `CopyModel`/`SetDefaults` and `Simulate` over
//! the model layer's builder. Random values are drawn from streams keyed by node id (node
//! parameters) or by connect call (connections, weights, delays, synapse parameters), never
//! by worker: the same calls give the same network.

use std::collections::HashMap;

use evplast_kernel::archive::{Scheme, SchemeSetting};
use evplast_kernel::limits::MAX_NODES;
use evplast_kernel::rng::{self, domain, Rng};
use evplast_kernel::time::MAX_RUN_STEPS;
use evplast_kernel::{NodeId, Resolution};
use evplast_models::builder::memory::{self, Available, MemoryEstimate};
use evplast_models::builder::Summary;
use evplast_models::params::{fmt_num, shorten};
use evplast_models::population::merged;
use evplast_models::registry::{self, ModelInfo, ModelKind};
use evplast_models::{
    BuildError, ConnRequest, KernelConfig, NetworkBuilder, ParamMap, ParamValue, Simulation,
    SynSpec,
};

use crate::dist::Dist;
use crate::error::{ApiError, ErrorKind};
use crate::rules::Rule;

/// A parameter as a caller gives it: a value, a distribution drawn per node (or per
/// connect call), or a table or array of them. Entries keep the caller's order, which is the
/// order of the draws.
#[derive(Clone, Debug)]
pub enum Param {
    Value(ParamValue),
    Dist(Dist),
    Table(Vec<(String, Param)>),
    Array(Vec<Param>),
}

impl Param {
    /// The value, distributions drawn from `rng` depth first in order.
    pub fn draw(&self, rng: &mut Rng) -> ParamValue {
        match self {
            Param::Value(v) => v.clone(),
            Param::Dist(d) => ParamValue::Num(d.sample(rng)),
            Param::Array(a) => ParamValue::Array(a.iter().map(|p| p.draw(rng)).collect()),
            Param::Table(t) => ParamValue::Table(draw_map(t, rng)),
        }
    }
}

/// A table of parameters, drawn.
fn draw_map(t: &[(String, Param)], rng: &mut Rng) -> ParamMap {
    let mut m = ParamMap::new();
    for (k, p) in t {
        m.insert(k.clone(), p.draw(rng));
    }
    m
}

/// `Create`'s parameters.
#[derive(Clone, Copy, Debug)]
pub enum NodeParamSpec<'a> {
    None,
    /// One table for every node; distributions are drawn per node.
    Same(&'a [(String, Param)]),
    /// One table per node.
    PerNode(&'a [Vec<(String, Param)>]),
}

/// A weight or delay: the synapse default, fixed, drawn per connection, or one value per
/// connection in the order the rule makes them.
#[derive(Clone, Debug)]
pub enum Draw {
    Default,
    Fixed(f64),
    Dist(Dist),
    Array(Vec<f64>),
}

/// `Connect`'s conn_spec.
#[derive(Clone, Debug)]
pub struct ConnSpec {
    pub rule: String,
    /// The rule's count or probability by its key (`indegree`, `outdegree`, `N`, `p`).
    pub count: Option<(String, f64)>,
    pub allow_autapses: bool,
    pub allow_multapses: bool,
}

impl Default for ConnSpec {
    fn default() -> Self {
        Self {
            rule: "all_to_all".into(),
            count: None,
            allow_autapses: true,
            allow_multapses: true,
        }
    }
}

/// `Connect`'s syn_spec.
#[derive(Clone, Debug)]
pub struct SynapseSpec {
    pub synapse_model: String,
    pub weight: Draw,
    pub delay: Draw,
    pub weight_recorder: Option<NodeId>,
    /// Every other key (`receptor_type` and the synapse's parameters), in the caller's order.
    pub params: Vec<(String, Param)>,
}

impl Default for SynapseSpec {
    fn default() -> Self {
        Self {
            synapse_model: "static_synapse".into(),
            weight: Draw::Default,
            delay: Draw::Default,
            weight_recorder: None,
            params: Vec::new(),
        }
    }
}

/// A connect call's `scheme` key: a scheme, on a plastic synapse model.
fn read_scheme(v: &ParamValue, model: &ModelInfo) -> Result<Scheme, ApiError> {
    let bad = |why: String| ApiError::new(ErrorKind::BadProperty, "syn_spec.scheme", why);
    if !matches!(model.name, "clopath_synapse" | "urbanczik_synapse") {
        return Err(bad(format!(
            "{} has no update scheme: only plastic synapses (clopath_synapse, urbanczik_synapse) take one",
            model.name
        )));
    }
    match v {
        ParamValue::Str(s) => match SchemeSetting::parse(s) {
            Some(SchemeSetting::Fixed(x)) => Ok(x),
            _ => Err(bad(format!(
                "'{s}' is not a scheme (event, compressed, time; leave it out for the kernel's)"
            ))),
        },
        other => Err(bad(format!("expected a string, found {other:?}"))),
    }
}

/// How the kernel is used beyond NEST's settings.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Keep every connection and the Poisson trains (for the network dump).
    pub keep_trains: bool,
    /// Validate and count connections without storing them (`evplast check`).
    pub validate_only: bool,
    /// Refuse what would not fit this memory; `None` checks nothing.
    pub memory_available: Option<Available>,
    /// The network is built once and never grows (model files, the benchmark): archives then
    /// free history entries as soon as their synapses have read them. Otherwise they keep the
    /// last `max_delay` of it for synapses connected between runs (see `History::set_keep`).
    pub built_once: bool,
}

/// One `Create` call.
#[derive(Clone, Debug)]
pub struct Created {
    /// The model name as the caller gave it (a `CopyModel` name included).
    pub model: String,
    pub first: NodeId,
    pub n: usize,
    /// Each node's parameters as given (defaults of a copied model beneath, distributions
    /// drawn).
    pub params: Vec<ParamMap>,
}

/// One `Connect` call's synapse part.
#[derive(Clone, Debug)]
pub struct Projection {
    pub synapse_model: String,
    pub params: ParamMap,
    pub weight_recorder: Option<NodeId>,
}

/// A model made by `CopyModel`, or a built-in model whose defaults `SetDefaults` changed.
#[derive(Clone)]
struct UserModel {
    base: &'static ModelInfo,
    defaults: ParamMap,
    weight_recorder: Option<NodeId>,
}

/// NEST's kernel: settings, models, the network described so far and, after `prepare`, the
/// built network.
pub struct Kernel {
    cfg: KernelConfig,
    opts: Options,
    models: HashMap<String, UserModel>,
    builder: Option<NetworkBuilder>,
    sim: Option<Simulation>,
    creates: Vec<Created>,
    projections: Vec<Projection>,
    /// `set_status_drawn` calls so far (part of their streams' keys).
    set_calls: u64,
}

/// NEST's `local_num_threads`: 1 to [`evplast_kernel::limits::MAX_THREADS`].
pub fn check_threads(n: i64) -> Result<u32, ApiError> {
    let max = evplast_kernel::limits::MAX_THREADS;
    if n < 1 || n as u64 > max {
        return Err(ApiError::new(
            ErrorKind::BadProperty,
            "local_num_threads",
            format!(
                "{n} threads: must be 1 to {max} (shard numbers are 16-bit; no machine has more cores)"
            ),
        ));
    }
    Ok(n as u32)
}

impl Kernel {
    /// An empty kernel with settings `cfg`.
    pub fn new(cfg: KernelConfig, opts: Options) -> Result<Self, ApiError> {
        check_threads(cfg.local_num_threads as i64)?;
        let mut b =
            NetworkBuilder::new(cfg.clone()).map_err(|e| ApiError::build("resolution", e))?;
        b.keep_generated_trains(opts.keep_trains);
        b.keep_history_for_growth(!opts.built_once);
        if opts.validate_only {
            b.validate_only();
        }
        Ok(Self {
            cfg,
            opts,
            models: HashMap::new(),
            builder: Some(b),
            sim: None,
            creates: Vec::new(),
            projections: Vec::new(),
            set_calls: 0,
        })
    }

    pub fn config(&self) -> &KernelConfig {
        &self.cfg
    }

    pub fn resolution(&self) -> Resolution {
        Resolution::new(self.cfg.resolution).expect("checked in new")
    }

    /// The `Create` calls so far.
    pub fn creates(&self) -> &[Created] {
        &self.creates
    }

    /// The `Connect` calls so far (synapse parts).
    pub fn projections(&self) -> &[Projection] {
        &self.projections
    }

    /// Nodes created so far.
    pub fn n_nodes(&self) -> usize {
        self.creates
            .last()
            .map_or(0, |c| (c.first.0 as usize) + c.n - 1)
    }

    fn builder(&mut self, _what: &str) -> Result<&mut NetworkBuilder, ApiError> {
        self.builder.as_mut().ok_or_else(|| {
            ApiError::new(
                ErrorKind::KernelException,
                "",
                "the network was given away (into_simulation)",
            )
        })
    }

    /// True if node `id` is part of the built network (not created since the last build or
    /// growth).
    fn is_built(&self, id: NodeId) -> bool {
        self.sim
            .as_ref()
            .is_some_and(|s| id.0 as usize <= s.network.n_nodes)
    }

    /// Every connection made so far, device and recorder links included (NEST's
    /// `num_connections`), before and after the build.
    pub fn num_connections(&self) -> u64 {
        match (&self.builder, &self.sim) {
            (Some(b), _) => b.n_connections(),
            (None, Some(s)) => s.n_connections,
            (None, None) => 0,
        }
    }

    /// The draws of one `SetStatus` call with random values: `params` drawn for `key` (a node
    /// id, or a connection's place in the call) from a stream of its own, keyed by the call.
    fn set_draws(&mut self) -> impl Fn(&[(String, Param)], u64) -> ParamMap {
        let call = self.set_calls;
        self.set_calls += 1;
        let seed = self.cfg.rng_seed;
        move |params, key| {
            draw_map(
                params,
                &mut rng::stream(seed, domain::SET_STATUS, (call << 32) ^ key),
            )
        }
    }

    /// NEST's `SetStatus` of several nodes with one dictionary whose values may be
    /// distributions: each node draws its own values from a stream keyed by its id and by the
    /// number of such calls so far, never by worker. Stops at the first node that refuses.
    pub fn set_status_drawn(
        &mut self,
        ids: &[NodeId],
        params: &[(String, Param)],
    ) -> Result<(), ApiError> {
        let draw = self.set_draws();
        for &id in ids {
            self.set_status(id, &draw(params, id.0 as u64))?;
        }
        Ok(())
    }

    /// NEST's `SetStatus` of connections (handles from [`Kernel::connections`]) with one
    /// dictionary whose values may be distributions, drawn per connection from a stream keyed
    /// by the call and the connection's place in `handles`. Stops at the first refusal.
    pub fn set_connection_status_drawn(
        &mut self,
        handles: &[u64],
        params: &[(String, Param)],
    ) -> Result<(), ApiError> {
        let draw = self.set_draws();
        for (n, &h) in handles.iter().enumerate() {
            self.set_connection_status(h, &draw(params, n as u64))?;
        }
        Ok(())
    }

    /// Counts, delays and memory of what was created and connected so far.
    pub fn summary(&self) -> Option<Summary> {
        self.builder.as_ref().map(|b| b.summary())
    }

    /// The memory the network described so far needs.
    pub fn memory_estimate(&self) -> Option<MemoryEstimate> {
        self.builder.as_ref().map(|b| b.memory_estimate())
    }

    /// The built-in model behind `name` (a built-in name or a `CopyModel` name), with the
    /// user's defaults if any.
    fn resolve(&self, name: &str) -> Result<(&'static ModelInfo, Option<&UserModel>), BuildError> {
        match self.models.get(name) {
            Some(u) => Ok((u.base, Some(u))),
            None => Ok((registry::find(name)?, None)),
        }
    }

    /// Every model name: built-in ones and copies.
    pub fn model_names(&self, kind: impl Fn(ModelKind) -> bool) -> Vec<String> {
        let mut names: Vec<String> = registry::MODELS
            .iter()
            .filter(|m| kind(m.kind))
            .map(|m| m.name.to_string())
            .collect();
        names.extend(
            self.models
                .iter()
                .filter(|(n, u)| kind(u.base.kind) && registry::find(n).is_err())
                .map(|(n, _)| n.clone()),
        );
        names.sort();
        names
    }

    /// NEST's `CopyModel(old, new, params)`.
    pub fn copy_model(&mut self, old: &str, new: &str, params: &ParamMap) -> Result<(), ApiError> {
        let (base, user) = self.resolve(old).map_err(|e| ApiError::build("old", e))?;
        if registry::find(new).is_ok() || self.models.contains_key(new) {
            return Err(ApiError::new(
                ErrorKind::BadParameter,
                "new",
                format!("model name '{}' is already in use", shorten(new)),
            ));
        }
        let mut u = user.cloned().unwrap_or(UserModel {
            base,
            defaults: ParamMap::new(),
            weight_recorder: None,
        });
        self.merge_defaults(&mut u, params)?;
        self.models.insert(new.to_string(), u);
        Ok(())
    }

    /// NEST's `SetDefaults(model, params)`: later `Create`/`Connect` calls take them.
    pub fn set_defaults(&mut self, model: &str, params: &ParamMap) -> Result<(), ApiError> {
        let (base, user) = self
            .resolve(model)
            .map_err(|e| ApiError::build("model", e))?;
        let mut u = user.cloned().unwrap_or(UserModel {
            base,
            defaults: ParamMap::new(),
            weight_recorder: None,
        });
        self.merge_defaults(&mut u, params)?;
        self.models.insert(model.to_string(), u);
        Ok(())
    }

    /// The user's defaults of `model` (not the built-in ones), and its weight recorder.
    pub fn user_defaults(&self, model: &str) -> Option<(&ParamMap, Option<NodeId>)> {
        self.models
            .get(model)
            .map(|u| (&u.defaults, u.weight_recorder))
    }

    /// Validates `params` as defaults of `u` and merges them in.
    fn merge_defaults(&self, u: &mut UserModel, params: &ParamMap) -> Result<(), ApiError> {
        let mut merged = u.defaults.clone();
        let mut wr = u.weight_recorder;
        for (k, v) in params {
            if k == "weight_recorder" && u.base.kind == ModelKind::Synapse {
                wr = Some(self.weight_recorder_node(v)?);
            } else {
                merged.insert(k.clone(), v.clone());
            }
        }
        // Validate now, as NEST does: nodes by parsing, synapses by the builder's checks.
        match u.base.kind {
            ModelKind::Synapse => {
                let mut p = merged.clone();
                p.remove("weight");
                p.remove("delay");
                p.remove("receptor_type");
                registry::check_synapse_params(u.base, &p)
                    .map_err(|e| ApiError::build("params", e))?;
                for key in ["weight", "delay"] {
                    if let Some(v) = merged.get(key) {
                        if !matches!(v, ParamValue::Num(x) if x.is_finite()) {
                            return Err(ApiError::new(
                                ErrorKind::BadProperty,
                                &format!("params.{key}"),
                                format!("{v} is not a finite number"),
                            ));
                        }
                    }
                }
            }
            _ => {
                registry::parse_node(u.base, &merged, self.resolution())
                    .map_err(|e| ApiError::build("params", e))?;
            }
        }
        u.defaults = merged;
        u.weight_recorder = wr;
        Ok(())
    }

    fn weight_recorder_node(&self, v: &ParamValue) -> Result<NodeId, ApiError> {
        let bad = |why: String| ApiError::new(ErrorKind::BadProperty, "weight_recorder", why);
        let ParamValue::Num(x) = v else {
            return Err(bad(format!("{v} is not a node id")));
        };
        let id = *x as u64;
        if *x != id as f64 || id == 0 || id > self.n_nodes() as u64 {
            return Err(bad(format!("{} is not a node id", fmt_num(*x))));
        }
        let id = NodeId(id as u32);
        match self.model_of(id) {
            Some(m) if m.name == "weight_recorder" => Ok(id),
            m => Err(bad(format!(
                "node {id} is a {}, not a weight_recorder",
                m.map_or("?", |m| m.name)
            ))),
        }
    }

    /// The built-in model of node `id`.
    pub fn model_of(&self, id: NodeId) -> Option<&'static ModelInfo> {
        let c = self.creates.get(self.create_of(id)?)?;
        self.resolve(&c.model).ok().map(|(m, _)| m)
    }

    /// Index of the `Create` call that made node `id`.
    pub fn create_of(&self, id: NodeId) -> Option<usize> {
        if id.0 == 0 || id.0 as usize > self.n_nodes() {
            return None;
        }
        Some(self.creates.partition_point(|c| c.first <= id) - 1)
    }

    /// NEST's `Create(model, n, params)`: returns the first node id (ids are consecutive).
    pub fn create(
        &mut self,
        model: &str,
        n: u64,
        params: NodeParamSpec<'_>,
    ) -> Result<NodeId, ApiError> {
        let (info, user) = self
            .resolve(model)
            .map_err(|e| ApiError::build("model", e))?;
        let defaults = user.map(|u| u.defaults.clone());
        let seed = self.cfg.rng_seed;
        let avail = self.opts.memory_available.clone();
        let n_nodes = self.n_nodes() as u64;
        let b = self.builder("Create")?;
        if !(1..=MAX_NODES).contains(&n) {
            return Err(ApiError::new(
                ErrorKind::BadParameter,
                "n",
                format!(
                    "{n} must be >= 1 and at most {MAX_NODES}, the most nodes a network holds (node ids are 32-bit)"
                ),
            ));
        }
        b.check_create(info, n).map_err(|e| ApiError {
            field: "n".into(),
            ..ApiError::build("n", e)
        })?;
        if let NodeParamSpec::PerNode(items) = params {
            if items.len() as u64 != n {
                return Err(ApiError::new(
                    ErrorKind::BadParameter,
                    "params",
                    format!(
                        "has {} tables but n = {n}: give one table per node",
                        items.len()
                    ),
                ));
            }
        }
        let n = n as usize;
        let first_id = n_nodes + 1;
        // Room for n parameter maps, after checking that n nodes fit in memory (the first
        // node's map stands for all: drawn values change no sizes).
        let draw = |i: usize| -> ParamMap {
            let mut r = rng::stream(seed, domain::NODE_PARAMS, first_id + i as u64);
            let mut m = match params {
                NodeParamSpec::None => ParamMap::new(),
                NodeParamSpec::Same(t) => draw_map(t, &mut r),
                NodeParamSpec::PerNode(items) => draw_map(&items[i], &mut r),
            };
            if let Some(d) = &defaults {
                for (k, v) in d {
                    m.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            m
        };
        let first = draw(0);
        let each = b.node_bytes(info)
            + match params {
                NodeParamSpec::None if defaults.is_none() => 0,
                _ => memory::param_map_bytes(&first),
            };
        let mut need = b.memory_estimate();
        need.nodes = need.nodes.saturating_add((n as u64).saturating_mul(each));
        need.input_buffers = need
            .input_buffers
            .saturating_add((n as u64).saturating_mul(b.channel_bytes(info)));
        memory::check_fits(
            &format!("the network with these {n} {model} nodes"),
            need,
            avail.as_ref(),
        )
        .map_err(|e| ApiError {
            field: "n".into(),
            message: e.to_string(),
            ..ApiError::build("n", e)
        })?;
        let mut all = Vec::new();
        all.try_reserve_exact(n).map_err(|_| {
            ApiError::new(
                ErrorKind::KernelException,
                "n",
                format!("out of memory for the parameters of {n} nodes"),
            )
        })?;
        all.push(first);
        for i in 1..n {
            all.push(draw(i));
        }
        let first = b.create(info.name, &all).map_err(|e| {
            let at = match &e {
                BuildError::UnknownModel { .. } => "model",
                BuildError::Limit(_) | BuildError::Kernel(_) => "n",
                _ => "params",
            };
            ApiError::build(at, e)
        })?;
        self.creates.push(Created {
            model: model.to_string(),
            first,
            n,
            params: all,
        });
        Ok(first)
    }

    /// Checks that `ids` are existing nodes in ascending order without repeats.
    fn check_nodes(&self, ids: &[NodeId], at: &str) -> Result<(), ApiError> {
        let n = self.n_nodes();
        if let Some(bad) = ids.iter().find(|i| i.0 == 0 || i.0 as usize > n) {
            return Err(ApiError::new(
                ErrorKind::UnknownNode,
                at,
                format!("node {bad} does not exist ({n} nodes were created)"),
            ));
        }
        if ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ApiError::new(
                ErrorKind::BadParameter,
                at,
                "node ids must be ascending without repeats (as in a NodeCollection)",
            ));
        }
        Ok(())
    }

    /// NEST's `Connect(pre, post, conn_spec, syn_spec)`. `pre` and `post` are ascending.
    pub fn connect(
        &mut self,
        pre: &[NodeId],
        post: &[NodeId],
        conn: &ConnSpec,
        syn: &SynapseSpec,
    ) -> Result<(), ApiError> {
        self.builder("Connect")?;
        self.check_nodes(pre, "pre")?;
        self.check_nodes(post, "post")?;
        let ci = self.projections.len();
        let seed = self.cfg.rng_seed;
        let (syn_info, user) = self
            .resolve(&syn.synapse_model)
            .map_err(|e| ApiError::build("syn_spec", e))?;
        let (defaults, default_wr) = user.map_or((ParamMap::new(), None), |u| {
            (u.defaults.clone(), u.weight_recorder)
        });

        // The synapse's parameters, drawn in the caller's order; then the model's defaults.
        let mut spec = SynSpec {
            synapse_model: syn_info.name.to_string(),
            tag: ci as u32,
            weight_recorder: syn.weight_recorder.or(default_wr),
            ..SynSpec::default()
        };
        let mut prng = rng::stream(seed, domain::SYNAPSE_PARAMS, u64::MAX - ci as u64);
        for (k, p) in &syn.params {
            let v = p.draw(&mut prng);
            if k == "receptor_type" {
                spec.receptor_type = Some(v);
            } else if k == "scheme" {
                // evplast's own key: this call's update scheme (docs/SCHEMES.md).
                spec.scheme = Some(read_scheme(&v, syn_info)?);
            } else {
                spec.params.insert(k.clone(), v);
            }
        }
        let mut weight = syn.weight.clone();
        let mut delay = syn.delay.clone();
        for (k, v) in &defaults {
            match (k.as_str(), v) {
                ("weight", ParamValue::Num(x)) if matches!(weight, Draw::Default) => {
                    weight = Draw::Fixed(*x)
                }
                ("delay", ParamValue::Num(x)) if matches!(delay, Draw::Default) => {
                    delay = Draw::Fixed(*x)
                }
                ("weight" | "delay", _) => {}
                ("receptor_type", _) => {
                    spec.receptor_type.get_or_insert_with(|| v.clone());
                }
                _ => {
                    spec.params.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        for (key, d) in [("weight", &weight), ("delay", &delay)] {
            let bad = match d {
                Draw::Fixed(x) if !x.is_finite() => Some(*x),
                Draw::Array(a) => a.iter().copied().find(|x| !x.is_finite()),
                _ => None,
            };
            if let Some(x) = bad {
                return Err(ApiError::new(
                    ErrorKind::BadProperty,
                    &format!("syn_spec.{key}"),
                    format!("{} is not a finite number", fmt_num(x)),
                ));
            }
        }

        let (autapses, multapses) = (conn.allow_autapses, conn.allow_multapses);
        let count = conn.count.as_ref().map(|(k, v)| (k.as_str(), *v));
        let rule = Rule::read(&conn.rule, count, pre, post, autapses, multapses)?;

        // Count, then check the limits before drawing anything.
        let (n, n_at) = rule.count(pre, post, autapses);
        let src = self.model_of(pre[0]).expect("checked");
        let tgt = self.model_of(post[0]).expect("checked");
        let avail = self.opts.memory_available.clone();
        for (key, d) in [("weight", &weight), ("delay", &delay)] {
            if let Draw::Array(a) = d {
                if !matches!(rule, Rule::PairwiseBernoulli(_)) && a.len() as u64 != n {
                    return Err(ApiError::new(
                        ErrorKind::BadParameter,
                        &format!("syn_spec.{key}"),
                        format!(
                            "has {} values for the {n} connections this rule makes",
                            a.len()
                        ),
                    ));
                }
                if matches!(rule, Rule::PairwiseBernoulli(_)) {
                    return Err(ApiError::new(
                        ErrorKind::BadParameter,
                        &format!("syn_spec.{key}"),
                        "an array of values needs a rule that fixes the number of connections (not pairwise_bernoulli)",
                    ));
                }
            }
        }
        let b = self.builder.as_mut().expect("checked");
        b.check_connections(n).map_err(|e| ApiError {
            field: n_at.into(),
            ..ApiError::build(n_at, e)
        })?;
        let mut need = b.memory_estimate();
        need.synapses = need
            .synapses
            .saturating_add(b.connection_bytes(syn_info.name, src, tgt, n))
            .saturating_add(rule.scratch_bytes(n, multapses));
        memory::check_fits(
            &format!("the network with these {n} connections"),
            need,
            avail.as_ref(),
        )
        .map_err(|e| ApiError {
            field: n_at.into(),
            ..ApiError::build(n_at, e)
        })?;
        b.expect_connections(n, post);

        let mut sink = Sink {
            b,
            spec: &spec,
            weight: &weight,
            delay: &delay,
            rng: rng::stream(seed, domain::SYNAPSE_PARAMS, ci as u64),
            buf: Vec::new(),
            k: 0,
        };
        let mut crng = rng::stream(seed, domain::CONNECT, ci as u64);
        rule.expand(pre, post, autapses, multapses, &mut crng, &mut |s, t| {
            sink.push(s, t)
        })?;
        sink.flush()?;
        self.projections.push(Projection {
            synapse_model: syn.synapse_model.clone(),
            params: spec.params.clone(),
            weight_recorder: spec.weight_recorder,
        });
        Ok(())
    }

    /// Builds the network (NEST's `Prepare`); later calls lay out what was created and
    /// connected since (between runs, as NEST allows), keeping the state of the rest.
    pub fn prepare(&mut self) -> Result<(), ApiError> {
        let b = self.builder.as_mut().ok_or_else(|| {
            ApiError::new(ErrorKind::KernelException, "", "the network was given away")
        })?;
        match &mut self.sim {
            None => self.sim = Some(b.build_kept().map_err(|e| ApiError::build("", e))?),
            Some(sim) if b.has_pending() => b.grow(sim).map_err(|e| ApiError::build("", e))?,
            Some(_) => {}
        }
        Ok(())
    }

    /// The built network (after [`Kernel::prepare`]).
    pub fn simulation(&self) -> Option<&Simulation> {
        self.sim.as_ref()
    }

    pub fn simulation_mut(&mut self) -> Option<&mut Simulation> {
        self.sim.as_mut()
    }

    /// Builds the network and hands it over (the CLI runs it itself, with checkpoints).
    pub fn into_simulation(mut self) -> Result<Simulation, ApiError> {
        self.prepare()?;
        self.builder = None;
        Ok(self.sim.take().expect("prepared"))
    }

    /// `t` ms as a whole number of steps that a run may take from now: on the grid, and within
    /// the longest run ([`MAX_RUN_STEPS`]: synapses keep spike times in 32 bits).
    pub fn steps_for(&self, t: f64, now: i64) -> Result<i64, ApiError> {
        let res = self.resolution();
        let bad = |m: String| ApiError::new(ErrorKind::BadParameter, "t", m);
        if !t.is_finite() || t < 0.0 {
            return Err(bad(format!(
                "{} must be a finite time >= 0 (ms)",
                fmt_num(t)
            )));
        }
        let left = MAX_RUN_STEPS - now;
        let too_long = || {
            bad(format!(
                "{} ms is more than the {left} steps left of the longest run ({MAX_RUN_STEPS} steps, 2^31 − 1, {} ms at resolution {} ms): synapses keep spike times in 32 bits",
                fmt_num(t),
                res.ms_exact(MAX_RUN_STEPS),
                res.h()
            ))
        };
        if t / res.h() > left as f64 + 0.5 {
            return Err(too_long());
        }
        let steps = res.on_grid(t).ok_or_else(|| {
            bad(format!(
                "{} is not a multiple of the resolution {}",
                fmt_num(t),
                res.h()
            ))
        })?;
        if steps > left {
            return Err(too_long());
        }
        Ok(steps)
    }
}

/// The upper 32 bits that mark a device or recorder link in a connection handle; a synapse's
/// handle is `shard << 48 | table << 32 | row` (shards and tables fit 16 bits).
const DEVICE_LINK: u64 = u32::MAX as u64;

/// Recorded events of one recorder, as columns (NEST's `events` dictionary).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Events {
    pub senders: Vec<i64>,
    pub targets: Vec<i64>,
    /// Time stamps in ms (NEST's `times`).
    pub times: Vec<f64>,
    /// The same as whole steps (NEST's `times` with `time_in_steps`).
    pub stamps: Vec<i64>,
    pub weights: Vec<f64>,
    /// Multimeter columns by recordable name.
    pub values: Vec<(String, Vec<f64>)>,
}

/// `GetConnections`' result as columns, in a stable order (source, target, then creation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Connections {
    pub source: Vec<u32>,
    pub target: Vec<u32>,
    pub weight: Vec<f64>,
    pub delay: Vec<f64>,
    pub synapse_model: Vec<&'static str>,
    /// A handle per connection for [`Kernel::connection_status`] (table << 32 | row).
    pub handle: Vec<u64>,
}

impl Kernel {
    /// Keys every node's status carries beside the model's own.
    fn common_status(&self, id: NodeId, c: &Created, info: &ModelInfo, out: &mut ParamMap) {
        out.insert("global_id".into(), ParamValue::Num(id.0 as f64));
        out.insert("model".into(), ParamValue::Str(c.model.clone()));
        out.insert(
            "element_type".into(),
            ParamValue::Str(
                match info.kind {
                    ModelKind::Neuron => "neuron",
                    ModelKind::Generator => "stimulator",
                    ModelKind::Recorder => "recorder",
                    ModelKind::Synapse => "synapse",
                }
                .into(),
            ),
        );
        out.insert("local".into(), ParamValue::Bool(true));
        if !info.recordables.is_empty() {
            out.insert(
                "recordables".into(),
                ParamValue::Array(
                    info.recordables
                        .iter()
                        .map(|r| ParamValue::Str(r.to_string()))
                        .collect(),
                ),
            );
        }
        if info.kind == ModelKind::Recorder {
            let n = match self.events(id) {
                Ok(e) => e.times.len(),
                Err(_) => 0,
            };
            out.insert("n_events".into(), ParamValue::Num(n as f64));
        }
    }

    fn unknown_node(id: NodeId, n: usize) -> ApiError {
        ApiError::new(
            ErrorKind::UnknownNode,
            "nodes",
            format!("node {id} does not exist ({n} nodes were created)"),
        )
    }

    /// NEST's `GetStatus` of node `id`: parameters, state and NEST's common keys.
    pub fn get_status(&self, id: NodeId) -> Result<ParamMap, ApiError> {
        let c = self
            .create_of(id)
            .ok_or_else(|| Self::unknown_node(id, self.n_nodes()))?;
        let created = &self.creates[c];
        let info = self.model_of(id).expect("exists");
        let local = (id.0 - created.first.0) as usize;
        let built = self.is_built(id);
        let place = self
            .sim
            .as_ref()
            .filter(|_| built)
            .and_then(|sim| Some((sim, *sim.places_of(id).first()?)));
        let mut out = match place {
            Some((sim, (k, p, i))) => {
                let mut m = ParamMap::new();
                sim.network.shards[k].populations[p].get_status(i, &mut m);
                m
            }
            _ => evplast_models::builder::status::status_of_params(
                info,
                &created.params[local],
                self.resolution(),
            )
            .map_err(|e| ApiError::build("nodes", e))?,
        };
        self.common_status(id, created, info, &mut out);
        Ok(out)
    }

    /// NEST's `SetStatus` of node `id`: validated first (a refusal changes nothing), then
    /// applied; between runs it takes effect from the current time on.
    pub fn set_status(&mut self, id: NodeId, p: &ParamMap) -> Result<(), ApiError> {
        let c = self
            .create_of(id)
            .ok_or_else(|| Self::unknown_node(id, self.n_nodes()))?;
        let info = self.model_of(id).expect("exists");
        let local = (id.0 - self.creates[c].first.0) as usize;
        let res = self.resolution();
        // Keys NEST reports but that are not the model's to set.
        for k in [
            "global_id",
            "model",
            "element_type",
            "local",
            "recordables",
            "n_events",
        ] {
            if p.contains_key(k) {
                return Err(ApiError::new(
                    ErrorKind::BadProperty,
                    &format!("params.{k}"),
                    format!("'{k}' is read-only"),
                ));
            }
        }
        let built = self.is_built(id);
        if info.kind == ModelKind::Recorder && built {
            return self.set_recorder(id, c, local, info, p);
        }
        match self.sim.as_mut() {
            Some(sim) if built => {
                let ctx = evplast_kernel::network::StatusCtx {
                    res,
                    now: sim.network.now,
                };
                // Every copy (a generator that sends directly has one per shard); they hold
                // the same values, so the first refuses what all would.
                for (k, pi, i) in sim.places_of(id) {
                    sim.network.shards[k].populations[pi]
                        .set_status(i, p, &ctx)
                        .map_err(|e| ApiError::build("params", e))?;
                }
                let given = std::mem::take(&mut self.creates[c].params[local]);
                self.creates[c].params[local] = merged(given, p);
            }
            _ => {
                // Not built yet: the merged parameters replace the node's in the builder.
                let merged = merged(self.creates[c].params[local].clone(), p);
                let b = self.builder("SetStatus")?;
                b.set_node_params(id, &merged)
                    .map_err(|e| ApiError::build("params", e))?;
                self.creates[c].params[local] = merged;
            }
        }
        Ok(())
    }

    /// A recorder's `SetStatus` after the build: its window and settings change from now on
    /// (events recorded so far stay); `record_from` and `interval` are fixed by then.
    fn set_recorder(
        &mut self,
        id: NodeId,
        c: usize,
        local: usize,
        info: &'static ModelInfo,
        p: &ParamMap,
    ) -> Result<(), ApiError> {
        for k in ["record_from", "interval"] {
            if p.contains_key(k) {
                return Err(ApiError::new(
                    ErrorKind::BadProperty,
                    &format!("params.{k}"),
                    format!("{}'s '{k}' cannot change after the network is built (by Simulate or Prepare)", info.name),
                ));
            }
        }
        let merged = merged(self.creates[c].params[local].clone(), p);
        let parsed = registry::parse_node(info, &merged, self.resolution())
            .map_err(|e| ApiError::build("params", e))?;
        let bounds = match &parsed {
            registry::NodeParams::SpikeRecorder(r) | registry::NodeParams::WeightRecorder(r) => {
                r.bounds()
            }
            registry::NodeParams::Multimeter(m) => m.recording.bounds(),
            _ => unreachable!("a recorder"),
        };
        self.drain_samples();
        let sim = self.sim.as_mut().expect("built");
        let find =
            |list: &[(NodeId, u32)]| list.iter().find(|(n, _)| *n == id).map(|x| x.1 as usize);
        if let Some(i) = find(&sim.recorders.spike_recorders) {
            sim.network.spike_recording.windows[i] = bounds;
        } else if let Some(i) = find(&sim.recorders.multimeters) {
            sim.network.multimeters[i].window = bounds;
        } else if let Some(i) = find(&sim.recorders.weight_recorders) {
            sim.network.weight_windows[i] = bounds;
        }
        self.creates[c].params[local] = merged;
        Ok(())
    }

    /// NEST's `GetDefaults(model)`: the status of a node made with the model's defaults, with
    /// `receptor_types` and `recordables`; for a synapse model its parameters.
    pub fn defaults(&self, model: &str) -> Result<ParamMap, ApiError> {
        let (info, user) = self
            .resolve(model)
            .map_err(|e| ApiError::build("model", e))?;
        let given = user.map(|u| u.defaults.clone()).unwrap_or_default();
        let mut out = if info.kind == ModelKind::Synapse {
            let mut m = merged(evplast_models::registry::synapse_defaults(info), &given);
            if let Some(wr) = user.and_then(|u| u.weight_recorder) {
                m.insert("weight_recorder".into(), ParamValue::Num(wr.0 as f64));
            }
            m
        } else {
            evplast_models::builder::status::status_of_params(info, &given, self.resolution())
                .map_err(|e| ApiError::build("model", e))?
        };
        out.insert("model".into(), ParamValue::Str(model.to_string()));
        if info.kind != ModelKind::Synapse {
            let created = Created {
                model: model.to_string(),
                first: NodeId(0),
                n: 0,
                params: Vec::new(),
            };
            let mut common = ParamMap::new();
            self.common_status(NodeId(0), &created, info, &mut common);
            common.remove("global_id");
            common.remove("local");
            out.extend(common);
            let mut receptors = ParamMap::new();
            for (num, name, _) in info.spike_receptors.iter().chain(info.current_receptors) {
                receptors.insert(name.to_string(), ParamValue::Num(*num as f64));
            }
            if !receptors.is_empty() {
                out.insert("receptor_types".into(), ParamValue::Table(receptors));
            }
        }
        Ok(out)
    }

    /// Simulated time in ms (NEST's `biological_time`).
    pub fn biological_time(&self) -> f64 {
        let now = self.sim.as_ref().map_or(0, |s| s.network.now);
        self.resolution().ms(now)
    }

    /// NEST's `Simulate(t)`: builds the network on the first call, then runs `t` ms more;
    /// `progress` is called after every `min_delay` slice and may stop the run there (the
    /// network stays consistent: a later call goes on as if it had not stopped).
    pub fn simulate(
        &mut self,
        t: f64,
        progress: &mut dyn FnMut(i64) -> std::ops::ControlFlow<()>,
    ) -> Result<(), ApiError> {
        let now = self.sim.as_ref().map_or(0, |s| s.network.now);
        let steps = self.steps_for(t, now)?;
        self.prepare()?;
        let sim = self.sim.as_mut().expect("prepared");
        sim.network.simulate(steps, progress).map_err(|e| ApiError {
            kind: ErrorKind::NumericalInstability,
            at: String::new(),
            field: String::new(),
            message: e.to_string(),
            build: None,
        })
    }

    /// NEST's `GetConnections(source, target, synapse_model)`; builds the network first.
    pub fn connections(
        &mut self,
        source: Option<&[NodeId]>,
        target: Option<&[NodeId]>,
        synapse_model: Option<&str>,
    ) -> Result<Connections, ApiError> {
        let model = match synapse_model {
            Some(m) => Some(
                self.resolve(m)
                    .map_err(|e| ApiError::build("synapse_model", e))?
                    .0
                    .name,
            ),
            None => None,
        };
        self.prepare()?;
        let sim = self.sim.as_ref().expect("prepared");
        let net = &sim.network;
        let mut rows: Vec<(u32, u32, u64, f64, f64, &'static str)> = Vec::new();
        // A connection passes the source and target filters, and goes in with its handle.
        let mut keep =
            |c: &evplast_kernel::network::ConnectionInfo, handle: u64, model: &'static str| {
                if source.is_none_or(|s| s.binary_search(&c.source).is_ok())
                    && target.is_none_or(|s| s.binary_search(&c.target).is_ok())
                {
                    rows.push((c.source.0, c.target.0, handle, c.weight, c.delay_ms, model));
                }
            };
        let mut buf = Vec::new();
        for (si, sh) in net.shards.iter().enumerate() {
            for (ti, t) in sh.synapses.iter().enumerate() {
                if model.is_some_and(|m| m != t.model()) {
                    continue;
                }
                buf.clear();
                t.connections(net.res, &sh.channel_owner, 0..u32::MAX, &mut buf);
                for (r, c) in buf.iter().enumerate() {
                    keep(
                        c,
                        (si as u64) << 48 | (ti as u64) << 32 | r as u64,
                        t.model(),
                    );
                }
            }
        }
        // Device and recorder links (NEST lists them too): static_synapse, read-only handles.
        if model.is_none_or(|m| m == "static_synapse") {
            for (i, c) in sim.device_links.iter().enumerate() {
                keep(c, DEVICE_LINK << 32 | i as u64, "static_synapse");
            }
        }
        rows.sort_by_key(|r| (r.0, r.1, r.2));
        let mut out = Connections::default();
        for (s, t, h, w, d, m) in rows {
            out.source.push(s);
            out.target.push(t);
            out.handle.push(h);
            out.weight.push(w);
            out.delay.push(d);
            out.synapse_model.push(m);
        }
        Ok(out)
    }

    /// The status of a device or recorder link (handle from [`Kernel::connections`]).
    fn device_link(&self, handle: u64) -> Option<ParamMap> {
        if handle >> 32 != DEVICE_LINK {
            return None;
        }
        let c = self
            .sim
            .as_ref()?
            .device_links
            .get((handle & 0xFFFF_FFFF) as usize)?;
        let mut m = ParamMap::new();
        m.insert("weight".into(), ParamValue::Num(c.weight));
        m.insert("delay".into(), ParamValue::Num(c.delay_ms));
        m.insert(
            "synapse_model".into(),
            ParamValue::Str("static_synapse".into()),
        );
        Some(m)
    }

    fn table_row(&self, handle: u64) -> Result<(usize, usize, usize), ApiError> {
        let (k, t, r) = (
            (handle >> 48) as usize,
            (handle >> 32 & 0xFFFF) as usize,
            (handle & 0xFFFF_FFFF) as usize,
        );
        let fits = |sim: &Simulation| {
            let sh = sim.network.shards.get(k)?;
            (r < sh.synapses.get(t)?.len()).then_some(())
        };
        match &self.sim {
            Some(sim) if fits(sim).is_some() => Ok((k, t, r)),
            _ => Err(ApiError::new(
                ErrorKind::BadParameter,
                "connection",
                format!("{handle} is not a connection of this network (call GetConnections again after ResetKernel)"),
            )),
        }
    }

    /// NEST's `GetStatus` of one connection (a handle from [`Kernel::connections`]).
    pub fn connection_status(&self, handle: u64) -> Result<ParamMap, ApiError> {
        if let Some(m) = self.device_link(handle) {
            return Ok(m);
        }
        let (k, t, r) = self.table_row(handle)?;
        let net = &self.sim.as_ref().expect("checked").network;
        let table = &net.shards[k].synapses[t];
        let mut m = ParamMap::new();
        table.get_conn(r, net.res, &mut m);
        m.insert(
            "synapse_model".into(),
            ParamValue::Str(table.model().into()),
        );
        Ok(m)
    }

    /// NEST's `SetStatus` of one connection.
    pub fn set_connection_status(&mut self, handle: u64, p: &ParamMap) -> Result<(), ApiError> {
        if self.device_link(handle).is_some() {
            return Err(ApiError::new(
                ErrorKind::BadProperty,
                "params",
                "the connection of a device or recorder cannot change after the network is built \
                 (its weight and delay live in the device): set them in Connect's syn_spec",
            ));
        }
        let (k, t, r) = self.table_row(handle)?;
        let net = &mut self.sim.as_mut().expect("checked").network;
        let mut p = p.clone();
        for k in ["source", "target", "synapse_model"] {
            p.remove(k);
        }
        net.shards[k].synapses[t]
            .set_conn(r, &p, net.res)
            .map_err(|e| ApiError::build("params", e))
    }

    /// The events recorder `id` holds so far (NEST's `events`), in time order.
    pub fn events(&self, id: NodeId) -> Result<Events, ApiError> {
        let info = self
            .model_of(id)
            .ok_or_else(|| Self::unknown_node(id, self.n_nodes()))?;
        let not_recorder = || {
            ApiError::new(
                ErrorKind::BadProperty,
                "events",
                format!(
                    "node {id} is a {}, not a recorder: it has no events",
                    info.name
                ),
            )
        };
        if info.kind != ModelKind::Recorder {
            return Err(not_recorder());
        }
        let mut e = Events::default();
        let Some(sim) = self.sim.as_ref().filter(|_| self.is_built(id)) else {
            if info.name == "multimeter" {
                let c = &self.creates[self.create_of(id).expect("exists")];
                let st = evplast_models::builder::status::status_of_params(
                    info,
                    &c.params[(id.0 - c.first.0) as usize],
                    self.resolution(),
                )
                .map_err(|e| ApiError::build("events", e))?;
                if let Some(ParamValue::Array(f)) = st.get("record_from") {
                    for x in f {
                        if let ParamValue::Str(s) = x {
                            e.values.push((s.clone(), Vec::new()));
                        }
                    }
                }
            }
            return Ok(e);
        };
        let mut e = events_of(sim, id);
        if info.name == "multimeter" {
            // NEST hands a multimeter the samples of a min_delay slice only in the next slice:
            // after a run, samples after the start of the last (aligned) slice are not there yet
            // (tools/nest_check/nest_run.py; measured with NEST 3.10, also for runs that end
            // mid-slice). They appear after the next Simulate.
            let net = &sim.network;
            let visible = ((net.now - 1).max(0) / net.min_delay) * net.min_delay;
            let keep = e.stamps.partition_point(|&s| s <= visible);
            e.senders.truncate(keep);
            e.times.truncate(keep);
            e.stamps.truncate(keep);
            for (_, col) in &mut e.values {
                col.truncate(keep);
            }
        }
        Ok(e)
    }

    /// Moves multimeter samples taken so far to where [`Kernel::events`] reads them.
    pub fn drain_samples(&mut self) {
        if let Some(sim) = &mut self.sim {
            sim.network.drain_samples();
        }
    }

    /// Forgets the events recorder `id` holds (NEST: `n_events = 0`).
    pub fn clear_events(&mut self, id: NodeId) -> Result<(), ApiError> {
        self.events(id)?;
        let Some(sim) = &mut self.sim else {
            return Ok(());
        };
        let find = |list: &[(NodeId, u32)]| list.iter().find(|(n, _)| *n == id).map(|x| x.1);
        if let Some(i) = find(&sim.recorders.spike_recorders) {
            sim.network.spike_recording.clear(i as usize);
        } else if let Some(i) = find(&sim.recorders.multimeters) {
            let d = &mut sim.network.multimeters[i as usize];
            d.senders.clear();
            d.stamps.clear();
            d.values.clear();
        } else if let Some(i) = find(&sim.recorders.weight_recorders) {
            sim.network.weight_records[i as usize].clear();
        }
        Ok(())
    }
}

/// The events recorder `id` of a built network holds, in time order (spikes in the order
/// they were recorded; samples by stamp, then sender; weights by stamp, sender, target).
/// Empty for a node that is not a recorder.
pub fn events_of(sim: &Simulation, id: NodeId) -> Events {
    let mut e = Events::default();
    let net = &sim.network;
    let res = net.res;
    let find = |list: &[(NodeId, u32)]| list.iter().find(|(n, _)| *n == id).map(|x| x.1);
    if let Some(i) = find(&sim.recorders.spike_recorders) {
        for r in &net.spike_recording.events[i as usize] {
            e.senders.push(r.sender.0 as i64);
            e.times.push(res.ms(r.stamp));
            e.stamps.push(r.stamp);
        }
    } else if let Some(i) = find(&sim.recorders.multimeters) {
        let d = &net.multimeters[i as usize];
        let nf = d.fields.len();
        let mut order: Vec<usize> = (0..d.stamps.len()).collect();
        order.sort_by_key(|&k| (d.stamps[k], d.senders[k]));
        e.values = d.fields.iter().map(|f| (f.clone(), Vec::new())).collect();
        for k in order {
            e.senders.push(d.senders[k].0 as i64);
            e.times.push(res.ms(d.stamps[k]));
            e.stamps.push(d.stamps[k]);
            for (f, col) in e.values.iter_mut().enumerate() {
                col.1.push(d.values[k * nf + f]);
            }
        }
    } else if let Some(i) = find(&sim.recorders.weight_recorders) {
        let mut rows = net.weight_records[i as usize].clone();
        rows.sort_by_key(|r| (r.stamp, r.sender, r.target));
        for r in rows {
            e.senders.push(r.sender.0 as i64);
            e.targets.push(r.target.0 as i64);
            e.times.push(res.ms(r.stamp));
            e.stamps.push(r.stamp);
            e.weights.push(r.weight);
        }
    }
    e
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
    /// Connections drawn so far (index into per-connection arrays).
    k: usize,
}

impl Sink<'_> {
    const CHUNK: usize = 1 << 16;

    fn value(d: &Draw, rng: &mut Rng, k: usize) -> Option<f64> {
        match d {
            Draw::Default => None,
            Draw::Fixed(x) => Some(*x),
            Draw::Dist(d) => Some(d.sample(rng)),
            Draw::Array(a) => Some(a[k]),
        }
    }

    fn push(&mut self, source: NodeId, target: NodeId) -> Result<(), ApiError> {
        let weight = Self::value(self.weight, &mut self.rng, self.k);
        let delay = Self::value(self.delay, &mut self.rng, self.k);
        self.k += 1;
        self.buf.push(ConnRequest {
            source,
            target,
            weight,
            delay,
        });
        if self.buf.len() == Self::CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ApiError> {
        let r = self.b.connect(self.spec, &self.buf);
        self.buf.clear();
        r.map_err(|e| {
            let at = if matches!(e, BuildError::Limit(_)) {
                "conn_spec"
            } else {
                "syn_spec"
            };
            ApiError::build(at, e)
        })
    }
}
