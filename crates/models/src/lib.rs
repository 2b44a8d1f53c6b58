//! NEST-named models for evplast — neurons, synapses, devices — registered in one table
//! ([`registry::MODELS`]), and the [`builder::NetworkBuilder`] that turns created nodes and
//! connections into a kernel [`evplast_kernel::network::Network`].

pub mod builder;
pub mod clopath_archiving;
pub mod devices;
pub mod error;
pub mod params;
pub mod population;
pub mod registry;
pub mod synapses;

/// Neuron models, one file each, named as in NEST.
pub mod neurons {
    pub mod aeif_psc_delta_clopath;
    pub mod hh_psc_alpha_clopath;
    pub mod parrot_neuron;
    pub mod pp_cond_exp_mc_urbanczik;
}

pub use builder::{ConnRequest, KernelConfig, NetworkBuilder, Simulation, SynSpec};
pub use error::BuildError;
pub use params::{ParamMap, ParamValue};
