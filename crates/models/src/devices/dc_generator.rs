//! `dc_generator`: a constant current `amplitude` (pA) sent to each target every step while
//! active, through the connection's weight and delay. NEST's rule (measured,
//! tools/nest_check/NEST_SEMANTICS.md §4): the generator's step ending at `t` is active when
//! `origin + start ≤ t < origin + stop`, and its current acts on the target during the step
//! that ends at `t + d + h` (the neuron reads it at the end of the arrival step).
//!
//! | parameter | default | unit | |
//! |---|---|---|---|
//! | `amplitude` | 0.0 | pA | |
//! | `origin`, `start`, `stop` | 0, 0, ∞ | ms | activity window |

use evplast_kernel::network::{DirectEvent, DirectValue, Population, SliceCtx};
use evplast_kernel::NumericalInstability;

use super::poisson_generator::DirectTarget;
use super::Window;
use crate::error::BuildError;
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "dc_generator";

nest_params! {
    /// The current.
    pub struct Amplitude {
        amplitude: f64 = 0.0, "amplitude", "pA", "current amplitude";
    }
}

/// One generator's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub amplitude: f64,
    pub window: Window,
}

/// Reads and validates.
pub fn parse(map: &ParamMap) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut a = Amplitude::default();
    a.apply(&mut r)?;
    let window = Window::read(&mut r)?;
    r.finish()?;
    Ok(Params {
        amplitude: a.amplitude,
        window,
    })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    Amplitude::describe(out);
    Window::describe(out);
}

/// A population of DC generators with their outgoing connections.
pub struct DcGenerator {
    gens: Vec<Params>,
    first: u32,
    targets: Vec<DirectTarget>,
}

impl DcGenerator {
    /// Generators with node ids from `first` and their connections.
    pub fn new(gens: Vec<Params>, first: u32, targets: Vec<DirectTarget>) -> Self {
        Self {
            gens,
            first,
            targets,
        }
    }
}

impl Population for DcGenerator {
    fn model(&self) -> &'static str {
        MODEL
    }

    fn update(&mut self, ctx: &mut SliceCtx<'_>) -> Result<(), NumericalInstability> {
        for t in &self.targets {
            let g = &self.gens[(t.source.0 - self.first) as usize];
            let lo = g.window.origin + g.window.start;
            let hi = g.window.origin + g.window.stop;
            for k in ctx.from..ctx.to {
                let te = ctx.res.ms(k + 1);
                if te >= lo - 1e-9 && te < hi - 1e-9 {
                    ctx.out.direct.push(DirectEvent {
                        channel: t.channel,
                        arrival: k + 1 + t.delay,
                        value: DirectValue::Value(t.weight * g.amplitude),
                    });
                }
            }
        }
        Ok(())
    }
}
