//! What every neuron population shares: its node ids, input channels, archive links and
//! multimeter samplers.

use evplast_kernel::limits::try_reserve;
use evplast_kernel::record::Samplers;
use evplast_kernel::{KernelError, NodeId, NumericalInstability};

/// Node bookkeeping of one population.
#[derive(Debug)]
pub struct Block {
    /// Node id of local neuron 0; ids are consecutive.
    pub first: NodeId,
    /// Input channel of local neuron 0; each neuron has `channels_per_node` consecutive ones.
    pub channel_base: u32,
    pub channels_per_node: u32,
    /// Archive id per local neuron, if it has plastic inputs of its rule.
    pub archive: Vec<Option<u32>>,
    pub samplers: Samplers,
}

impl Block {
    /// Bookkeeping for `n` neurons with archive ids `archive`.
    pub fn new(
        first: NodeId,
        n: usize,
        channel_base: u32,
        channels_per_node: u32,
        archive: &[Option<u32>],
    ) -> Result<Self, KernelError> {
        debug_assert_eq!(archive.len(), n);
        let mut ids = Vec::new();
        try_reserve(&mut ids, n, "the neurons' archive ids")?;
        ids.extend_from_slice(archive);
        Ok(Self {
            first,
            channel_base,
            channels_per_node,
            archive: ids,
            samplers: Samplers::new(n)?,
        })
    }

    /// Input channel `offset` of local neuron `i`.
    #[inline]
    pub fn channel(&self, i: usize, offset: u32) -> u32 {
        self.channel_base + i as u32 * self.channels_per_node + offset
    }

    /// Node id of local neuron `i`.
    #[inline]
    pub fn node(&self, i: usize) -> NodeId {
        NodeId(self.first.0 + i as u32)
    }

    /// NEST's `NumericalInstability` for local neuron `i` of `model` at `time_ms` if any entry
    /// of its state `y` is not finite (`what` describes the state for the message).
    #[inline]
    pub fn check_finite(
        &self,
        i: usize,
        model: &'static str,
        time_ms: f64,
        y: &[f64],
        what: impl FnOnce() -> String,
    ) -> Result<(), NumericalInstability> {
        if y.iter().all(|x| x.is_finite()) {
            return Ok(());
        }
        Err(NumericalInstability {
            node: self.node(i).0,
            model,
            time_ms,
            what: what(),
        })
    }
}
