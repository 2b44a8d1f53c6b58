//! The network and its step loop, written once as named stages per `min_delay` slice:
//! deliver (last slice's spikes through the synapses into input rings and plastic weights) →
//! update (every population over the slice, writing archives and emitting spikes) →
//! collect (spike recorders and counters).

use std::ops::ControlFlow;
use std::time::Instant;

pub use crate::archive::Archives;
use crate::archive::RuleCounters;
use crate::archive::Scheme;
use crate::build_error::BuildError;
use crate::error::{GridTime, NumericalInstability, Site};
use crate::inputs::InputBuffers;
use crate::record::{MultimeterData, SpikeRecording, WeightRecord};
use crate::snapshot::{Snap, Snapshot};
use crate::time::{Resolution, Step};
use crate::value::ParamMap;
use crate::NodeId;

/// A spike leaving `source`, stamped at the end of the step it was emitted in.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SpikeEvent {
    pub source: NodeId,
    pub stamp: Step,
    pub multiplicity: u32,
    /// Per-spike weight factor (`spike_generator`'s `spike_weights`), 1 otherwise.
    pub weight_factor: f64,
}

/// An event a device sends to one target directly (a Poisson draw or a current), already
/// resolved to an input channel and arrival stamp.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DirectEvent {
    pub channel: u32,
    pub arrival: Step,
    pub value: DirectValue,
}

/// What a direct event carries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DirectValue {
    /// A spike of a weight and multiplicity (goes through the channel's kind).
    Spike { weight: f64, multiplicity: u32 },
    /// A current or other plain value.
    Value(f64),
}

impl Default for DirectValue {
    fn default() -> Self {
        DirectValue::Value(0.0)
    }
}

/// A train a stochastic device generated for one connection: source, target and
/// `(stamp, multiplicity)` events.
pub type GeneratedTrain = (NodeId, NodeId, Vec<(Step, u32)>);

/// What the update stage produces for delivery in the next slice.
#[derive(Debug, Default)]
pub struct Outbox {
    pub spikes: Vec<SpikeEvent>,
    pub direct: Vec<DirectEvent>,
}

/// What a population may touch while it updates one slice.
pub struct SliceCtx<'a> {
    pub res: Resolution,
    /// First step of the slice (step `k` ends at stamp `k + 1`).
    pub from: Step,
    /// One past the last step.
    pub to: Step,
    pub inputs: &'a mut InputBuffers,
    pub archives: &'a mut Archives,
    pub out: &'a mut Outbox,
}

/// What a synapse table may touch while delivering spikes.
pub struct DeliverCtx<'a> {
    pub res: Resolution,
    /// Node id owning each input channel (synapses store channels, not nodes).
    pub channel_owner: &'a [u32],
    /// Archive id (within its rule's archives) of each channel's node, or `u32::MAX`.
    pub channel_archive: &'a [u32],
    pub inputs: &'a mut InputBuffers,
    pub archives: &'a mut Archives,
    pub weights: &'a mut Vec<Vec<WeightRecord>>,
    /// Per weight recorder: the stamps it records (`lo < stamp ≤ hi`).
    pub weight_windows: &'a [(Step, Step)],
    /// The first non-finite weight a table met (the slice then stops with this error).
    pub fault: Option<NumericalInstability>,
}

impl DeliverCtx<'_> {
    /// Records a non-finite plastic update of the synapse from `sender` onto input channel
    /// `channel` at the spike stamped `stamp` (the first one is kept): the weight is where the
    /// value arose, so the error names the synapse, not the neuron it would reach.
    #[cold]
    pub fn non_finite_weight(
        &mut self,
        model: &'static str,
        sender: NodeId,
        channel: u32,
        stamp: Step,
        what: String,
    ) {
        if self.fault.is_none() {
            self.fault = Some(NumericalInstability {
                site: Site::Synapse {
                    model,
                    source: sender.0,
                    target: self.channel_owner[channel as usize],
                },
                time: GridTime::of(self.res, stamp),
                what,
            });
        }
    }

    /// Appends a weight_recorder row for a synapse onto input channel `channel`.
    #[inline]
    pub fn record_weight(
        &mut self,
        recorder: u32,
        sender: NodeId,
        channel: u32,
        stamp: Step,
        weight: f64,
    ) {
        let (lo, hi) = self.weight_windows[recorder as usize];
        if stamp <= lo || stamp > hi {
            return;
        }
        let target = NodeId(self.channel_owner[channel as usize]);
        self.weights[recorder as usize].push(WeightRecord {
            sender,
            target,
            stamp,
            weight,
        });
    }
}

/// What a population may read while it takes a `SetStatus` between runs.
#[derive(Clone, Copy, Debug)]
pub struct StatusCtx {
    pub res: Resolution,
    /// Steps simulated so far: the new values apply from this step on (stamps `> now`).
    pub now: Step,
}

/// Access to a population's concrete type (a device gaining connections after the build is
/// found through it by the builder, which knows the device types; the step loop never uses it).
pub trait AsAny {
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any;
}

impl<T: std::any::Any> AsAny for T {
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

/// A population of nodes of one model, updated by one loop over its nodes.
pub trait Population: AsAny + Send + Sync {
    /// NEST model name.
    fn model(&self) -> &'static str;
    /// Advances every node over steps `ctx.from..ctx.to`.
    fn update(&mut self, ctx: &mut SliceCtx<'_>) -> Result<(), NumericalInstability>;
    /// Moves multimeter samples taken so far into `out` (indexed by multimeter).
    fn drain_samples(&mut self, _out: &mut [MultimeterData]) {}
    /// The multimeter samplers of a population that can be sampled (a multimeter connected
    /// after the build attaches there).
    fn samplers_mut(&mut self) -> Option<&mut crate::record::Samplers> {
        None
    }
    /// The archive id of each node of a population whose nodes can have plastic inputs (a
    /// built node that gains its first plastic input between runs gets one there).
    fn archive_ids_mut(&mut self) -> Option<&mut [Option<u32>]> {
        None
    }
    /// Appends `(source, target, [(stamp, multiplicity)])` for every train a stochastic device
    /// generated, if it was asked to keep them.
    fn generated_trains(&self, _out: &mut Vec<GeneratedTrain>) {}
    /// Saves or restores every piece of mutable state (nodes, RNG streams, positions, samples
    /// not yet drained) for a checkpoint (`snapshot.rs`).
    fn snapshot(&mut self, s: &mut Snap);
    /// NEST's GetStatus of local node `i` (0-based in this population): every parameter and
    /// state variable by its NEST name, as NEST 3.10 reports them.
    fn get_status(&self, i: usize, out: &mut ParamMap);
    /// NEST's SetStatus of local node `i`: all given keys are validated against the node's
    /// current values first (a refusal changes nothing), then swapped in and derived values
    /// recalculated (calibrate). Takes effect from step `ctx.now` on.
    fn set_status(&mut self, i: usize, p: &ParamMap, ctx: &StatusCtx) -> Result<(), BuildError>;
}

/// One connection as reported at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnectionInfo {
    pub source: NodeId,
    pub target: NodeId,
    pub weight: f64,
    pub delay_ms: f64,
}

/// The columns every table keeps by source: its layout and, per row, the target's input
/// channel, the delay in steps and the weight.
pub struct RowColumns<'a> {
    pub rows: &'a crate::csr::BySource,
    pub channel: &'a [u32],
    pub delay: &'a [u16],
    pub weight: &'a [f64],
}

/// The connections of one synapse model, stored by source so a spike reaches its targets
/// without scanning unrelated synapses.
pub trait SynapseTable: Send + Sync {
    /// NEST model name.
    fn model(&self) -> &'static str;
    /// True for plastic models (reported in `connections.csv`).
    fn is_plastic(&self) -> bool;
    /// Number of connections.
    fn len(&self) -> usize;
    /// True if the table holds no connection.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Sends `spikes` (in stamp order) through this table's connections.
    fn deliver(&mut self, spikes: &[SpikeEvent], ctx: &mut DeliverCtx<'_>);
    /// Brings synapses up to date with the archives up to stamp `upto` (minus their delay),
    /// each table by its own scheme: a time-driven table all its synapses if `time` (a slice
    /// origin on the `min_delay` grid); an event-driven one, if `catch_up`, those whose target
    /// archive is flagged `catch_up` (over its horizon); a compressed one nothing (the archive
    /// folds its groups). Weights stay as at the last spike.
    fn advance(&mut self, _upto: Step, _time: bool, _catch_up: bool, _ctx: &mut DeliverCtx<'_>) {}
    /// How the table's synapses read the archives (`None`: not plastic).
    fn scheme(&self) -> Option<Scheme> {
        None
    }
    /// The table's columns by source, for [`SynapseTable::connections`].
    fn columns(&self) -> RowColumns<'_>;
    /// Appends the connections from the nodes in `sources` with their current weights, in row
    /// order (`channel_owner`: node of each channel; `0..u32::MAX`: every connection).
    fn connections(
        &self,
        res: Resolution,
        channel_owner: &[u32],
        sources: std::ops::Range<u32>,
        out: &mut Vec<ConnectionInfo>,
    ) {
        let c = self.columns();
        for r in c.rows.rows_of(sources) {
            out.push(ConnectionInfo {
                source: c.rows.source_of(r),
                target: NodeId(channel_owner[c.channel[r] as usize]),
                weight: c.weight[r],
                delay_ms: res.ms(c.delay[r] as Step),
            });
        }
    }
    /// Saves or restores the weights and the rule's state for a checkpoint (`snapshot.rs`).
    fn snapshot(&mut self, s: &mut Snap);
    /// NEST's GetStatus of connection `row` (rows in the table's own order, as `connections()` lists them):
    /// weight, delay (ms) and the rule's parameters and state by NEST name (not source/target/synapse_model: the caller adds those).
    fn get_conn(&self, row: usize, res: Resolution, out: &mut ParamMap);
    /// NEST's SetStatus of connection `row`: validated first, then applied.
    fn set_conn(&mut self, row: usize, p: &ParamMap, res: Resolution) -> Result<(), BuildError>;
}

/// Counts of what the stages did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StageCounters {
    pub slices: u64,
    /// Spikes of neurons (parrots included), times their multiplicity; devices' spikes are
    /// not counted, as in NEST's `local_spike_counter`.
    pub spikes_emitted: u64,
    pub spikes_delivered: u64,
    pub direct_events: u64,
    /// Slices in which synapses were brought up to date outside spikes.
    pub catch_ups: u64,
}

/// Wall-clock seconds spent in each stage of the step loop (not state: a resumed run counts
/// from zero). With several shards, a stage's time is the longest any shard spent in it
/// (shards run the stages side by side); `collect` is the merge of their spikes and what
/// follows it, done once; `exchange` the time in the ranks' per-slice exchange (0 in one
/// process), which includes waiting for the slowest rank.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StageTimes {
    pub deliver: f64,
    pub advance: f64,
    pub update: f64,
    pub collect: f64,
    pub exchange: f64,
}

/// How the processes of a run (MPI ranks) share what each slice needs
/// ([`Network::simulate_exchanging`]). Every method is a collective: every rank calls it at
/// the same point, in the same order.
pub trait Exchange {
    /// This process's rank and the number of ranks.
    fn rank(&self) -> usize;
    fn ranks(&self) -> usize;
    /// Every rank's `mine` into `all`, in rank order, with each rank's range in it. The
    /// buffers are reused: once they are large enough, nothing is allocated.
    fn all_gather(&self, mine: &[u8], all: &mut Vec<u8>, ranges: &mut Vec<std::ops::Range<usize>>);
    /// Every rank's `mine` at rank 0 only (`None` elsewhere), as one buffer and each rank's
    /// range in it, in rank order.
    fn gather_to_root(&self, mine: &[u8]) -> Option<(Vec<u8>, Vec<std::ops::Range<usize>>)>;
    /// True if any rank says true.
    fn any(&self, mine: bool) -> bool;
}

/// The bytes of a spike in the exchange.
const SPIKE_BYTES: usize = 4 + 8 + 4 + 8;

/// A slice's spikes, or this rank's error, and the flags of [`SliceFlags`], for the exchange.
fn encode_slice(
    spikes: &[SpikeEvent],
    fault: Option<&NumericalInstability>,
    flags: SliceFlags,
    out: &mut Vec<u8>,
) {
    out.clear();
    out.push(flags.caught_up as u8 | (flags.stop as u8) << 1);
    match fault {
        None => out.push(0),
        Some(e) => {
            out.push(1);
            encode_fault(e, out);
            return;
        }
    }
    for s in spikes {
        out.extend_from_slice(&s.source.0.to_le_bytes());
        out.extend_from_slice(&s.stamp.to_le_bytes());
        out.extend_from_slice(&s.multiplicity.to_le_bytes());
        out.extend_from_slice(&s.weight_factor.to_le_bytes());
    }
}

/// What a slice ends with besides its spikes; with several ranks, true if true on any rank.
#[derive(Clone, Copy, Debug, Default)]
struct SliceFlags {
    /// Synapses were brought up to date outside spikes (counted once per slice, whichever
    /// shard or rank did it, so the counter is the same for any split).
    caught_up: bool,
    /// The progress callback asked to stop after this slice.
    stop: bool,
}

/// The buffers of the per-slice exchange, kept from slice to slice.
#[derive(Debug, Default)]
pub struct ExchangeBuffers {
    mine: Vec<u8>,
    all: Vec<u8>,
    ranges: Vec<std::ops::Range<usize>>,
}

fn encode_fault(e: &NumericalInstability, out: &mut Vec<u8>) {
    let (kind, a, b, model) = match &e.site {
        Site::Node { node, model } => (0u8, *node, 0, *model),
        Site::Recording { node } => (1, *node, 0, ""),
        Site::Synapse {
            model,
            source,
            target,
        } => (2, *source, *target, *model),
    };
    out.push(kind);
    out.extend_from_slice(&a.to_le_bytes());
    out.extend_from_slice(&b.to_le_bytes());
    out.extend_from_slice(&e.time.tics.to_le_bytes());
    for s in [model, e.what.as_str()] {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
}

fn decode_fault(b: &[u8]) -> NumericalInstability {
    let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
    let (kind, a, c) = (b[0], u32_at(1), u32_at(5));
    let tics = i64::from_le_bytes(b[9..17].try_into().expect("8 bytes"));
    let mut at = 17;
    let mut text = || {
        let n = u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes")) as usize;
        let s = String::from_utf8_lossy(&b[at + 8..at + 8 + n]).into_owned();
        at += 8 + n;
        s
    };
    // A model name of another process's error: leaked once, as the run stops with it.
    let model: &'static str = Box::leak(text().into_boxed_str());
    let what = text();
    let site = match kind {
        0 => Site::Node { node: a, model },
        1 => Site::Recording { node: a },
        _ => Site::Synapse {
            model,
            source: a,
            target: c,
        },
    };
    NumericalInstability {
        site,
        time: GridTime { tics },
        what,
    }
}

/// Every rank's spikes of the slice appended to `spikes` (this rank's first removed and put
/// back in rank order), or the error of the lowest rank that failed.
fn exchange_slice(
    ex: &dyn Exchange,
    spikes: &mut Vec<SpikeEvent>,
    fault: Option<NumericalInstability>,
    flags: SliceFlags,
    b: &mut ExchangeBuffers,
) -> Result<SliceFlags, NumericalInstability> {
    encode_slice(spikes, fault.as_ref(), flags, &mut b.mine);
    ex.all_gather(&b.mine, &mut b.all, &mut b.ranges);
    let theirs = || b.ranges.iter().map(|r| &b.all[r.clone()]);
    if let Some(m) = theirs().find(|m| m[1] == 1) {
        return Err(fault.unwrap_or_else(|| decode_fault(&m[2..])));
    }
    spikes.clear();
    let mut any = SliceFlags::default();
    for m in theirs() {
        any.caught_up |= m[0] & 1 != 0;
        any.stop |= m[0] & 2 != 0;
        for c in m[2..].chunks_exact(SPIKE_BYTES) {
            spikes.push(SpikeEvent {
                source: NodeId(u32::from_le_bytes(c[0..4].try_into().expect("4"))),
                stamp: Step::from_le_bytes(c[4..12].try_into().expect("8")),
                multiplicity: u32::from_le_bytes(c[12..16].try_into().expect("4")),
                weight_factor: f64::from_le_bytes(c[16..24].try_into().expect("8")),
            });
        }
    }
    Ok(any)
}

/// What every shard reads during a slice.
#[derive(Clone, Copy)]
struct SliceArgs<'a> {
    res: Resolution,
    from: Step,
    to: Step,
    /// Some table is time-driven.
    time_driven: bool,
    /// The slice starts on the `min_delay` grid. A run that stops mid-slice (a `Simulate` of
    /// a time not a multiple of `min_delay`) continues with slices cut short; the time-driven
    /// scheme advances only at grid origins, so its windows, and their rounding, do not
    /// depend on where a run's `Simulate` calls end.
    aligned: bool,
    horizon: usize,
    weight_windows: &'a [(Step, Step)],
    /// The merged spikes of the previous slice.
    spikes: &'a [SpikeEvent],
}

/// What one worker owns: its nodes (a share of every create block) and everything only they
/// touch — their populations, input rings, archives, the synapses onto them (laid out by
/// source), their devices' per-target trains — with local channel and archive ids.
/// ARCHITECTURE.md, "Shards".
pub struct Shard {
    pub populations: Vec<Box<dyn Population>>,
    pub synapses: Vec<Box<dyn SynapseTable>>,
    pub inputs: InputBuffers,
    /// Node id owning each of this shard's input channels.
    pub channel_owner: Vec<u32>,
    /// Archive id (in this shard's archives) of each channel's node, or `u32::MAX`.
    pub channel_archive: Vec<u32>,
    pub archives: Archives,
    /// Spikes this shard's nodes emitted in the current slice (merged by the network after
    /// it), and device events for this shard's own channels (delivered in the next slice).
    pub outbox: Outbox,
    /// Weight records of the current slice, per weight recorder (moved to the network after
    /// it).
    pub weights: Vec<Vec<WeightRecord>>,
    /// Synapse tables the spikes of the previous slice go through: tables added after them
    /// (connections made between runs) do not get them, as in NEST
    /// (tools/nest_check/NEST_SEMANTICS.md §11). `usize::MAX`: every table.
    pub outbox_tables: usize,
    pub direct_events: u64,
    pub stage_times: StageTimes,
    /// The outcome of the current slice: whether archives were caught up, or the error.
    done: Result<bool, NumericalInstability>,
}

impl Default for Shard {
    fn default() -> Self {
        Self {
            populations: Vec::new(),
            synapses: Vec::new(),
            inputs: InputBuffers::default(),
            channel_owner: Vec::new(),
            channel_archive: Vec::new(),
            archives: Archives::default(),
            outbox: Outbox::default(),
            weights: Vec::new(),
            outbox_tables: usize::MAX,
            direct_events: 0,
            stage_times: StageTimes::default(),
            done: Ok(false),
        }
    }
}

impl Shard {
    /// An empty shard whose input rings fit delays up to `max_delay` in slices of `min_delay`.
    pub fn new(min_delay: Step, max_delay: Step) -> Result<Self, crate::KernelError> {
        Ok(Self {
            inputs: InputBuffers::new(Vec::new(), min_delay, max_delay)?,
            ..Self::default()
        })
    }

    /// One slice of this shard: deliver, advance, update; the outcome in `self.done`.
    fn slice(&mut self, a: &SliceArgs<'_>) {
        self.done = self.run_slice(a);
    }

    fn run_slice(&mut self, a: &SliceArgs<'_>) -> Result<bool, NumericalInstability> {
        // Four clock reads per slice: far below the cost of a slice.
        let t0 = Instant::now();
        self.deliver(a)?;
        let t1 = Instant::now();
        let caught_up = self.advance(a);
        let t2 = Instant::now();
        self.update(a)?;
        self.archives.sample_lengths();
        let t3 = Instant::now();
        let st = &mut self.stage_times;
        st.deliver += (t1 - t0).as_secs_f64();
        st.advance += (t2 - t1).as_secs_f64();
        st.update += (t3 - t2).as_secs_f64();
        Ok(caught_up)
    }

    /// Stage 1: last slice's spikes through every synapse table; device events into rings.
    /// Fails if a plastic update produced a non-finite weight.
    fn deliver(&mut self, a: &SliceArgs<'_>) -> Result<(), NumericalInstability> {
        let mut ctx = DeliverCtx {
            res: a.res,
            channel_owner: &self.channel_owner,
            channel_archive: &self.channel_archive,
            inputs: &mut self.inputs,
            archives: &mut self.archives,
            weights: &mut self.weights,
            weight_windows: a.weight_windows,
            fault: None,
        };
        if !a.spikes.is_empty() {
            let n = self.outbox_tables.min(self.synapses.len());
            for table in &mut self.synapses[..n] {
                table.deliver(a.spikes, &mut ctx);
            }
        }
        for e in &self.outbox.direct {
            match e.value {
                DirectValue::Spike {
                    weight,
                    multiplicity,
                } => ctx
                    .inputs
                    .add_spike(e.channel, e.arrival, weight, multiplicity),
                DirectValue::Value(v) => ctx.inputs.add_value(e.channel, e.arrival, v),
            }
        }
        self.direct_events += self.outbox.direct.len() as u64;
        self.outbox.direct.clear();
        self.outbox_tables = usize::MAX;
        ctx.fault.map_or(Ok(()), Err)
    }

    /// Stage 1b: bring synapses up to date with the archives up to the slice origin (minus
    /// their delay; every later spike is stamped after it): all of them in the time-driven
    /// scheme; in the event and compressed schemes only those onto archives over the horizon,
    /// so that memory stays bounded when an input falls silent. Weights are unchanged by this.
    /// Returns whether anything was caught up.
    fn advance(&mut self, a: &SliceArgs<'_>) -> bool {
        let (h, origin, horizon) = (a.res.h(), a.from, a.horizon);
        let mut any = false;
        self.archives.each_history(|hist, _| {
            let over = hist.raw_len() > horizon;
            *hist.catch_up() = over;
            any |= over;
        });
        let time = a.time_driven && a.aligned;
        if !time && !any {
            return false;
        }
        if any {
            self.archives.each_history(|hist, c| {
                if *hist.catch_up() {
                    hist.fold_groups(origin, h, c);
                }
            });
        }
        let mut ctx = DeliverCtx {
            res: a.res,
            channel_owner: &self.channel_owner,
            channel_archive: &self.channel_archive,
            inputs: &mut self.inputs,
            archives: &mut self.archives,
            weights: &mut self.weights,
            weight_windows: a.weight_windows,
            fault: None,
        };
        for table in &mut self.synapses {
            table.advance(origin, time, any, &mut ctx);
        }
        self.archives.each_history(|hist, _| {
            if time || *hist.catch_up() {
                hist.prune();
                *hist.catch_up() = false;
            }
        });
        true
    }

    /// Stage 2: every population over steps `from..to`.
    fn update(&mut self, a: &SliceArgs<'_>) -> Result<(), NumericalInstability> {
        let mut ctx = SliceCtx {
            res: a.res,
            from: a.from,
            to: a.to,
            inputs: &mut self.inputs,
            archives: &mut self.archives,
            out: &mut self.outbox,
        };
        for p in &mut self.populations {
            p.update(&mut ctx)?;
        }
        Ok(())
    }
}

/// A built network, ready to simulate: its shards and what is merged from them.
pub struct Network {
    pub res: Resolution,
    pub min_delay: Step,
    pub max_delay: Step,
    pub n_nodes: usize,
    pub shards: Vec<Shard>,
    /// The spikes of the last slice, merged from every shard in a total order; delivered at
    /// the start of the next slice (spikes of a run's last slice wait here, as in NEST).
    pub spikes: Vec<SpikeEvent>,
    pub spike_recording: SpikeRecording,
    /// Per node id: its spikes count in `counters.spikes_emitted` (neurons, not devices).
    pub counts_spikes: Vec<bool>,
    pub weight_records: Vec<Vec<WeightRecord>>,
    /// Per weight recorder: the stamps it records, `lo < stamp ≤ hi` (NEST's recorder window).
    pub weight_windows: Vec<(Step, Step)>,
    pub multimeters: Vec<MultimeterData>,
    /// Steps simulated so far.
    pub now: Step,
    pub counters: StageCounters,
    /// Some synapse table is time-driven (its synapses are advanced every `min_delay` slice).
    pub time_driven: bool,
    /// An archive holding more entries than this is caught up (event, compressed schemes).
    pub horizon_entries: usize,
    /// Where the time of `simulate` went, per stage.
    pub stage_times: StageTimes,
    /// Worker threads for all shards but the first, which the calling thread runs (none with
    /// one shard).
    pub pool: Option<crate::workers::Workers>,
    /// The exchange's byte buffer (kept, so a slice allocates nothing new once it has grown).
    pub exchange: ExchangeBuffers,
    /// What the other processes hold, gathered to rank 0 for output ([`Network::gather`]).
    pub remote: Remote,
    /// Processes (MPI ranks) of the run, each with `shards.len()` shards.
    pub ranks: usize,
}

/// Results of the other processes (MPI ranks) that rank 0 writes.
#[derive(Debug, Default)]
pub struct Remote {
    /// Their rules' counters (clopath, urbanczik) and archives.
    pub counters: (RuleCounters, RuleCounters),
    pub archives: (usize, usize),
    /// Their device events.
    pub direct_events: u64,
}

/// Little-endian writing and reading of what [`Network::gather`] moves.
struct Bytes<'a> {
    b: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    fn u64(&mut self) -> u64 {
        let x = u64::from_le_bytes(self.b[self.at..self.at + 8].try_into().expect("8 bytes"));
        self.at += 8;
        x
    }
    fn f64(&mut self) -> f64 {
        f64::from_bits(self.u64())
    }
}

fn put(out: &mut Vec<u8>, x: u64) {
    out.extend_from_slice(&x.to_le_bytes());
}

fn put_counters(out: &mut Vec<u8>, c: &RuleCounters) {
    for x in [
        c.synapse_calls,
        c.weight_change_computations,
        c.history_manipulations,
        c.history_entries_max,
        c.history_entries_sum,
        c.history_samples,
    ] {
        put(out, x);
    }
}

fn get_counters(b: &mut Bytes<'_>) -> RuleCounters {
    RuleCounters {
        synapse_calls: b.u64(),
        weight_change_computations: b.u64(),
        history_manipulations: b.u64(),
        history_entries_max: b.u64(),
        history_entries_sum: b.u64(),
        history_samples: b.u64(),
    }
}

impl Network {
    /// Simulates `steps` more steps in slices aligned to `min_delay`; `progress(now)` is called
    /// after each slice and stops the run at that slice boundary by returning
    /// `ControlFlow::Break(())` (how the CLI honours an interrupt); `self.now` then says how far
    /// the run got.
    pub fn simulate(
        &mut self,
        steps: Step,
        progress: &mut dyn FnMut(Step) -> ControlFlow<()>,
    ) -> Result<(), NumericalInstability> {
        self.simulate_exchanging(steps, progress, None)
    }

    /// [`Network::simulate`] as one of several processes (MPI ranks) that hold the other
    /// shards: every slice's spikes (or the first error) are exchanged through `ex`, and all
    /// ranks stop at the same slice.
    pub fn simulate_exchanging(
        &mut self,
        steps: Step,
        progress: &mut dyn FnMut(Step) -> ControlFlow<()>,
        ex: Option<&dyn Exchange>,
    ) -> Result<(), NumericalInstability> {
        let end = self.now + steps;
        while self.now < end {
            let slice_end = ((self.now / self.min_delay) + 1) * self.min_delay;
            let to = slice_end.min(end);
            let stop = self.slice(self.now, to, ex, progress)?;
            self.now = to;
            // Every rank stops at the same slice (an interrupt reaches them at different ones).
            if stop {
                break;
            }
        }
        self.stage_times = self.shard_times();
        Ok(())
    }

    /// The stage times: per stage the longest any shard spent (they run side by side), and the
    /// network's own merge.
    fn shard_times(&self) -> StageTimes {
        let mut t = StageTimes {
            collect: self.stage_times.collect,
            exchange: self.stage_times.exchange,
            ..StageTimes::default()
        };
        for s in &self.shards {
            t.deliver = t.deliver.max(s.stage_times.deliver);
            t.advance = t.advance.max(s.stage_times.advance);
            t.update = t.update.max(s.stage_times.update);
        }
        t
    }

    /// One slice `from..to`: every shard (in parallel with a pool) delivers the previous
    /// slice's spikes, advances and updates; then `progress(to)` says whether to stop after it,
    /// and the spikes are merged (stage 3, collect). With ranks, the spikes, the first error
    /// and both flags go in one exchange. Returns whether to stop.
    fn slice(
        &mut self,
        from: Step,
        to: Step,
        ex: Option<&dyn Exchange>,
        progress: &mut dyn FnMut(Step) -> ControlFlow<()>,
    ) -> Result<bool, NumericalInstability> {
        let args = SliceArgs {
            res: self.res,
            from,
            to,
            time_driven: self.time_driven,
            aligned: from % self.min_delay == 0,
            horizon: self.horizon_entries,
            weight_windows: &self.weight_windows,
            spikes: &self.spikes,
        };
        match &self.pool {
            Some(pool) if self.shards.len() > 1 => {
                // The calling thread runs shard 0 itself while the workers run the others: no
                // hand-over and back for the thread that merges.
                pool.run_each(&mut self.shards, &|s| s.slice(&args));
            }
            _ => {
                for s in &mut self.shards {
                    s.slice(&args);
                }
            }
        }
        // The first failing shard's error (shards hold nodes in creation order, so this is
        // the first node that failed, as one shard would report it).
        let mut caught_up = self.time_driven && args.aligned;
        let mut fault = None;
        for s in &mut self.shards {
            match std::mem::replace(&mut s.done, Ok(false)) {
                Ok(c) => caught_up |= c,
                Err(e) => {
                    fault.get_or_insert(e);
                }
            }
        }
        if ex.is_none() {
            if let Some(e) = fault.take() {
                return Err(e);
            }
        }
        let stop = progress(to).is_break();
        let t0 = Instant::now();
        let exchange_before = self.stage_times.exchange;
        if !self.spikes.is_empty() {
            self.counters.spikes_delivered += self.spikes.len() as u64;
        }
        self.counters.direct_events = self.shards.iter().map(|s| s.direct_events).sum();
        let flags = self.collect(fault, SliceFlags { caught_up, stop }, ex)?;
        self.counters.catch_ups += flags.caught_up as u64;
        // The exchange is timed apart (`collect` adds it to its own time).
        let exchange_s = self.stage_times.exchange - exchange_before;
        self.stage_times.collect += t0.elapsed().as_secs_f64() - exchange_s;
        Ok(flags.stop)
    }

    /// Stage 3: the shards' spikes merged in a total order, to spike recorders; weight records
    /// gathered.
    fn collect(
        &mut self,
        fault: Option<NumericalInstability>,
        mut flags: SliceFlags,
        ex: Option<&dyn Exchange>,
    ) -> Result<SliceFlags, NumericalInstability> {
        self.spikes.clear();
        for s in &mut self.shards {
            self.spikes.extend_from_slice(&s.outbox.spikes);
            s.outbox.spikes.clear();
            for (all, new) in self.weight_records.iter_mut().zip(&mut s.weights) {
                all.append(new);
            }
        }
        if let Some(ex) = ex {
            let t0 = Instant::now();
            flags = exchange_slice(ex, &mut self.spikes, fault, flags, &mut self.exchange)?;
            self.stage_times.exchange += t0.elapsed().as_secs_f64();
        }
        // Populations emit node by node; delivery and recording want time order. The order is
        // total over the events' contents (stamp, source, then multiplicity and weight factor),
        // so events that compare equal are identical and the result does not depend on the
        // emission order or on how nodes are split among shards; an unstable sort needs no
        // scratch buffer, so the slice allocates nothing here.
        self.spikes.sort_unstable_by(|a, b| {
            (a.stamp, a.source, a.multiplicity)
                .cmp(&(b.stamp, b.source, b.multiplicity))
                .then(a.weight_factor.total_cmp(&b.weight_factor))
        });
        for s in &self.spikes {
            self.spike_recording
                .spike(s.source, s.stamp, s.multiplicity);
            if self.counts_spikes[s.source.0 as usize] {
                self.counters.spikes_emitted += s.multiplicity as u64;
            }
        }
        self.counters.slices += 1;
        match self.spike_recording.overflow {
            None => Ok(flags),
            Some((node, stamp, multiplicity)) => Err(NumericalInstability {
                site: Site::Recording { node: node.0 },
                time: GridTime::of(self.res, stamp),
                what: format!(
                    "a spike of multiplicity {multiplicity} (a row per copy, as NEST records \
                     it) would take the recorded spikes past {}",
                    match self.spike_recording.budget {
                        u64::MAX => "what the allocator grants".to_string(),
                        b => format!(
                            "the {} of memory left for them",
                            crate::error::fmt_bytes(b as u128)
                        ),
                    }
                ),
            }),
        }
    }

    /// Moves all multimeter samples taken so far into `self.multimeters`.
    pub fn drain_samples(&mut self) {
        for s in &mut self.shards {
            for p in &mut s.populations {
                p.drain_samples(&mut self.multimeters);
            }
        }
    }

    /// Collective over the processes (MPI ranks): rank 0 gathers the other ranks'
    /// multimeter samples and weight records (appended to its own; output sorts them), their
    /// counters and device events ([`Network::remote`]). Spike recordings need nothing: every
    /// rank recorded the merged spikes of every slice. Plastic connections are listed apart, a
    /// batch at a time ([`Network::each_plastic_connection`]).
    pub fn gather(&mut self, ex: &dyn Exchange) {
        self.drain_samples();
        if ex.rank() != 0 {
            let _ = ex.gather_to_root(&self.encode_results());
            return;
        }
        // Rank 0 keeps its own results and sends nothing.
        let Some((all, ranges)) = ex.gather_to_root(&[]) else {
            return;
        };
        for r in &ranges[1..] {
            self.decode_results(&mut Bytes {
                b: &all[r.clone()],
                at: 0,
            });
        }
        self.counters.direct_events += self.remote.direct_events;
    }

    /// This rank's results for [`Network::gather`].
    fn encode_results(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for m in &self.multimeters {
            put(&mut out, m.senders.len() as u64);
            for (s, t) in m.senders.iter().zip(&m.stamps) {
                put(&mut out, s.0 as u64);
                put(&mut out, *t as u64);
            }
            for v in &m.values {
                put(&mut out, v.to_bits());
            }
        }
        for w in &self.weight_records {
            put(&mut out, w.len() as u64);
            for r in w {
                for x in [r.sender.0 as u64, r.target.0 as u64, r.stamp as u64] {
                    put(&mut out, x);
                }
                put(&mut out, r.weight.to_bits());
            }
        }
        let (c, u) = self.rule_counters();
        put_counters(&mut out, &c);
        put_counters(&mut out, &u);
        let (nc, nu) = self.n_archives();
        put(&mut out, nc as u64);
        put(&mut out, nu as u64);
        put(&mut out, self.shards.iter().map(|s| s.direct_events).sum());
        out
    }

    /// Adds another rank's [`Network::encode_results`] to rank 0's.
    fn decode_results(&mut self, b: &mut Bytes<'_>) {
        for m in &mut self.multimeters {
            let n = b.u64() as usize;
            for _ in 0..n {
                m.senders.push(NodeId(b.u64() as u32));
                m.stamps.push(b.u64() as Step);
            }
            for _ in 0..n * m.fields.len() {
                m.values.push(b.f64());
            }
        }
        for w in &mut self.weight_records {
            for _ in 0..b.u64() {
                w.push(WeightRecord {
                    sender: NodeId(b.u64() as u32),
                    target: NodeId(b.u64() as u32),
                    stamp: b.u64() as Step,
                    weight: b.f64(),
                });
            }
        }
        self.remote.counters.0.add(&get_counters(b));
        self.remote.counters.1.add(&get_counters(b));
        self.remote.archives.0 += b.u64() as usize;
        self.remote.archives.1 += b.u64() as usize;
        self.remote.direct_events += b.u64();
    }

    /// Every population of every shard.
    pub fn populations(&self) -> impl Iterator<Item = &dyn Population> {
        self.shards
            .iter()
            .flat_map(|s| s.populations.iter().map(|p| &**p))
    }

    /// Both rules' counters summed over the shards (clopath, urbanczik).
    pub fn rule_counters(&self) -> (RuleCounters, RuleCounters) {
        let mut c = self.remote.counters;
        for s in &self.shards {
            c.0.add(&s.archives.clopath_counters);
            c.1.add(&s.archives.urbanczik_counters);
        }
        c
    }

    /// Archives of each rule over all shards (clopath, urbanczik).
    pub fn n_archives(&self) -> (usize, usize) {
        self.shards.iter().fold(self.remote.archives, |(c, u), s| {
            (c + s.archives.clopath.len(), u + s.archives.urbanczik.len())
        })
    }

    /// Every connection of the plastic synapse models, with model name, in the order of
    /// [`Network::each_plastic_connection`] (this process's shards only).
    pub fn plastic_connections(&self) -> Vec<(String, ConnectionInfo)> {
        let mut out = Vec::new();
        self.each_plastic_connection(None, &mut |m, c| out.push((m.to_string(), *c)));
        out
    }

    /// Visits every plastic connection with its model name, by source, then target, then
    /// model, with connections equal in all three in their table's order (the same for any
    /// split into shards or ranks). Collective over the ranks if `ex` is given: rank 0 visits
    /// every rank's connections, the others none.
    ///
    /// The connections come a batch of sources at a time, about [`CONNECTION_BATCH`] of them
    /// per batch, so no process ever holds a list of them all: rank 0 holds one batch of
    /// every rank's.
    pub fn each_plastic_connection(
        &self,
        ex: Option<&dyn Exchange>,
        visit: &mut dyn FnMut(&str, &ConnectionInfo),
    ) {
        let plastic = || {
            self.shards.iter().flat_map(|s| {
                s.synapses
                    .iter()
                    .filter(|t| t.is_plastic())
                    .map(move |t| (s, t))
            })
        };
        let local: u64 = plastic().map(|(_, t)| t.len() as u64).sum();
        // Every rank must cut the same batches: from the total count and the node count.
        let total: u64 = match ex {
            Some(ex) => {
                let (mut all, mut ranges) = (Vec::new(), Vec::new());
                ex.all_gather(&local.to_le_bytes(), &mut all, &mut ranges);
                ranges
                    .iter()
                    .map(|r| {
                        Bytes {
                            b: &all,
                            at: r.start,
                        }
                        .u64()
                    })
                    .sum()
            }
            None => local,
        };
        let n = self.n_nodes as u64;
        let per = (n.saturating_mul(CONNECTION_BATCH) / total.max(1)).clamp(1, n.max(1));
        // Model names as indices into `names` (another rank's come as text).
        let mut names: Vec<String> = Vec::new();
        fn name_of(names: &mut Vec<String>, m: &str) -> usize {
            names.iter().position(|x| x == m).unwrap_or_else(|| {
                names.push(m.to_string());
                names.len() - 1
            })
        }
        // One batch: its connections, each one's model, and their order (no other copy).
        let (mut batch, mut model, mut order) = (Vec::new(), Vec::new(), Vec::<u32>::new());
        let mut bytes = Vec::new();
        let mut from = 0;
        while from < n {
            let to = (from + per).min(n);
            batch.clear();
            model.clear();
            for (s, t) in plastic() {
                t.connections(
                    self.res,
                    &s.channel_owner,
                    from as u32..to as u32,
                    &mut batch,
                );
                let m = name_of(&mut names, t.model());
                model.resize(batch.len(), m);
            }
            from = to;
            if let Some(ex) = ex {
                if ex.rank() != 0 {
                    bytes.clear();
                    for (m, c) in model.iter().zip(&batch) {
                        put(&mut bytes, *m as u64);
                        put(&mut bytes, c.source.0 as u64);
                        put(&mut bytes, c.target.0 as u64);
                        put(&mut bytes, c.weight.to_bits());
                        put(&mut bytes, c.delay_ms.to_bits());
                    }
                    // This rank's names so far, then its connections.
                    let mut msg = Vec::new();
                    put(&mut msg, names.len() as u64);
                    for name in &names {
                        put(&mut msg, name.len() as u64);
                        msg.extend_from_slice(name.as_bytes());
                    }
                    msg.extend_from_slice(&bytes);
                    ex.gather_to_root(&msg);
                    continue;
                }
                let (all, ranges) = ex.gather_to_root(&[]).expect("rank 0 receives");
                for r in &ranges[1..] {
                    let mut b = Bytes {
                        b: &all[..r.end],
                        at: r.start,
                    };
                    let theirs: Vec<usize> = (0..b.u64())
                        .map(|_| {
                            let len = b.u64() as usize;
                            let name = String::from_utf8_lossy(&b.b[b.at..b.at + len]);
                            b.at += len;
                            name_of(&mut names, &name)
                        })
                        .collect();
                    while b.at < r.end {
                        let m = theirs[b.u64() as usize];
                        let (source, target) = (NodeId(b.u64() as u32), NodeId(b.u64() as u32));
                        let (weight, delay_ms) = (b.f64(), b.f64());
                        model.push(m);
                        batch.push(ConnectionInfo {
                            source,
                            target,
                            weight,
                            delay_ms,
                        });
                    }
                }
            }
            // Stable: connections equal in source, target and model are in one table (a
            // target is in one shard), in its row order.
            order.clear();
            order.extend(0..batch.len() as u32);
            order.sort_by(|&a, &b| {
                let (a, b) = (a as usize, b as usize);
                let key = |i: usize| (batch[i].source, batch[i].target, &names[model[i]]);
                key(a).cmp(&key(b))
            });
            for &i in &order {
                visit(&names[model[i as usize]], &batch[i as usize]);
            }
        }
    }
}

/// Plastic connections listed per batch ([`Network::each_plastic_connection`]), on average.
pub const CONNECTION_BATCH: u64 = 1 << 13;

impl Snapshot for Network {
    /// The whole state of the run: time, counters, the spikes of the last slice (not delivered
    /// yet), spike recordings, weight and multimeter records, then every shard (input rings,
    /// archives, device events not delivered yet, populations, synapse tables).
    fn snapshot(&mut self, s: &mut Snap) {
        s.tag("network");
        s.i64(&mut self.now);
        let c = &mut self.counters;
        for x in [
            &mut c.slices,
            &mut c.spikes_emitted,
            &mut c.spikes_delivered,
            &mut c.direct_events,
            &mut c.catch_ups,
        ] {
            s.u64(x);
        }
        s.tag("spikes");
        s.vec(&mut self.spikes, |s, e| {
            s.u32(&mut e.source.0);
            s.i64(&mut e.stamp);
            s.u32(&mut e.multiplicity);
            s.f64(&mut e.weight_factor);
        });
        self.spike_recording.snapshot(s);
        s.tag("weight recorders");
        s.each(&mut self.weight_records, "the weight recorders", |s, w| {
            crate::record::snapshot_weights(w, s)
        });
        s.tag("multimeters");
        s.each(&mut self.multimeters, "the multimeters", |s, m| {
            m.snapshot(s)
        });
        s.each(&mut self.shards, "the shards", |s, sh| {
            s.tag("shard");
            s.u64(&mut sh.direct_events);
            sh.inputs.snapshot(s);
            sh.archives.snapshot(s);
            s.vec(&mut sh.outbox.direct, |s, e| {
                s.u32(&mut e.channel);
                s.i64(&mut e.arrival);
                let (mut kind, mut x, mut m) = match e.value {
                    DirectValue::Spike {
                        weight,
                        multiplicity,
                    } => (0u8, weight, multiplicity),
                    DirectValue::Value(v) => (1u8, v, 0),
                };
                s.u8(&mut kind);
                s.f64(&mut x);
                s.u32(&mut m);
                e.value = if kind == 0 {
                    DirectValue::Spike {
                        weight: x,
                        multiplicity: m,
                    }
                } else {
                    DirectValue::Value(x)
                };
            });
            s.each(&mut sh.populations, "the populations", |s, p| {
                s.tag(p.model());
                p.snapshot(s);
            });
            s.each(&mut sh.synapses, "the synapse tables", |s, t| {
                s.tag(t.model());
                t.snapshot(s);
            });
        });
        s.tag("end");
    }
}
