//! `weight_recorder`: records, for every presynaptic spike through a plastic synapse whose
//! projection names it (`syn_spec.weight_recorder`), `senders,targets,times,weights`: the
//! presynaptic node, the postsynaptic node, the spike stamp and the weight after the update.

use crate::error::BuildError;
use crate::params::{ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "weight_recorder";

/// A weight recorder takes no parameters here.
pub fn parse(map: &ParamMap) -> Result<(), BuildError> {
    Reader::new(MODEL, map).finish()
}
