//! Errors of the kernel: configuration errors at build time, and the one error the step loop
//! can raise (a numerical instability).

use thiserror::Error;

/// An error in kernel settings, found while building.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum KernelError {
    #[error("kernel.resolution = {value}: {reason}")]
    Resolution { value: f64, reason: &'static str },
}

/// A neuron's state became non-finite or left its valid range (NEST's `NumericalInstability`).
#[derive(Debug, Error, Clone, PartialEq)]
#[error("numerical instability in node {node} ({model}) at t = {time_ms} ms: {what}")]
pub struct NumericalInstability {
    pub node: u32,
    pub model: &'static str,
    pub time_ms: f64,
    pub what: String,
}
