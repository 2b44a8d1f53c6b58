//! Simulation time: integer steps of the resolution `h`, NEST's tic-based rounding rules.
//!
//! Step `k` is the interval `(k·h, (k+1)·h]`. Whatever a node computes in step `k` is stamped
//! `k + 1` (the end of the step); a spike stamp is therefore a step count, and stamp `s` is the
//! time `s·h` in ms.

use crate::error::KernelError;

/// NEST's default tic: one microsecond.
pub const TICS_PER_MS: i64 = 1000;

/// A count of resolution steps (also used as a stamp: stamp `s` is time `s·h`).
pub type Step = i64;

/// The longest run, in steps: synapse tables and compressed stores keep stamps in 32 bits.
/// The loader and `evplast bench` refuse longer runs.
pub const MAX_RUN_STEPS: Step = i32::MAX as Step;

/// The simulation resolution `h`, held both in ms and in tics so conversions follow NEST.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolution {
    h_ms: f64,
    tics_per_step: i64,
}

impl Resolution {
    /// `h_ms` must be a positive multiple of the tic (1 µs).
    pub fn new(h_ms: f64) -> Result<Self, KernelError> {
        let tics = (h_ms * TICS_PER_MS as f64).round();
        if !h_ms.is_finite() || h_ms <= 0.0 || tics < 1.0 {
            return Err(KernelError::Resolution {
                value: h_ms,
                reason: "must be a positive multiple of 0.001 ms",
            });
        }
        if ((tics / TICS_PER_MS as f64) - h_ms).abs() > 1e-9 * h_ms.max(1.0) {
            return Err(KernelError::Resolution {
                value: h_ms,
                reason: "must be a multiple of the tic (0.001 ms)",
            });
        }
        Ok(Self {
            h_ms: tics / TICS_PER_MS as f64,
            tics_per_step: tics as i64,
        })
    }

    /// The resolution in ms.
    pub fn h(&self) -> f64 {
        self.h_ms
    }

    /// The time of stamp `s` in ms, computed the way NEST does (tics × ms-per-tic).
    pub fn ms(&self, s: Step) -> f64 {
        self.tics(s) as f64 * (1.0 / TICS_PER_MS as f64)
    }

    /// The time of stamp `s` in tics.
    pub fn tics(&self, s: Step) -> i64 {
        s * self.tics_per_step
    }

    /// The time of stamp `s` in ms as an exact decimal (the grid is whole tics of 1 µs), for
    /// messages: `214748364.7`, not `214748364.70000002`.
    pub fn ms_exact(&self, s: Step) -> String {
        let tics = s as i128 * self.tics_per_step as i128;
        let (sign, tics) = if tics < 0 { ("-", -tics) } else { ("", tics) };
        let frac = format!("{:03}", tics % TICS_PER_MS as i128);
        let frac = frac.trim_end_matches('0');
        let frac = if frac.is_empty() { "0" } else { frac };
        format!("{sign}{}.{frac}", tics / TICS_PER_MS as i128)
    }

    /// A duration such as `t_ref` to steps: round to tics, then up to whole steps
    /// (NEST's `Time(Time::ms(x)).get_steps()`).
    pub fn duration_steps(&self, ms: f64) -> Step {
        let tics = (ms * TICS_PER_MS as f64).round() as i64;
        (tics + self.tics_per_step - 1).div_euclid(self.tics_per_step)
    }

    /// A delay to steps as NEST's `delay_ms_to_steps`: `floor(x · steps_per_ms + 0.5)`, with
    /// steps_per_ms = tics_per_ms / tics_per_step (so 0.15 ms at h = 0.1 is 2 steps, not 1).
    pub fn delay_steps(&self, ms: f64) -> Step {
        let steps_per_ms = TICS_PER_MS as f64 / self.tics_per_step as f64;
        (ms * steps_per_ms + 0.5).floor() as Step
    }

    /// A time that must lie on the grid, to its stamp, or `None` if it is off-grid. As NEST,
    /// the time is first rounded to whole tics (so 2.0004999 ms is 2.0 ms, 2.0005 is not).
    /// Times beyond ±[`crate::limits::MAX_TIME_TICS`] are `None` too ([`Resolution::off_grid`]
    /// says which).
    pub fn on_grid(&self, ms: f64) -> Option<Step> {
        let tics = (ms * TICS_PER_MS as f64).round();
        // NaN and ±∞ fail this too.
        if tics.is_nan() || tics.abs() >= crate::limits::MAX_TIME_TICS as f64 {
            return None;
        }
        let tics = tics as i64;
        (tics % self.tics_per_step == 0).then_some(tics / self.tics_per_step)
    }

    /// Why [`Resolution::on_grid`] refused `ms`, for messages.
    pub fn off_grid(&self, ms: f64) -> String {
        let limit = crate::limits::MAX_TIME_TICS as f64 / TICS_PER_MS as f64;
        if ms.is_finite()
            && (ms * TICS_PER_MS as f64).round().abs() >= crate::limits::MAX_TIME_TICS as f64
        {
            format!("is beyond ±{limit:e} ms, the largest time (2^62 tics of 1 µs)")
        } else {
            format!("is not a multiple of the resolution {} ms", self.h())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_rounds_up_after_tics() {
        let r = Resolution::new(0.1).unwrap();
        assert_eq!(r.duration_steps(2.0), 20);
        assert_eq!(r.duration_steps(0.0), 0);
        assert_eq!(r.duration_steps(0.15), 2);
        // 0.1000004 ms rounds to 100 tics first, hence one step, not two.
        assert_eq!(r.duration_steps(0.1000004), 1);
    }

    #[test]
    fn delay_rounds_to_nearest() {
        let r = Resolution::new(0.1).unwrap();
        assert_eq!(r.delay_steps(4.0), 40);
        assert_eq!(r.delay_steps(0.14), 1);
        assert_eq!(r.delay_steps(0.16), 2);
        // 0.15 / 0.1 = 1.4999999999999998 but NEST's 0.15 · 10 = 1.5 rounds up.
        assert_eq!(r.delay_steps(0.15), 2);
        assert_eq!(r.delay_steps(0.05), 1);
        assert_eq!(r.delay_steps(0.04), 0);
    }

    #[test]
    fn grid_and_ms() {
        let r = Resolution::new(0.1).unwrap();
        assert_eq!(r.on_grid(62.3), Some(623));
        assert_eq!(r.on_grid(62.35), None);
        assert_eq!(r.on_grid(2.0004999), Some(20));
        assert_eq!(r.on_grid(2.0005), None);
        assert_eq!(r.on_grid(0.1 * 3.0), Some(3));
        assert!((r.ms(623) - 62.3).abs() < 1e-12);
        assert_eq!(r.ms_exact(2147483647), "214748364.7");
        assert_eq!(r.ms_exact(-3), "-0.3");
        assert_eq!(r.ms_exact(20), "2.0");
        assert_eq!(r.on_grid(1e300), None);
        assert!(
            r.off_grid(1e300).contains("largest time"),
            "{}",
            r.off_grid(1e300)
        );
        assert!(r.off_grid(0.05).contains("multiple of the resolution 0.1"));
        assert!(Resolution::new(0.0).is_err());
        assert!(Resolution::new(0.00005).is_err());
    }
}
