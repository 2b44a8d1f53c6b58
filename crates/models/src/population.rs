//! What every neuron population shares: its node ids, input channels, archive links and
//! multimeter samplers.

use evplast_kernel::limits::try_reserve;
use evplast_kernel::record::Samplers;
use evplast_kernel::value::{ParamMap, ParamValue};
use evplast_kernel::{
    BuildError, GridTime, KernelError, NodeId, NumericalInstability, Resolution, Site, Step,
};

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

    /// NEST's `NumericalInstability` for local neuron `i` of `model` at stamp `stamp` if any
    /// entry of its state `y` is not finite (`what` describes the state for the message).
    #[inline]
    pub fn check_finite(
        &self,
        i: usize,
        model: &'static str,
        res: Resolution,
        stamp: Step,
        y: &[f64],
        what: impl FnOnce() -> String,
    ) -> Result<(), NumericalInstability> {
        if y.iter().all(|x| x.is_finite()) {
            return Ok(());
        }
        Err(self.instability(i, model, res, stamp, what()))
    }

    /// The instability of local neuron `i` at stamp `stamp`.
    pub fn instability(
        &self,
        i: usize,
        model: &'static str,
        res: Resolution,
        stamp: Step,
        what: String,
    ) -> NumericalInstability {
        NumericalInstability {
            site: Site::Node {
                node: self.node(i).0,
                model,
            },
            time: GridTime::of(res, stamp),
            what,
        }
    }

    /// The instability of local neuron `i` whose integration exceeded
    /// [`MAX_ATTEMPTS_PER_STEP`](evplast_kernel::rkf45::MAX_ATTEMPTS_PER_STEP) in the step
    /// ending at `stamp`; `taus` are the model's time constants (a name or expression, ms), of
    /// which the fastest is named as the likely cause.
    pub fn too_stiff(
        &self,
        i: usize,
        model: &'static str,
        res: Resolution,
        stamp: Step,
        last_substep_ms: f64,
        taus: &[(&str, f64)],
    ) -> NumericalInstability {
        let fastest = taus
            .iter()
            .filter(|(_, v)| v.is_finite())
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let hint = match fastest {
            Some((name, v)) => format!("; its fastest time constant is {name} = {v:.3e} ms"),
            None => String::new(),
        };
        let what = format!(
            "the equations are too stiff to integrate: more than {} RKF45 sub-steps in one \
             {} ms step (the last {last_substep_ms:.3e} ms){hint} (NEST, which has no \
             such limit, does not finish)",
            evplast_kernel::rkf45::MAX_ATTEMPTS_PER_STEP,
            res.h(),
        );
        self.instability(i, model, res, stamp, what)
    }
}

impl Block {
    /// The block's state: the multimeter samples not yet drained.
    pub fn snapshot(&mut self, s: &mut evplast_kernel::snapshot::Snap) {
        use evplast_kernel::snapshot::Snapshot;
        self.samplers.snapshot(s);
    }
}

/// `current` overwritten by `given`, key by key; a table given for a key whose current value is
/// a table is merged into it (NEST's SetStatus of a nested dictionary such as `soma`).
pub fn merged(mut current: ParamMap, given: &ParamMap) -> ParamMap {
    for (k, v) in given {
        match (current.get_mut(k), v) {
            (Some(ParamValue::Table(cur)), ParamValue::Table(g)) => {
                let c = std::mem::take(cur);
                *cur = merged(c, g);
            }
            _ => {
                current.insert(k.clone(), v.clone());
            }
        }
    }
    current
}

/// Refuses a change after build of a parameter the node's plasticity archive holds a copy of
/// (the archive was laid out from it and `SetStatus` does not reach archives).
pub fn refuse_archived_change(
    model: &str,
    param: &str,
    value: impl std::fmt::Display,
) -> BuildError {
    BuildError::bad(
        model,
        param,
        value,
        "cannot change after the network is built: the neuron has plastic inputs and their \
         rule's archive was laid out with the current value (set it at Create or with \
         SetDefaults/CopyModel before Connect)",
    )
}

/// Local node index `i` of a population of `n`, or the error a front end passes on.
/// The first half of a neuron's `SetStatus` for local node `i` of `n`: its current status
/// (written by `current`) with the given keys merged in, nested tables key by key, read again
/// by the model's `parse` — so a refusal is the one Create gives, and nothing changes yet.
pub fn reparsed<T>(
    model: &str,
    i: usize,
    n: usize,
    current: impl FnOnce(&mut ParamMap),
    given: &ParamMap,
    parse: impl FnOnce(&ParamMap) -> Result<T, BuildError>,
) -> Result<T, BuildError> {
    check_index(model, i, n)?;
    let mut now = ParamMap::new();
    current(&mut now);
    parse(&merged(now, given))
}

pub fn check_index(model: &str, i: usize, n: usize) -> Result<(), BuildError> {
    if i < n {
        Ok(())
    } else {
        Err(BuildError::Connect(format!(
            "{model}: node {i} is not in this population of {n}"
        )))
    }
}
