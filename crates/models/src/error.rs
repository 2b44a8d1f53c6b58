//! Build-time errors: every refused input names the model, the parameter, the value and why.
//! The type lives in the kernel (`crates/kernel/src/build_error.rs`) so that populations can
//! refuse a `set` between runs with it.

pub use evplast_kernel::build_error::{require, BuildError};
