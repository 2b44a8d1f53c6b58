//! Synapse models: tables of connections grouped by source, one table per model and
//! projection group.

pub mod clopath_synapse;
pub mod columns;
pub mod static_synapse;
pub mod urbanczik_synapse;
