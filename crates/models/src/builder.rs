//! Turns created nodes and connections into a kernel network: validates every connection
//! (model compatibility, delays, weight signs, receptors), lays out inputs, archives and
//! synapse tables, and wires the recording devices.

use evplast_kernel::archive::clopath::{ClopathArchive, LtdRing};
use evplast_kernel::archive::compressed::CompressedGroup;
use evplast_kernel::archive::urbanczik::{LearningSignal, UrbanczikArchive};
pub use evplast_kernel::archive::Scheme;
use evplast_kernel::archive::{decay_rate, SchemeSetting};
use evplast_kernel::inputs::ChannelKind;
use evplast_kernel::limits::{self, try_reserve, try_vec};
use evplast_kernel::network::{ConnectionInfo, Network, Population, Shard, StageCounters};
use evplast_kernel::record::{MultimeterData, Samplers, SpikeRecording};
use evplast_kernel::rng::{self, domain};
use evplast_kernel::{KernelError, NodeId, Resolution, Step};

pub mod cost;
pub mod memory;
pub mod status;

use crate::devices::dc_generator::DcGenerator;
use crate::devices::poisson_generator::{DirectTarget, PoissonGenerator};
use crate::devices::spike_generator::SpikeGenerator;
use crate::error::BuildError;
use crate::neurons::aeif_psc_delta_clopath::AeifPscDeltaClopath;
use crate::neurons::hh_psc_alpha_clopath::HhPscAlphaClopath;
use crate::neurons::parrot_neuron::ParrotNeuron;
use crate::neurons::pp_cond_exp_mc_urbanczik::PpCondExpMcUrbanczik;
use crate::params::{ParamMap, ParamValue};
use crate::population::Block;
use crate::registry::{self, Archive, ModelInfo, ModelKind, NodeParams};
use crate::synapses::clopath_synapse::{self, ClopathTable};
use crate::synapses::columns::Collected;
use crate::synapses::static_synapse::{self, StaticTable};
use crate::synapses::urbanczik_synapse::{self, UrbanczikTable};

/// Kernel settings (NEST names).
#[derive(Clone, Debug, PartialEq)]
pub struct KernelConfig {
    pub resolution: f64,
    pub rng_seed: u64,
    pub local_num_threads: u32,
    /// Reproduce NEST 3.10's too-short Clopath LTD buffer (cross-checks only).
    pub nest_ltd_ring: bool,
    /// How plastic synapses read the archives: one scheme, or `auto` (per projection).
    pub scheme: SchemeSetting,
    /// Event and compressed schemes: an archive holding more than `history_horizon / h`
    /// entries is caught up (its lagging synapses or groups brought up to date), in ms.
    pub history_horizon: f64,
    /// This process's rank among `ranks` MPI processes: the run has `ranks ×
    /// local_num_threads` shards, and this process builds only its own `local_num_threads`.
    pub rank: u32,
    pub ranks: u32,
}

impl Default for KernelConfig {
    fn default() -> Self {
        Self {
            resolution: 0.1,
            rng_seed: 1,
            local_num_threads: 1,
            nest_ltd_ring: false,
            scheme: SchemeSetting::Auto,
            history_horizon: 1000.0,
            rank: 0,
            ranks: 1,
        }
    }
}

/// The synapse part of a `Connect` call.
#[derive(Clone, Debug, PartialEq)]
pub struct SynSpec {
    pub synapse_model: String,
    /// Synapse parameters other than weight and delay.
    pub params: ParamMap,
    pub receptor_type: Option<ParamValue>,
    pub weight_recorder: Option<NodeId>,
    /// The caller's name for this call (e.g. the `[[connect]]` index), kept per projection.
    pub tag: u32,
    /// The update scheme of this call's plastic synapses, over the kernel's `scheme`.
    pub scheme: Option<Scheme>,
}

impl Default for SynSpec {
    fn default() -> Self {
        Self {
            synapse_model: "static_synapse".into(),
            params: ParamMap::new(),
            receptor_type: None,
            weight_recorder: None,
            tag: 0,
            scheme: None,
        }
    }
}

/// One connection to make; `None` takes the synapse model's default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnRequest {
    pub source: NodeId,
    pub target: NodeId,
    pub weight: Option<f64>,
    pub delay: Option<f64>,
}

/// What a projection does.
#[derive(Clone, Debug, PartialEq)]
enum Link {
    Static,
    Clopath(clopath_synapse::Params),
    Urbanczik(urbanczik_synapse::Params),
    /// Neuron → spike_recorder.
    RecordSpikes,
    /// Multimeter → neuron.
    Sample,
}

#[derive(Clone, Debug, PartialEq)]
struct Projection {
    link: Link,
    model: &'static str,
    weight_recorder: Option<NodeId>,
    tag: u32,
    /// The scheme the connect call asked for (plastic links).
    scheme: Option<Scheme>,
}

/// What the cost model of `scheme = "auto"` learns of a plastic projection while it is
/// connected — over every connection, also those another process keeps, so every process
/// chooses alike — and the scheme it got when first laid out.
#[derive(Clone, Debug, Default)]
struct Plan {
    synapses: u64,
    targets: u64,
    /// Targets whose archive is sampled (Urbanczik–Senn's spike–spike signal).
    sampled: u64,
    /// Source blocks with their synapse counts.
    sources: Vec<(u32, u64)>,
    scheme: Option<Scheme>,
}

/// A plastic projection's scheme and what the cost model predicted for it, for `stats.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemeChoice {
    /// The connect call's tag.
    pub tag: u32,
    pub synapse_model: &'static str,
    pub synapses: u64,
    pub in_degree: f64,
    /// The sources' rate the model used (Hz), and whether a generator fixed it.
    pub rate_hz: f64,
    pub rate_known: bool,
    pub scheme: Scheme,
    /// `auto` chose (else the kernel's or the call's scheme was given).
    pub chosen: bool,
    /// Predicted seconds per simulated second for all the projection's targets, in the order
    /// event, compressed, time (`cost::SCHEMES`).
    pub predicted_s: [f64; 3],
    /// Predicted counts per simulated second for all its targets, in the same order.
    pub predicted_counts: [cost::Counts; 3],
}

/// A validated connection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conn {
    pub source: NodeId,
    pub target: NodeId,
    pub projection: u32,
    pub weight: f64,
    pub delay: Step,
    /// NEST receptor number at the target (0 for point neurons).
    pub receptor: u32,
    /// Input channel offset of that receptor at the target.
    pub channel_offset: u32,
}

/// Devices that send per-target events straight into a channel.
fn is_direct_source(model: &str) -> bool {
    matches!(
        model,
        "poisson_generator"
            | "inhomogeneous_poisson_generator"
            | "dc_generator"
            | "step_current_generator"
    )
}

/// Devices whose events are currents.
fn is_current_source(model: &str) -> bool {
    matches!(model, "dc_generator" | "step_current_generator")
}

/// Finds `requested` (a number or a NEST receptor name; `None` = 0) among `receptors`.
fn resolve_receptor(
    syn: &str,
    tgt: &ModelInfo,
    receptors: &[(u32, &'static str, u32)],
    requested: Option<&ParamValue>,
    kind: &str,
) -> Result<(u32, u32), BuildError> {
    let found = match requested {
        None => receptors.iter().find(|r| r.0 == 0),
        Some(ParamValue::Num(x)) => receptors.iter().find(|r| r.0 as f64 == *x),
        Some(ParamValue::Str(n)) => receptors.iter().find(|r| !r.1.is_empty() && r.1 == n),
        Some(_) => None,
    };
    match found {
        Some(r) => Ok((r.0, r.2)),
        None => {
            let list: Vec<String> = receptors
                .iter()
                .map(|r| {
                    if r.1.is_empty() {
                        r.0.to_string()
                    } else {
                        format!("{} ({})", r.1, r.0)
                    }
                })
                .collect();
            let shown = requested.map_or("0 (default)".to_string(), |v| v.to_string());
            Err(BuildError::bad(
                syn,
                "receptor_type",
                shown,
                if list.is_empty() {
                    format!("{} takes no {kind} input", tgt.name)
                } else {
                    format!(
                        "{} takes {kind} input on receptor {}",
                        tgt.name,
                        list.join(", ")
                    )
                },
            ))
        }
    }
}

struct BlockSpec {
    model: &'static ModelInfo,
    first: u32,
    params: Vec<NodeParams>,
    /// Heap bytes of `params` (for the memory estimate).
    param_heap: u64,
    /// Bytes of the parameter maps as given (the caller keeps them, e.g. for the dump).
    given_bytes: u64,
    /// Clopath neurons: heap bytes of their delayed ū± rings (every one keeps them).
    delayed_u_bars: u64,
    /// Some plastic synapse targets a node of this block (so its nodes may get archives).
    plastic_in: bool,
    /// The summed rates (Hz) of the generators connected to this block's nodes (for the cost
    /// model of `auto`: parrots repeat them).
    rate_in: f64,
}

/// Collects nodes and connections (NEST's `Create` and `Connect`), then builds.
pub struct NetworkBuilder {
    res: Resolution,
    cfg: KernelConfig,
    blocks: Vec<BlockSpec>,
    /// Block index per node id (index 0 unused).
    node_block: Vec<u32>,
    projections: Vec<Projection>,
    /// Per projection (plastic ones filled): what `auto` chooses from.
    plans: Vec<Plan>,
    /// Per node: 1 + the last plastic projection connected onto it (to count targets).
    last_plastic: Vec<u32>,
    /// Synapses by table (static, clopath, urbanczik, recorded static), as columns.
    collected: [Collected; 4],
    /// Global projection ids of each table's projections (a table's index is the position).
    table_projs: [Vec<u32>; 4],
    /// Device links (recorders, multimeters, Poisson and current generators): few.
    conns: Vec<Conn>,
    /// Every connection, kept only for the network dump.
    dump: Option<Vec<Conn>>,
    n_synapses: usize,
    /// Every connection, device and recorder links included (NEST's `num_connections`).
    n_connections: u64,
    /// Input channels of all nodes created so far.
    n_channels: u64,
    /// Delays (in steps) used by plastic synapses, one bit each (for the memory estimate).
    plastic_delays: Box<[u64; 1024]>,
    /// Synapses per table (also when they are only validated).
    table_len: [u64; 4],
    /// Validate and count connections without storing them (`evplast check`).
    validate_only: bool,
    /// Connections the caller announced and has not made yet (room is made for all at once).
    expected: u64,
    min_delay: Step,
    max_delay: Step,
    keep_trains: bool,
    /// Set once the network is built: what it holds.
    built: Option<Built>,
    /// See [`Self::keep_history_for_growth`].
    keep_history: bool,
}

const STATIC: usize = 0;
const CLOPATH: usize = 1;
const URBANCZIK: usize = 2;
/// Static synapses whose projection names a weight_recorder.
const STATIC_RECORDED: usize = 3;

/// Where a node's connections and recordings ended up, for output.
#[derive(Debug, Default)]
pub struct RecorderIndex {
    /// Index into `Network::spike_recording.events`, per spike_recorder node.
    pub spike_recorders: Vec<(NodeId, u32)>,
    /// Index into `Network::multimeters`, per multimeter node.
    pub multimeters: Vec<(NodeId, u32)>,
    /// Index into `Network::weight_records`, per weight_recorder node.
    pub weight_recorders: Vec<(NodeId, u32)>,
}

/// What `evplast check` reports about a network (built or only validated).
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub n_nodes: usize,
    /// Every connection, device and recorder links included (NEST's `num_connections`).
    pub n_connections: u64,
    /// Connections that are synapses (tables, and static links from generators).
    pub n_synapses: usize,
    /// Synapses per table, in the order the built network holds them.
    pub tables: Vec<(&'static str, u64)>,
    pub min_delay: Step,
    pub max_delay: Step,
    pub memory: memory::MemoryEstimate,
    /// Every plastic projection's scheme (as `auto` would choose it now) and its predictions.
    pub schemes: Vec<SchemeChoice>,
}

/// A built network plus what output needs to know about it.
pub struct Simulation {
    pub network: Network,
    pub recorders: RecorderIndex,
    /// Model name per node id (index 0 unused).
    pub node_models: Vec<&'static str>,
    /// All validated connections, if kept for the network dump.
    pub connections: Option<Vec<Conn>>,
    /// Synapse model name per projection.
    pub projection_models: Vec<&'static str>,
    /// The caller's tag per projection.
    pub projection_tags: Vec<u32>,
    /// Number of connections that are synapses (not recorder links).
    pub n_synapses: usize,
    /// Every connection, device and recorder links included, as NEST's `num_connections`.
    pub n_connections: u64,
    /// The links of devices and recorders (generator → node, node → spike_recorder,
    /// multimeter → neuron), which live in the devices rather than in synapse tables: for
    /// `GetConnections`, with their weight and delay as connected.
    pub device_links: Vec<ConnectionInfo>,
    pub min_delay: Step,
    pub max_delay: Step,
    /// Per create block: where its nodes live among the shards.
    pub places: Vec<BlockPlace>,
    /// Every plastic projection's update scheme and the cost model's predictions.
    pub schemes: Vec<SchemeChoice>,
}

impl NetworkBuilder {
    /// A builder for a network at `cfg.resolution`.
    pub fn new(cfg: KernelConfig) -> Result<Self, BuildError> {
        let res = Resolution::new(cfg.resolution)?;
        Ok(Self {
            res,
            cfg,
            blocks: Vec::new(),
            node_block: vec![u32::MAX],
            projections: Vec::new(),
            plans: Vec::new(),
            last_plastic: Vec::new(),
            collected: Default::default(),
            table_projs: Default::default(),
            conns: Vec::new(),
            dump: None,
            n_synapses: 0,
            n_connections: 0,
            n_channels: 0,
            plastic_delays: Box::new([0; 1024]),
            table_len: [0; 4],
            validate_only: false,
            expected: 0,
            min_delay: Step::MAX,
            max_delay: 0,
            keep_trains: false,
            built: None,
            keep_history: false,
        })
    }

    /// The resolution.
    pub fn resolution(&self) -> Resolution {
        self.res
    }

    /// Keep every connection and the Poisson trains generated during the run (for the
    /// network dump of the NEST cross-check); call before connecting.
    pub fn keep_generated_trains(&mut self, keep: bool) {
        self.keep_trains = keep;
        self.dump = keep.then(Vec::new);
    }

    /// Archives keep the last `max_delay` of their history even once read (for synapses
    /// connected between runs, whose first window reaches that far back); call before the build.
    pub fn keep_history_for_growth(&mut self, keep: bool) {
        self.keep_history = keep;
    }

    /// From now on, validate and count connections without storing them: for a summary of a
    /// network too large to build here ([`NetworkBuilder::summary`]); `build` then refuses.
    pub fn validate_only(&mut self) {
        self.validate_only = true;
    }

    /// Counts and delays of what was created and connected so far, and its memory estimate.
    pub fn summary(&self) -> Summary {
        let tables = [
            (STATIC_RECORDED, static_synapse::MODEL),
            (STATIC, static_synapse::MODEL),
            (CLOPATH, clopath_synapse::MODEL),
            (URBANCZIK, urbanczik_synapse::MODEL),
        ];
        let (min_delay, max_delay) = self.delays();
        Summary {
            n_nodes: self.n_nodes(),
            n_connections: self.n_connections,
            n_synapses: self.n_synapses,
            tables: tables
                .iter()
                .filter(|(t, _)| self.table_len[*t] > 0)
                .map(|&(t, m)| (m, self.table_len[t]))
                .collect(),
            min_delay,
            max_delay,
            memory: self.memory_estimate(),
            schemes: self.scheme_choices(),
        }
    }

    /// min_delay and max_delay over every connection (1 step without connections).
    fn delays(&self) -> (Step, Step) {
        // Every connection counts, recorder links included, as in NEST: the slicing decides
        // which spikes of the last slice are delivered before the run ends.
        if self.max_delay == 0 {
            (1, 1)
        } else {
            (self.min_delay, self.max_delay)
        }
    }

    /// The global shards (`ranks × local_num_threads`), the first of this process's, and how
    /// many it has.
    fn shard_range(&self) -> (usize, usize, usize) {
        let t = self.cfg.local_num_threads.max(1) as usize;
        let ranks = self.cfg.ranks.max(1) as usize;
        (ranks * t, self.cfg.rank as usize * t, t)
    }

    /// True if node `id` lives in one of this process's shards (always with one process):
    /// global shard g holds nodes `g·n/S .. (g+1)·n/S` of each block of n.
    fn owns(&self, id: NodeId) -> bool {
        if self.cfg.ranks <= 1 {
            return true;
        }
        let (s, base, t) = self.shard_range();
        let b = &self.blocks[self.node_block[id.0 as usize] as usize];
        let (n, i) = (b.params.len(), (id.0 - b.first) as usize);
        i >= base * n / s && i < (base + t) * n / s
    }

    /// Number of nodes created so far.
    pub fn n_nodes(&self) -> usize {
        self.node_block.len() - 1
    }

    /// The model of node `id`, if it exists.
    pub fn model_of(&self, id: NodeId) -> Option<&'static ModelInfo> {
        let b = *self.node_block.get(id.0 as usize)?;
        self.blocks.get(b as usize).map(|b| b.model)
    }

    /// NEST's `Create(model, n, params)`: one parameter map per node. Returns the first id.
    pub fn create(&mut self, model: &str, params: &[ParamMap]) -> Result<NodeId, BuildError> {
        let info = registry::find(model)?;
        if info.kind == ModelKind::Synapse {
            return Err(BuildError::Connect(format!(
                "'{model}' is a synapse model: use it in a connect's syn_spec, not in create"
            )));
        }
        self.check_create(info, params.len() as u64)?;
        let mut parsed = Vec::new();
        try_reserve(&mut parsed, params.len(), "the node parameters")?;
        let (mut param_heap, mut given_bytes, mut delayed_u_bars) = (0, 0, 0);
        for m in params {
            let p = registry::parse_node(info, m, self.res)?;
            param_heap += p.heap_bytes() as u64;
            given_bytes += memory::param_map_bytes(m);
            if let NodeParams::Aeif(np) = &p {
                delayed_u_bars += 16 * (np.clopath.rule(self.res).delay_u_bars_steps as u64 + 1);
            } else if let NodeParams::Hh(np) = &p {
                delayed_u_bars += 16 * (np.clopath.rule(self.res).delay_u_bars_steps as u64 + 1);
            }
            parsed.push(p);
        }
        try_reserve(&mut self.node_block, parsed.len(), "the node table")?;
        try_reserve(&mut self.blocks, 1, "the node table")?;
        let first = self.node_block.len() as u32;
        let b = self.blocks.len() as u32;
        self.node_block.extend(std::iter::repeat_n(b, parsed.len()));
        self.n_channels += parsed.len() as u64 * info.inputs.len() as u64;
        self.blocks.push(BlockSpec {
            model: info,
            first,
            params: parsed,
            param_heap,
            given_bytes,
            delayed_u_bars,
            plastic_in: false,
            rate_in: 0.0,
        });
        Ok(NodeId(first))
    }

    /// NEST's `SetStatus` before the network is built: node `id`'s parameters become `map`
    /// (validated as at `create`).
    pub fn set_node_params(&mut self, id: NodeId, map: &ParamMap) -> Result<(), BuildError> {
        let bi = *self
            .node_block
            .get(id.0 as usize)
            .ok_or_else(|| BuildError::Connect(format!("node {id} does not exist")))?;
        let b = &mut self.blocks[bi as usize];
        let p = registry::parse_node(b.model, map, self.res)?;
        b.params[(id.0 - b.first) as usize] = p;
        Ok(())
    }

    /// Refuses `n` more nodes of `model` if node ids or input channels would overflow their
    /// 32 bits ([`limits::MAX_NODES`], [`limits::MAX_CHANNELS`]).
    pub fn check_create(&self, model: &ModelInfo, n: u64) -> Result<(), BuildError> {
        let have = self.n_nodes() as u64;
        if n > limits::MAX_NODES - have {
            return Err(BuildError::Limit(format!(
                "n = {n}: {} nodes in all would be more than {}, the most a network holds (node ids are 32-bit){}",
                have as u128 + n as u128,
                limits::MAX_NODES,
                if have > 0 { format!("; {have} exist already") } else { String::new() }
            )));
        }
        let per = model.inputs.len() as u64;
        if per > 0 && n > (limits::MAX_CHANNELS - self.n_channels) / per {
            return Err(BuildError::Limit(format!(
                "n = {n}: {} input channels in all ({per} per {} node) would be more than {}, the most a network holds (channel numbers are 32-bit)",
                self.n_channels as u128 + n as u128 * per as u128,
                model.name,
                limits::MAX_CHANNELS
            )));
        }
        Ok(())
    }

    /// Refuses `n` more connections if the network would hold more than
    /// [`limits::MAX_CONNECTIONS`].
    pub fn check_connections(&self, n: u64) -> Result<(), BuildError> {
        if n > limits::MAX_CONNECTIONS - self.n_connections {
            return Err(BuildError::Limit(format!(
                "{n} connections{} would be more than {}, the most a network holds (synapse tables index rows with 32 bits)",
                if self.n_connections > 0 {
                    format!(" and the {} made before", self.n_connections)
                } else {
                    String::new()
                },
                limits::MAX_CONNECTIONS
            )));
        }
        Ok(())
    }

    /// Announces `n` connections about to be made (in one or many `connect` calls), so that
    /// their table grows once, not by doubling (which copies it).
    /// With several processes, only this one's share is expected: `n` times the fraction of
    /// `post` (the call's targets) that live here — exact for rules that give every target
    /// the same number of connections.
    pub fn expect_connections(&mut self, n: u64, post: &[NodeId]) {
        self.expected = if self.cfg.ranks > 1 && !post.is_empty() {
            let owned = post.iter().filter(|&&t| self.owns(t)).count() as u128;
            (n as u128 * owned).div_ceil(post.len() as u128) as u64
        } else {
            n
        };
    }

    /// Every connection made so far, device and recorder links included.
    pub fn n_connections(&self) -> u64 {
        self.n_connections
    }

    /// Counts one more plastic synapse of projection `pid` for the cost model.
    fn plan(&mut self, pid: u32, source: NodeId, target: NodeId) -> Result<(), BuildError> {
        let t = target.0 as usize;
        if self.last_plastic.len() <= t {
            let n = self.n_nodes() + 1;
            let more = n - self.last_plastic.len();
            try_reserve(&mut self.last_plastic, more, "the per-node tables")?;
            self.last_plastic.resize(n, 0);
        }
        let plan = &mut self.plans[pid as usize];
        plan.synapses += 1;
        if self.last_plastic[t] != pid + 1 {
            self.last_plastic[t] = pid + 1;
            plan.targets += 1;
            let tb = &self.blocks[self.node_block[t] as usize];
            if let NodeParams::Pp(x) = &tb.params[t - tb.first as usize] {
                plan.sampled += u64::from(x.p.learning_signal == LearningSignal::SpikeSpike);
            }
        }
        let b = self.node_block[source.0 as usize];
        match plan.sources.iter_mut().rev().find(|(x, _)| *x == b) {
            Some((_, n)) => *n += 1,
            None => plan.sources.push((b, 1)),
        }
        Ok(())
    }

    /// The mean rate (Hz) of a generator's spikes: a Poisson generator's rates, a spike
    /// generator's spikes over their span (`None` for other nodes).
    fn generator_rate(&self, id: NodeId) -> Option<f64> {
        let b = &self.blocks[self.node_block[id.0 as usize] as usize];
        match &b.params[(id.0 - b.first) as usize] {
            NodeParams::PoissonGenerator(g) if !g.rates.is_empty() => {
                Some(g.rates.iter().sum::<f64>() / g.rates.len() as f64)
            }
            NodeParams::PoissonGenerator(_) => Some(0.0),
            NodeParams::SpikeGenerator(g) => {
                let (Some(first), Some(last)) = (g.stamps.first(), g.stamps.last()) else {
                    return Some(0.0);
                };
                let span = ((last - first) as f64 * self.res.h()).max(1.0) / 1000.0;
                // Multiplicities are stored only where given (else 1 each).
                let n = if g.multiplicities.is_empty() {
                    g.stamps.len() as f64
                } else {
                    g.multiplicities.iter().map(|&m| m as f64).sum::<f64>()
                };
                Some(n / span)
            }
            _ => None,
        }
    }

    /// The mean rate (Hz) of block `b`'s spikes where generators fix it: generators, or
    /// parrot neurons repeating generators.
    fn block_rate(&self, b: usize) -> Option<f64> {
        let blk = &self.blocks[b];
        let n = blk.params.len() as f64;
        match blk.model.name {
            "poisson_generator" | "inhomogeneous_poisson_generator" | "spike_generator" => Some(
                (0..blk.params.len() as u32)
                    .filter_map(|i| self.generator_rate(NodeId(blk.first + i)))
                    .sum::<f64>()
                    / n,
            ),
            "parrot_neuron" if blk.rate_in > 0.0 => Some(blk.rate_in / n),
            _ => None,
        }
    }

    /// The scheme of plastic projection `pid`: the call's, else the kernel's, else (`auto`)
    /// the cost model's choice; with what the model predicted.
    fn choose_scheme(&self, pid: usize) -> SchemeChoice {
        let p = &self.projections[pid];
        let plan = &self.plans[pid];
        let (mut rate_sum, mut known) = (0.0, true);
        for &(b, n) in &plan.sources {
            let r = self.block_rate(b as usize);
            known &= r.is_some();
            rate_sum += r.unwrap_or(cost::ASSUMED_RATE_HZ) * n as f64;
        }
        let syn = plan.synapses.max(1) as f64;
        let load = cost::Load {
            rule: match p.link {
                Link::Urbanczik(_) => cost::Rule::Urbanczik,
                _ => cost::Rule::Clopath,
            },
            in_degree: syn / plan.targets.max(1) as f64,
            rate_hz: rate_sum / syn,
            h_ms: self.res.h(),
            sampled: plan.sampled as f64 / plan.targets.max(1) as f64,
        };
        let targets = plan.targets as f64;
        let scheme = plan
            .scheme
            .or(p.scheme)
            .unwrap_or_else(|| match self.cfg.scheme {
                SchemeSetting::Fixed(s) => s,
                SchemeSetting::Auto => load.choose(),
            });
        SchemeChoice {
            tag: p.tag,
            synapse_model: p.model,
            synapses: plan.synapses,
            in_degree: load.in_degree,
            rate_hz: load.rate_hz,
            rate_known: known,
            scheme,
            chosen: p.scheme.is_none() && self.cfg.scheme == SchemeSetting::Auto,
            predicted_s: cost::SCHEMES.map(|s| load.seconds(s) * targets),
            predicted_counts: cost::SCHEMES.map(|s| {
                let n = load.counts(s);
                cost::Counts {
                    m: n.m * targets,
                    c: n.c * targets,
                    h: n.h * targets,
                }
            }),
        }
    }

    /// Every plastic projection's scheme and the cost model's predictions (the schemes of
    /// projections not laid out yet as they would be chosen now).
    pub fn scheme_choices(&self) -> Vec<SchemeChoice> {
        (0..self.projections.len())
            .filter(|&i| {
                matches!(
                    self.projections[i].link,
                    Link::Clopath(_) | Link::Urbanczik(_)
                )
            })
            .map(|i| self.choose_scheme(i))
            .collect()
    }

    /// NEST's `Connect` for explicit pairs with one synapse specification.
    pub fn connect(&mut self, spec: &SynSpec, conns: &[ConnRequest]) -> Result<(), BuildError> {
        let syn = registry::find(&spec.synapse_model)?;
        if syn.kind != ModelKind::Synapse {
            return Err(BuildError::Connect(format!(
                "synapse_model '{}' is not a synapse model",
                spec.synapse_model
            )));
        }
        let link = match syn.name {
            clopath_synapse::MODEL => Link::Clopath(clopath_synapse::parse(&spec.params)?),
            urbanczik_synapse::MODEL => Link::Urbanczik(urbanczik_synapse::parse(&spec.params)?),
            _ => {
                let mut r = crate::params::Reader::new(static_synapse::MODEL, &spec.params);
                // The caller reads weight and delay; name them as the valid ones.
                r.raw("weight");
                r.raw("delay");
                r.finish()?;
                Link::Static
            }
        };
        if let Some(wr) = spec.weight_recorder {
            if self.model_of(wr).map(|m| m.name) != Some("weight_recorder") {
                return Err(BuildError::bad(
                    syn.name,
                    "weight_recorder",
                    wr,
                    "must name a weight_recorder",
                ));
            }
        }
        self.check_connections(conns.len() as u64)?;
        if let Some(d) = &mut self.dump {
            try_reserve(d, conns.len(), "the network dump")?;
        }
        // One projection per distinct link kind used by this call.
        let mut proj_ids: [Option<u32>; 3] = [None; 3];
        // With several processes, room is made only for the synapses onto this one's nodes.
        let split = self.cfg.ranks > 1;
        let mut owned_left = if split {
            conns.iter().filter(|c| self.owns(c.target)).count()
        } else {
            conns.len()
        };
        for (i, c) in conns.iter().enumerate() {
            let left = if split { owned_left } else { conns.len() - i };
            let src = self.model_of(c.source).ok_or_else(|| {
                BuildError::Connect(format!("source node {} does not exist", c.source))
            })?;
            let tgt = self.model_of(c.target).ok_or_else(|| {
                BuildError::Connect(format!("target node {} does not exist", c.target))
            })?;
            let (slot, link) = match (src.kind, src.name, tgt.kind, tgt.name) {
                (_, "multimeter", ModelKind::Neuron, _) => {
                    self.check_recordables(c.source, tgt)?;
                    (2, Link::Sample)
                }
                (_, "multimeter", _, t) => return Err(BuildError::Connect(format!("multimeter {} cannot record from {t} node {}: connect it to neurons", c.source, c.target))),
                (ModelKind::Neuron | ModelKind::Generator, _, _, "spike_recorder") => (1, Link::RecordSpikes),
                (ModelKind::Recorder, s, _, _) => return Err(BuildError::Connect(format!("{s} node {} cannot be a source (connect neurons to a spike_recorder, a multimeter to neurons)", c.source))),
                (_, s, ModelKind::Recorder, t) => return Err(BuildError::Connect(format!("cannot connect {s} node {} to {t} node {}", c.source, c.target))),
                (_, s, ModelKind::Generator, t) => return Err(BuildError::Connect(format!("cannot connect {s} node {} to generator {t} node {}", c.source, c.target))),
                _ => (0, link.clone()),
            };
            let (weight, delay, receptor, channel_offset) = match &link {
                Link::Static | Link::Clopath(_) | Link::Urbanczik(_) => {
                    let (w, d) = self.check_synapse(syn, &link, src, tgt, c)?;
                    let (r, o) = if is_current_source(src.name) {
                        resolve_receptor(
                            syn.name,
                            tgt,
                            tgt.current_receptors,
                            spec.receptor_type.as_ref(),
                            "current",
                        )?
                    } else {
                        resolve_receptor(
                            syn.name,
                            tgt,
                            tgt.spike_receptors,
                            spec.receptor_type.as_ref(),
                            "spike",
                        )?
                    };
                    if tgt.name == "pp_cond_exp_mc_urbanczik"
                        && !is_current_source(src.name)
                        && w < 0.0
                    {
                        return Err(BuildError::bad(
                            syn.name,
                            "weight",
                            w,
                            "spike weights onto pp_cond_exp_mc_urbanczik must be >= 0 (the receptor, e.g. soma_inh or dendritic_inh, makes an input inhibitory)",
                        ));
                    }
                    (w, d, r, o)
                }
                // Recorder links have a delay too, and NEST counts it in min/max_delay.
                _ => (0.0, self.check_delay(syn, c.delay.unwrap_or(1.0))?, 0, 0),
            };
            let pid = *proj_ids[slot].get_or_insert_with(|| {
                let p = Projection {
                    link,
                    model: syn.name,
                    weight_recorder: spec.weight_recorder,
                    tag: spec.tag,
                    scheme: spec.scheme,
                };
                // Consecutive calls with the same specification share one projection.
                if let Some(i) = self.projections.iter().rposition(|q| *q == p) {
                    if self.projections.len() - i <= 3 {
                        return i as u32;
                    }
                }
                self.projections.push(p);
                self.plans.push(Plan::default());
                (self.projections.len() - 1) as u32
            });
            let conn = Conn {
                source: c.source,
                target: c.target,
                projection: pid,
                weight,
                delay,
                receptor,
                channel_offset,
            };
            self.min_delay = self.min_delay.min(delay);
            self.max_delay = self.max_delay.max(delay);
            if src.kind == ModelKind::Generator && tgt.name == "parrot_neuron" {
                if let Some(r) = self.generator_rate(c.source) {
                    let b = self.node_block[c.target.0 as usize] as usize;
                    self.blocks[b].rate_in += r;
                }
            }
            if let Some(d) = self.dump.as_mut().filter(|_| !self.validate_only) {
                d.push(conn);
            }
            let table = match &self.projections[pid as usize].link {
                // NEST records a static synapse's weight only when the source is a neuron.
                Link::Static if spec.weight_recorder.is_some() && src.kind == ModelKind::Neuron => {
                    Some(STATIC_RECORDED)
                }
                Link::Static if !is_direct_source(src.name) => Some(STATIC),
                Link::Clopath(_) => Some(CLOPATH),
                Link::Urbanczik(_) => Some(URBANCZIK),
                _ => None,
            };
            self.n_connections += 1;
            match table {
                Some(t) => {
                    let projs = &mut self.table_projs[t];
                    if projs.last() != Some(&pid) {
                        if projs.len() >= limits::MAX_PROJECTIONS_PER_TABLE {
                            return Err(BuildError::Limit(format!(
                                "more than {} {} projections (distinct synapse specifications): a synapse stores its projection in 16 bits",
                                limits::MAX_PROJECTIONS_PER_TABLE,
                                syn.name
                            )));
                        }
                        projs.push(pid);
                    }
                    let local = (projs.len() - 1) as u16;
                    if t == CLOPATH || t == URBANCZIK {
                        let b = self.node_block[c.target.0 as usize] as usize;
                        self.blocks[b].plastic_in = true;
                        self.plastic_delays[delay as usize / 64] |= 1 << (delay % 64);
                        self.plan(pid, c.source, c.target)?;
                    }
                    self.table_len[t] += 1;
                    self.n_synapses += 1;
                    if self.validate_only || !self.owns(c.target) {
                        continue;
                    }
                    owned_left = owned_left.saturating_sub(1);
                    let want = left.max(usize::try_from(self.expected).unwrap_or(usize::MAX));
                    self.collected[t].reserve_for_push(want)?;
                    self.expected = self.expected.saturating_sub(1);
                    self.collected[t].push(
                        c.source.0,
                        c.target.0,
                        channel_offset as u16,
                        delay as u16,
                        local,
                        weight,
                    );
                }
                None => {
                    self.n_synapses +=
                        matches!(self.projections[pid as usize].link, Link::Static) as usize;
                    if !self.validate_only {
                        try_reserve(&mut self.conns, 1, "the device connections")?;
                        self.conns.push(conn);
                    }
                }
            }
        }
        Ok(())
    }

    fn check_recordables(&self, mm: NodeId, tgt: &ModelInfo) -> Result<(), BuildError> {
        let b = &self.blocks[self.node_block[mm.0 as usize] as usize];
        let NodeParams::Multimeter(p) = &b.params[(mm.0 - b.first) as usize] else {
            unreachable!()
        };
        for f in &p.record_from {
            if !tgt.recordables.contains(&f.as_str()) {
                return Err(BuildError::bad(
                    "multimeter",
                    "record_from",
                    format!("\"{f}\""),
                    format!(
                        "{} has no recordable '{f}' (recordables: {})",
                        tgt.name,
                        tgt.recordables.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A delay in steps: rounded to the grid, then at least one step (NEST's rule).
    fn check_delay(&self, syn: &ModelInfo, delay_ms: f64) -> Result<Step, BuildError> {
        let h = self.res.h();
        if !delay_ms.is_finite() {
            return Err(BuildError::bad(
                syn.name,
                "delay",
                delay_ms,
                "must be finite",
            ));
        }
        let delay = self.res.delay_steps(delay_ms);
        if delay < 1 {
            return Err(BuildError::bad(
                syn.name,
                "delay",
                delay_ms,
                format!("must be >= the resolution ({h} ms)"),
            ));
        }
        if delay > limits::MAX_DELAY_STEPS {
            return Err(BuildError::bad(
                syn.name,
                "delay",
                delay_ms,
                format!(
                    "is longer than {} steps ({} ms at resolution {h} ms), the longest delay a synapse holds (16 bits)",
                    limits::MAX_DELAY_STEPS,
                    self.res.ms_exact(limits::MAX_DELAY_STEPS)
                ),
            ));
        }
        if let Some((lo, hi)) = self.built.as_ref().map(|b| b.delays) {
            if delay < lo || delay > hi {
                return Err(BuildError::bad(
                    syn.name,
                    "delay",
                    delay_ms,
                    format!(
                        "is outside min_delay {} ms .. max_delay {} ms of the built network: as in NEST, \
                         they cannot change after the network was built (by Simulate, Prepare or GetConnections); \
                         make a connection with this delay before, or call ResetKernel",
                        self.res.ms_exact(lo),
                        self.res.ms_exact(hi)
                    ),
                ));
            }
        }
        Ok(delay)
    }

    fn check_synapse(
        &self,
        syn: &ModelInfo,
        link: &Link,
        src: &ModelInfo,
        tgt: &ModelInfo,
        c: &ConnRequest,
    ) -> Result<(f64, Step), BuildError> {
        let weight = c.weight.unwrap_or(1.0);
        let delay_ms = c.delay.unwrap_or(1.0);
        if !weight.is_finite() {
            return Err(BuildError::bad(
                syn.name,
                "weight",
                weight,
                "must be finite",
            ));
        }
        let delay = self.check_delay(syn, delay_ms)?;
        let (rule, archive, targets) = match link {
            Link::Clopath(_) => (
                "clopath_synapse",
                Archive::Clopath,
                "aeif_psc_delta_clopath or hh_psc_alpha_clopath",
            ),
            Link::Urbanczik(_) => (
                "urbanczik_synapse",
                Archive::Urbanczik,
                "pp_cond_exp_mc_urbanczik",
            ),
            _ => return Ok((weight, delay)),
        };
        if tgt.archive != Some(archive) {
            return Err(BuildError::Connect(format!(
                "{rule} from node {} to node {}: target model {} has no {archive:?} archive (use {targets})",
                c.source, c.target, tgt.name
            )));
        }
        if src.kind == ModelKind::Generator {
            return Err(BuildError::Connect(format!(
                "{rule} from {} node {}: devices cannot drive plastic synapses; put a parrot_neuron in between",
                src.name, c.source
            )));
        }
        // A built target with an archive: its history from before the connection is partial.
        let archived = self.built.as_ref().is_some_and(|b| {
            c.target.0 as usize <= b.nodes && b.archive_of[c.target.0 as usize].is_some()
        });
        if archived {
            if let Link::Clopath(p) = link {
                if p.x_bar != 0.0 {
                    return Err(BuildError::bad(
                        rule,
                        "x_bar",
                        p.x_bar,
                        format!(
                            "must be 0 on a connection made after the build onto node {} (built then): \
                             its trace would weigh the voltage history from before the connection, \
                             which the neuron no longer holds whole",
                            c.target
                        ),
                    ));
                }
            }
        }
        match link {
            Link::Clopath(p) => clopath_synapse::check_weight(p, weight)?,
            Link::Urbanczik(p) => urbanczik_synapse::check_weight(p, weight)?,
            _ => {}
        }
        Ok((weight, delay))
    }

    /// Lays everything out and returns the simulation.
    pub fn build(mut self) -> Result<Simulation, BuildError> {
        self.build_kept()
    }

    /// Lays everything out and returns the simulation; the builder stays, so that nodes and
    /// connections added later (between runs, as NEST allows) are laid out by [`Self::grow`].
    pub fn build_kept(&mut self) -> Result<Simulation, BuildError> {
        if self.validate_only {
            return Err(BuildError::Connect(
                "a builder that only validates connections cannot build".into(),
            ));
        }
        if self.built.is_some() {
            return Err(BuildError::Connect("the network is built already".into()));
        }
        let (min_delay, max_delay) = self.delays();
        let (_, _, n_shards) = self.shard_range();
        let mut shards = Vec::new();
        for _ in 0..n_shards {
            shards.push(Shard::new(min_delay, max_delay)?);
        }
        let pool = if n_shards > 1 {
            Some(
                evplast_kernel::workers::Workers::new(n_shards).map_err(|e| {
                    BuildError::Connect(format!("cannot start {n_shards} threads: {e}"))
                })?,
            )
        } else {
            None
        };
        let network = Network {
            res: self.res,
            min_delay,
            max_delay,
            n_nodes: 0,
            shards,
            spikes: Vec::new(),
            spike_recording: SpikeRecording::new(0, 0)?,
            counts_spikes: vec![false],
            weight_records: Vec::new(),
            weight_windows: Vec::new(),
            multimeters: Vec::new(),
            now: 0,
            counters: StageCounters::default(),
            time_driven: false,
            horizon_entries: (self.cfg.history_horizon / self.res.h()).round().max(1.0) as usize,
            stage_times: Default::default(),
            pool,
            exchange: Default::default(),
            remote: Default::default(),
            ranks: self.cfg.ranks.max(1) as usize,
        };
        let mut sim = Simulation {
            device_links: Vec::new(),
            network,
            recorders: RecorderIndex::default(),
            node_models: vec![""],
            projection_models: Vec::new(),
            projection_tags: Vec::new(),
            n_synapses: 0,
            n_connections: 0,
            connections: self.dump.as_ref().map(|_| Vec::new()),
            schemes: Vec::new(),
            min_delay,
            max_delay,
            places: Vec::new(),
        };
        self.built = Some(Built {
            delays: (min_delay, max_delay),
            shard_of: vec![0],
            ..Default::default()
        });
        self.grow(&mut sim)?;
        Ok(sim)
    }

    /// True if nodes or connections were added since the last build or growth.
    pub fn has_pending(&self) -> bool {
        self.built.as_ref().is_none_or(|b| {
            b.blocks < self.blocks.len()
                || b.conns < self.conns.len()
                || self.collected.iter().any(|c| !c.is_empty())
        })
    }

    /// Lays out what was added since the last build or growth into the built network `sim`:
    /// the new nodes (split among the shards: each block in contiguous chunks, one per shard;
    /// populations, input channels after the shard's old ones, archives, recorders), the new
    /// device and recorder links, and the new synapses as tables of their own in the shard of
    /// their target, appended after the old tables (so the spikes waiting for delivery do not
    /// reach them, as in NEST). Old nodes keep their state; an archive that gains plastic
    /// inputs gains readers, which read whatever history it still holds; a built neuron's
    /// first plastic input gets an empty archive. Fails only if memory runs out.
    pub fn grow(&mut self, sim: &mut Simulation) -> Result<(), BuildError> {
        let mut built = self
            .built
            .take()
            .ok_or_else(|| BuildError::Connect("grow needs a built network".into()))?;
        let r = self.grow_into(&mut built, sim);
        self.built = Some(built);
        r
    }

    fn grow_into(&mut self, built: &mut Built, sim: &mut Simulation) -> Result<(), BuildError> {
        let n_nodes = self.n_nodes();
        let old_nodes = sim.network.n_nodes;
        let (min_delay, max_delay) = built.delays;
        let new_blocks = built.blocks..self.blocks.len();
        let net = &mut sim.network;
        let n_shards = net.shards.len();
        const NODES: &str = "the per-node tables";
        fn grow_to<T: Clone>(v: &mut Vec<T>, n: usize, x: T) -> Result<(), KernelError> {
            try_reserve(v, n.saturating_sub(v.len()), NODES)?;
            v.resize(n, x);
            Ok(())
        }

        // Each new block in contiguous chunks, chunk g to global shard g (of all processes'
        // shards); devices that send to each target directly are in every shard, each copy
        // with the trains into that shard. Nodes of other processes' shards: `OTHER`.
        grow_to(&mut built.shard_of, n_nodes + 1, OTHER)?;
        let (global, base, _) = self.shard_range();
        for (bi, b) in self.blocks.iter().enumerate().skip(built.blocks) {
            let n = b.params.len();
            let replicated = is_direct_source(b.model.name);
            let chunks = (base..=base + n_shards)
                .map(|g| b.first + (g * n / global) as u32)
                .collect::<Vec<u32>>();
            for k in 0..n_shards {
                for id in chunks[k]..chunks[k + 1] {
                    built.shard_of[id as usize] = k as u16;
                }
            }
            sim.places.push(BlockPlace {
                first: b.first,
                n: n as u32,
                replicated,
                chunks,
                pops: vec![None; n_shards],
            });
            debug_assert_eq!(sim.places.len(), bi + 1);
        }
        let shard_of = &built.shard_of;

        // Input channels of the new nodes, node by node in block order, after the shard's old
        // ones (channel numbers are the shard's own).
        let mut kinds: Vec<Vec<ChannelKind>> = vec![Vec::new(); n_shards];
        let old_channels: Vec<usize> = net.shards.iter().map(|s| s.inputs.n_channels()).collect();
        grow_to(&mut built.channel_base, n_nodes + 1, 0)?;
        for b in &self.blocks[new_blocks.clone()] {
            for i in 0..b.params.len() {
                let id = b.first as usize + i;
                let k = shard_of[id] as usize;
                if shard_of[id] == OTHER {
                    continue;
                }
                built.channel_base[id] = (old_channels[k] + kinds[k].len()) as u32;
                try_reserve(&mut kinds[k], b.model.inputs.len(), "the input channels")?;
                kinds[k].extend_from_slice(b.model.inputs);
            }
        }
        let channel_base = &built.channel_base;

        // Every new plastic projection's scheme, fixed from now on; per table, the scheme of
        // each of its projections.
        for pid in 0..self.projections.len() {
            if self.plans[pid].synapses > 0 && self.plans[pid].scheme.is_none() {
                self.plans[pid].scheme = Some(self.choose_scheme(pid).scheme);
            }
        }
        let scheme_of: [Vec<Scheme>; 4] = std::array::from_fn(|t| {
            self.table_projs[t]
                .iter()
                .map(|&pid| self.plans[pid as usize].scheme.unwrap_or_default())
                .collect()
        });
        // An archive for every target of a plastic synapse, of the target's rule (ids are the
        // target shard's own). Its raw history's readers: the windowed (event, time-driven)
        // synapses, and the compressed groups.
        let mut n_plastic_in = try_vec(n_nodes + 1, 0u32, NODES)?;
        let mut n_windowed = try_vec(n_nodes + 1, 0u32, NODES)?;
        let mut any_compressed = false;
        for t in [CLOPATH, URBANCZIK] {
            let col = &self.collected[t];
            for (&target, &p) in col.target.iter().zip(&col.projection) {
                n_plastic_in[target as usize] += 1;
                let windowed = scheme_of[t][p as usize] != Scheme::Compressed;
                n_windowed[target as usize] += windowed as u32;
                any_compressed |= !windowed;
            }
        }
        grow_to(&mut built.archive_of, n_nodes + 1, None)?;
        let archive_of = &mut built.archive_of;
        // Compressed scheme: one group per (target, delay, kernel) — exactness needs window
        // ends in order within a group, so one delay and one set of kernels per group. Synapses
        // added after the build get groups of their own, after the target's old ones.
        let compressed = any_compressed;
        let mut group_of: [Vec<u16>; 3] = Default::default();
        // Per target: (delay, kernel bits, window start a0, synapses) of its new groups.
        let mut groups: Vec<Vec<(Step, u64, Step, u32)>> = try_vec(n_nodes + 1, Vec::new(), NODES)?;
        if compressed {
            let t0_urb = -self.res.duration_steps(1.0);
            for t in [CLOPATH, URBANCZIK] {
                let col = &self.collected[t];
                let mut out = Vec::new();
                try_reserve(&mut out, col.len(), "the compressed groups")?;
                for i in 0..col.len() {
                    if scheme_of[t][col.projection[i] as usize] != Scheme::Compressed {
                        out.push(0);
                        continue;
                    }
                    let pid = self.table_projs[t][col.projection[i] as usize];
                    let (kernel, t0) = match &self.projections[pid as usize].link {
                        Link::Clopath(p) => (p.tau_x.to_bits(), 0),
                        Link::Urbanczik(p) => (p.tau_delta.to_bits(), t0_urb),
                        _ => unreachable!("plastic tables hold plastic links"),
                    };
                    let delay = col.delay[i] as Step;
                    let target = col.target[i] as usize;
                    let archives = &net.shards[shard_of[target] as usize].archives;
                    let old_groups = archive_of[target].map_or(0, |a| {
                        if t == CLOPATH {
                            archives.clopath[a as usize].ltp.groups.len()
                        } else {
                            archives.urbanczik[a as usize].window_keys()
                        }
                    });
                    let gs = &mut groups[target];
                    let gi = match gs.iter().position(|g| g.0 == delay && g.1 == kernel) {
                        Some(i) => i,
                        None => {
                            gs.push((delay, kernel, t0 - delay, 0));
                            gs.len() - 1
                        }
                    } + old_groups;
                    if gi > u16::MAX as usize {
                        return Err(BuildError::Connect(format!(
                            "node {target}: too many distinct (delay, kernel) groups for the compressed scheme"
                        )));
                    }
                    gs[gi - old_groups].3 += 1;
                    out.push(gi as u16);
                }
                group_of[t] = out;
            }
        }
        let ring = if self.cfg.nest_ltd_ring {
            LtdRing::NestCompatible
        } else {
            LtdRing::Complete
        };
        let mut late_archives = Vec::new();
        for (id, &n_in) in n_plastic_in.iter().enumerate() {
            if n_in == 0 {
                continue;
            }
            let b = &self.blocks[self.node_block[id] as usize];
            let p = &b.params[id - b.first as usize];
            // Each group reads the raw history (an Urbanczik–Senn window key may have two).
            let per_key = match p {
                NodeParams::Pp(np) => np.rule().groups_per_window(),
                _ => 1,
            };
            let n_in = n_windowed[id] + (groups[id].len() * per_key) as u32;
            let archives = &mut net.shards[shard_of[id] as usize].archives;
            if let Some(a) = archive_of[id] {
                let a = a as usize;
                match p {
                    NodeParams::Pp(_) => archives.urbanczik[a].history.raw.add_readers(n_in),
                    _ => archives.clopath[a].ltp.raw.add_readers(n_in),
                }
                continue;
            }
            if id <= old_nodes {
                // A built node's first plastic input: an empty archive from now on, as NEST
                // writes a neuron's history only while it has plastic inputs (its delayed ū±
                // live in the neuron).
                late_archives.push(id);
            }
            let clopath = match p {
                NodeParams::Aeif(np) => Some(&np.clopath),
                NodeParams::Hh(np) => Some(&np.clopath),
                _ => None,
            };
            let keep = if self.keep_history { max_delay } else { 0 };
            archive_of[id] = Some(match (p, clopath) {
                (_, Some(cp)) => {
                    let mut a =
                        ClopathArchive::new(cp.rule(self.res), n_in, min_delay, max_delay, ring);
                    a.ltp.raw.set_keep(keep);
                    push(&mut archives.clopath, a)
                }
                (NodeParams::Pp(np), None) => {
                    let mut a = UrbanczikArchive::new(np.rule(), n_in);
                    a.history.raw.set_keep(keep);
                    push(&mut archives.urbanczik, a)
                }
                _ => unreachable!("checked at connect"),
            });
        }
        if compressed {
            for (id, gs) in groups.iter().enumerate() {
                let Some(a) = archive_of[id] else { continue };
                let (a, archives) = (a as usize, &mut net.shards[shard_of[id] as usize].archives);
                match &self.blocks[self.node_block[id] as usize].params
                    [id - self.blocks[self.node_block[id] as usize].first as usize]
                {
                    NodeParams::Pp(_) => {
                        for &(delay, kernel, a0, n) in gs {
                            archives.urbanczik[a].add_window_groups(
                                delay,
                                f64::from_bits(kernel),
                                a0,
                                n,
                                self.res.h(),
                            );
                        }
                    }
                    _ => {
                        for &(delay, kernel, a0, n) in gs {
                            archives.clopath[a].ltp.groups.push(
                                CompressedGroup::new(delay, [f64::from_bits(kernel)], None, a0, n)
                                    .sharing(self.res.h())
                                    .by_slot(),
                            );
                        }
                    }
                }
            }
        }
        {
            // The windowed schemes sum the LTP history decayed at τ_x: each archive keeps a
            // column decayed at the rate of its first windowed Clopath projection (in
            // connection order, so the same for any split); projections with another τ_x sum
            // per entry.
            let h = self.res.h();
            let col = &self.collected[CLOPATH];
            for i in 0..col.len() {
                if scheme_of[CLOPATH][col.projection[i] as usize] == Scheme::Compressed {
                    continue;
                }
                let target = col.target[i] as usize;
                let pid = self.table_projs[CLOPATH][col.projection[i] as usize];
                if let (Some(a), Link::Clopath(p)) =
                    (archive_of[target], &self.projections[pid as usize].link)
                {
                    net.shards[shard_of[target] as usize].archives.clopath[a as usize]
                        .ltp
                        .raw
                        .set_decay(decay_rate(h, p.tau_x));
                }
            }
        }
        let archive_of = &built.archive_of;

        // Recorder indices (new recorders after the old ones).
        grow_to(&mut built.rec_index, n_nodes + 1, u32::MAX)?;
        let rec_index = &mut built.rec_index;
        let recorders = &mut sim.recorders;
        for b in &self.blocks[new_blocks.clone()] {
            let list = match b.model.name {
                "spike_recorder" => &mut recorders.spike_recorders,
                "multimeter" => &mut recorders.multimeters,
                "weight_recorder" => &mut recorders.weight_recorders,
                _ => continue,
            };
            for i in 0..b.params.len() {
                let id = b.first + i as u32;
                rec_index[id as usize] = list.len() as u32;
                list.push((NodeId(id), list.len() as u32));
            }
        }
        let rec_index = &built.rec_index;
        let params_of = |id: NodeId| {
            let b = &self.blocks[self.node_block[id.0 as usize] as usize];
            &b.params[(id.0 - b.first) as usize]
        };
        for (id, _) in &recorders.multimeters[net.multimeters.len()..] {
            let NodeParams::Multimeter(p) = params_of(*id) else {
                unreachable!()
            };
            net.multimeters.push(MultimeterData {
                fields: p.record_from.clone(),
                window: p.recording.bounds(),
                ..Default::default()
            });
        }

        // Device links.
        let recording_of = |id: NodeId| -> (Step, Step) {
            match params_of(id) {
                NodeParams::SpikeRecorder(r) | NodeParams::WeightRecorder(r) => r.bounds(),
                _ => unreachable!("a recorder"),
            }
        };
        let old_spike_recorders = net.spike_recording.windows.len();
        net.spike_recording
            .grow(n_nodes, recorders.spike_recorders.len())?;
        for (w, (id, _)) in net.spike_recording.windows[old_spike_recorders..]
            .iter_mut()
            .zip(&recorders.spike_recorders[old_spike_recorders..])
        {
            *w = recording_of(*id);
        }
        for (id, _) in &recorders.weight_recorders[net.weight_windows.len()..] {
            net.weight_windows.push(recording_of(*id));
            net.weight_records.push(Vec::new());
            for s in &mut net.shards {
                s.weights.push(Vec::new());
            }
        }
        // Per generator: its new targets, each with its rank among all the generator's
        // targets (its train's stream key) — then handed to the target's shard.
        let mut direct: Vec<Vec<(usize, DirectTarget)>> = try_vec(n_nodes + 1, Vec::new(), NODES)?;
        let mut samplings: Vec<(NodeId, NodeId)> = Vec::new();
        let new_conns = &self.conns[built.conns..];
        for c in new_conns {
            match &self.projections[c.projection as usize].link {
                Link::RecordSpikes => net
                    .spike_recording
                    .listen(c.source, rec_index[c.target.0 as usize]),
                Link::Sample => samplings.push((c.source, c.target)),
                Link::Static => {
                    let src = c.source.0 as usize;
                    let rank =
                        built.n_direct.get(src).copied().unwrap_or(0) as usize + direct[src].len();
                    direct[src].push((
                        rank,
                        DirectTarget {
                            source: c.source,
                            target: c.target,
                            channel: channel_base[c.target.0 as usize] + c.channel_offset,
                            weight: c.weight,
                            delay: c.delay,
                        },
                    ))
                }
                _ => unreachable!("synapses are collected by table"),
            }
        }
        grow_to(&mut built.n_direct, n_nodes + 1, 0)?;
        for (src, d) in direct.iter().enumerate() {
            built.n_direct[src] += d.len() as u32;
        }
        // Per table: its projections' parameters and weight recorders.
        let table_projs = std::mem::take(&mut self.table_projs);
        let weight_recorder = |pid: u32| {
            self.projections[pid as usize]
                .weight_recorder
                .map(|w| rec_index[w.0 as usize])
        };
        let clopath_projs: Vec<_> = table_projs[CLOPATH]
            .iter()
            .map(|&pid| match &self.projections[pid as usize].link {
                Link::Clopath(p) => clopath_synapse::Projection {
                    params: p.clone(),
                    weight_recorder: weight_recorder(pid),
                },
                _ => unreachable!(),
            })
            .collect();
        let urbanczik_projs: Vec<_> = table_projs[URBANCZIK]
            .iter()
            .map(|&pid| match &self.projections[pid as usize].link {
                Link::Urbanczik(p) => urbanczik_synapse::Projection {
                    params: p.clone(),
                    weight_recorder: weight_recorder(pid),
                },
                _ => unreachable!(),
            })
            .collect();
        // Node and archive of every new input channel (synapses store only the channel).
        for (k, s) in net.shards.iter_mut().enumerate() {
            try_reserve(&mut s.channel_owner, kinds[k].len(), "the input channels")?;
            try_reserve(&mut s.channel_archive, kinds[k].len(), "the input channels")?;
        }
        for b in &self.blocks[new_blocks.clone()] {
            for i in 0..b.params.len() {
                let id = b.first as usize + i;
                if shard_of[id] == OTHER {
                    continue;
                }
                let s = &mut net.shards[shard_of[id] as usize];
                for _ in 0..b.model.inputs.len() {
                    s.channel_owner.push(id as u32);
                    s.channel_archive.push(archive_of[id].unwrap_or(u32::MAX));
                }
            }
        }
        for (s, k) in net.shards.iter_mut().zip(&kinds) {
            s.inputs.extend(k)?;
        }

        // Multimeter `mm` samples `target`, local node `local` of `samplers`' population.
        let attach =
            |samplers: &mut Samplers, local: usize, mm: NodeId, target: NodeId, tgt: &ModelInfo| {
                let mi = rec_index[mm.0 as usize];
                let NodeParams::Multimeter(mp) = params_of(mm) else {
                    unreachable!()
                };
                let fields = mp
                    .record_from
                    .iter()
                    .map(|f| {
                        tgt.recordables
                            .iter()
                            .position(|r| r == f)
                            .expect("checked at connect")
                    })
                    .collect();
                samplers.attach(local, target, mi, mp.interval_steps, fields)
            };
        // A generator's connections into shard `k`, with their trains' streams.
        let seed = self.cfg.rng_seed;
        let trains_into = |direct: &[Vec<(usize, DirectTarget)>], id: usize, k: usize| {
            direct[id]
                .iter()
                .filter(|(_, t)| shard_of[t.target.0 as usize] as usize == k)
                .map(|(rank, t)| {
                    // A stream per (generator, rank of the connection): independent of threads.
                    let key = ((id as u64) << 32) | *rank as u64;
                    (t.clone(), rng::stream(seed, domain::DYNAMICS, key))
                })
                .collect::<Vec<_>>()
        };

        // Populations: per created block that updates, one per shard (its chunk of the block,
        // or for generators that send directly a copy with the trains into that shard).
        for (bi, b) in self.blocks.iter().enumerate().skip(built.blocks) {
            let place = &mut sim.places[bi];
            for k in 0..n_shards {
                let (lo, hi) = if place.replicated {
                    (b.first, b.first + b.params.len() as u32)
                } else {
                    (place.chunks[k], place.chunks[k + 1])
                };
                if lo == hi {
                    continue;
                }
                let n = (hi - lo) as usize;
                let params = &b.params[(lo - b.first) as usize..(hi - b.first) as usize];
                let first = NodeId(lo);
                let block = || -> Result<Block, BuildError> {
                    let mut blk = Block::new(
                        first,
                        n,
                        channel_base[lo as usize],
                        b.model.inputs.len() as u32,
                        &archive_of[lo as usize..hi as usize],
                    )?;
                    for (mm, target) in &samplings {
                        if target.0 >= lo && target.0 < hi {
                            attach(
                                &mut blk.samplers,
                                (target.0 - lo) as usize,
                                *mm,
                                *target,
                                b.model,
                            )?;
                        }
                    }
                    Ok(blk)
                };
                let pop: Box<dyn Population> = match b.model.name {
                    "aeif_psc_delta_clopath" => {
                        let ps = node_params(params, |p| match p {
                            NodeParams::Aeif(x) => Some(&**x),
                            _ => None,
                        })?;
                        Box::new(AeifPscDeltaClopath::new(&ps, block()?, self.res)?)
                    }
                    "hh_psc_alpha_clopath" => {
                        let ps = node_params(params, |p| match p {
                            NodeParams::Hh(x) => Some(&**x),
                            _ => None,
                        })?;
                        Box::new(HhPscAlphaClopath::new(&ps, block()?, self.res)?)
                    }
                    "pp_cond_exp_mc_urbanczik" => {
                        let ps = node_params(params, |p| match p {
                            NodeParams::Pp(x) => Some(&**x),
                            _ => None,
                        })?;
                        // Each neuron's spikes come from its own stream: independent of threads;
                        // its dendrite's (spike–spike signal) from another, keyed alike.
                        let rngs = (lo..hi)
                            .map(|id| {
                                let key = (id as u64) << 32 | 0xFFFF_FFFF;
                                (
                                    rng::stream(seed, domain::DYNAMICS, key),
                                    rng::stream(seed, domain::DENDRITE_SPIKES, id as u64),
                                )
                            })
                            .collect();
                        Box::new(PpCondExpMcUrbanczik::new(&ps, block()?, self.res, rngs)?)
                    }
                    "parrot_neuron" => Box::new(ParrotNeuron::new(n, block()?)),
                    "spike_generator" => {
                        let ps = node_params(params, |p| match p {
                            NodeParams::SpikeGenerator(x) => Some(&**x),
                            _ => None,
                        })?;
                        Box::new(SpikeGenerator::new(first, ps))
                    }
                    "poisson_generator" | "inhomogeneous_poisson_generator" => {
                        let ps = node_params(params, |p| match p {
                            NodeParams::PoissonGenerator(x) => Some(&**x),
                            _ => None,
                        })?;
                        let targets = (lo..hi)
                            .flat_map(|id| trains_into(&direct, id as usize, k))
                            .collect();
                        Box::new(PoissonGenerator::new(
                            b.model.name,
                            ps,
                            self.res,
                            first,
                            targets,
                            self.keep_trains,
                        ))
                    }
                    "dc_generator" | "step_current_generator" => {
                        let ps = node_params(params, |p| match p {
                            NodeParams::DcGenerator(x) => Some(&**x),
                            _ => None,
                        })?;
                        let targets = (lo..hi)
                            .flat_map(|id| trains_into(&direct, id as usize, k))
                            .map(|(t, _)| t)
                            .collect();
                        Box::new(DcGenerator::new(b.model.name, ps, lo, targets))
                    }
                    _ => continue,
                };
                let pops = &mut net.shards[k].populations;
                place.pops[k] = Some(pops.len());
                pops.push(pop);
            }
        }
        // Links from old devices and multimeters, or onto old neurons: into their populations.
        for &(mm, target) in &samplings {
            let bi = self.node_block[target.0 as usize] as usize;
            if bi >= built.blocks || shard_of[target.0 as usize] == OTHER {
                continue;
            }
            let (k, pop, local) = sim.places[bi].place_of(target.0, shard_of);
            let samplers = net.shards[k].populations[pop]
                .samplers_mut()
                .expect("checked at connect: the target has recordables");
            attach(samplers, local, mm, target, self.blocks[bi].model)?;
        }
        for (bi, b) in self.blocks[..built.blocks].iter().enumerate() {
            if !sim.places[bi].replicated {
                continue;
            }
            for k in 0..n_shards {
                let Some(pop) = sim.places[bi].pops[k] else {
                    continue;
                };
                let any = net.shards[k].populations[pop].as_any_mut();
                for id in b.first as usize..b.first as usize + b.params.len() {
                    let trains = trains_into(&direct, id, k);
                    if trains.is_empty() {
                        continue;
                    }
                    if let Some(g) = any.downcast_mut::<PoissonGenerator>() {
                        g.add_targets(NodeId(b.first), trains);
                    } else if let Some(g) = any.downcast_mut::<DcGenerator>() {
                        g.add_targets(trains.into_iter().map(|(t, _)| t).collect());
                    } else {
                        unreachable!("only generators send directly");
                    }
                }
            }
        }
        for id in late_archives {
            let bi = self.node_block[id] as usize;
            let b = &self.blocks[bi];
            let a = archive_of[id];
            let (k, pop, local) = sim.places[bi].place_of(id as u32, shard_of);
            let s = &mut net.shards[k];
            let ids = s.populations[pop]
                .archive_ids_mut()
                .expect("checked at connect: the target takes plastic inputs");
            ids[local] = a;
            for o in 0..b.model.inputs.len() {
                s.channel_archive[channel_base[id] as usize + o] = a.expect("just made");
            }
        }

        // Synapse tables, per shard the synapses onto its nodes: the collected columns are
        // split by the target's shard, then sorted by source in place and their targets turned
        // into channels, so no table exists twice in memory.
        let old_tables: Vec<usize> = net.shards.iter().map(|s| s.synapses.len()).collect();
        let [stat, mut clop, mut urb, stat_rec] = std::mem::take(&mut self.collected);
        clop.group = std::mem::take(&mut group_of[CLOPATH]);
        urb.group = std::mem::take(&mut group_of[URBANCZIK]);
        let rec_of_stat: Vec<u32> = table_projs[STATIC_RECORDED]
            .iter()
            .map(|&pid| {
                self.projections[pid as usize]
                    .weight_recorder
                    .map_or(u32::MAX, |w| rec_index[w.0 as usize])
            })
            .collect();
        let split = |c: Collected| -> Result<Vec<Collected>, KernelError> {
            if c.is_empty() {
                Ok(vec![Collected::default(); n_shards])
            } else {
                c.split(shard_of, n_shards)
            }
        };
        let (stat_rec, stat, clop, urb) =
            (split(stat_rec)?, split(stat)?, split(clop)?, split(urb)?);
        for (k, (((stat_rec, stat), clop), urb)) in stat_rec
            .into_iter()
            .zip(stat)
            .zip(clop)
            .zip(urb)
            .enumerate()
        {
            let synapses = &mut net.shards[k].synapses;
            if !stat_rec.is_empty() {
                let t = stat_rec.into_table(n_nodes, channel_base)?;
                synapses.push(Box::new(StaticTable::recorded(
                    t.rows,
                    t.channel,
                    t.delay,
                    t.weight,
                    t.projection,
                    rec_of_stat.clone(),
                )));
            }
            if !stat.is_empty() {
                let t = stat.into_table(n_nodes, channel_base)?;
                synapses.push(Box::new(StaticTable::new(
                    t.rows, t.channel, t.delay, t.weight,
                )));
            }
            // One table per scheme used (in the order event, compressed, time).
            for (part, scheme) in clop
                .split_by(|p| cost::index(scheme_of[CLOPATH][p]), 3)?
                .into_iter()
                .zip(cost::SCHEMES)
            {
                if part.is_empty() {
                    continue;
                }
                let t = part.into_table(n_nodes, channel_base)?;
                synapses.push(Box::new(ClopathTable::new(
                    t.rows,
                    t.channel,
                    t.delay,
                    t.projection,
                    t.weight,
                    t.group,
                    clopath_projs.clone(),
                    self.res,
                    scheme,
                )?));
            }
            // τ_L, τ_syn_ex, τ_syn_in of each input channel's dendrite (Urbanczik targets).
            let taus: Vec<[f64; 3]> = if urb.is_empty() {
                Vec::new()
            } else {
                let s = &net.shards[k];
                s.channel_archive
                    .iter()
                    .map(|&a| {
                        s.archives
                            .urbanczik
                            .get(a as usize)
                            .map_or([0.0; 3], |x| urbanczik_synapse::dendrite_taus(&x.rule))
                    })
                    .collect()
            };
            let synapses = &mut net.shards[k].synapses;
            for (part, scheme) in urb
                .split_by(|p| cost::index(scheme_of[URBANCZIK][p]), 3)?
                .into_iter()
                .zip(cost::SCHEMES)
            {
                if part.is_empty() {
                    continue;
                }
                let t = part.into_table(n_nodes, channel_base)?;
                synapses.push(Box::new(UrbanczikTable::new(
                    t.rows,
                    t.channel,
                    t.delay,
                    t.projection,
                    t.weight,
                    t.group,
                    urbanczik_projs.clone(),
                    &taus,
                    self.res,
                    scheme,
                )?));
            }
        }
        sim.schemes = self.scheme_choices();
        let net = &mut sim.network;
        net.time_driven = net
            .shards
            .iter()
            .flat_map(|s| &s.synapses)
            .any(|t| t.scheme() == Some(Scheme::Time));
        let pending = !net.spikes.is_empty();
        for (s, old) in net.shards.iter_mut().zip(old_tables) {
            if s.synapses.len() > old && pending {
                s.outbox_tables = s.outbox_tables.min(old);
            }
        }
        net.multimeters.shrink_to_fit();

        let more = n_nodes - old_nodes;
        try_reserve(&mut sim.node_models, more, NODES)?;
        try_reserve(&mut net.counts_spikes, more, NODES)?;
        for b in &self.blocks[new_blocks] {
            for _ in 0..b.params.len() {
                sim.node_models.push(b.model.name);
                net.counts_spikes.push(b.model.kind == ModelKind::Neuron);
            }
        }
        net.n_nodes = n_nodes;
        sim.device_links
            .extend(new_conns.iter().map(|c| ConnectionInfo {
                source: c.source,
                target: c.target,
                weight: c.weight,
                delay_ms: self.res.ms(c.delay),
            }));
        sim.projection_models = self.projections.iter().map(|p| p.model).collect();
        sim.projection_tags = self.projections.iter().map(|p| p.tag).collect();
        sim.n_synapses = self.n_synapses;
        sim.n_connections = self.n_connections;
        if let (Some(all), Some(new)) = (&mut sim.connections, &mut self.dump) {
            all.append(new);
        }
        built.blocks = self.blocks.len();
        built.conns = self.conns.len();
        built.nodes = n_nodes;
        Ok(())
    }
}

impl Simulation {
    /// Every (shard, population, local index) that holds node `id`: one, or one per shard
    /// for a generator that sends directly; none for a recorder.
    pub fn places_of(&self, id: NodeId) -> Vec<(usize, usize, usize)> {
        let bi = self.places.partition_point(|b| b.first <= id.0);
        match bi.checked_sub(1).map(|i| &self.places[i]) {
            Some(b) if id.0 < b.first + b.n => b.places(id.0).collect(),
            _ => Vec::new(),
        }
    }
}

/// Where the nodes of one create block live among the shards.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockPlace {
    pub first: u32,
    pub n: u32,
    /// Devices that send to each target directly: every shard holds a copy of all of the
    /// block's nodes (with the trains into that shard); otherwise shard `k` holds the nodes
    /// `chunks[k]..chunks[k + 1]`.
    pub replicated: bool,
    pub chunks: Vec<u32>,
    /// Per shard: its population of this block, if any (recorders have none).
    pub pops: Vec<Option<usize>>,
}

impl BlockPlace {
    /// (shard, population, local index) of node `id` of a block that is not replicated
    /// (`shard_of`: every node's shard).
    fn place_of(&self, id: u32, shard_of: &[u16]) -> (usize, usize, usize) {
        let k = shard_of[id as usize] as usize;
        let pop = self.pops[k].expect("the node's shard holds its population");
        (k, pop, (id - self.chunks[k]) as usize)
    }

    /// Every (shard, population, local index) that holds node `id`: one place, or one per
    /// shard for a replicated block.
    pub fn places(&self, id: u32) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.pops.iter().enumerate().filter_map(move |(k, p)| {
            let pop = (*p)?;
            if self.replicated {
                Some((k, pop, (id - self.first) as usize))
            } else if id >= self.chunks[k] && id < self.chunks[k + 1] {
                Some((k, pop, (id - self.chunks[k]) as usize))
            } else {
                None
            }
        })
    }
}

/// What the built network holds already, for [`NetworkBuilder::grow`] and for the checks of
/// connections made after the build.
#[derive(Debug, Default)]
struct Built {
    /// (min_delay, max_delay) of the built network: fixed from then on, as in NEST.
    delays: (Step, Step),
    /// Blocks, device links and nodes laid out so far.
    blocks: usize,
    conns: usize,
    nodes: usize,
    /// Per node id: its shard, its first input channel and archive id (both the shard's own),
    /// its recorder index, and the connections it sends directly (a generator's).
    shard_of: Vec<u16>,
    channel_base: Vec<u32>,
    archive_of: Vec<Option<u32>>,
    rec_index: Vec<u32>,
    n_direct: Vec<u32>,
}

/// The shard of a node that lives in another process.
const OTHER: u16 = u16::MAX;

/// Appends `x` and returns its index.
fn push<T>(v: &mut Vec<T>, x: T) -> u32 {
    v.push(x);
    (v.len() - 1) as u32
}

/// The parameters of a block's nodes as the model's own type (a block holds one model).
fn node_params<T: Clone>(
    ps: &[NodeParams],
    pick: impl Fn(&NodeParams) -> Option<&T>,
) -> Result<Vec<T>, KernelError> {
    let mut out = Vec::new();
    try_reserve(&mut out, ps.len(), "the node parameters")?;
    out.extend(
        ps.iter()
            .map(|p| pick(p).expect("a block holds nodes of one model").clone()),
    );
    Ok(out)
}
