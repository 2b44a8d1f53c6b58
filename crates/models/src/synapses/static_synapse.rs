//! `static_synapse`: a fixed weight and delay. Transmits `weight × spike weight factor ×
//! multiplicity` to the target's input channel, arriving at `t_spike + delay`.
//!
//! | parameter | default | unit |
//! |---|---|---|
//! | `weight` | 1.0 | target-dependent (mV for delta synapses, pA for current synapses) |
//! | `delay` | 1.0 | ms (≥ resolution) |

use evplast_kernel::csr::BySource;
use evplast_kernel::network::{DeliverCtx, RowColumns, SpikeEvent, SynapseTable};
use evplast_kernel::snapshot::Snap;
use evplast_kernel::{BuildError, Resolution, Step};

use crate::params::{ParamMap, ParamValue, Reader};

/// NEST model name.
pub const MODEL: &str = "static_synapse";

/// Static connections by source: 14 bytes per connection plus 4 per node (and 2 more in a
/// table whose projections name weight recorders).
pub struct StaticTable {
    rows: BySource,
    channel: Vec<u32>,
    delay: Vec<u16>,
    weight: Vec<f64>,
    /// Recorded tables: the projection of each row and each projection's weight recorder.
    recorded: Option<(Vec<u16>, Vec<u32>)>,
}

impl StaticTable {
    /// A table from columns sorted by source.
    pub fn new(rows: BySource, channel: Vec<u32>, delay: Vec<u16>, weight: Vec<f64>) -> Self {
        Self {
            rows,
            channel,
            delay,
            weight,
            recorded: None,
        }
    }

    /// A table whose projections report to weight recorders (`recorders[projection]`), one row
    /// per transmitted spike, as NEST's weight_recorder does for static synapses.
    pub fn recorded(
        rows: BySource,
        channel: Vec<u32>,
        delay: Vec<u16>,
        weight: Vec<f64>,
        projection: Vec<u16>,
        recorders: Vec<u32>,
    ) -> Self {
        Self {
            rows,
            channel,
            delay,
            weight,
            recorded: Some((projection, recorders)),
        }
    }
}

impl SynapseTable for StaticTable {
    fn get_conn(&self, row: usize, res: Resolution, out: &mut ParamMap) {
        out.insert("weight".into(), ParamValue::Num(self.weight[row]));
        out.insert(
            "delay".into(),
            ParamValue::Num(res.ms(self.delay[row] as Step)),
        );
    }

    fn set_conn(&mut self, row: usize, p: &ParamMap, res: Resolution) -> Result<(), BuildError> {
        super::check_row(MODEL, row, self.weight.len())?;
        let mut r = Reader::new(MODEL, p);
        let mut w = self.weight[row];
        r.read("weight", &mut w)?;
        super::read_unchanged_delay(&mut r, self.delay[row] as Step, res)?;
        r.finish()?;
        self.weight[row] = w;
        Ok(())
    }

    fn snapshot(&mut self, s: &mut Snap) {
        // Static weights follow from the model file; only the table's size is checked.
        s.fixed_len(self.weight.len(), "the static synapses");
    }

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
        if let Some((projection, recorders)) = &self.recorded {
            for s in spikes {
                for r in self.rows.rows(s.source) {
                    for _ in 0..s.multiplicity {
                        ctx.record_weight(
                            recorders[projection[r] as usize],
                            s.source,
                            self.channel[r],
                            s.stamp,
                            self.weight[r],
                        );
                    }
                }
            }
        }
    }

    fn columns(&self) -> RowColumns<'_> {
        RowColumns {
            rows: &self.rows,
            channel: &self.channel,
            delay: &self.delay,
            weight: &self.weight,
        }
    }
}
