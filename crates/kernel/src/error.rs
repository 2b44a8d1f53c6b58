//! Errors of the kernel: configuration errors at build time, and the one error the step loop
//! can raise (a numerical instability).

use thiserror::Error;

/// An error in kernel settings, found while building.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum KernelError {
    #[error("kernel.resolution = {value}: {reason}")]
    Resolution { value: f64, reason: &'static str },
    /// An allocation failed while building (the process would otherwise abort).
    #[error(
        "out of memory: the system refused {} for {what}",
        crate::error::fmt_bytes(*bytes)
    )]
    OutOfMemory { what: &'static str, bytes: u128 },
}

/// A byte count for people: `1.5 GiB`, `320 MiB`, `12 KiB`, `100 B`.
pub fn fmt_bytes(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut x = bytes as f64 / 1024.0;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    if x >= 100.0 {
        format!("{x:.0} {}", UNITS[u])
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
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
