//! evplast's library front end: one [`Kernel`] with NEST's create / connect / set / get /
//! simulate, through which every way in builds its network — the model-file loader
//! (`evplast-io`), the CLI, the benchmarks and the Python binding. Connection rules,
//! distributions, parameter checks and defaults exist here once.

pub mod dist;
pub mod error;
pub mod kernel;
pub mod rules;

pub use dist::Dist;
pub use error::{ApiError, ErrorKind};
pub use kernel::{ConnSpec, Draw, Kernel, NodeParamSpec, Options, Param, SynapseSpec};
pub use rules::Rule;
