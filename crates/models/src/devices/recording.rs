//! What every recorder (`spike_recorder`, `multimeter`, `weight_recorder`) shares, with NEST's
//! names: the activity window (an event at time t is recorded if `origin + start < t ≤ origin +
//! stop`, NEST's rule for recorders), `label`, `record_to` and `time_in_steps`.
//!
//! | key | default | unit | meaning |
//! | --- | --- | --- | --- |
//! | `origin`, `start`, `stop` | 0, 0, ∞ | ms | recording window |
//! | `label` | `""` | | names the recorder's file (Python `record_to = "ascii"`) |
//! | `record_to` | `"ascii"` in a model file, `"memory"` in Python | | `"memory"`: events are kept for `events`; `"ascii"`: also written to a CSV file |
//! | `time_in_steps` | false | | times as whole steps (`times` int64 and `offsets` 0.0, as NEST) |

use evplast_kernel::{Resolution, Step};

use crate::devices::{Window, WindowMs};
use crate::error::BuildError;
use crate::params::{ParamDoc, ParamMap, ParamType, ParamValue, Reader};

/// A recorder's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    pub window: Window,
    /// The window as given (ms), for the status.
    pub window_ms: ParamMap,
    pub label: String,
    /// `true`: written to a file as well (`record_to = "ascii"`).
    pub to_file: bool,
    pub time_in_steps: bool,
}

impl Recording {
    /// Reads the shared keys of `r`'s recorder.
    pub fn read(r: &mut Reader<'_>, res: Resolution) -> Result<Self, BuildError> {
        let window = Window::read(r, res)?;
        let mut label = String::new();
        let mut record_to = String::from("ascii");
        let mut time_in_steps = false;
        r.read("label", &mut label)?;
        r.read("record_to", &mut record_to)?;
        r.read("time_in_steps", &mut time_in_steps)?;
        let to_file = match record_to.as_str() {
            "ascii" => true,
            "memory" => false,
            other => {
                return Err(BuildError::bad(
                    r.model(),
                    "record_to",
                    format!("{other:?}"),
                    "must be \"memory\" or \"ascii\" (the backends evplast has)",
                ))
            }
        };
        let mut window_ms = ParamMap::new();
        let mut w = WindowMs::default();
        w.apply(r)?;
        w.to_map(&mut window_ms);
        Ok(Self {
            window,
            window_ms,
            label,
            to_file,
            time_in_steps,
        })
    }

    /// The recorded stamps: `lo < stamp ≤ hi`.
    pub fn bounds(&self) -> (Step, Step) {
        (self.window.lo(), self.window.hi())
    }

    /// The shared keys by NEST name.
    pub fn to_map(&self, out: &mut ParamMap) {
        out.extend(self.window_ms.clone());
        out.insert("label".into(), ParamValue::Str(self.label.clone()));
        out.insert(
            "record_to".into(),
            ParamValue::Str(if self.to_file { "ascii" } else { "memory" }.into()),
        );
        out.insert("time_in_steps".into(), self.time_in_steps.value());
    }

    /// NEST's names, defaults and units.
    pub fn describe(out: &mut Vec<ParamDoc>) {
        Window::describe(out);
        out.push(ParamDoc {
            name: "label",
            default: "\"\"".into(),
            unit: "",
            doc: "names the recorder's file",
        });
        out.push(ParamDoc {
            name: "record_to",
            default: "\"ascii\"".into(),
            unit: "",
            doc: "\"memory\" or \"ascii\" (also a CSV file)",
        });
        out.push(ParamDoc {
            name: "time_in_steps",
            default: "false".into(),
            unit: "",
            doc: "times as whole steps",
        });
    }
}

/// A recorder of `model` with no parameters of its own.
pub fn parse(
    model: &'static str,
    map: &ParamMap,
    res: Resolution,
) -> Result<Recording, BuildError> {
    let mut r = Reader::new(model, map);
    let rec = Recording::read(&mut r, res)?;
    r.finish()?;
    Ok(rec)
}
