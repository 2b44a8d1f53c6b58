//! Stimulation and recording devices.

pub mod dc_generator;
pub mod inhomogeneous_poisson_generator;
pub mod multimeter;
pub mod poisson_generator;
pub mod spike_generator;
pub mod spike_recorder;
pub mod step_current_generator;
pub mod weight_recorder;

use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::Reader;

nest_params! {
    /// When a device is active (NEST's `origin`, `start`, `stop`, in ms).
    pub struct Window {
        origin: f64 = 0.0, "origin", "ms", "time origin of start and stop";
        start: f64 = 0.0, "start", "ms", "activation time, relative to origin";
        stop: f64 = f64::INFINITY, "stop", "ms", "deactivation time, relative to origin";
    }
}

impl Window {
    /// Reads and validates the window of `r`'s device.
    pub fn read(r: &mut Reader<'_>) -> Result<Self, BuildError> {
        let mut w = Window::default();
        // `stop = inf` cannot be written in TOML numbers by everybody; a missing stop means never.
        w.apply(r)?;
        require(
            w.stop >= w.start,
            r.model(),
            "stop",
            w.stop,
            "must be >= start",
        )?;
        Ok(w)
    }
}
