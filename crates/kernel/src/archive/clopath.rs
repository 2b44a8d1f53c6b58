//! The Clopath archive, event-driven (full history): what `clopath_synapse` reads from its
//! postsynaptic neuron (nest-models.md §2).
//!
//! Each step the neuron delays `ū+` and `ū−` by `delay_u_bars` in its own [`UBarDelay`] (a ring
//! that starts at zero, as NEST's does; every Clopath neuron keeps it, with plastic inputs or
//! not, as NEST does) and hands `u = V_m`, the delayed filters and `ū̄` to its archive, if it has
//! plastic inputs. The archive stores
//! * an LTP entry `A_LTP·(u − θ+)·(ū+_del − θ−)·h` when `u > θ+` and `ū+_del > θ−` (sparse), and
//! * the LTD value `A_LTD·(ū−_del − θ−)` (× `ū̄²/u_ref²` if homeostatic) when `ū−_del > θ−`,
//!   in a ring keyed by stamp that is long enough for `max_delay + min_delay` steps.
//!
//! NEST keeps only the last `max_delay + 1` *written* LTD values, so with `min_delay` > 1 step a
//! synapse with a long delay often finds its value overwritten and applies no LTD
//! (nest-models.md §2.4). That is a bug; evplast keeps every value a synapse can still ask for.
//! [`LtdRing::NestCompatible`] reproduces NEST's loss exactly, for cross-checks only.
//!
//! LTP entries are freed from the front once every incoming synapse has read them.

use super::{RuleCounters, SchemeHistory};
use crate::time::Step;

/// The Clopath-rule parameters that live on the neuron (NEST's `ClopathArchivingNode`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClopathRule {
    pub a_ltd: f64,
    pub a_ltp: f64,
    pub u_ref_squared: f64,
    pub theta_plus: f64,
    pub theta_minus: f64,
    pub a_ltd_const: bool,
    /// `round(delay_u_bars / h)`.
    pub delay_u_bars_steps: usize,
}

/// What a neuron hands to its archive at the end of a step (mV).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Voltages {
    /// The membrane potential.
    pub u: f64,
    /// ū+ and ū− delayed by `delay_u_bars` ([`UBarDelay`]).
    pub u_plus: f64,
    pub u_minus: f64,
    pub u_bar_bar: f64,
}

/// One neuron's ū+ and ū− delayed by `delay_u_bars`: rings of `delay_u_bars / h + 1` values
/// that start at zero (NEST's `delayed_u_bar_plus_` / `_minus_`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UBarDelay {
    plus: Vec<f64>,
    minus: Vec<f64>,
    idx: usize,
}

impl UBarDelay {
    /// A delay of `steps` steps.
    pub fn new(steps: usize) -> Self {
        Self {
            plus: vec![0.0; steps + 1],
            minus: vec![0.0; steps + 1],
            idx: 0,
        }
    }

    /// The delay in steps.
    pub fn steps(&self) -> usize {
        self.plus.len() - 1
    }

    /// Stores this step's ū+ and ū− and returns the values of `steps` steps ago (with no
    /// delay, these).
    #[inline]
    pub fn push(&mut self, plus: f64, minus: f64) -> (f64, f64) {
        self.plus[self.idx] = plus;
        self.minus[self.idx] = minus;
        self.idx += 1;
        if self.idx == self.plus.len() {
            self.idx = 0;
        }
        (self.plus[self.idx], self.minus[self.idx])
    }
}

impl crate::snapshot::Snapshot for UBarDelay {
    fn snapshot(&mut self, s: &mut crate::snapshot::Snap) {
        s.f64_slice(&mut self.plus, "the delayed u_bar_plus");
        s.f64_slice(&mut self.minus, "the delayed u_bar_minus");
        s.usize(&mut self.idx);
    }
}

/// How many written LTD values stay visible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LtdRing {
    /// Every value a synapse can still ask for (correct).
    Complete,
    /// Only the last `max_delay + 1` written values, as NEST 3.10 keeps them.
    NestCompatible,
}

/// The archive of one neuron.
#[derive(Clone, Debug)]
pub struct ClopathArchive {
    rule: ClopathRule,
    /// Slot per stamp modulo the length, a power of two so the slot is a mask, not a division
    /// (at least `min_delay + max_delay` slots: every value a synapse reads is still held; a
    /// longer ring reads the same, since a slot names its stamp): (stamp, value, index of the
    /// write).
    ltd: Vec<(Step, f64, u64)>,
    ltd_writes: u64,
    /// A value is visible while fewer than this many writes followed it.
    ltd_visible: u64,
    /// The LTP history (and its compressed groups, one per (delay, τ_x) in that scheme).
    pub ltp: SchemeHistory<1>,
}

impl ClopathArchive {
    /// An archive for a neuron whose incoming Clopath synapses have delays up to `max_delay`,
    /// delivered in slices of `min_delay` steps.
    pub fn new(
        rule: ClopathRule,
        n_incoming: u32,
        min_delay: Step,
        max_delay: Step,
        ring: LtdRing,
    ) -> Self {
        let ltd_visible = match ring {
            LtdRing::Complete => u64::MAX,
            LtdRing::NestCompatible => max_delay as u64 + 1,
        };
        Self {
            rule,
            ltd: vec![(Step::MIN, 0.0, 0); ((min_delay + max_delay) as usize).next_power_of_two()],
            ltd_writes: 0,
            ltd_visible,
            ltp: SchemeHistory::new(n_incoming),
        }
    }

    /// Archives the end-of-step state stamped `stamp` (nest-models.md §2.2).
    #[inline]
    pub fn write(&mut self, stamp: Step, h: f64, v: Voltages, c: &mut RuleCounters) {
        let Voltages {
            u,
            u_plus: del_plus,
            u_minus: del_minus,
            u_bar_bar,
        } = v;
        let r = &self.rule;

        if u > r.theta_plus && del_plus > r.theta_minus {
            let dw = r.a_ltp * (u - r.theta_plus) * (del_plus - r.theta_minus) * h;
            self.ltp.push(stamp, dw, c);
        }
        if del_minus > r.theta_minus {
            let ltd = if r.a_ltd_const {
                r.a_ltd * (del_minus - r.theta_minus)
            } else {
                r.a_ltd * u_bar_bar * u_bar_bar * (del_minus - r.theta_minus) / r.u_ref_squared
            };
            self.ltd_writes += 1;
            let slot = self.ltd_slot(stamp);
            self.ltd[slot] = (stamp, ltd, self.ltd_writes);
        }
    }

    /// The LTD ring's slot of `stamp` (`stamp` modulo the ring's power-of-two length, also for
    /// a negative stamp).
    #[inline]
    fn ltd_slot(&self, stamp: Step) -> usize {
        (stamp & (self.ltd.len() as Step - 1)) as usize
    }

    /// The LTD value written at exactly `stamp`, or 0 (nest-models.md §2.3).
    #[inline]
    pub fn ltd_value(&self, stamp: Step) -> f64 {
        if stamp < 0 {
            return 0.0;
        }
        let (s, v, w) = self.ltd[self.ltd_slot(stamp)];
        debug_assert!(
            s <= stamp,
            "LTD ring too short: slot holds {s}, wanted {stamp}"
        );
        if s == stamp && self.ltd_writes - w < self.ltd_visible {
            v
        } else {
            0.0
        }
    }

    /// Prefetches what a synapse's spike will read: its LTP window starting after `from`,
    /// and the LTD value at `ltd_stamp`.
    #[inline]
    pub fn prefetch(&self, from: Step, ltd_stamp: Step) {
        self.ltp.raw.prefetch_window(from);
        self.prefetch_ltd(ltd_stamp);
    }

    /// Prefetches the LTD value at `ltd_stamp`.
    #[inline]
    pub fn prefetch_ltd(&self, ltd_stamp: Step) {
        crate::prefetch::prefetch(self.ltd.as_ptr().wrapping_add(self.ltd_slot(ltd_stamp)));
    }

    /// Number of LTP entries held.
    pub fn ltp_len(&self) -> usize {
        self.ltp.raw.len()
    }

    /// Number of plastic synapses that read this archive.
    pub fn n_incoming(&self) -> u32 {
        self.ltp.raw.n_incoming()
    }
}

impl crate::snapshot::Snapshot for ClopathArchive {
    fn snapshot(&mut self, s: &mut crate::snapshot::Snap) {
        s.each(&mut self.ltd, "the LTD ring", |s, (stamp, v, w)| {
            s.i64(stamp);
            s.f64(v);
            s.u64(w);
        });
        s.u64(&mut self.ltd_writes);
        self.ltp.snapshot(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(delay: usize) -> ClopathRule {
        ClopathRule {
            a_ltd: 1.0,
            a_ltp: 1.0,
            u_ref_squared: 4.0,
            theta_plus: 0.0,
            theta_minus: -10.0,
            a_ltd_const: true,
            delay_u_bars_steps: delay,
        }
    }

    #[test]
    fn ubar_delay_line_starts_at_zero_and_delays_by_n_steps() {
        let mut c = RuleCounters::default();
        // ū− written as −20 (below θ−) every step: the first 2 steps still read the zero fill.
        let mut d = UBarDelay::new(2);
        let mut a = ClopathArchive::new(rule(2), 1, 1, 4, LtdRing::Complete);
        for s in 1..=4 {
            let (u_plus, u_minus) = d.push(-20.0, -20.0);
            a.write(
                s,
                1.0,
                Voltages {
                    u: -50.0,
                    u_plus,
                    u_minus,
                    u_bar_bar: 0.0,
                },
                &mut c,
            );
        }
        // Zero fill (0 − θ− = 10) for stamps 1, 2; the delayed −20 afterwards.
        assert_eq!(a.ltd_value(1), 10.0);
        assert_eq!(a.ltd_value(2), 10.0);
        assert_eq!(a.ltd_value(3), 0.0);
        assert_eq!(a.ltd_value(-1), 0.0);
        // No delay: the value just stored.
        assert_eq!(UBarDelay::new(0).push(1.0, 2.0), (1.0, 2.0));
    }

    #[test]
    fn nest_compatible_ring_forgets_after_max_delay_plus_one_writes() {
        let mut c = RuleCounters::default();
        // max_delay 2 → NEST keeps the last 3 written values; min_delay 3 → we keep 5 stamps.
        let mut full = ClopathArchive::new(rule(0), 1, 3, 2, LtdRing::Complete);
        let mut nest = ClopathArchive::new(rule(0), 1, 3, 2, LtdRing::NestCompatible);
        for s in 1..=5 {
            full.write(
                s,
                1.0,
                Voltages {
                    u: -50.0,
                    u_plus: 0.0,
                    u_minus: -5.0,
                    u_bar_bar: 0.0,
                },
                &mut c,
            );
            nest.write(
                s,
                1.0,
                Voltages {
                    u: -50.0,
                    u_plus: 0.0,
                    u_minus: -5.0,
                    u_bar_bar: 0.0,
                },
                &mut c,
            );
        }
        assert_eq!(full.ltd_value(1), 5.0);
        assert_eq!(nest.ltd_value(1), 0.0);
        assert_eq!(nest.ltd_value(2), 0.0);
        assert_eq!(nest.ltd_value(3), 5.0);
        // Steps without a write (ū− below θ−) do not push older values out in NEST either.
        nest.write(
            6,
            1.0,
            Voltages {
                u: -50.0,
                u_plus: 0.0,
                u_minus: -20.0,
                u_bar_bar: 0.0,
            },
            &mut c,
        );
        assert_eq!(nest.ltd_value(3), 5.0);
        assert_eq!(nest.ltd_value(6), 0.0);
    }

    #[test]
    fn ltp_window_is_half_open_and_pruned_after_all_reads() {
        let mut a = ClopathArchive::new(rule(0), 2, 1, 1, LtdRing::Complete);
        let mut c = RuleCounters::default();
        for s in 1..=5 {
            a.write(
                s,
                0.5,
                Voltages {
                    u: 2.0,
                    u_plus: 3.0,
                    u_minus: -20.0,
                    u_bar_bar: 0.0,
                },
                &mut c,
            );
        }
        // (0 − θ+)… u = 2, ū+ = 3 → dw = 2·13·0.5 = 13.
        let mut got = vec![];
        a.ltp.read(1, 3, |stamp, value| got.push((stamp, value)));
        assert_eq!(got, vec![(2, 13.0), (3, 13.0)]);
        assert_eq!(a.ltp_len(), 5);
        a.ltp.read(-1, 5, |_, _| {});
        // Stamps 2, 3 have now been read twice (= n_incoming); the next write frees them,
        // and stamp 1 (read once) blocks nothing behind it only if it is read too.
        a.write(
            6,
            0.5,
            Voltages {
                u: 2.0,
                u_plus: 3.0,
                u_minus: -20.0,
                u_bar_bar: 0.0,
            },
            &mut c,
        );
        assert_eq!(a.ltp_len(), 6);
        a.ltp.read(-1, 1, |_, _| {});
        a.write(
            7,
            0.5,
            Voltages {
                u: 2.0,
                u_plus: 3.0,
                u_minus: -20.0,
                u_bar_bar: 0.0,
            },
            &mut c,
        );
        assert_eq!(a.ltp_len(), 4); // 4, 5, 6, 7 remain
    }
}
