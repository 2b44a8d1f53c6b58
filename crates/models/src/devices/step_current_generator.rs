//! `step_current_generator`: a piecewise-constant current: `amplitude_values[i]` (pA) from
//! `amplitude_times[i]` (ms) on, 0 before the first time; sent to each target every step while
//! active, through the connection's weight and delay, with `dc_generator`'s timing (the step
//! ending at `t` carries the amplitude set at or before `t`, and acts during the step ending at
//! `t + d + h`). Use it for a teacher current on `pp_cond_exp_mc_urbanczik`'s `soma_curr`.
//!
//! | parameter | default | unit | |
//! |---|---|---|---|
//! | `amplitude_times` | `[]` | ms | strictly increasing, > 0, on the grid |
//! | `amplitude_values` | `[]` | pA | one per time |
//! | `origin`, `start`, `stop` | 0, 0, ∞ | ms | activity window |

use evplast_kernel::Resolution;

use super::dc_generator::Params;
use super::{read_schedule, Window};
use crate::error::BuildError;
use crate::params::{ParamDoc, ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "step_current_generator";

/// Reads and validates.
pub fn parse(map: &ParamMap, res: Resolution) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let (starts, values) = read_schedule(&mut r, res, "amplitude_times", "amplitude_values")?;
    let window = Window::read(&mut r, res)?;
    r.finish()?;
    Ok(Params {
        starts,
        amplitudes: values,
        window,
        status: super::status_of(map, &["amplitude_times", "amplitude_values"], |_| {}),
    })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    out.push(ParamDoc {
        name: "amplitude_times",
        default: "[]".into(),
        unit: "ms",
        doc: "times at which the current changes",
    });
    out.push(ParamDoc {
        name: "amplitude_values",
        default: "[]".into(),
        unit: "pA",
        doc: "current from each time on",
    });
    Window::describe(out);
}
