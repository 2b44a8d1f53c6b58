//! Adaptive Runge–Kutta–Fehlberg 4(5) integrator that reproduces the step sequence of GSL's
//! `gsl_odeiv_step_rkf45` + `gsl_odeiv_control_standard` + `gsl_odeiv_evolve_apply`
//! (the old `odeiv` API that NEST's neuron models call).
//!
//! Facts used (GSL 2.x `ode-initval/{rkf45,cstd,evolve}.c`, re-derived, not copied):
//! * Fehlberg tableau; the solution advances with the 5th-order weights, the error estimate is
//!   the 4(5) difference; the stepper reports order 5.
//! * Standard control: `D_i = eps_rel·(a_y·|y_i| + a_dydt·h_old·|y'_i|) + eps_abs` with `y` the
//!   new solution and `y'` the derivative at the end of the sub-step; `r = max_i |err_i|/D_i`;
//!   `r > 1.1` → shrink by `max(0.2, 0.9·r^(−1/5))` and retry; `r < 0.5` → grow by
//!   `min(5, max(1, 0.9·r^(−1/6)))`.
//! * Evolve: `f(t, y)` once per call; a step longer than the rest of the interval is cut to it
//!   and marked final (then `t` becomes exactly `t1`); a genuine decrease restores `y` and retries;
//!   the adjusted `h` is written back and carried to the next call.
//!
//! Everything lives on fixed-size arrays: no allocation per step.

use crate::lanes::{Lanes, Real};

/// Sub-step attempts (accepted and rejected) one neuron may take within one resolution step.
/// GSL (and so NEST) has no such limit: with stiff parameters (a membrane or filter time
/// constant far below the resolution) the step size shrinks to the stability limit and one
/// step takes ~1e9 sub-steps, which looks like a hang. The examples and NEST cases take at most
/// 100–300 (an aeif spike; measured by lowering this bound), so 10,000 leaves a margin of 30
/// and still bounds a step's cost to milliseconds; past it the model reports a numerical
/// instability naming its fastest time constant.
pub const MAX_ATTEMPTS_PER_STEP: u32 = 10_000;

/// Which quantities the error tolerance scales with (GSL's standard control).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Control {
    pub eps_abs: f64,
    pub eps_rel: f64,
    pub a_y: f64,
    pub a_dydt: f64,
}

impl Control {
    /// `gsl_odeiv_control_y_new(eps_abs, eps_rel)`: tolerance relative to |y|.
    pub const fn y(eps_abs: f64, eps_rel: f64) -> Self {
        Self {
            eps_abs,
            eps_rel,
            a_y: 1.0,
            a_dydt: 0.0,
        }
    }
    /// `gsl_odeiv_control_yp_new(eps_abs, eps_rel)`: tolerance relative to h·|y'|.
    pub const fn yp(eps_abs: f64, eps_rel: f64) -> Self {
        Self {
            eps_abs,
            eps_rel,
            a_y: 0.0,
            a_dydt: 1.0,
        }
    }

    /// Compares the error with the tolerance: shrink (with the new step), grow (with `rmax`,
    /// the factor is computed only when needed, see [`StepSize`]) or keep.
    fn adjust(&self, y: &[f64], yerr: &[f64], yp: &[f64], h_old: f64) -> Adjust {
        const S: f64 = 0.9;
        const ORD: f64 = 5.0;
        let mut rmax = f64::MIN_POSITIVE;
        for i in 0..y.len() {
            let d0 = self.eps_rel * (self.a_y * y[i].abs() + self.a_dydt * (h_old * yp[i]).abs())
                + self.eps_abs;
            let r = yerr[i].abs() / d0.abs();
            rmax = rmax.max(r);
        }
        if rmax > 1.1 {
            // Where the factor is clamped anyway (0.9·r^(−1/5) ≤ 0.2 for r ≥ 4.5^5 ≈ 1845),
            // the pow is skipped, with a factor-2 margin so the result is GSL's clamp exactly.
            let r = if rmax > 2.0 * 1845.28125 {
                0.2
            } else {
                (S / rmax.powf(1.0 / ORD)).max(0.2)
            };
            Adjust::Decrease(r * h_old)
        } else if rmax < 0.5 {
            Adjust::Increase(rmax)
        } else {
            Adjust::Keep
        }
    }
}

/// The step size that GSL's evolve carries from one call to the next.
///
/// A growth is applied lazily. After a step with `r_max < 0.5`, GSL sets
/// `h = h_old · clamp(0.9·r_max^(−1/6), 1, 5)`; the factor is then at least
/// `0.9·0.5^(−1/6) ≈ 1.0102`, so the grown step exceeds `h_old`. When `h_old` already covers
/// the next call's interval, that call cuts the step to the interval whatever the factor was,
/// so the `pow` is computed only when the grown step can be shorter than the interval — in a
/// neuron that steps at the resolution, almost never.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepSize {
    h: f64,
    /// `r_max` of a pending growth, or 0 (a real `r_max` is ≥ `f64::MIN_POSITIVE`).
    grow_rmax: f64,
}

impl StepSize {
    /// An initial step of `h` ms.
    pub const fn new(h: f64) -> Self {
        Self { h, grow_rmax: 0.0 }
    }

    /// The step GSL would carry (the growth applied).
    pub fn value(&self) -> f64 {
        if self.grow_rmax == 0.0 {
            self.h
        } else {
            grown(self.h, self.grow_rmax)
        }
    }

    /// The step to try over an interval of `dt`: the carried one, or any value above `dt`
    /// (infinity) when a pending growth is known to exceed it.
    #[inline]
    fn proposal(&self, dt: f64) -> f64 {
        if self.grow_rmax == 0.0 {
            self.h
        } else if self.h >= dt {
            f64::INFINITY
        } else {
            grown(self.h, self.grow_rmax)
        }
    }
}

/// GSL's growth `h_old · min(5, max(1, 0.9·r^(−1/6)))`. Where the factor is clamped at 5
/// anyway (r ≤ 0.18^6 ≈ 3.4e-5) the pow is skipped, with a factor-2 margin.
fn grown(h_old: f64, rmax: f64) -> f64 {
    let r = if rmax < 0.5 * 3.4012224e-5 {
        5.0
    } else {
        (0.9 / rmax.powf(1.0 / 6.0)).clamp(1.0, 5.0)
    };
    r * h_old
}

enum Adjust {
    Decrease(f64),
    Increase(f64),
    Keep,
}

// Fehlberg coefficients in GSL's written form (the same rationals; the form decides the last bit).
const AH: [f64; 5] = [1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0];
const B3: [f64; 2] = [3.0 / 32.0, 9.0 / 32.0];
const B4: [f64; 3] = [1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0];
const B5: [f64; 4] = [
    8341.0 / 4104.0,
    -32832.0 / 4104.0,
    29440.0 / 4104.0,
    -845.0 / 4104.0,
];
const B6: [f64; 5] = [
    -6080.0 / 20520.0,
    41040.0 / 20520.0,
    -28352.0 / 20520.0,
    9295.0 / 20520.0,
    -5643.0 / 20520.0,
];
const C1: f64 = 902880.0 / 7618050.0;
const C3: f64 = 3953664.0 / 7618050.0;
const C4: f64 = 3855735.0 / 7618050.0;
const C5: f64 = -1371249.0 / 7618050.0;
const C6: f64 = 277020.0 / 7618050.0;
const EC1: f64 = 1.0 / 360.0;
const EC3: f64 = -128.0 / 4275.0;
const EC4: f64 = -2197.0 / 75240.0;
const EC5: f64 = 1.0 / 50.0;
const EC6: f64 = 2.0 / 55.0;

/// One RKF45 sub-step of size `h` from `y` (an autonomous system): writes the 5th-order
/// solution into `y`, the error estimate into `yerr` and `f(y)` at the new point into
/// `dydt_out`. `k1 = f(y)` is given. Written over [`Real`], so `L` systems advance in lockstep
/// with each lane computing exactly what the `f64` version computes.
#[inline]
fn rkf45_step<T: Real, const N: usize, F: FnMut(&[T; N], &mut [T; N])>(
    f: &mut F,
    h: f64,
    y: &mut [T; N],
    k1: &[T; N],
    yerr: &mut [T; N],
    dydt_out: &mut [T; N],
) {
    let mut k2 = *k1;
    let mut k3 = *k1;
    let mut k4 = *k1;
    let mut k5 = *k1;
    let mut k6 = *k1;
    let mut ytmp = *y;
    // Products are written coefficient-last (`k·c` for GSL's `c·k`: the same IEEE product).
    for i in 0..N {
        ytmp[i] = y[i] + k1[i] * (AH[0] * h);
    }
    f(&ytmp, &mut k2);
    for i in 0..N {
        ytmp[i] = y[i] + (k1[i] * B3[0] + k2[i] * B3[1]) * h;
    }
    f(&ytmp, &mut k3);
    for i in 0..N {
        ytmp[i] = y[i] + (k1[i] * B4[0] + k2[i] * B4[1] + k3[i] * B4[2]) * h;
    }
    f(&ytmp, &mut k4);
    for i in 0..N {
        ytmp[i] = y[i] + (k1[i] * B5[0] + k2[i] * B5[1] + k3[i] * B5[2] + k4[i] * B5[3]) * h;
    }
    f(&ytmp, &mut k5);
    for i in 0..N {
        ytmp[i] = y[i]
            + (k1[i] * B6[0] + k2[i] * B6[1] + k3[i] * B6[2] + k4[i] * B6[3] + k5[i] * B6[4]) * h;
    }
    f(&ytmp, &mut k6);
    for i in 0..N {
        let di = k1[i] * C1 + k3[i] * C3 + k4[i] * C4 + k5[i] * C5 + k6[i] * C6;
        y[i] = y[i] + di * h;
    }
    f(y, dydt_out);
    for i in 0..N {
        yerr[i] = (k1[i] * EC1 + k3[i] * EC3 + k4[i] * EC4 + k5[i] * EC5 + k6[i] * EC6) * h;
    }
}

/// What the control decides after a sub-step.
enum Outcome {
    /// Accepted: the step to carry.
    Accept(StepSize),
    /// Rejected: restore `y` and retry with this step.
    Retry(f64),
}

/// One tried sub-step: from `t0` by `h0` toward `t1` (`final_step`: `h0` was cut to `t1 − t0`).
struct Attempt {
    t0: f64,
    t1: f64,
    h0: f64,
    final_step: bool,
}

/// Sets `t` after a sub-step and lets the control judge it (GSL's evolve: a decrease that is
/// real and still moves `t` by an ulp rejects the step).
#[inline]
fn conclude<const N: usize>(
    control: &Control,
    a: &Attempt,
    t: &mut f64,
    y: &[f64; N],
    yerr: &[f64; N],
    dydt_out: &[f64; N],
) -> Outcome {
    *t = if a.final_step { a.t1 } else { a.t0 + a.h0 };
    let h_old = a.h0;
    match control.adjust(y, yerr, dydt_out, h_old) {
        Adjust::Decrease(h_new) => {
            if h_new.abs() < h_old.abs() && *t + h_new != *t {
                return Outcome::Retry(h_new);
            }
            Outcome::Accept(StepSize::new(h_old))
        }
        Adjust::Increase(rmax) => Outcome::Accept(StepSize {
            h: h_old,
            grow_rmax: rmax,
        }),
        Adjust::Keep => Outcome::Accept(StepSize::new(h_old)),
    }
}

/// The equivalent of one `gsl_odeiv_evolve_apply` call: advances `t` toward `t1` by one
/// accepted sub-step, updating `y` and the carried step size `h`.
///
/// `f(y, dydt)` is the right-hand side of an autonomous system. Returns the number of rejected
/// attempts.
#[inline]
pub fn evolve_apply<const N: usize, F: FnMut(&[f64; N], &mut [f64; N])>(
    control: &Control,
    f: &mut F,
    t: &mut f64,
    t1: f64,
    h: &mut StepSize,
    y: &mut [f64; N],
) -> u32 {
    evolve_apply_cached(control, f, t, t1, h, y, &mut None)
}

/// [`evolve_apply`] that reuses `f(y)` from `cache` if present and leaves `f` at the end of
/// the accepted sub-step there. The caller must clear the cache whenever it changes `y` or
/// anything `f` depends on; the right-hand side does not depend on `t`, so the reused value is
/// the one GSL would compute, bit for bit.
#[inline]
pub fn evolve_apply_cached<const N: usize, F: FnMut(&[f64; N], &mut [f64; N])>(
    control: &Control,
    f: &mut F,
    t: &mut f64,
    t1: f64,
    h: &mut StepSize,
    y: &mut [f64; N],
    cache: &mut Option<[f64; N]>,
) -> u32 {
    let t0 = *t;
    let dt = t1 - t0;
    let mut h0 = h.proposal(dt);
    let y0 = *y;
    let dydt_in = match cache.take() {
        Some(d) => d,
        None => {
            let mut d = [0.0; N];
            f(y, &mut d);
            d
        }
    };
    let mut yerr = [0.0; N];
    let mut dydt_out = [0.0; N];
    let mut rejected = 0;
    loop {
        let final_step = if h0 > dt {
            h0 = dt;
            true
        } else {
            false
        };
        rkf45_step(f, h0, y, &dydt_in, &mut yerr, &mut dydt_out);
        let attempt = Attempt {
            t0,
            t1,
            h0,
            final_step,
        };
        match conclude(control, &attempt, t, y, &yerr, &dydt_out) {
            Outcome::Accept(next) => {
                *h = next;
                *cache = Some(dydt_out);
                return rejected;
            }
            Outcome::Retry(h_new) => {
                h0 = h_new;
                *y = y0;
                rejected += 1;
            }
        }
    }
}

impl StepSize {
    /// The carried step for a checkpoint, with its pending growth.
    pub fn snapshot(&mut self, s: &mut crate::snapshot::Snap) {
        s.f64(&mut self.h);
        s.f64(&mut self.grow_rmax);
    }
}

/// Integrates `y` over one resolution step `(0, h]`, as NEST's models do (`evolve_apply`
/// until `t = h`), within [`MAX_ATTEMPTS_PER_STEP`] sub-step attempts. `Err` carries the last
/// carried step size (ms) when the budget ran out (the state is then mid-step).
#[inline]
pub fn evolve_step<const N: usize, F: FnMut(&[f64; N], &mut [f64; N])>(
    control: &Control,
    f: &mut F,
    h: f64,
    h_int: &mut StepSize,
    y: &mut [f64; N],
) -> Result<(), f64> {
    let mut t = 0.0;
    let mut attempts = 0;
    while t < h {
        attempts += 1 + evolve_apply(control, f, &mut t, h, h_int, y);
        if attempts > MAX_ATTEMPTS_PER_STEP {
            return Err(h_int.value());
        }
    }
    Ok(())
}

/// True if an [`evolve_apply`] call from `t = 0` toward `t1` with carried step `h` tries the
/// whole interval first (then [`evolve_first_lanes`] can take that attempt).
#[inline]
pub fn tries_whole(h: &StepSize, t1: f64) -> bool {
    h.proposal(t1) >= t1
}

/// The first attempt of [`evolve_apply_cached`] from `t = 0` toward `t1` for `L` systems at
/// once, each of which [`tries_whole`] the interval (lanes where `active[l]` is false are
/// computed and ignored). `y` and `k1 = f(y)` hold the lanes; on return, for an active lane
/// whose attempt was accepted, `done[l]` holds the new carried step and the lane of `y` and of
/// `k1` hold the new state and `f` there (the cache to keep), exactly as the scalar call would
/// leave them. For an active lane that was rejected, `done[l]` is `None`, the lane of `y` is
/// restored and `retry[l]` is the shorter step to go on with: calling [`evolve_apply_cached`]
/// with `StepSize::new(retry[l])` and the lane's `k1` as cache continues GSL's sequence.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn evolve_first_lanes<const N: usize, const L: usize, F>(
    controls: &[Control; L],
    active: &[bool; L],
    f: &mut F,
    t1: f64,
    y: &mut [Lanes<L>; N],
    k1: &mut [Lanes<L>; N],
    done: &mut [Option<StepSize>; L],
    retry: &mut [f64; L],
) where
    F: FnMut(&[Lanes<L>; N], &mut [Lanes<L>; N]),
{
    let y0 = *y;
    let mut yerr = *k1;
    let mut dydt_out = *k1;
    // tries_whole: every active lane steps by t1 (cut to it, or equal to it: t ends at t1).
    rkf45_step(f, t1, y, k1, &mut yerr, &mut dydt_out);
    let attempt = Attempt {
        t0: 0.0,
        t1,
        h0: t1,
        final_step: true,
    };
    for l in 0..L {
        done[l] = None;
        if !active[l] {
            continue;
        }
        let lane = |v: &[Lanes<L>; N]| -> [f64; N] { std::array::from_fn(|i| v[i].0[l]) };
        let (yl, el, dl) = (lane(y), lane(&yerr), lane(&dydt_out));
        let mut t = 0.0;
        match conclude(&controls[l], &attempt, &mut t, &yl, &el, &dl) {
            Outcome::Accept(next) => {
                done[l] = Some(next);
                for i in 0..N {
                    k1[i].0[l] = dl[i];
                }
            }
            Outcome::Retry(h_new) => {
                retry[l] = h_new;
                for i in 0..N {
                    y[i].0[l] = y0[i].0[l];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dy/dt = -y integrated over [0, 1] must match exp(-1) to the requested tolerance.
    #[test]
    fn exponential_decay_within_tolerance() {
        let c = Control::y(1e-10, 0.0);
        let mut y = [1.0];
        let mut t = 0.0;
        let mut h = StepSize::new(0.1);
        let mut f = |y: &[f64; 1], d: &mut [f64; 1]| d[0] = -y[0];
        let mut steps = 0;
        while t < 1.0 {
            evolve_apply(&c, &mut f, &mut t, 1.0, &mut h, &mut y);
            steps += 1;
        }
        assert_eq!(t, 1.0);
        // Local error ≤ 1e-10 per sub-step; a handful of sub-steps keeps the global error < 1e-9.
        assert!((y[0] - (-1.0f64).exp()).abs() < 1e-9, "y = {}", y[0]);
        assert!(steps > 1);
    }

    /// A polynomial of degree ≤ 4 is integrated exactly by a 5th-order method, and the error
    /// estimate (difference of the 4th and 5th order solutions) vanishes, so the step grows by
    /// the maximum factor 5 each call. (x' = 3s², s' = 1: x = s³.)
    #[test]
    fn polynomial_exact_and_step_grows() {
        let c = Control::yp(1e-6, 1e-6);
        let mut y = [0.0, 0.0];
        let mut t = 0.0;
        let mut h = StepSize::new(0.01);
        let mut f = |y: &[f64; 2], d: &mut [f64; 2]| {
            d[0] = 1.0;
            d[1] = 3.0 * y[0] * y[0];
        };
        evolve_apply(&c, &mut f, &mut t, 10.0, &mut h, &mut y);
        assert_eq!(t, 0.01);
        assert!((h.value() - 0.05).abs() < 1e-15, "h = {h:?}");
        assert!((y[1] - 1e-6).abs() < 1e-18);
    }

    /// The lockstep first attempt leaves every lane as the scalar call leaves it: accepted lanes
    /// with the same state, cache and carried step; rejected lanes with the state restored and a
    /// retry step that, continued by the scalar call, ends where the scalar call ends.
    #[test]
    fn lanes_first_attempt_equals_scalar_call() {
        // A stiff decay whose rate differs per lane: small rates accept the whole step, large
        // ones are rejected (and then need several sub-steps).
        let rates = [0.5, 40.0, 3.0, 400.0];
        let c = Control::yp(1e-6, 1e-6);
        let t1 = 0.1;
        let y_init = [[1.0, -0.3], [0.2, 0.8], [-1.5, 0.1], [0.9, 0.9]];
        let rhs = |k: f64, y: &[f64; 2], d: &mut [f64; 2]| {
            d[0] = -k * y[0] + y[1];
            d[1] = -y[1] * 0.5;
        };
        let mut y: [Lanes<4>; 2] =
            std::array::from_fn(|i| Lanes(std::array::from_fn(|l| y_init[l][i])));
        let mut k1 = y;
        for (l, (&k, y0)) in rates.iter().zip(&y_init).enumerate() {
            let mut d = [0.0; 2];
            rhs(k, y0, &mut d);
            for i in 0..2 {
                k1[i].0[l] = d[i];
            }
        }
        let mut fl = |y: &[Lanes<4>; 2], d: &mut [Lanes<4>; 2]| {
            for (l, &k) in rates.iter().enumerate() {
                let mut o = [0.0; 2];
                rhs(k, &[y[0].0[l], y[1].0[l]], &mut o);
                d[0].0[l] = o[0];
                d[1].0[l] = o[1];
            }
        };
        let mut done = [None; 4];
        let mut retry = [0.0; 4];
        evolve_first_lanes(
            &[c; 4], &[true; 4], &mut fl, t1, &mut y, &mut k1, &mut done, &mut retry,
        );
        let mut rejected_lanes = 0;
        for l in 0..4 {
            // The scalar reference: whole calls until t1.
            let mut fs = |y: &[f64; 2], d: &mut [f64; 2]| rhs(rates[l], y, d);
            let (mut ys, mut ts, mut hs, mut cache) = (y_init[l], 0.0, StepSize::new(t1), None);
            evolve_apply_cached(&c, &mut fs, &mut ts, t1, &mut hs, &mut ys, &mut cache);
            let mut yl = [y[0].0[l], y[1].0[l]];
            match done[l] {
                Some(hl) => {
                    assert_eq!(ts, t1);
                    assert_eq!((yl, hl), (ys, hs));
                    assert_eq!(Some([k1[0].0[l], k1[1].0[l]]), cache);
                }
                None => {
                    rejected_lanes += 1;
                    assert_eq!(yl, y_init[l]);
                    let (mut tl, mut hl) = (0.0, StepSize::new(retry[l]));
                    let mut cl = Some([k1[0].0[l], k1[1].0[l]]);
                    evolve_apply_cached(&c, &mut fs, &mut tl, t1, &mut hl, &mut yl, &mut cl);
                    assert_eq!((tl, yl, hl, cl), (ts, ys, hs, cache));
                }
            }
        }
        assert!(
            rejected_lanes > 0 && rejected_lanes < 4,
            "both paths covered"
        );
    }

    /// A stiff-ish step that is far too large is rejected and shrunk by at most a factor 5.
    #[test]
    fn rejection_shrinks_step() {
        let c = Control::y(1e-8, 0.0);
        let mut y = [1.0];
        let mut t = 0.0;
        let mut h = StepSize::new(1.0);
        let mut f = |y: &[f64; 1], d: &mut [f64; 1]| d[0] = -50.0 * y[0];
        let rejected = evolve_apply(&c, &mut f, &mut t, 1.0, &mut h, &mut y);
        assert!(rejected >= 1);
        assert!(t < 1.0 && t > 0.0);
        assert!((y[0] - (-50.0 * t).exp()).abs() < 1e-7);
    }

    /// The final sub-step is cut to land exactly on t1.
    #[test]
    fn lands_exactly_on_t1() {
        let c = Control::y(1e-3, 0.0);
        let mut y = [0.0];
        let mut t = 0.0;
        let mut h = StepSize::new(0.07);
        let mut f = |_y: &[f64; 1], d: &mut [f64; 1]| d[0] = 1.0;
        while t < 0.1 {
            evolve_apply(&c, &mut f, &mut t, 0.1, &mut h, &mut y);
        }
        assert_eq!(t, 0.1);
        assert!((y[0] - 0.1).abs() < 1e-15);
    }
}
