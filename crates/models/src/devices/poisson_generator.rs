//! `poisson_generator`: an independent Poisson spike train of rate `rate` for **each** target.
//!
//! Each connection draws its own train from its own random stream (keyed by the run seed and
//! the connection), so results do not depend on the order or partition of targets. The counts
//! per step are Poisson(rate·h) and independent, drawn as exponential inter-event intervals.
//! Active for steps `k` with `origin + start < k·h ≤ origin + stop` (NEST's rule for spike
//! generators, evaluated at the step's start).
//!
//! | parameter | default | unit | |
//! |---|---|---|---|
//! | `rate` | 0.0 | Hz | ≥ 0 |
//! | `origin`, `start`, `stop` | 0, 0, ∞ | ms | activity window |

use rand_distr::{Distribution, Exp};

use evplast_kernel::network::{DirectEvent, DirectValue, GeneratedTrain, Population, SliceCtx};
use evplast_kernel::rng::Rng;
use evplast_kernel::{NodeId, NumericalInstability, Step};

use super::Window;
use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "poisson_generator";

nest_params! {
    /// Rate of each target's train.
    pub struct Rate {
        rate: f64 = 0.0, "rate", "Hz", "rate of each target's train";
    }
}

/// One generator's settings: a piecewise-constant rate (Hz) from each start stamp on.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Step from which `rates[i]` applies (ascending); before the first, the rate is 0.
    pub starts: Vec<Step>,
    pub rates: Vec<f64>,
    pub window: Window,
}

/// Reads and validates.
pub fn parse(map: &ParamMap, res: evplast_kernel::Resolution) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut rate = Rate::default();
    rate.apply(&mut r)?;
    let window = Window::read(&mut r, res)?;
    r.finish()?;
    require(rate.rate >= 0.0, MODEL, "rate", rate.rate, "must be >= 0")?;
    Ok(Params {
        starts: vec![Step::MIN],
        rates: vec![rate.rate],
        window,
    })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    Rate::describe(out);
    Window::describe(out);
}

/// One outgoing connection of a device that sends directly to a channel.
#[derive(Clone, Debug)]
pub struct DirectTarget {
    pub source: NodeId,
    pub target: NodeId,
    pub channel: u32,
    pub weight: f64,
    pub delay: Step,
}

struct Train {
    /// Generator index.
    gen: usize,
    target: DirectTarget,
    rng: Rng,
    /// Next event time in ms (continuous) of the current rate segment.
    next: f64,
    /// Index of the rate segment `next` was drawn for, or `usize::MAX` before the first draw.
    seg: usize,
    /// Constant-rate trains: the step the next event falls in (a lower bound), so a slice
    /// without events costs one comparison.
    next_step: Step,
}

/// A population of Poisson generators (homogeneous or inhomogeneous) with their outgoing
/// connections.
pub struct PoissonGenerator {
    model: &'static str,
    gens: Vec<Params>,
    trains: Vec<Train>,
    /// The generated trains (stamp, multiplicity) per connection, if asked to keep them.
    pub generated: Option<Vec<Vec<(Step, u32)>>>,
}

impl PoissonGenerator {
    /// Generators `gens` with connections `targets` (each with its random stream).
    pub fn new(
        model: &'static str,
        gens: Vec<Params>,
        first: NodeId,
        targets: Vec<(DirectTarget, Rng)>,
        keep_trains: bool,
    ) -> Self {
        let n = targets.len();
        let trains = targets
            .into_iter()
            .map(|(t, rng)| Train {
                gen: (t.source.0 - first.0) as usize,
                target: t,
                rng,
                next: f64::NEG_INFINITY,
                seg: usize::MAX,
                next_step: Step::MIN,
            })
            .collect();
        Self {
            model,
            gens,
            trains,
            generated: keep_trains.then(|| vec![Vec::new(); n]),
        }
    }

    /// The connections in the order of `generated`.
    pub fn targets(&self) -> impl Iterator<Item = &DirectTarget> {
        self.trains.iter().map(|t| &t.target)
    }
}

/// Sends `n` spikes stamped `stamp` along train `c` (and keeps them if asked).
#[inline]
fn emit(
    tr: &Train,
    stamp: Step,
    n: u32,
    out: &mut Vec<DirectEvent>,
    generated: &mut Option<Vec<Vec<(Step, u32)>>>,
    c: usize,
) {
    out.push(DirectEvent {
        channel: tr.target.channel,
        arrival: stamp + tr.target.delay,
        value: DirectValue::Spike {
            weight: tr.target.weight,
            multiplicity: n,
        },
    });
    if let Some(gen) = generated {
        gen[c].push((stamp, n));
    }
}

impl Population for PoissonGenerator {
    fn model(&self) -> &'static str {
        self.model
    }

    fn update(&mut self, ctx: &mut SliceCtx<'_>) -> Result<(), NumericalInstability> {
        let h = ctx.res.h();
        for (c, tr) in self.trains.iter_mut().enumerate() {
            // A constant-rate train with no event in this slice (tested before anything else is
            // loaded; `next_step` stays Step::MIN in every other train).
            if tr.next_step >= ctx.to {
                continue;
            }
            let g = &self.gens[tr.gen];
            let (lo, hi) = (g.window.lo(), g.window.hi());
            if g.starts.len() == 1 && g.starts[0] == Step::MIN && g.window.stop.is_none() {
                // A constant rate with no end: jump from event to event (O(events), not
                // O(steps)); the event at time x falls in the first step k with x ≤ t_k + h.
                let rate = g.rates[0];
                if rate <= 0.0 {
                    continue;
                }
                let mut k_min = ctx.from;
                while k_min < ctx.to && k_min <= lo {
                    k_min += 1;
                }
                if k_min >= ctx.to {
                    continue;
                }
                let exp = Exp::new(rate / 1000.0).expect("rate > 0");
                if tr.seg == usize::MAX {
                    tr.next = ctx.res.ms(k_min) + exp.sample(&mut tr.rng);
                    tr.seg = 0;
                }
                loop {
                    let mut k = ((tr.next / h).floor() as Step - 1).max(k_min);
                    while ctx.res.ms(k) + h < tr.next {
                        k += 1;
                    }
                    if k >= ctx.to {
                        tr.next_step = k;
                        break;
                    }
                    let t1 = ctx.res.ms(k) + h;
                    let mut n = 0u32;
                    while tr.next <= t1 {
                        n += 1;
                        tr.next += exp.sample(&mut tr.rng);
                    }
                    emit(tr, k + 1, n, &mut ctx.out.direct, &mut self.generated, c);
                }
                continue;
            }
            let mut seg = if tr.seg == usize::MAX { 0 } else { tr.seg };
            for k in ctx.from..ctx.to {
                // The rate segment of step k: the last start at or before k.
                while seg + 1 < g.starts.len() && g.starts[seg + 1] <= k {
                    seg += 1;
                }
                let t0 = ctx.res.ms(k);
                let rate = if g.starts[seg] <= k {
                    g.rates[seg]
                } else {
                    0.0
                };
                if rate <= 0.0 || !(k > lo && k <= hi) {
                    continue;
                }
                let exp = Exp::new(rate / 1000.0).expect("rate > 0");
                if tr.next < t0 || tr.seg != seg {
                    // (Re)start the memoryless process at a new active period or rate.
                    tr.next = t0 + exp.sample(&mut tr.rng);
                    tr.seg = seg;
                }
                let t1 = t0 + h;
                let mut n = 0u32;
                while tr.next <= t1 {
                    n += 1;
                    tr.next += exp.sample(&mut tr.rng);
                }
                if n > 0 {
                    emit(tr, k + 1, n, &mut ctx.out.direct, &mut self.generated, c);
                }
            }
        }
        Ok(())
    }

    fn generated_trains(&self, out: &mut Vec<GeneratedTrain>) {
        if let Some(gen) = &self.generated {
            for (tr, g) in self.trains.iter().zip(gen) {
                out.push((tr.target.source, tr.target.target, g.clone()));
            }
        }
    }
}
