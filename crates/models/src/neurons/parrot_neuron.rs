//! `parrot_neuron`: re-emits every spike it receives, in the step it arrives, with the
//! incoming multiplicity (the weight is ignored). Used to turn generator output into spikes that
//! can pass through plastic synapses.
//!
//! A spike stamped `T` reaching the parrot with delay `d` is re-emitted stamped `T + d`.
//! No parameters. Partners: any synapse as source; `static_synapse` from generators.

use evplast_kernel::inputs::ChannelKind;
use evplast_kernel::network::{Population, SliceCtx, SpikeEvent, StatusCtx};
use evplast_kernel::snapshot::Snap;
use evplast_kernel::NumericalInstability;

use crate::error::BuildError;
use crate::params::{ParamMap, Reader};
use crate::population::Block;

/// NEST model name.
pub const MODEL: &str = "parrot_neuron";
/// One channel counting incoming multiplicity.
pub const INPUTS: &[ChannelKind] = &[ChannelKind::Count];

/// A parrot has no parameters; anything given is refused.
pub fn parse(map: &ParamMap) -> Result<(), BuildError> {
    Reader::new(MODEL, map).finish()
}

/// A population of parrots.
pub struct ParrotNeuron {
    n: usize,
    block: Block,
}

impl ParrotNeuron {
    /// `n` parrots.
    pub fn new(n: usize, block: Block) -> Self {
        Self { n, block }
    }
}

impl Population for ParrotNeuron {
    /// A parrot has neither parameters nor state (NEST reports only bookkeeping keys).
    fn get_status(&self, _i: usize, _out: &mut ParamMap) {}

    fn set_status(&mut self, i: usize, p: &ParamMap, _ctx: &StatusCtx) -> Result<(), BuildError> {
        crate::population::check_index(MODEL, i, self.n)?;
        parse(p)
    }

    fn snapshot(&mut self, s: &mut Snap) {
        // A parrot has no state of its own; its input is in the rings.
        self.block.snapshot(s);
    }

    fn model(&self) -> &'static str {
        MODEL
    }

    fn update(&mut self, ctx: &mut SliceCtx<'_>) -> Result<(), NumericalInstability> {
        for i in 0..self.n {
            let ch = self.block.channel(i, 0);
            for k in ctx.from..ctx.to {
                let n = ctx.inputs.take(ch, k);
                if n > u32::MAX as f64 {
                    // A multiplicity is 32-bit: more copies than that would be cut silently.
                    return Err(self.block.instability(
                        i,
                        MODEL,
                        ctx.res,
                        k + 1,
                        format!(
                            "{n:e} spikes arrive in one step, more than a spike's multiplicity \
                             holds ({}): a spike cascade?",
                            u32::MAX
                        ),
                    ));
                }
                if n > 0.0 {
                    ctx.out.spikes.push(SpikeEvent {
                        source: self.block.node(i),
                        stamp: k + 1,
                        multiplicity: n as u32,
                        weight_factor: 1.0,
                    });
                }
            }
        }
        Ok(())
    }
}
