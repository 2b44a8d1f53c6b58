//! `spike_recorder`: records the spikes of the nodes connected to it (`Connect(neuron, sr)`),
//! as `senders,times` with times the spike stamps in ms. No parameters.

use crate::error::BuildError;
use crate::params::{ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "spike_recorder";

/// A spike recorder takes no parameters here.
pub fn parse(map: &ParamMap) -> Result<(), BuildError> {
    Reader::new(MODEL, map).finish()
}
