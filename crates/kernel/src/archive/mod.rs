//! Per-neuron archives of what voltage-based plasticity rules need from the postsynaptic
//! membrane potential, read by synapses over half-open step windows.

pub mod clopath;

/// Operation counts of the paper's Table 1, plus history-length samples, per rule.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RuleCounters {
    /// M: synapse function calls (one per presynaptic spike through a plastic synapse).
    pub synapse_calls: u64,
    /// C: weight-change computations (archive entries combined with a presynaptic trace).
    pub weight_change_computations: u64,
    /// H: history manipulations (archive entries written or modified).
    pub history_manipulations: u64,
    /// Largest archive length seen in any neuron at a slice end.
    pub history_entries_max: u64,
    /// Sum over samples of archive lengths, and the number of (neuron, slice) samples.
    pub history_entries_sum: u64,
    pub history_samples: u64,
}

impl RuleCounters {
    /// Mean archive length per neuron over the slice-end samples.
    pub fn history_entries_mean(&self) -> f64 {
        if self.history_samples == 0 {
            0.0
        } else {
            self.history_entries_sum as f64 / self.history_samples as f64
        }
    }

    /// Records one archive length sample.
    pub fn sample_length(&mut self, len: usize) {
        self.history_entries_max = self.history_entries_max.max(len as u64);
        self.history_entries_sum += len as u64;
        self.history_samples += 1;
    }
}
