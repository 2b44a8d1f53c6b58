//! The Clopath-rule parameters every Clopath-capable neuron carries (NEST's
//! `ClopathArchivingNode`, nest-models.md §2.1), and their validation.

use evplast_kernel::archive::clopath::{ClopathRule, Voltages};
use evplast_kernel::network::SliceCtx;
use evplast_kernel::Resolution;
use evplast_kernel::Step;

use crate::error::{require, BuildError};
use crate::nest_params;
use crate::params::Reader;

nest_params! {
    /// Parameters of the Clopath rule held by the postsynaptic neuron.
    pub struct ClopathParams {
        a_ltd: f64 = 14.0e-5, "A_LTD", "1/mV", "depression amplitude";
        a_ltp: f64 = 8.0e-5, "A_LTP", "1/mV^2", "potentiation amplitude";
        u_ref_squared: f64 = 60.0, "u_ref_squared", "mV^2", "reference value of u_bar_bar^2 (homeostatic LTD)";
        theta_plus: f64 = -45.3, "theta_plus", "mV", "LTP threshold on u";
        theta_minus: f64 = -70.6, "theta_minus", "mV", "threshold on the filtered potentials";
        a_ltd_const: bool = true, "A_LTD_const", "", "if false, A_LTD is scaled by u_bar_bar^2/u_ref_squared";
        delay_u_bars: f64 = 5.0, "delay_u_bars", "ms", "delay of u_bar_plus and u_bar_minus before use";
    }
}

impl ClopathParams {
    /// Reads and validates.
    pub fn read(r: &mut Reader<'_>) -> Result<Self, BuildError> {
        let mut p = Self::default();
        p.apply(r)?;
        let m = r.model();
        require(
            p.u_ref_squared > 0.0,
            m,
            "u_ref_squared",
            p.u_ref_squared,
            "must be > 0",
        )?;
        require(
            p.delay_u_bars >= 0.0,
            m,
            "delay_u_bars",
            p.delay_u_bars,
            "must be >= 0",
        )?;
        Ok(p)
    }

    /// The archive's view of these parameters at resolution `res`.
    pub fn rule(&self, res: Resolution) -> ClopathRule {
        ClopathRule {
            a_ltd: self.a_ltd,
            a_ltp: self.a_ltp,
            u_ref_squared: self.u_ref_squared,
            theta_plus: self.theta_plus,
            theta_minus: self.theta_minus,
            a_ltd_const: self.a_ltd_const,
            delay_u_bars_steps: res.delay_steps(self.delay_u_bars) as usize,
        }
    }
}

/// Archives a neuron's end-of-step voltages (stamp `stamp`) in its Clopath archive `a`.
#[inline]
pub fn write_clopath(ctx: &mut SliceCtx<'_>, a: u32, stamp: Step, v: Voltages) {
    let archives = &mut *ctx.archives;
    archives.clopath[a as usize].write(stamp, ctx.res.h(), v, &mut archives.clopath_counters);
}

/// Refuses a `SetStatus` that would change the Clopath parameters of a neuron whose archive
/// holds a copy of them (one with plastic inputs); `population::refuse_archived_change` says why.
pub fn check_unchanged_if_archived(
    model: &str,
    archived: bool,
    old: &ClopathParams,
    new: &ClopathParams,
) -> Result<(), BuildError> {
    if !archived || old == new {
        return Ok(());
    }
    let mut was = crate::params::ParamMap::new();
    old.to_map(&mut was);
    let mut now = crate::params::ParamMap::new();
    new.to_map(&mut now);
    let (k, v) = now
        .iter()
        .find(|(k, v)| was.get(*k) != Some(*v))
        .expect("the parameters differ");
    Err(crate::population::refuse_archived_change(model, k, v))
}
