//! `static_synapse`: a fixed weight and delay. Transmits `weight × spike weight factor ×
//! multiplicity` to the target's input channel, arriving at `t_spike + delay`.
//!
//! | parameter | default | unit |
//! |---|---|---|
//! | `weight` | 1.0 | target-dependent (mV for delta synapses, pA for current synapses) |
//! | `delay` | 1.0 | ms (≥ resolution) |

use evplast_kernel::csr::{permute, BySource};
use evplast_kernel::network::{ConnectionInfo, DeliverCtx, SpikeEvent, SynapseTable};
use evplast_kernel::{NodeId, Resolution, Step};

/// NEST model name.
pub const MODEL: &str = "static_synapse";

/// One static connection before it is laid out.
#[derive(Clone, Copy, Debug)]
pub struct StaticConn {
    pub source: NodeId,
    pub target: NodeId,
    pub channel: u32,
    pub delay: Step,
    pub weight: f64,
}

/// Static connections by source: 16 bytes per connection plus 4 per node.
pub struct StaticTable {
    rows: BySource,
    channel: Vec<u32>,
    delay: Vec<u32>,
    weight: Vec<f64>,
    target: Vec<NodeId>,
}

impl StaticTable {
    /// Lays out `conns` by source.
    pub fn new(n_nodes: usize, conns: &[StaticConn]) -> Self {
        let sources: Vec<NodeId> = conns.iter().map(|c| c.source).collect();
        let (rows, perm) = BySource::build(n_nodes, &sources);
        Self {
            rows,
            channel: permute(&conns.iter().map(|c| c.channel).collect::<Vec<_>>(), &perm),
            delay: permute(
                &conns.iter().map(|c| c.delay as u32).collect::<Vec<_>>(),
                &perm,
            ),
            weight: permute(&conns.iter().map(|c| c.weight).collect::<Vec<_>>(), &perm),
            target: permute(&conns.iter().map(|c| c.target).collect::<Vec<_>>(), &perm),
        }
    }
}

impl SynapseTable for StaticTable {
    fn model(&self) -> &'static str {
        MODEL
    }
    fn is_plastic(&self) -> bool {
        false
    }
    fn len(&self) -> usize {
        self.weight.len()
    }

    fn deliver(&mut self, spikes: &[SpikeEvent], ctx: &mut DeliverCtx<'_>) {
        for s in spikes {
            for r in self.rows.rows(s.source) {
                ctx.inputs.add_spike(
                    self.channel[r],
                    s.stamp + self.delay[r] as Step,
                    self.weight[r] * s.weight_factor,
                    s.multiplicity,
                );
            }
        }
    }

    fn connections(&self, res: Resolution, out: &mut Vec<ConnectionInfo>) {
        for r in 0..self.weight.len() {
            out.push(ConnectionInfo {
                source: self.rows.source_of(r),
                target: self.target[r],
                weight: self.weight[r],
                delay_ms: res.ms(self.delay[r] as Step),
            });
        }
    }
}
