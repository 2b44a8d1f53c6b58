//! `multimeter`: samples recordable state of the neurons it is connected to
//! (`Connect(mm, neuron)`), every `interval` ms, at the end of the steps whose stamp is a
//! multiple of `interval`.
//!
//! | parameter | default | unit | |
//! |---|---|---|---|
//! | `record_from` | `[]` | | recordable names of the target model |
//! | `interval` | 1.0 | ms | sampling interval, a multiple of the resolution |

use evplast_kernel::{Resolution, Step};

use crate::devices::recording::Recording;
use crate::error::{require, BuildError};
use crate::params::{ParamDoc, ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "multimeter";

/// Multimeter settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub record_from: Vec<String>,
    pub interval: f64,
    pub interval_steps: Step,
    pub recording: Recording,
}

/// Reads and validates.
pub fn parse(map: &ParamMap, res: Resolution) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut record_from: Vec<String> = Vec::new();
    let mut interval = 1.0;
    r.read("record_from", &mut record_from)?;
    r.read("interval", &mut interval)?;
    let recording = Recording::read(&mut r, res)?;
    r.finish()?;
    require(
        interval >= res.h(),
        MODEL,
        "interval",
        interval,
        "must be >= the resolution",
    )?;
    let interval_steps = res
        .on_grid(interval)
        .ok_or_else(|| BuildError::bad(MODEL, "interval", interval, res.off_grid(interval)))?;
    Ok(Params {
        record_from,
        interval,
        interval_steps,
        recording,
    })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    out.push(ParamDoc {
        name: "record_from",
        default: "[]".into(),
        unit: "",
        doc: "recordables to sample",
    });
    out.push(ParamDoc {
        name: "interval",
        default: "1".into(),
        unit: "ms",
        doc: "sampling interval",
    });
    Recording::describe(out);
}
