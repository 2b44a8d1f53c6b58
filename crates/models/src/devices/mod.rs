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
    pub fn read(r: &mut Reader<'_>, res: evplast_kernel::Resolution) -> Result<Self, BuildError> {
        let mut w = Window::default();
        // A missing stop means never.
        w.apply(r)?;
        require(
            w.stop >= w.start,
            r.model(),
            "stop",
            w.stop,
            "must be >= start",
        )?;
        for (key, v) in [("origin", w.origin), ("start", w.start), ("stop", w.stop)] {
            if v.is_finite() && res.on_grid(v).is_none() {
                return Err(BuildError::bad(
                    r.model(),
                    key,
                    v,
                    "must be a multiple of the resolution (as NEST requires)",
                ));
            }
        }
        Ok(w)
    }
}

/// A piecewise-constant schedule read from two parameters, `times` (ms: on the grid, > 0,
/// strictly increasing) and `values` (one per time): the step stamps and the values.
pub fn read_schedule(
    r: &mut Reader<'_>,
    res: evplast_kernel::Resolution,
    times_key: &'static str,
    values_key: &'static str,
) -> Result<(Vec<evplast_kernel::Step>, Vec<f64>), BuildError> {
    let model = r.model();
    let mut times: Vec<f64> = Vec::new();
    let mut values: Vec<f64> = Vec::new();
    r.read(times_key, &mut times)?;
    r.read(values_key, &mut values)?;
    let shown = |v: &[f64]| {
        crate::params::ParamValue::Array(
            v.iter()
                .map(|x| crate::params::ParamValue::Num(*x))
                .collect(),
        )
        .to_string()
    };
    if times.len() != values.len() {
        return Err(BuildError::bad(
            model,
            values_key,
            shown(&values),
            format!(
                "needs one value per time in {times_key} ({} times)",
                times.len()
            ),
        ));
    }
    let mut starts = Vec::with_capacity(times.len());
    for (i, &t) in times.iter().enumerate() {
        let s = res.on_grid(t).ok_or_else(|| {
            BuildError::bad(
                model,
                times_key,
                shown(&times),
                format!("time {t} (index {i}) is not a multiple of the resolution"),
            )
        })?;
        if s <= 0 || (i > 0 && t <= times[i - 1]) {
            return Err(BuildError::bad(
                model,
                times_key,
                shown(&times),
                "must be > 0 and strictly increasing",
            ));
        }
        starts.push(s);
    }
    Ok((starts, values))
}
