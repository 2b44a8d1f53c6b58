//! `inhomogeneous_poisson_generator`: like `poisson_generator` (an independent train per
//! target), with a piecewise-constant rate: `rate_values[i]` (Hz) applies from
//! `rate_times[i]` (ms) on; before the first time the rate is 0.
//!
//! | parameter | default | unit | |
//! |---|---|---|---|
//! | `rate_times` | `[]` | ms | strictly increasing, > 0, on the grid |
//! | `rate_values` | `[]` | Hz | ≥ 0, one per time, rate·h ≤ `MAX_COUNT_MEAN` |
//! | `origin`, `start`, `stop` | 0, 0, ∞ | ms | activity window |
//!
//! A rate time `t` takes effect in the step that starts at `t`. The population type is
//! [`super::poisson_generator::PoissonGenerator`]: each rate segment draws intervals or one
//! count per step depending on its rate·h (see `COUNT_SWITCH` there), and the same limit
//! [`super::poisson_generator::MAX_COUNT_MEAN`] refuses rates too high for a `u32` count.

use evplast_kernel::Resolution;

use super::poisson_generator::{check_rate, Params};
use super::{read_schedule, Window};
use crate::error::BuildError;
use crate::params::{ParamDoc, ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "inhomogeneous_poisson_generator";

/// Reads and validates.
pub fn parse(map: &ParamMap, res: Resolution) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let (starts, values) = read_schedule(&mut r, res, "rate_times", "rate_values")?;
    let window = Window::read(&mut r, res)?;
    r.finish()?;
    if let Some(v) = values.iter().find(|v| **v < 0.0) {
        return Err(BuildError::bad(
            MODEL,
            "rate_values",
            v,
            "rates must be >= 0",
        ));
    }
    for &v in &values {
        check_rate(MODEL, "rate_values", v, res)?;
    }
    Ok(Params {
        starts,
        rates: values,
        window,
        status: super::status_of(map, &["rate_times", "rate_values"], |_| {}),
    })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    out.push(ParamDoc {
        name: "rate_times",
        default: "[]".into(),
        unit: "ms",
        doc: "times at which the rate changes",
    });
    out.push(ParamDoc {
        name: "rate_values",
        default: "[]".into(),
        unit: "Hz",
        doc: "rate from each time on",
    });
    Window::describe(out);
}
