//! What recording devices collect during a run: spikes, sampled state, and weights.

use crate::limits::{try_reserve, try_vec};
use crate::time::Step;
use crate::{KernelError, NodeId};

/// One recorded spike: sender and stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpikeRecord {
    pub sender: NodeId,
    pub stamp: Step,
}

/// One weight_recorder row: a presynaptic spike through a plastic synapse and its new weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightRecord {
    pub sender: NodeId,
    pub target: NodeId,
    pub stamp: Step,
    pub weight: f64,
}

/// The end of a node's list of recorders ([`SpikeRecording`]).
const NO_LINK: u32 = u32::MAX;

/// Which recorders listen to which sender, and what they heard.
#[derive(Debug, Default)]
pub struct SpikeRecording {
    /// The recorders of each node, as a list through `links` (4 bytes per node; most nodes
    /// have none or one): `first[node]` is its first link, or [`NO_LINK`].
    first: Vec<u32>,
    /// (index into `events`, next link or [`NO_LINK`]), in the order the recorders were added.
    links: Vec<(u32, u32)>,
    /// One event list per spike_recorder.
    pub events: Vec<Vec<SpikeRecord>>,
    /// Per spike_recorder: the stamps it records, `lo < stamp ≤ hi` (NEST's recorder window).
    pub windows: Vec<(Step, Step)>,
    /// Bytes the recorded spikes may take (`u64::MAX`: no limit but the allocator's), and
    /// bytes taken. A recorder writes a row per copy of a spike (as NEST's), so a spike of
    /// large multiplicity (or a cascade of them) can ask for more than any memory.
    pub budget: u64,
    used: u64,
    /// The first spike that could not be recorded: (sender, stamp, multiplicity).
    pub overflow: Option<(NodeId, Step, u32)>,
}

impl SpikeRecording {
    /// Creates storage for `n_recorders` recorders over nodes `1..=n_nodes`.
    pub fn new(n_nodes: usize, n_recorders: usize) -> Result<Self, KernelError> {
        Ok(Self {
            first: try_vec(n_nodes + 1, NO_LINK, "the spike recorders' listeners")?,
            links: Vec::new(),
            events: try_vec(n_recorders, Vec::new(), "the spike recorders")?,
            windows: try_vec(n_recorders, (Step::MIN, Step::MAX), "the spike recorders")?,
            budget: u64::MAX,
            used: 0,
            overflow: None,
        })
    }

    /// Makes room for nodes `1..=n_nodes` and `n_recorders` recorders in all (nodes and
    /// recorders created after the build; new recorders record everything until their window
    /// is set).
    pub fn grow(&mut self, n_nodes: usize, n_recorders: usize) -> Result<(), KernelError> {
        let more = (n_nodes + 1).saturating_sub(self.first.len());
        try_reserve(&mut self.first, more, "the spike recorders' listeners")?;
        self.first.resize(self.first.len() + more, NO_LINK);
        let more = n_recorders.saturating_sub(self.events.len());
        try_reserve(&mut self.events, more, "the spike recorders")?;
        self.events
            .resize(n_recorders.max(self.events.len()), Vec::new());
        self.windows
            .resize(n_recorders.max(self.windows.len()), (Step::MIN, Step::MAX));
        Ok(())
    }

    /// Recorder `rec` records the spikes of `node`.
    pub fn listen(&mut self, node: NodeId, rec: u32) {
        let new = self.links.len() as u32;
        let (mut link, mut last) = (self.first[node.0 as usize], None);
        while link != NO_LINK {
            let (r, next) = self.links[link as usize];
            if r == rec {
                return;
            }
            (last, link) = (Some(link), next);
        }
        match last {
            Some(l) => self.links[l as usize].1 = new,
            None => self.first[node.0 as usize] = new,
        }
        self.links.push((rec, NO_LINK));
    }

    /// Forgets recorder `rec`'s events (NEST's `n_events = 0`).
    pub fn clear(&mut self, rec: usize) {
        let row = std::mem::size_of::<SpikeRecord>() as u64;
        self.used = self
            .used
            .saturating_sub(self.events[rec].len() as u64 * row);
        self.events[rec] = Vec::new();
    }

    /// Records a spike of `sender` if anybody listens; a spike whose rows would exceed the
    /// budget or that the allocator refuses is not recorded and sets `overflow` (the run then
    /// stops with an error instead of an abort).
    #[inline]
    pub fn spike(&mut self, sender: NodeId, stamp: Step, multiplicity: u32) {
        let row = std::mem::size_of::<SpikeRecord>() as u64;
        let mut link = self.first[sender.0 as usize];
        while link != NO_LINK {
            let r;
            (r, link) = self.links[link as usize];
            let (lo, hi) = self.windows[r as usize];
            if stamp <= lo || stamp > hi {
                continue;
            }
            let need = u64::from(multiplicity) * row;
            let events = &mut self.events[r as usize];
            if self.used.saturating_add(need) > self.budget
                || events.try_reserve(multiplicity as usize).is_err()
            {
                self.overflow.get_or_insert((sender, stamp, multiplicity));
                return;
            }
            self.used += need;
            for _ in 0..multiplicity {
                events.push(SpikeRecord { sender, stamp });
            }
        }
    }
}

/// The samples of one multimeter: for each sample, the node, the stamp and the fields.
#[derive(Debug, Clone)]
pub struct MultimeterData {
    pub fields: Vec<String>,
    pub senders: Vec<NodeId>,
    pub stamps: Vec<Step>,
    /// Row-major, `fields.len()` values per sample.
    pub values: Vec<f64>,
    /// The stamps it records, `lo < stamp ≤ hi` (NEST's recorder window).
    pub window: (Step, Step),
}

impl Default for MultimeterData {
    /// No samples, recording at every stamp.
    fn default() -> Self {
        Self {
            fields: Vec::new(),
            senders: Vec::new(),
            stamps: Vec::new(),
            values: Vec::new(),
            window: (Step::MIN, Step::MAX),
        }
    }
}

/// Sampling of one population's neurons by multimeters.
#[derive(Debug, Default)]
pub struct Samplers {
    /// Neurons of the population.
    n: usize,
    /// Per local neuron: indices into `entries` (empty until a multimeter attaches).
    by_neuron: Vec<Vec<u32>>,
    entries: Vec<SamplerEntry>,
}

#[derive(Debug)]
struct SamplerEntry {
    node: NodeId,
    multimeter: u32,
    interval: Step,
    /// Indices of the recorded fields in the population's recordables.
    fields: Vec<usize>,
    stamps: Vec<Step>,
    values: Vec<f64>,
}

impl Samplers {
    /// Sampling for a population of `n` neurons.
    pub fn new(n: usize) -> Result<Self, KernelError> {
        Ok(Self {
            n,
            by_neuron: Vec::new(),
            entries: Vec::new(),
        })
    }

    /// Multimeter `multimeter` samples neuron `local` (node `node`) every `interval` steps.
    pub fn attach(
        &mut self,
        local: usize,
        node: NodeId,
        multimeter: u32,
        interval: Step,
        fields: Vec<usize>,
    ) -> Result<(), KernelError> {
        if self.by_neuron.is_empty() {
            self.by_neuron = try_vec(self.n, Vec::new(), "the multimeter samplers")?;
        }
        self.by_neuron[local].push(self.entries.len() as u32);
        self.entries.push(SamplerEntry {
            node,
            multimeter,
            interval,
            fields,
            stamps: Vec::new(),
            values: Vec::new(),
        });
        Ok(())
    }

    /// True if any multimeter samples neuron `local`.
    #[inline]
    pub fn is_sampled(&self, local: usize) -> bool {
        !self.by_neuron.is_empty() && !self.by_neuron[local].is_empty()
    }

    /// Takes a sample of neuron `local` at `stamp` if a multimeter wants one then.
    /// `get(i)` returns recordable `i`.
    #[inline]
    pub fn sample(&mut self, local: usize, stamp: Step, get: impl Fn(usize) -> f64) {
        for &e in &self.by_neuron[local] {
            let e = &mut self.entries[e as usize];
            if stamp % e.interval == 0 {
                e.stamps.push(stamp);
                for &f in &e.fields {
                    e.values.push(get(f));
                }
            }
        }
    }

    /// Moves the samples into the multimeters' data (indexed by multimeter).
    pub fn drain_into(&mut self, out: &mut [MultimeterData]) {
        for e in &mut self.entries {
            let d = &mut out[e.multimeter as usize];
            let (lo, hi) = d.window;
            for (k, &s) in e.stamps.iter().enumerate() {
                if s <= lo || s > hi {
                    continue;
                }
                d.senders.push(e.node);
                d.stamps.push(s);
                d.values
                    .extend_from_slice(&e.values[k * e.fields.len()..(k + 1) * e.fields.len()]);
            }
            e.stamps.clear();
            e.values.clear();
        }
    }
}

use crate::snapshot::{Snap, Snapshot};

fn snap_node(s: &mut Snap, n: &mut NodeId) {
    s.u32(&mut n.0);
}

impl Snapshot for SpikeRecording {
    fn snapshot(&mut self, s: &mut Snap) {
        s.tag("spike recorders");
        s.each(&mut self.events, "the spike recorders", |s, ev| {
            s.vec(ev, |s, r| {
                snap_node(s, &mut r.sender);
                s.i64(&mut r.stamp);
            })
        });
    }
}

impl Default for SpikeRecord {
    fn default() -> Self {
        Self {
            sender: NodeId(0),
            stamp: 0,
        }
    }
}

impl Default for WeightRecord {
    fn default() -> Self {
        Self {
            sender: NodeId(0),
            target: NodeId(0),
            stamp: 0,
            weight: 0.0,
        }
    }
}

/// One weight recorder's rows.
pub fn snapshot_weights(rows: &mut Vec<WeightRecord>, s: &mut Snap) {
    s.vec(rows, |s, w| {
        snap_node(s, &mut w.sender);
        snap_node(s, &mut w.target);
        s.i64(&mut w.stamp);
        s.f64(&mut w.weight);
    });
}

impl Snapshot for MultimeterData {
    fn snapshot(&mut self, s: &mut Snap) {
        s.vec(&mut self.senders, snap_node);
        s.vec(&mut self.stamps, |s, x| s.i64(x));
        s.f64s(&mut self.values);
    }
}

impl Snapshot for Samplers {
    fn snapshot(&mut self, s: &mut Snap) {
        s.each(&mut self.entries, "the multimeter samplers", |s, e| {
            s.vec(&mut e.stamps, |s, x| s.i64(x));
            s.f64s(&mut e.values);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_recorder_hears_its_nodes_once() {
        let mut r = SpikeRecording::new(4, 3).unwrap();
        // Node 2 to recorders 1, 0 and 2 (and 1 again, ignored); node 3 to recorder 1 only.
        for (node, rec) in [(2, 1), (3, 1), (2, 0), (2, 1), (2, 2)] {
            r.listen(NodeId(node), rec);
        }
        r.grow(6, 3).unwrap();
        r.listen(NodeId(6), 2);
        for (node, stamp, m) in [(2, 5, 1), (1, 6, 1), (3, 7, 2), (4, 8, 1), (6, 9, 1)] {
            r.spike(NodeId(node), stamp, m);
        }
        let heard = |rec: usize| -> Vec<(u32, Step)> {
            r.events[rec]
                .iter()
                .map(|e| (e.sender.0, e.stamp))
                .collect()
        };
        assert_eq!(heard(0), vec![(2, 5)]);
        assert_eq!(heard(1), vec![(2, 5), (3, 7), (3, 7)]);
        assert_eq!(heard(2), vec![(2, 5), (6, 9)]);
    }

    #[test]
    fn samplers_take_samples_on_interval_only() {
        let mut s = Samplers::new(2).unwrap();
        s.attach(1, NodeId(7), 0, 10, vec![1, 0]).unwrap();
        for stamp in 1..=25 {
            assert!(!s.is_sampled(0));
            s.sample(1, stamp, |f| f as f64 + stamp as f64 * 100.0);
        }
        let mut out = vec![MultimeterData::default()];
        s.drain_into(&mut out);
        assert_eq!(out[0].stamps, vec![10, 20]);
        assert_eq!(out[0].values, vec![1001.0, 1000.0, 2001.0, 2000.0]);
        assert_eq!(out[0].senders, vec![NodeId(7), NodeId(7)]);
    }
}
