//! NEST's random parameters (`nest.random.uniform / normal / lognormal / exponential`), drawn
//! per node (Create, SetStatus) or per connection (weights, delays), always from a stream keyed
//! by node or connection call, never by worker.

use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Normal};

use evplast_kernel::rng::Rng;
use evplast_models::params::fmt_num;

use crate::error::{ApiError, ErrorKind};

/// A distribution, validated.
#[derive(Clone, Debug)]
pub enum Dist {
    Normal(Normal<f64>),
    Uniform(f64, f64),
    LogNormal(LogNormal<f64>),
    Exponential(Exp<f64>, f64),
}

/// The distributions' names, as NEST's `nest.random` and the model file spell them.
pub use evplast_models::params::DISTRIBUTIONS;

impl Dist {
    /// The distribution `name` with its arguments (missing ones take NEST's defaults:
    /// normal/lognormal mean 0, std 1; uniform min 0, max 1; exponential beta 1). `at` names
    /// the field for a refusal.
    pub fn new(name: &str, args: &[(&str, f64)], at: &str) -> Result<Self, ApiError> {
        let allowed: &[&str] = match name {
            "normal" | "lognormal" => &["mean", "std"],
            "uniform" => &["min", "max"],
            "exponential" => &["beta"],
            _ => {
                return Err(ApiError::new(
                    ErrorKind::BadParameter,
                    at,
                    format!(
                        "unknown distribution '{name}' (distributions: {})",
                        DISTRIBUTIONS.join(", ")
                    ),
                ))
            }
        };
        for (k, x) in args {
            if !allowed.contains(k) {
                return Err(ApiError::new(
                    ErrorKind::BadParameter,
                    at,
                    format!(
                        "distribution '{name}' takes {}, not '{k}'",
                        allowed.join(", ")
                    ),
                ));
            }
            if !x.is_finite() {
                return Err(ApiError::new(
                    ErrorKind::BadParameter,
                    at,
                    format!("{k} = {} is not a finite number", fmt_num(*x)),
                ));
            }
        }
        let arg = |k: &str, default: f64| {
            args.iter()
                .find(|(a, _)| *a == k)
                .map_or(default, |(_, x)| *x)
        };
        let bad = |why: &str| ApiError::new(ErrorKind::BadParameter, at, format!("{name}: {why}"));
        if matches!(name, "normal" | "lognormal") && arg("std", 1.0) < 0.0 {
            return Err(bad("std must be >= 0"));
        }
        Ok(match name {
            "normal" => Dist::Normal(
                Normal::new(arg("mean", 0.0), arg("std", 1.0))
                    .map_err(|_| bad("std must be >= 0"))?,
            ),
            "lognormal" => Dist::LogNormal(
                LogNormal::new(arg("mean", 0.0), arg("std", 1.0))
                    .map_err(|_| bad("std must be >= 0"))?,
            ),
            "uniform" => {
                let (lo, hi) = (arg("min", 0.0), arg("max", 1.0));
                if hi < lo {
                    return Err(bad("max must be >= min"));
                }
                Dist::Uniform(lo, hi)
            }
            _ => {
                let beta = arg("beta", 1.0);
                if beta <= 0.0 {
                    return Err(bad("beta must be > 0"));
                }
                Dist::Exponential(Exp::new(1.0).expect("rate 1"), beta)
            }
        })
    }

    /// One draw.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match self {
            Dist::Normal(d) => d.sample(rng),
            Dist::Uniform(lo, hi) => lo + (hi - lo) * rng.random::<f64>(),
            Dist::LogNormal(d) => d.sample(rng),
            Dist::Exponential(d, scale) => scale * d.sample(rng),
        }
    }
}
