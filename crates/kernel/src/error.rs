//! Errors of the kernel: configuration errors at build time, and the one error the step loop
//! can raise (a numerical instability).

use thiserror::Error;

use crate::time::{Resolution, Step};

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

/// A time on the simulation grid, printed as the grid gives it: whole tics (µs) written as
/// ms without float noise (stamp 14021 at h = 0.1 ms is `1402.1`, not `1402.1000000000001`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridTime {
    pub tics: i64,
}

impl GridTime {
    /// The time of stamp `s`.
    pub fn of(res: Resolution, s: Step) -> Self {
        Self { tics: res.tics(s) }
    }

    /// The time in ms (as `Resolution::ms` computes it).
    pub fn ms(&self) -> f64 {
        self.tics as f64 * (1.0 / crate::time::TICS_PER_MS as f64)
    }
}

impl std::fmt::Display for GridTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per = crate::time::TICS_PER_MS;
        let sign = if self.tics < 0 { "-" } else { "" };
        let (whole, frac) = (
            self.tics.unsigned_abs() / per as u64,
            self.tics.unsigned_abs() % per as u64,
        );
        if frac == 0 {
            return write!(f, "{sign}{whole}");
        }
        let digits = format!("{frac:03}");
        write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// Where a non-finite or out-of-range value arose.
#[derive(Debug, Clone, PartialEq)]
pub enum Site {
    /// A neuron's state.
    Node { node: u32, model: &'static str },
    /// The spike recorders of a node, whose recorded spikes would outgrow the memory left.
    Recording { node: u32 },
    /// A plastic synapse's weight (from `source` onto `target`).
    Synapse {
        model: &'static str,
        source: u32,
        target: u32,
    },
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Site::Node { node, model } => write!(f, "node {node} ({model})"),
            Site::Recording { node } => write!(f, "the spike_recorder of node {node}"),
            Site::Synapse {
                model,
                source,
                target,
            } => write!(f, "{model} from node {source} to node {target}"),
        }
    }
}

/// A state became non-finite, left its valid range, or could not be integrated within the
/// step's budget (NEST's `NumericalInstability`, and beyond NEST for stiff parameters); or the
/// spikes to record would outgrow the memory left (`Site::Recording`).
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{} in {site} at t = {time} ms: {what}", if matches!(site, Site::Recording { .. }) { "out of memory" } else { "numerical instability" })]
pub struct NumericalInstability {
    pub site: Site,
    pub time: GridTime,
    pub what: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_times_print_without_float_noise() {
        let r = Resolution::new(0.1).unwrap();
        assert_eq!(GridTime::of(r, 14021).to_string(), "1402.1");
        assert_eq!(GridTime::of(r, 20).to_string(), "2");
        assert_eq!(GridTime::of(r, -3).to_string(), "-0.3");
        let r = Resolution::new(0.025).unwrap();
        assert_eq!(GridTime::of(r, 3).to_string(), "0.075");
        assert_eq!(GridTime::of(r, 41).to_string(), "1.025");
    }
}
