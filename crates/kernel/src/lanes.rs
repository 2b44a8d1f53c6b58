//! Arithmetic on one number or on `L` numbers in lockstep, for code that integrates one neuron
//! or `L` neurons of a population at once with the same formulas.
//!
//! Every `Lanes` operation is the IEEE operation of `f64` applied lane by lane (no fused
//! multiply-add, no reassociation, `exp` and `min` from `f64` per lane), so a formula written
//! once over [`Real`] gives each lane exactly the bits the `f64` version gives; the compiler
//! may still execute the lanes with vector instructions.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// A number type the integrator and the right-hand sides are written over.
pub trait Real:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Mul<f64, Output = Self>
{
    /// `e^self`, per lane.
    fn exp(self) -> Self;
    /// The smaller of the two (`f64::min` per lane).
    fn min(self, other: Self) -> Self;
}

impl Real for f64 {
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        f64::min(self, other)
    }
}

/// `L` independent numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(transparent)]
pub struct Lanes<const L: usize>(pub [f64; L]);

impl<const L: usize> Lanes<L> {
    /// Every lane `x`.
    #[inline(always)]
    pub fn splat(x: f64) -> Self {
        Self([x; L])
    }
}

macro_rules! lane_op {
    ($tr:ident, $f:ident, $op:tt) => {
        impl<const L: usize> $tr for Lanes<L> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, o: Self) -> Self {
                Self(std::array::from_fn(|l| self.0[l] $op o.0[l]))
            }
        }
    };
}
lane_op!(Add, add, +);
lane_op!(Sub, sub, -);
lane_op!(Mul, mul, *);
lane_op!(Div, div, /);

impl<const L: usize> Mul<f64> for Lanes<L> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, c: f64) -> Self {
        Self(std::array::from_fn(|l| self.0[l] * c))
    }
}

impl<const L: usize> Neg for Lanes<L> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Self(std::array::from_fn(|l| -self.0[l]))
    }
}

impl<const L: usize> Real for Lanes<L> {
    #[inline(always)]
    fn exp(self) -> Self {
        Self(std::array::from_fn(|l| self.0[l].exp()))
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        Self(std::array::from_fn(|l| self.0[l].min(o.0[l])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same formula over lanes gives each lane the bits of the scalar evaluation.
    #[test]
    fn lanes_match_scalar_bit_for_bit() {
        fn formula<T: Real>(x: T, y: T) -> T {
            ((-x) * 0.3 + (x - y) / y * x).exp().min(y * y) - x
        }
        let xs = [0.1, -3.7, 2.5e-3, 11.0];
        let ys = [1.3, 0.7, -2.0, 1e-4];
        let lanes = formula(Lanes(xs), Lanes(ys));
        for l in 0..4 {
            assert_eq!(lanes.0[l].to_bits(), formula(xs[l], ys[l]).to_bits());
        }
    }
}
