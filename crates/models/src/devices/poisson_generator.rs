//! `poisson_generator`: an independent Poisson spike train of rate `rate` for **each** target.
//!
//! Each connection draws its own train from its own random stream (keyed by the run seed and
//! the connection), so results do not depend on the order or partition of targets. The counts
//! per step are Poisson(rate·h) and independent. Below [`COUNT_SWITCH`] expected events per
//! step they are drawn as exponential inter-event intervals (cost O(events), nothing for a
//! step without events); from it on, as one Poisson count per step (cost O(steps), as NEST
//! does for every rate), so the cost does not grow with the rate.
//! Active for steps `k` with `origin + start < k·h ≤ origin + stop` (NEST's rule for spike
//! generators, evaluated at the step's start).
//!
//! | parameter | default | unit | |
//! |---|---|---|---|
//! | `rate` | 0.0 | Hz | ≥ 0, rate·h ≤ [`MAX_COUNT_MEAN`] |
//! | `origin`, `start`, `stop` | 0, 0, ∞ | ms | activity window |
//!
//! Deviation from NEST: a step's count is sent as one event of that multiplicity, a `u32`, so
//! rates whose mean count per step exceeds [`MAX_COUNT_MEAN`] (4·10¹³ Hz at h = 0.1 ms) are
//! refused; NEST accepts them.

use rand_distr::{Distribution, Exp, Poisson};

use evplast_kernel::network::{
    DirectEvent, DirectValue, GeneratedTrain, Population, SliceCtx, StatusCtx,
};
use evplast_kernel::rng::Rng;
use evplast_kernel::snapshot::Snap;
use evplast_kernel::{NodeId, NumericalInstability, Resolution, Step};

use super::Window;
use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::{ParamDoc, ParamMap, Reader};

/// NEST model name.
pub const MODEL: &str = "poisson_generator";

/// Expected events per step (rate·h) from which a step's count is drawn as one Poisson
/// deviate instead of as exponential intervals: where the two cost the same. Measured with
/// callgrind (release; one generator → 100 parrots, 2000 steps; instructions per step and
/// target over a rate-0 run), interval vs count: rate·h = 0.5: 152 vs 210; 1: 253 vs 249;
/// 2: 372 vs 297; 12: 828 vs 416; 50: 2392 vs 394 (intervals ≈ 80 + 42·rate·h; counts grow
/// up to rate·h = 12, where rand_distr switches from Knuth's method to rejection, then stay
/// flat). Wall clock agreed (1000 targets: 1: 57 vs 35 ns; 50: 214 vs 42 ns).
pub const COUNT_SWITCH: f64 = 1.0;

/// Largest accepted expected count per step (rate·h). A step's count is one event's `u32`
/// multiplicity; at this mean, u32::MAX is ≈ 4700 standard deviations away, so no count
/// overflows (the conversion saturates regardless).
pub const MAX_COUNT_MEAN: f64 = 4.0e9;

/// Refuses a rate (Hz) whose expected count per step at `res` exceeds [`MAX_COUNT_MEAN`].
pub fn check_rate(model: &str, param: &str, rate: f64, res: Resolution) -> Result<(), BuildError> {
    // Compared with the limit as printed, so that the printed value itself is accepted.
    let limit = max_rate(res);
    if rate <= limit {
        return Ok(());
    }
    Err(BuildError::bad(
        model,
        param,
        rate,
        format!(
            "must be <= {limit:e} Hz at resolution {} ms: the spike count of one step \
             (mean rate·h) must stay below {MAX_COUNT_MEAN:e} to fit a u32 multiplicity",
            res.h()
        ),
    ))
}

/// The largest accepted rate (Hz) at `res`: [`MAX_COUNT_MEAN`] / h.
pub fn max_rate(res: Resolution) -> f64 {
    MAX_COUNT_MEAN * 1000.0 / res.h()
}

/// The count distribution of a rate (Hz) at step `h` (ms): `Some` on the count path.
fn count_distribution(rate: f64, h: f64) -> Option<Poisson<f64>> {
    let mean = rate / 1000.0 * h;
    (mean >= COUNT_SWITCH).then(|| Poisson::new(mean).expect("mean checked at build time"))
}

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
    /// The status dictionary as given (NEST's GetStatus).
    pub status: ParamMap,
}

/// Reads and validates.
pub fn parse(map: &ParamMap, res: evplast_kernel::Resolution) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut rate = Rate::default();
    rate.apply(&mut r)?;
    let window = Window::read(&mut r, res)?;
    r.finish()?;
    require(rate.rate >= 0.0, MODEL, "rate", rate.rate, "must be >= 0")?;
    check_rate(MODEL, "rate", rate.rate, res)?;
    Ok(Params {
        starts: vec![Step::MIN],
        rates: vec![rate.rate],
        window,
        status: super::status_of(map, &[], |m| Rate::default().to_map(m)),
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
    /// Per generator and rate segment, the count distribution if on the count path.
    counts: Vec<Vec<Option<Poisson<f64>>>>,
    trains: Vec<Train>,
    /// The generated trains (stamp, multiplicity) per connection, if asked to keep them.
    pub generated: Option<Vec<Vec<(Step, u32)>>>,
}

impl PoissonGenerator {
    /// Generators `gens` with connections `targets` (each with its random stream).
    pub fn new(
        model: &'static str,
        gens: Vec<Params>,
        res: Resolution,
        first: NodeId,
        targets: Vec<(DirectTarget, Rng)>,
        keep_trains: bool,
    ) -> Self {
        let n = targets.len();
        let counts = gens
            .iter()
            .map(|g| {
                g.rates
                    .iter()
                    .map(|&r| count_distribution(r, res.h()))
                    .collect()
            })
            .collect();
        let mut g = Self {
            model,
            gens,
            counts,
            trains: Vec::with_capacity(n),
            generated: keep_trains.then(Vec::new),
        };
        g.add_targets(first, targets);
        g
    }

    /// Connections (each with its random stream); those made after the build start their
    /// trains at the next step simulated, as every train starts at the first step it is run.
    pub fn add_targets(&mut self, first: NodeId, targets: Vec<(DirectTarget, Rng)>) {
        if let Some(g) = &mut self.generated {
            g.resize(g.len() + targets.len(), Vec::new());
        }
        self.trains
            .extend(targets.into_iter().map(|(t, rng)| Train {
                gen: (t.source.0 - first.0) as usize,
                target: t,
                rng,
                next: f64::NEG_INFINITY,
                seg: usize::MAX,
                next_step: Step::MIN,
            }));
    }

    /// Number of connections of generator `i` (local index).
    pub fn n_targets_of(&self, i: usize) -> usize {
        self.trains.iter().filter(|t| t.gen == i).count()
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
    fn get_status(&self, i: usize, out: &mut ParamMap) {
        out.extend(self.gens[i].status.clone());
    }

    /// New rates apply from `ctx.now` on: each of the generator's trains restarts its
    /// (memoryless) process there with the new rate, drawing from its own stream as it goes on
    /// (no reseeding).
    fn set_status(&mut self, i: usize, p: &ParamMap, ctx: &StatusCtx) -> Result<(), BuildError> {
        crate::population::check_index(self.model, i, self.gens.len())?;
        let given = crate::population::merged(self.gens[i].status.clone(), p);
        let g = if self.model == MODEL {
            parse(&given, ctx.res)?
        } else {
            super::inhomogeneous_poisson_generator::parse(&given, ctx.res)?
        };
        self.counts[i] = g
            .rates
            .iter()
            .map(|&r| count_distribution(r, ctx.res.h()))
            .collect();
        self.gens[i] = g;
        for tr in self.trains.iter_mut().filter(|t| t.gen == i) {
            tr.next = f64::NEG_INFINITY;
            tr.seg = usize::MAX;
            tr.next_step = Step::MIN;
        }
        Ok(())
    }

    fn snapshot(&mut self, s: &mut Snap) {
        s.each(&mut self.trains, "the Poisson trains", |s, t| {
            s.rng(&mut t.rng);
            s.f64(&mut t.next);
            s.usize(&mut t.seg);
            s.i64(&mut t.next_step);
        });
        s.option(&mut self.generated, |s, g| {
            s.vec(g, |s, train| {
                s.vec(train, |s, (stamp, m)| {
                    s.i64(stamp);
                    s.u32(m);
                })
            })
        });
    }

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
            let counts = &self.counts[tr.gen];
            let (lo, hi) = (g.window.lo(), g.window.hi());
            if g.starts.len() == 1
                && g.starts[0] == Step::MIN
                && g.window.stop.is_none()
                && counts[0].is_none()
            {
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
                    // An event clearly past this slice (for a tiny rate, past any step a run
                    // reaches: the step index would overflow): nothing more in this slice.
                    if tr.next / h > ctx.to as f64 + 2.0 {
                        tr.next_step = ((tr.next / h) as Step).saturating_sub(2).max(ctx.to);
                        break;
                    }
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
            if g.starts.is_empty() {
                // No rate segment (an inhomogeneous generator without `rate_times`): rate 0,
                // as in NEST.
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
                if let Some(poisson) = &counts[seg] {
                    // `as` saturates; the mean is far below u32::MAX (MAX_COUNT_MEAN).
                    let n = poisson.sample(&mut tr.rng) as u32;
                    if n > 0 {
                        emit(tr, k + 1, n, &mut ctx.out.direct, &mut self.generated, c);
                    }
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
