//! Per-node input ring buffers (NEST's `RingBuffer`): one ring per input channel.
//!
//! An event stamped `s` with delay `D` steps is read while updating step `s + D − 1`, the step
//! that ends at the arrival time. Reading a slot clears it.

use crate::time::Step;

/// How a channel turns an incoming spike (weight, multiplicity) into the value it accumulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// Adds `weight × multiplicity`.
    Weighted,
    /// Adds `weight × multiplicity` to this channel if `weight > 0`, else to the next one
    /// (NEST's excitatory/inhibitory split by sign for point neurons).
    SignSplit,
    /// Adds the multiplicity, ignoring the weight (`parrot_neuron`).
    Count,
}

/// All input rings of the network, `[channel][slot]`.
#[derive(Debug, Default)]
pub struct InputBuffers {
    ring_len: usize,
    kinds: Vec<ChannelKind>,
    data: Vec<f64>,
}

impl InputBuffers {
    /// Creates rings long enough for every delay up to `max_delay` with slices of `min_delay`,
    /// rounded up to a power of two so a slot is found with a mask, not a division.
    pub fn new(
        kinds: Vec<ChannelKind>,
        min_delay: Step,
        max_delay: Step,
    ) -> Result<Self, crate::KernelError> {
        let ring_len = Self::ring_len(min_delay, max_delay);
        let data = crate::limits::try_vec(kinds.len() * ring_len, 0.0, "the input buffers")?;
        Ok(Self {
            ring_len,
            kinds,
            data,
        })
    }

    /// Slots per channel for delays up to `max_delay` in slices of `min_delay` steps.
    pub fn ring_len(min_delay: Step, max_delay: Step) -> usize {
        ((min_delay + max_delay).max(1) as usize).next_power_of_two()
    }

    /// Appends channels of `kinds` (nodes created after the build), empty.
    pub fn extend(&mut self, kinds: &[ChannelKind]) -> Result<(), crate::KernelError> {
        crate::limits::try_reserve(
            &mut self.data,
            kinds.len() * self.ring_len,
            "the input buffers",
        )?;
        self.data
            .resize(self.data.len() + kinds.len() * self.ring_len, 0.0);
        self.kinds.extend_from_slice(kinds);
        Ok(())
    }

    /// Number of channels.
    pub fn n_channels(&self) -> usize {
        self.kinds.len()
    }

    #[inline]
    fn slot(&self, ch: u32, step: Step) -> usize {
        // `step mod ring_len` (Euclidean, also for negative steps: two's complement).
        ch as usize * self.ring_len + (step as usize & (self.ring_len - 1))
    }

    /// Adds a spike that arrives at the end of step `arrival − 1` (i.e. at stamp `arrival`).
    #[inline]
    pub fn add_spike(&mut self, ch: u32, arrival: Step, weight: f64, multiplicity: u32) {
        let (ch, value) = match self.kinds[ch as usize] {
            ChannelKind::Weighted => (ch, weight * multiplicity as f64),
            ChannelKind::SignSplit if weight > 0.0 => (ch, weight * multiplicity as f64),
            ChannelKind::SignSplit => (ch + 1, weight * multiplicity as f64),
            ChannelKind::Count => (ch, multiplicity as f64),
        };
        let i = self.slot(ch, arrival - 1);
        self.data[i] += value;
    }

    /// Adds a plain value (a current) arriving at stamp `arrival`.
    #[inline]
    pub fn add_value(&mut self, ch: u32, arrival: Step, value: f64) {
        let i = self.slot(ch, arrival - 1);
        self.data[i] += value;
    }

    /// Returns and clears what channel `ch` holds for step `step`.
    #[inline]
    pub fn take(&mut self, ch: u32, step: Step) -> f64 {
        let i = self.slot(ch, step);
        std::mem::take(&mut self.data[i])
    }
}

impl crate::snapshot::Snapshot for InputBuffers {
    fn snapshot(&mut self, s: &mut crate::snapshot::Snap) {
        s.tag("inputs");
        s.f64_slice(&mut self.data, "the input rings");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_is_read_in_the_step_ending_at_it_and_cleared() {
        let mut b = InputBuffers::new(vec![ChannelKind::Weighted], 1, 3).unwrap();
        b.add_spike(0, 5, 2.0, 3);
        assert_eq!(b.take(0, 3), 0.0);
        assert_eq!(b.take(0, 4), 6.0);
        assert_eq!(b.take(0, 4), 0.0);
    }

    #[test]
    fn ring_wraps_without_mixing_steps() {
        let mut b = InputBuffers::new(vec![ChannelKind::Weighted], 2, 3).unwrap();
        for s in 0..20 {
            b.add_value(0, s + 4, s as f64);
            assert_eq!(b.take(0, s), if s >= 3 { (s - 3) as f64 } else { 0.0 });
        }
    }

    #[test]
    fn extended_channels_start_empty_and_keep_the_old_ones() {
        let mut b = InputBuffers::new(vec![ChannelKind::Weighted], 1, 3).unwrap();
        b.add_value(0, 2, 1.5);
        b.extend(&[ChannelKind::Count]).unwrap();
        assert_eq!(b.n_channels(), 2);
        b.add_spike(1, 2, 9.0, 2);
        assert_eq!(b.take(0, 1), 1.5);
        assert_eq!(b.take(1, 1), 2.0);
        assert_eq!(b.take(1, 2), 0.0);
    }

    #[test]
    fn sign_split_and_count() {
        let mut b = InputBuffers::new(
            vec![
                ChannelKind::SignSplit,
                ChannelKind::Weighted,
                ChannelKind::Count,
            ],
            1,
            1,
        )
        .unwrap();
        b.add_spike(0, 1, 2.0, 1);
        b.add_spike(0, 1, -3.0, 1);
        b.add_spike(0, 1, 0.0, 1);
        b.add_spike(2, 1, 7.0, 2);
        assert_eq!(b.take(0, 0), 2.0);
        assert_eq!(b.take(1, 0), -3.0);
        assert_eq!(b.take(2, 0), 2.0);
    }
}
