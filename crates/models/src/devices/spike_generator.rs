//! `spike_generator`: emits spikes at given times.
//!
//! A spike at time `t` (on the resolution grid) is stamped `t`: it is emitted in the step that
//! ends at `t` and reaches a target with delay `d` at `t + d`. `spike_weights`, if given, multiply
//! the connection weight per spike; `spike_multiplicities` give several spikes at once.
//! Spike times are relative to `origin`; a spike is emitted only while the device is active:
//! `start < t ≤ stop` (checked with NEST 3.10).
//! SetStatus after a run: the new times are absolute (relative to `origin`) and may lie in the
//! past, as NEST accepts them; spikes stamped at or before the current time are skipped.
//!
//! | parameter | default | unit | |
//! |---|---|---|---|
//! | `spike_times` | `[]` | ms | non-decreasing, on the grid, > 0 |
//! | `spike_weights` | `[]` | | empty or one per spike |
//! | `spike_multiplicities` | `[]` | | empty or one per spike |
//! | `origin`, `start`, `stop` | 0, 0, ∞ | ms | activity window |

use evplast_kernel::limits::MAX_MULTIPLICITY;
use evplast_kernel::network::{Population, SliceCtx, SpikeEvent, StatusCtx};
use evplast_kernel::snapshot::Snap;
use evplast_kernel::{NodeId, NumericalInstability, Resolution, Step};

use super::Window;
use crate::error::BuildError;
use crate::params::{ParamDoc, ParamMap, ParamValue, Reader};

/// NEST model name.
pub const MODEL: &str = "spike_generator";

/// One generator's spikes, resolved to stamps.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub stamps: Vec<Step>,
    pub weights: Vec<f64>,
    pub multiplicities: Vec<u32>,
    /// The status dictionary as given (NEST's GetStatus).
    pub status: ParamMap,
}

/// Reads and validates.
pub fn parse(map: &ParamMap, res: Resolution) -> Result<Params, BuildError> {
    let mut r = Reader::new(MODEL, map);
    let mut times: Vec<f64> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    let mut mult: Vec<f64> = Vec::new();
    r.read("spike_times", &mut times)?;
    r.read("spike_weights", &mut weights)?;
    r.read("spike_multiplicities", &mut mult)?;
    let window = Window::read(&mut r, res)?;
    r.finish()?;
    let shown =
        |v: &[f64]| ParamValue::Array(v.iter().map(|x| ParamValue::Num(*x)).collect()).to_string();
    let mut stamps = Vec::with_capacity(times.len());
    for (i, &t) in times.iter().enumerate() {
        let s = res.on_grid(t).ok_or_else(|| {
            BuildError::bad(
                MODEL,
                "spike_times",
                shown(&times),
                format!("time {t} (index {i}) {}", res.off_grid(t)),
            )
        })?;
        if s <= 0 {
            return Err(BuildError::bad(
                MODEL,
                "spike_times",
                shown(&times),
                format!("time {t} (index {i}) must be > 0"),
            ));
        }
        if i > 0 && t < times[i - 1] {
            return Err(BuildError::bad(
                MODEL,
                "spike_times",
                shown(&times),
                "must be sorted in non-decreasing order",
            ));
        }
        stamps.push(s);
    }
    if !weights.is_empty() && weights.len() != times.len() {
        return Err(BuildError::bad(
            MODEL,
            "spike_weights",
            shown(&weights),
            "must be empty or have one weight per spike time",
        ));
    }
    if !mult.is_empty() && mult.len() != times.len() {
        return Err(BuildError::bad(
            MODEL,
            "spike_multiplicities",
            shown(&mult),
            "must be empty or have one value per spike time",
        ));
    }
    if let Some((i, m)) = mult
        .iter()
        .enumerate()
        .find(|(_, m)| **m < 0.0 || m.fract() != 0.0)
    {
        return Err(BuildError::bad(
            MODEL,
            "spike_multiplicities",
            shown(&mult),
            format!("{m} (index {i}) is not a non-negative integer"),
        ));
    }
    if let Some((i, m)) = mult
        .iter()
        .enumerate()
        .find(|(_, m)| **m > MAX_MULTIPLICITY as f64)
    {
        return Err(BuildError::bad(
            MODEL,
            "spike_multiplicities",
            shown(&mult),
            format!(
                "{} (index {i}) is more than {MAX_MULTIPLICITY}, the largest multiplicity (32 bits)",
                crate::params::fmt_num(*m)
            ),
        ));
    }
    // Spike times are relative to `origin` (as in NEST); the activity window applies to the
    // shifted times once: origin + start < origin + t ≤ origin + stop, all in steps.
    let keep: Vec<bool> = stamps
        .iter()
        .map(|&s| s > window.start && window.stop.is_none_or(|stop| s <= stop))
        .collect();
    let pick = |v: &[f64]| {
        v.iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(x, _)| *x)
            .collect::<Vec<_>>()
    };
    let stamps = stamps
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(s, _)| *s + window.origin)
        .collect();
    let weights = pick(&weights);
    let multiplicities = pick(&mult).iter().map(|m| *m as u32).collect();
    Ok(Params {
        stamps,
        weights,
        multiplicities,
        status: super::status_of(
            map,
            &["spike_times", "spike_weights", "spike_multiplicities"],
            |_| {},
        ),
    })
}

/// Parameter documentation for `evplast models`.
pub fn describe(out: &mut Vec<ParamDoc>) {
    out.push(ParamDoc {
        name: "spike_times",
        default: "[]".into(),
        unit: "ms",
        doc: "spike times (on the grid, non-decreasing, > 0)",
    });
    out.push(ParamDoc {
        name: "spike_weights",
        default: "[]".into(),
        unit: "",
        doc: "per-spike weight factor (empty: 1)",
    });
    out.push(ParamDoc {
        name: "spike_multiplicities",
        default: "[]".into(),
        unit: "",
        doc: "per-spike multiplicity (empty: 1)",
    });
    Window::describe(out);
}

/// A population of spike generators.
pub struct SpikeGenerator {
    first: NodeId,
    gens: Vec<Params>,
    /// Next spike index per generator.
    pos: Vec<usize>,
}

impl SpikeGenerator {
    /// Generators with node ids from `first`.
    pub fn new(first: NodeId, gens: Vec<Params>) -> Self {
        let pos = vec![0; gens.len()];
        Self { first, gens, pos }
    }
}

impl Population for SpikeGenerator {
    fn get_status(&self, i: usize, out: &mut ParamMap) {
        out.extend(self.gens[i].status.clone());
    }

    /// NEST 3.10's rule (checked with its Python interface): new `spike_times` are absolute
    /// (relative to `origin`, not to the current time) and may lie in the past; spikes stamped
    /// at or before `ctx.now` are never emitted, the rest are, from the next step on.
    fn set_status(&mut self, i: usize, p: &ParamMap, ctx: &StatusCtx) -> Result<(), BuildError> {
        crate::population::check_index(MODEL, i, self.gens.len())?;
        let g = parse(
            &crate::population::merged(self.gens[i].status.clone(), p),
            ctx.res,
        )?;
        self.pos[i] = g.stamps.partition_point(|&s| s <= ctx.now);
        self.gens[i] = g;
        Ok(())
    }

    fn snapshot(&mut self, s: &mut Snap) {
        s.each(&mut self.pos, "the spike generators", |s, x| s.usize(x));
    }

    fn model(&self) -> &'static str {
        MODEL
    }

    fn update(&mut self, ctx: &mut SliceCtx<'_>) -> Result<(), NumericalInstability> {
        for (i, g) in self.gens.iter().enumerate() {
            let pos = &mut self.pos[i];
            // Stamps that are already past (before the first step) are never emitted.
            while *pos < g.stamps.len() && g.stamps[*pos] <= ctx.from {
                *pos += 1;
            }
            while *pos < g.stamps.len() && g.stamps[*pos] <= ctx.to {
                let j = *pos;
                let m = g.multiplicities.get(j).copied().unwrap_or(1);
                if m > 0 {
                    ctx.out.spikes.push(SpikeEvent {
                        source: NodeId(self.first.0 + i as u32),
                        stamp: g.stamps[j],
                        multiplicity: m,
                        weight_factor: g.weights.get(j).copied().unwrap_or(1.0),
                    });
                }
                *pos += 1;
            }
        }
        Ok(())
    }
}
