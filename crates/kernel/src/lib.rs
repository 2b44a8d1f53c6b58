//! evplast's simulation kernel: integer time, input ring buffers, delivery, archives of
//! voltage-based rules, recording, and the step loop. It knows no model: neuron and synapse
//! models plug in through [`network::Population`] and [`network::SynapseTable`].

pub mod archive;
pub mod build_error;
pub mod csr;
pub mod error;
pub mod inputs;
pub mod lanes;
pub mod limits;
pub mod network;
pub mod prefetch;
pub mod record;
pub mod rkf45;
pub mod rng;
pub mod snapshot;
pub mod time;
pub mod value;
pub mod workers;

pub use build_error::BuildError;
pub use error::{GridTime, KernelError, NumericalInstability, Site};
pub use time::{Resolution, Step};

/// A node id: 1-based, in creation order (as in NEST).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
