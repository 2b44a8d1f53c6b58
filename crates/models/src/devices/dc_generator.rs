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

use evplast_kernel::network::{DirectEvent, DirectValue, Population, SliceCtx, StatusCtx};
use evplast_kernel::snapshot::Snap;
use evplast_kernel::{NumericalInstability, Step};

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

/// One current generator's settings: a piecewise-constant amplitude (pA), `amplitudes[i]`
/// from the step ending at stamp `starts[i]` on (0 before the first).
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub starts: Vec<Step>,
    pub amplitudes: Vec<f64>,
    pub window: Window,
    /// The status dictionary as given (NEST's GetStatus).
    pub status: ParamMap,
}

/// Reads and validates.
pub fn parse(map: &ParamMap, res: evplast_kernel::Resolution) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut a = Amplitude::default();
    a.apply(&mut r)?;
    let window = Window::read(&mut r, res)?;
    r.finish()?;
    Ok(Params {
        starts: vec![Step::MIN],
        amplitudes: vec![a.amplitude],
        window,
        status: super::status_of(map, &[], |m| Amplitude::default().to_map(m)),
    })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    Amplitude::describe(out);
    Window::describe(out);
}

/// A population of current generators (`dc_generator`, `step_current_generator`) with their
/// outgoing connections.
pub struct DcGenerator {
    model: &'static str,
    gens: Vec<Params>,
    first: u32,
    targets: Vec<DirectTarget>,
    /// Per target: index of the next amplitude change.
    seg: Vec<usize>,
}

impl DcGenerator {
    /// Generators of `model` with node ids from `first` and their connections.
    pub fn new(
        model: &'static str,
        gens: Vec<Params>,
        first: u32,
        targets: Vec<DirectTarget>,
    ) -> Self {
        let seg = vec![0; targets.len()];
        Self {
            model,
            gens,
            first,
            targets,
            seg,
        }
    }
}

impl DcGenerator {
    /// Connections made after the build: their currents flow from the next step simulated.
    pub fn add_targets(&mut self, targets: Vec<DirectTarget>) {
        self.seg.resize(self.seg.len() + targets.len(), 0);
        self.targets.extend(targets);
    }
}

impl Population for DcGenerator {
    fn get_status(&self, i: usize, out: &mut ParamMap) {
        out.extend(self.gens[i].status.clone());
    }

    /// New amplitudes and windows apply to the steps from `ctx.now` on.
    fn set_status(&mut self, i: usize, p: &ParamMap, ctx: &StatusCtx) -> Result<(), BuildError> {
        crate::population::check_index(self.model, i, self.gens.len())?;
        let given = crate::population::merged(self.gens[i].status.clone(), p);
        let g = if self.model == MODEL {
            parse(&given, ctx.res)?
        } else {
            super::step_current_generator::parse(&given, ctx.res)?
        };
        self.gens[i] = g;
        let first = self.first;
        for (t, seg) in self.targets.iter().zip(&mut self.seg) {
            if (t.source.0 - first) as usize == i {
                // Found again from the start by the next update.
                *seg = 0;
            }
        }
        Ok(())
    }

    fn snapshot(&mut self, s: &mut Snap) {
        s.each(&mut self.seg, "the current generators' targets", |s, x| {
            s.usize(x)
        });
    }

    fn model(&self) -> &'static str {
        self.model
    }

    fn update(&mut self, ctx: &mut SliceCtx<'_>) -> Result<(), NumericalInstability> {
        for (t, seg) in self.targets.iter().zip(&mut self.seg) {
            let g = &self.gens[(t.source.0 - self.first) as usize];
            let (lo, hi) = (g.window.lo(), g.window.hi());
            for k in ctx.from..ctx.to {
                // The amplitude of the step ending at stamp k + 1.
                while *seg < g.starts.len() && g.starts[*seg] <= k + 1 {
                    *seg += 1;
                }
                let amplitude = if *seg == 0 {
                    0.0
                } else {
                    g.amplitudes[*seg - 1]
                };
                // Active for the step ending at k + 1 if origin + start ≤ k + 1 < origin + stop.
                if (lo..hi).contains(&(k + 1)) {
                    ctx.out.direct.push(DirectEvent {
                        channel: t.channel,
                        arrival: k + 1 + t.delay,
                        value: DirectValue::Value(t.weight * amplitude),
                    });
                }
            }
        }
        Ok(())
    }
}
