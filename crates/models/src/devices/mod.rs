//! Stimulation and recording devices.

pub mod dc_generator;
pub mod inhomogeneous_poisson_generator;
pub mod multimeter;
pub mod poisson_generator;
pub mod recording;
pub mod spike_generator;
pub mod spike_recorder;
pub mod step_current_generator;
pub mod weight_recorder;

use evplast_kernel::Step;

use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamMap, ParamValue, Reader, TimeOrNever};

nest_params! {
    /// When a device is active, as given (NEST's `origin`, `start`, `stop`, in ms).
    pub struct WindowMs {
        origin: f64 = 0.0, "origin", "ms", "time origin of start and stop";
        start: f64 = 0.0, "start", "ms", "activation time, relative to origin";
        stop: TimeOrNever = TimeOrNever(f64::INFINITY), "stop", "ms", "deactivation time, relative to origin (inf: never)";
    }
}

/// When a device is active, in steps: `origin`, `start` and `stop` lie on the grid (as NEST
/// requires), so every comparison with a step is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub origin: Step,
    pub start: Step,
    /// `None`: never stops.
    pub stop: Option<Step>,
}

impl Window {
    /// Reads and validates the window of `r`'s device.
    pub fn read(r: &mut Reader<'_>, res: evplast_kernel::Resolution) -> Result<Self, BuildError> {
        let mut w = WindowMs::default();
        // A missing stop means never.
        w.apply(r)?;
        let stop_ms = w.stop.0;
        require(
            stop_ms >= w.start,
            r.model(),
            "stop",
            stop_ms,
            "must be >= start",
        )?;
        let steps = |key: &str, v: f64| {
            res.on_grid(v).ok_or_else(|| {
                let why = if v.is_finite() && res.off_grid(v).contains("largest") {
                    res.off_grid(v)
                } else {
                    "must be a multiple of the resolution (as NEST requires)".to_string()
                };
                BuildError::bad(r.model(), key, crate::params::fmt_num(v), why)
            })
        };
        let origin = steps("origin", w.origin)?;
        let start = steps("start", w.start)?;
        let stop = if stop_ms == f64::INFINITY {
            None
        } else {
            Some(steps("stop", stop_ms)?)
        };
        Ok(Window {
            origin,
            start,
            stop,
        })
    }

    /// NEST's names, defaults and units.
    pub fn describe(out: &mut Vec<crate::params::ParamDoc>) {
        WindowMs::describe(out);
    }

    /// The first step of activity, `origin + start`, as a stamp.
    pub fn lo(&self) -> Step {
        self.origin + self.start
    }

    /// The end of activity, `origin + stop`, as a stamp (`Step::MAX`: never).
    pub fn hi(&self) -> Step {
        self.stop.map_or(Step::MAX, |s| self.origin + s)
    }
}

/// A device's full status dictionary: `defaults` (its NEST keys) overwritten by the validated
/// map `given`, with empty arrays for `empty_arrays`. Devices keep it as given (times in ms, not
/// resolved to steps) so that GetStatus reports what was set and SetStatus can re-read it.
pub fn status_of(
    given: &ParamMap,
    empty_arrays: &[&str],
    defaults: impl FnOnce(&mut ParamMap),
) -> ParamMap {
    let mut m = ParamMap::new();
    for k in empty_arrays {
        m.insert(k.to_string(), ParamValue::Array(Vec::new()));
    }
    defaults(&mut m);
    WindowMs::default().to_map(&mut m);
    crate::population::merged(m, given)
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
                format!("time {t} (index {i}) {}", res.off_grid(t)),
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
