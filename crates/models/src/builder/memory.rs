//! How much memory a network needs, estimated from the builder's counts before anything large
//! is allocated, and how much the machine offers.
//!
//! The estimate counts the bytes of the layout (`size_of` of every per-node, per-channel and
//! per-synapse column the build holds at its peak), not allocator slack, and not what grows
//! while the run goes on (recordings, archive histories up to `kernel.history_horizon`,
//! compressed entries). Per synapse, at the peak of the build (collected columns plus the sort
//! permutation, or the final table, whichever is larger):
//!
//! | table | time, event | compressed |
//! |---|---|---|
//! | `static_synapse` | 26 B | 26 B |
//! | `clopath_synapse` | 30 B + 16 B per run (one source, one projection) | 28 B + the same |
//! | `urbanczik_synapse` | 66 B (58 B where a projection's initial weights are one) | 64 B (56 B) |
//!
//! docs/PERFORMANCE.md measures 33–37 B per Clopath synapse (peak RSS by the end of the
//! build, with allocator slack).

use std::mem::size_of;

use evplast_kernel::archive::clopath::ClopathArchive;
use evplast_kernel::archive::compressed::CompressedGroup;
use evplast_kernel::archive::urbanczik::UrbanczikArchive;
use evplast_kernel::inputs::{ChannelKind, InputBuffers};
use evplast_kernel::rng::Rng;
use evplast_kernel::Step;

use super::{
    Conn, NetworkBuilder, Scheme, SchemeSetting, CLOPATH, STATIC, STATIC_RECORDED, URBANCZIK,
};
use crate::devices::poisson_generator::DirectTarget;
use crate::error::BuildError;
use crate::params::{ParamMap, ParamValue};
use crate::registry::{Archive, ModelInfo, ModelKind, NodeParams};
use crate::synapses::columns::Collected;

/// Bytes the built network needs at the peak of the build, by part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Node state, parameters (as given and as parsed) and per-node bookkeeping.
    pub nodes: u64,
    /// Input ring buffers: channels × slots (`min_delay + max_delay`, to a power of two) × 8 B.
    pub input_buffers: u64,
    /// Synapse tables, row offsets, per-run state and (with `--dump-network`) the dump.
    pub synapses: u64,
    /// Links of generators, recorders and multimeters.
    pub device_links: u64,
    /// Archives of neurons with plastic inputs, without their histories.
    pub archives: u64,
}

impl MemoryEstimate {
    /// The sum of the parts.
    pub fn total(&self) -> u64 {
        self.nodes + self.input_buffers + self.synapses + self.device_links + self.archives
    }
}

impl std::fmt::Display for MemoryEstimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = |x: u64| evplast_kernel::error::fmt_bytes(x as u128);
        write!(
            f,
            "{} (nodes {}, input buffers {}, synapses {}, device links {}, archives {})",
            b(self.total()),
            b(self.nodes),
            b(self.input_buffers),
            b(self.synapses),
            b(self.device_links),
            b(self.archives)
        )
    }
}

/// Memory the machine offers to this process, and where the number comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Available {
    pub bytes: u64,
    pub source: &'static str,
}

/// Environment variable that overrides the measured available memory (bytes).
pub const AVAILABLE_ENV: &str = "EVPLAST_MEMORY_AVAILABLE";

/// The memory available now: `EVPLAST_MEMORY_AVAILABLE` if set, else `MemAvailable` of
/// /proc/meminfo, lowered to the cgroup's remaining limit if one is set; `None` if unknown.
pub fn available() -> Result<Option<Available>, String> {
    if let Ok(v) = std::env::var(AVAILABLE_ENV) {
        let bytes = v
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("{AVAILABLE_ENV}={v:?}: expected a number of bytes"))?;
        return Ok(Some(Available {
            bytes,
            source: AVAILABLE_ENV,
        }));
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let mem = meminfo.as_deref().and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    });
    let read = |p: &str| -> Option<u64> { std::fs::read_to_string(p).ok()?.trim().parse().ok() };
    let cgroup = match (
        read("/sys/fs/cgroup/memory.max"),
        read("/sys/fs/cgroup/memory.current"),
    ) {
        (Some(max), Some(cur)) => Some(max.saturating_sub(cur)),
        _ => None,
    };
    Ok(match (mem, cgroup) {
        (Some(m), Some(c)) if c < m => Some(Available {
            bytes: c,
            source: "the cgroup's memory.max",
        }),
        (Some(m), _) => Some(Available {
            bytes: m,
            source: "MemAvailable in /proc/meminfo",
        }),
        (None, Some(c)) => Some(Available {
            bytes: c,
            source: "the cgroup's memory.max",
        }),
        (None, None) => None,
    })
}

/// Refuses a network whose estimate exceeds what is available.
pub fn check_fits(
    what: &str,
    need: MemoryEstimate,
    available: Option<&Available>,
) -> Result<(), BuildError> {
    match available {
        Some(a) if need.total() > a.bytes => Err(BuildError::Limit(format!(
            "{what} needs about {need}, more than the {} available ({}; set {AVAILABLE_ENV} to override)",
            evplast_kernel::error::fmt_bytes(a.bytes as u128),
            a.source
        ))),
        _ => Ok(()),
    }
}

/// Heap and inline bytes of a parameter map as a model file gives it.
pub fn param_map_bytes(m: &ParamMap) -> u64 {
    // A B-tree leaf holds up to 11 pairs plus a little bookkeeping.
    const PAIR: usize = size_of::<String>() + size_of::<ParamValue>();
    let nodes = m.len().div_ceil(11) as u64;
    let inner: u64 = m.iter().map(|(k, v)| k.len() as u64 + value_heap(v)).sum();
    size_of::<ParamMap>() as u64 + nodes * (11 * PAIR as u64 + 16) + inner
}

fn value_heap(v: &ParamValue) -> u64 {
    match v {
        ParamValue::Num(_) | ParamValue::Bool(_) => 0,
        ParamValue::Str(s) => s.len() as u64,
        ParamValue::Array(a) => {
            (a.len() * size_of::<ParamValue>()) as u64 + a.iter().map(value_heap).sum::<u64>()
        }
        ParamValue::Table(t) => param_map_bytes(t) - size_of::<ParamMap>() as u64,
    }
}

/// Per-node bookkeeping of every model: the builder's node table and parsed parameters, and
/// the per-node columns `build` lays out (channel base, plastic in-degree, compressed groups,
/// archive id, recorder index, device links, model name, spike listeners).
const NODE_COMMON: usize = size_of::<u32>()
    + size_of::<NodeParams>()
    + size_of::<u32>()
    + size_of::<u32>()
    + size_of::<Vec<(Step, u64, Step, u32)>>()
    + size_of::<Option<u32>>()
    + size_of::<u32>()
    + size_of::<Vec<DirectTarget>>()
    + size_of::<&str>()
    + size_of::<Vec<u32>>()
    + size_of::<bool>();

/// Per neuron in its population's block: archive id and multimeter sampler list.
const NEURON_BLOCK: usize = size_of::<Option<u32>>() + size_of::<Vec<u32>>();

/// Per channel: its kind, owner and archive, beside the ring itself.
const CHANNEL: usize = size_of::<ChannelKind>() + size_of::<u32>() + size_of::<u32>();

/// One device or recorder link: the builder's record of it and the device's per-target state
/// (target, random stream, next event).
const DEVICE_LINK: usize = size_of::<Conn>() + size_of::<DirectTarget>() + size_of::<Rng>() + 40;

/// One compressed group: the builder's record and the group itself (without entries).
/// (Urbanczik–Senn: up to two groups of two kernels per window key.)
const GROUP: usize = size_of::<(Step, u64, Step, u32)>() + 2 * size_of::<CompressedGroup<2>>();

/// Bytes per synapse of a table at the peak of the build: the collected columns plus the sort
/// permutation, or the final columns, whichever is larger (runs of Clopath rows not included).
pub fn synapse_bytes(table_model: &str, scheme: Scheme) -> u64 {
    let collected = Collected::BYTES_PER_SYNAPSE + 4;
    // channel, delay, projection, weight.
    let columns = 4 + 2 + 2 + 8;
    let plastic = matches!(table_model, "clopath_synapse" | "urbanczik_synapse");
    let group = if plastic && scheme == Scheme::Compressed {
        2
    } else {
        0
    };
    let windowed = scheme != Scheme::Compressed;
    let fin = match table_model {
        // Windowed: next entry / update time and the pending sum; compressed: the entry slot.
        "clopath_synapse" => columns + group + if windowed { 4 + 8 } else { 4 },
        // Initial weight (per row at most: once per projection where its rows share it) and the
        // two integrals; the traces are stored per run (below).
        "urbanczik_synapse" => columns + group + 3 * 8 + if windowed { 4 } else { 0 },
        _ => columns,
    };
    collected.max(fin) as u64 + group as u64
}

impl NetworkBuilder {
    /// Bytes one more node of `model` adds, beside its input channels, its parameter map and
    /// vector parameters.
    pub fn node_bytes(&self, model: &ModelInfo) -> u64 {
        let neuron = if model.kind == ModelKind::Neuron {
            NEURON_BLOCK
        } else {
            0
        };
        (NODE_COMMON + model.node_bytes + neuron) as u64
    }

    /// Bytes the input channels of one more node of `model` add, with the delays so far.
    pub fn channel_bytes(&self, model: &ModelInfo) -> u64 {
        let (min_delay, max_delay) = self.delays();
        let ring = InputBuffers::ring_len(min_delay, max_delay);
        model.inputs.len() as u64 * (CHANNEL + ring * 8) as u64
    }

    /// Bytes `n` more connections from `source` nodes with `synapse_model` add (a device or
    /// recorder link if either end is a device).
    pub fn connection_bytes(
        &self,
        synapse_model: &str,
        source: &ModelInfo,
        target: &ModelInfo,
        n: u64,
    ) -> u64 {
        let device = source.kind != ModelKind::Neuron || target.kind == ModelKind::Recorder;
        let dump = if self.dump.is_some() {
            size_of::<Conn>() as u64
        } else {
            0
        };
        let per = if device && synapse_model == "static_synapse" {
            DEVICE_LINK as u64
        } else {
            // Before the projection exists its scheme is not known: the larger of event's
            // and compressed's (time-driven needs no more than event).
            match self.cfg.scheme {
                SchemeSetting::Fixed(s) => synapse_bytes(synapse_model, s),
                SchemeSetting::Auto => synapse_bytes(synapse_model, Scheme::Event)
                    .max(synapse_bytes(synapse_model, Scheme::Compressed)),
            }
        };
        n.saturating_mul(per + dump)
    }

    /// The memory the network built from what was created and connected so far needs.
    pub fn memory_estimate(&self) -> MemoryEstimate {
        let (min_delay, max_delay) = self.delays();
        let n_nodes = self.n_nodes() as u64;
        let mut e = MemoryEstimate::default();
        let plastic = self.table_len[CLOPATH] + self.table_len[URBANCZIK];
        let delays: u64 = self
            .plastic_delays
            .iter()
            .map(|w| w.count_ones() as u64)
            .sum();
        let mut archived = 0u64;
        for b in &self.blocks {
            let n = b.params.len() as u64;
            let neuron = if b.model.kind == ModelKind::Neuron {
                NEURON_BLOCK
            } else {
                0
            };
            // Vector parameters exist twice while building: the builder's and the population's.
            e.nodes += n * (NODE_COMMON + b.model.node_bytes + neuron) as u64
                + 2 * b.param_heap
                + b.given_bytes
                // Every Clopath neuron's delayed ū± rings, plastic inputs or not.
                + b.delayed_u_bars;
            if b.plastic_in {
                archived += n;
                e.archives += match b.model.archive {
                    Some(Archive::Clopath) => {
                        n * (size_of::<ClopathArchive>() as u64
                            + (min_delay + max_delay) as u64 * size_of::<(Step, f64, u64)>() as u64)
                    }
                    Some(Archive::Urbanczik) => n * size_of::<UrbanczikArchive>() as u64,
                    None => 0,
                };
            }
        }
        let schemes = self.scheme_choices();
        if schemes.iter().any(|c| c.scheme == Scheme::Compressed) {
            e.archives += plastic.min(archived.saturating_mul(delays.max(1))) * GROUP as u64;
        }
        let ring = InputBuffers::ring_len(min_delay, max_delay) as u64;
        e.input_buffers = self.n_channels * (CHANNEL as u64 + ring * 8);
        let mut table_synapses = 0u64;
        for (t, model) in [
            (STATIC, "static_synapse"),
            (STATIC_RECORDED, "static_synapse"),
            (CLOPATH, "clopath_synapse"),
            (URBANCZIK, "urbanczik_synapse"),
        ] {
            let k = self.table_len[t];
            if k == 0 {
                continue;
            }
            table_synapses += k;
            // Row offsets (and their running counts while sorting).
            let per_synapse = schemes
                .iter()
                .filter(|c| c.synapse_model == model)
                .map(|c| synapse_bytes(model, c.scheme))
                .max()
                .unwrap_or_else(|| synapse_bytes(model, Scheme::Event));
            e.synapses += k * per_synapse + 2 * 4 * (n_nodes + 2);
            // Runs of rows with one source and projection: end and presynaptic state
            // (Clopath: spike time, x̄; Urbanczik–Senn: spike time, two traces), and the runs
            // of each source.
            let per_run = match t {
                CLOPATH => 16,
                URBANCZIK => 24,
                _ => continue,
            };
            let runs = k.min(n_nodes.saturating_mul(self.table_projs[t].len() as u64));
            e.synapses += runs * per_run + 4 * (n_nodes + 1);
        }
        if self.dump.is_some() {
            e.synapses += self.n_connections * size_of::<Conn>() as u64;
        }
        e.device_links = (self.n_connections - table_synapses) * DEVICE_LINK as u64;
        e
    }
}
