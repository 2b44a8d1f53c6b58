//! `spike_recorder`: records the spikes of the nodes connected to it (`Connect(neuron, sr)`),
//! as `senders,times` with times the spike stamps in ms. Parameters: the recorders' shared ones (`devices/recording.rs`).

use evplast_kernel::Resolution;

use crate::devices::recording::{self, Recording};
use crate::error::BuildError;
use crate::params::ParamMap;

/// NEST model name.
pub const MODEL: &str = "spike_recorder";

/// Reads the recorder's settings (`recording.rs`).
pub fn parse(map: &ParamMap, res: Resolution) -> Result<Recording, BuildError> {
    recording::parse(MODEL, map, res)
}
