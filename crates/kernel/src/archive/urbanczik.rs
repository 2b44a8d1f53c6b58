//! The Urbanczik–Senn archive, event-driven (full history): what `urbanczik_synapse` reads from
//! a two-compartment neuron (nest-models.md §4.6, §5).
//!
//! Each step the neuron hands over its dendritic potential `V_d` and its somatic spike count
//! `n`; the archive stores one entry per step,
//! ```text
//! V*_W = (E_L^s g_L^s + V_d g_sp) / (g_sp + g_L^s)            (dendritic prediction)
//! dPI  = (n − φ(V*_W)·h) · h(V*_W)
//! φ(u) = φ_max / (1 + k·exp(β(θ − u)))                         (rate, 1/ms)
//! h(u) = 15 β / (1 + exp(−β(θ − u)) / k)                       (15 × d ln φ/du, as NEST)
//! ```
//! That is the **spike–rate** learning signal (NEST's). Two more, from the authors' branches of
//! Stapmanns et al. (2021) (`us_rr`, `us_spsp` of jstapmanns/nest-simulator; docs/URBANCZIK.md):
//! ```text
//! rate–rate:    dPI = (φ(U) − φ(V*_W))·h · h(V*_W)          U: the somatic potential
//! spike–spike:  dPI = (n − n_d) · h(V*_W), archived only where n ≠ n_d
//! ```
//! with `n_d` dendritic spikes drawn like the soma's from φ(V_d) (the neuron draws them). The
//! spike–spike history is sparse: a step without an entry adds nothing to any sum.
//! It also carries the dendrite's constants the synapse needs (`C_m`, `g_L`, `τ_syn`).

use super::compressed::{CompressedGroup, WindowSums};
use super::{RuleCounters, SchemeHistory};
use crate::time::Step;

/// The rate function and its parameters (NEST's `pp_cond_exp_mc_urbanczik_parameters`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateFunction {
    /// φ_max, 1/ms.
    pub phi_max: f64,
    /// k (`rate_slope`).
    pub rate_slope: f64,
    /// β, 1/mV.
    pub beta: f64,
    /// θ, mV.
    pub theta: f64,
}

impl RateFunction {
    /// φ(u) in 1/ms.
    #[inline]
    pub fn phi(&self, u: f64) -> f64 {
        self.phi_max / (1.0 + self.rate_slope * (self.beta * (self.theta - u)).exp())
    }

    /// h(u) = 15·β / (1 + exp(−β(θ − u))/k): NEST's scaled derivative of ln φ.
    #[inline]
    pub fn h(&self, u: f64) -> f64 {
        15.0 * self.beta / (1.0 + (-self.beta * (self.theta - u)).exp() / self.rate_slope)
    }
}

/// What the dendritic archive stores per step (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LearningSignal {
    /// NEST's: somatic spikes against the dendritic prediction's rate (dense).
    #[default]
    SpikeRate,
    /// The somatic rate against the dendritic prediction's rate (dense, no spike noise).
    RateRate,
    /// Somatic spikes against sampled dendritic spikes (sparse).
    SpikeSpike,
}

impl LearningSignal {
    /// Every signal, in the order of [`LearningSignal::NAMES`].
    pub const ALL: [Self; 3] = [Self::SpikeRate, Self::RateRate, Self::SpikeSpike];
    /// The names users give (`learning_signal = "…"`).
    pub const NAMES: [&'static str; 3] = ["spike_rate", "rate_rate", "spike_spike"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The signal named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self::ALL[i])
    }
}

/// What the archive needs from its neuron, fixed at build time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UrbanczikRule {
    pub rate: RateFunction,
    /// Soma leak conductance and reversal, and the dendrite→soma coupling `g_sp` (nS, mV).
    pub g_l_soma: f64,
    pub e_l_soma: f64,
    pub g_sp: f64,
    /// Dendrite constants read by the synapse (pF, nS, ms).
    pub c_m_dend: f64,
    pub g_l_dend: f64,
    pub tau_syn_ex_dend: f64,
    pub tau_syn_in_dend: f64,
    pub signal: LearningSignal,
}

impl UrbanczikRule {
    /// The dendritic prediction of the somatic potential, V*_W.
    #[inline]
    pub fn v_w_star(&self, v_dend: f64) -> f64 {
        (self.e_l_soma * self.g_l_soma + v_dend * self.g_sp) / (self.g_sp + self.g_l_soma)
    }

    /// The per-step archive value for dendritic potential `v_dend` and `n` somatic spikes.
    #[inline]
    pub fn dpi(&self, v_dend: f64, n: u32, h: f64) -> f64 {
        let v = self.v_w_star(v_dend);
        (n as f64 - self.rate.phi(v) * h) * self.rate.h(v)
    }

    /// The per-step value of the rate–rate signal: somatic potential `v_soma`.
    #[inline]
    pub fn dpi_rate_rate(&self, v_dend: f64, v_soma: f64, h: f64) -> f64 {
        let v = self.v_w_star(v_dend);
        (self.rate.phi(v_soma) - self.rate.phi(v)) * h * self.rate.h(v)
    }

    /// The value of the spike–spike signal for `n` somatic and `n_dend` dendritic spikes.
    #[inline]
    pub fn dpi_spike_spike(&self, v_dend: f64, n: u32, n_dend: u32) -> f64 {
        (f64::from(n) - f64::from(n_dend)) * self.rate.h(self.v_w_star(v_dend))
    }

    /// The dendrite's membrane time constant τ_L = C_m/g_L.
    pub fn tau_l(&self) -> f64 {
        self.c_m_dend / self.g_l_dend
    }

    /// Compressed groups per (delay, τ_Δ) of a synapse's window: one, with sums for τ_L and
    /// τ_s, where the dendrite's τ_syn_ex = τ_syn_in; else two, (τ_L, τ_syn_ex) and
    /// (τ_L, τ_syn_in), read together, since τ_s follows the sign of each synapse's weight.
    #[inline]
    pub fn groups_per_window(&self) -> usize {
        if self.tau_syn_ex_dend.to_bits() == self.tau_syn_in_dend.to_bits() {
            1
        } else {
            2
        }
    }
}

/// What a neuron hands its archive at the end of a step.
#[derive(Clone, Copy, Debug)]
pub struct StepSignal {
    pub v_dend: f64,
    pub v_soma: f64,
    pub n_soma: u32,
    pub n_dend: u32,
}

/// The archive of one neuron.
#[derive(Clone, Debug)]
pub struct UrbanczikArchive {
    pub rule: UrbanczikRule,
    /// One entry per step (and, in the compressed scheme, its groups: per (delay, τ_Δ) of the
    /// synapses' windows, [`UrbanczikRule::groups_per_window`] groups with two kernels each).
    pub history: SchemeHistory<2>,
}

impl UrbanczikArchive {
    /// An empty archive read by `n_incoming` synapses.
    pub fn new(rule: UrbanczikRule, n_incoming: u32) -> Self {
        Self {
            rule,
            history: SchemeHistory::new(n_incoming),
        }
    }

    /// Compressed scheme: the groups of a new window key (delay, τ_Δ), for `n` synapses whose
    /// windows start at `a0`, sharing entries ([`CompressedGroup::sharing`]) at resolution `h`.
    pub fn add_window_groups(&mut self, delay: Step, tau_delta: f64, a0: Step, n: u32, h: f64) {
        let r = &self.rule;
        let kernels = [r.tau_syn_ex_dend, r.tau_syn_in_dend];
        for &tau_s in &kernels[..r.groups_per_window()] {
            self.history.groups.push(
                CompressedGroup::new(delay, [r.tau_l(), tau_s], Some(tau_delta), a0, n).sharing(h),
            );
        }
    }

    /// Compressed scheme: window keys (delay, τ_Δ) so far.
    pub fn window_keys(&self) -> usize {
        self.history.groups.len() / self.rule.groups_per_window()
    }

    /// Compressed scheme: the sums over the window `(a, b]` of a synapse of window key `key`
    /// for τ_L (index 0) and τ_s (index 1): τ_syn_ex's if `excitatory`, else τ_syn_in's (see
    /// [`CompressedGroup::take`]). Where these differ, both groups advance the window.
    #[inline]
    pub fn take_window(
        &mut self,
        key: usize,
        a: Step,
        b: Step,
        h: f64,
        excitatory: bool,
        c: &mut RuleCounters,
    ) -> WindowSums<2> {
        if self.rule.groups_per_window() == 1 {
            return self.history.take_compressed(key, a, b, h, c);
        }
        let ex = self.history.take_compressed(2 * key, a, b, h, c);
        let inh = self.history.take_compressed(2 * key + 1, a, b, h, c);
        if excitatory {
            ex
        } else {
            WindowSums {
                s: [ex.s[0], inh.s[1]],
                t: [ex.t[0], inh.t[1]],
                n_raw: ex.n_raw,
            }
        }
    }

    /// Archives step `stamp` by the rule's signal: the potentials of dendrite and soma, the
    /// somatic spike count and the dendritic one (spike–spike only; 0 otherwise). Spike–spike
    /// archives nothing where the counts are equal.
    #[inline]
    pub fn write(&mut self, stamp: Step, h: f64, s: StepSignal, c: &mut RuleCounters) {
        let value = match self.rule.signal {
            LearningSignal::SpikeRate => self.rule.dpi(s.v_dend, s.n_soma, h),
            LearningSignal::RateRate => self.rule.dpi_rate_rate(s.v_dend, s.v_soma, h),
            LearningSignal::SpikeSpike => {
                if s.n_soma == s.n_dend {
                    return;
                }
                self.rule.dpi_spike_spike(s.v_dend, s.n_soma, s.n_dend)
            }
        };
        self.history.push(stamp, value, c);
    }
}

impl crate::snapshot::Snapshot for UrbanczikArchive {
    fn snapshot(&mut self, s: &mut crate::snapshot::Snap) {
        self.history.snapshot(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> UrbanczikRule {
        UrbanczikRule {
            rate: RateFunction {
                phi_max: 0.15,
                rate_slope: 0.5,
                beta: 1.0 / 3.0,
                theta: -55.0,
            },
            g_l_soma: 30.0,
            e_l_soma: -70.0,
            g_sp: 600.0,
            c_m_dend: 300.0,
            g_l_dend: 30.0,
            tau_syn_ex_dend: 3.0,
            tau_syn_in_dend: 3.0,
            signal: LearningSignal::SpikeRate,
        }
    }

    #[test]
    fn h_is_fifteen_times_the_log_derivative_of_phi() {
        let r = rule().rate;
        for u in [-80.0, -60.0, -55.0, -40.0] {
            let d = 1e-6;
            let dlog = ((r.phi(u + d)).ln() - (r.phi(u - d)).ln()) / (2.0 * d);
            assert!(
                (r.h(u) - 15.0 * dlog).abs() < 1e-7 * r.h(u).abs().max(1e-3),
                "u = {u}"
            );
        }
        // φ(θ) = φ_max / (1 + k)
        assert!((r.phi(-55.0) - 0.1).abs() < 1e-15);
    }

    #[test]
    fn dpi_uses_the_dendritic_prediction() {
        let r = rule();
        // V_d = E_L gives V*_W = E_L.
        assert_eq!(r.v_w_star(-70.0), -70.0);
        let expected = (1.0 - r.rate.phi(-70.0) * 0.1) * r.rate.h(-70.0);
        assert_eq!(r.dpi(-70.0, 1, 0.1), expected);
        assert_eq!(r.tau_l(), 10.0);
    }

    #[test]
    fn each_signal_archives_its_value_and_spike_spike_only_where_counts_differ() {
        let h = 0.1;
        let mut c = RuleCounters::default();
        let step = |v_dend, v_soma, n_soma, n_dend| StepSignal {
            v_dend,
            v_soma,
            n_soma,
            n_dend,
        };
        let (vd, vs) = (-58.0, -52.0);
        let r = rule();
        let v = r.v_w_star(vd);
        let want = [
            // The second step's (no somatic spike, one dendritic).
            -r.rate.phi(v) * h * r.rate.h(v),
            (r.rate.phi(vs) - r.rate.phi(v)) * h * r.rate.h(v),
            -r.rate.h(v),
        ];
        for (signal, want) in LearningSignal::ALL.into_iter().zip(want) {
            let mut a = UrbanczikArchive::new(UrbanczikRule { signal, ..r }, 1);
            a.write(1, h, step(vd, vs, 1, 1), &mut c);
            a.write(2, h, step(vd, vs, 0, 1), &mut c);
            let mut seen = Vec::new();
            a.history.read(0, 2, |s, x| seen.push((s, x)));
            let dense = signal != LearningSignal::SpikeSpike;
            assert_eq!(seen.len(), if dense { 2 } else { 1 }, "{signal:?}");
            assert_eq!(seen.last(), Some(&(2, want)), "{signal:?}");
            assert_eq!(LearningSignal::from_name(signal.as_str()), Some(signal));
        }
        assert_eq!(LearningSignal::from_name("spike"), None);
    }
}
