//! `static_synapse`: a fixed weight and delay. Transmits `weight × spike weight factor ×
//! multiplicity` to the target's input channel, arriving at `t_spike + delay`.
//!
//! | parameter | default | unit |
//! |---|---|---|
//! | `weight` | 1.0 | target-dependent (mV for delta synapses, pA for current synapses) |
//! | `delay` | 1.0 | ms (≥ resolution) |

use evplast_kernel::csr::BySource;
use evplast_kernel::network::{report_rows, ConnectionInfo, DeliverCtx, SpikeEvent, SynapseTable};
use evplast_kernel::{Resolution, Step};

/// NEST model name.
pub const MODEL: &str = "static_synapse";

/// Static connections by source: 14 bytes per connection plus 4 per node.
pub struct StaticTable {
    rows: BySource,
    channel: Vec<u32>,
    delay: Vec<u16>,
    weight: Vec<f64>,
}

impl StaticTable {
    /// A table from columns sorted by source.
    pub fn new(rows: BySource, channel: Vec<u32>, delay: Vec<u16>, weight: Vec<f64>) -> Self {
        Self {
            rows,
            channel,
            delay,
            weight,
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

    fn connections(&self, res: Resolution, channel_owner: &[u32], out: &mut Vec<ConnectionInfo>) {
        report_rows(
            &self.rows,
            &self.channel,
            &self.delay,
            &self.weight,
            res,
            channel_owner,
            out,
        );
    }
}
