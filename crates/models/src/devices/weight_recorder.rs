//! `weight_recorder`: records, for every presynaptic spike through a plastic synapse whose
//! projection names it (`syn_spec.weight_recorder`), `senders,targets,times,weights`: the
//! presynaptic node, the postsynaptic node, the spike stamp and the weight after the update.

use evplast_kernel::Resolution;

use crate::devices::recording::{self, Recording};
use crate::error::BuildError;
use crate::params::ParamMap;

/// NEST model name.
pub const MODEL: &str = "weight_recorder";

/// Reads the recorder's settings (`recording.rs`).
pub fn parse(map: &ParamMap, res: Resolution) -> Result<Recording, BuildError> {
    recording::parse(MODEL, map, res)
}
