//! The status dictionary of a node that is not built yet (NEST's `GetStatus` before
//! `Simulate`, and `GetDefaults`): the node's validated parameters are built into a
//! population of one, which reports them exactly as the built network will.

use evplast_kernel::network::Population;
use evplast_kernel::rng::{self, domain};
use evplast_kernel::{NodeId, Resolution};

use crate::devices::dc_generator::DcGenerator;
use crate::devices::poisson_generator::PoissonGenerator;
use crate::devices::spike_generator::SpikeGenerator;
use crate::error::BuildError;
use crate::neurons::aeif_psc_delta_clopath::AeifPscDeltaClopath;
use crate::neurons::hh_psc_alpha_clopath::HhPscAlphaClopath;
use crate::neurons::pp_cond_exp_mc_urbanczik::PpCondExpMcUrbanczik;
use crate::params::{ParamMap, ParamValue};
use crate::population::Block;
use crate::registry::{self, ModelInfo, NodeParams};

/// The status of a node of `model` created with `map` (parameters and state by NEST name).
pub fn status_of_params(
    model: &'static ModelInfo,
    map: &ParamMap,
    res: Resolution,
) -> Result<ParamMap, BuildError> {
    let p = registry::parse_node(model, map, res)?;
    let block = || Block::new(NodeId(1), 1, 0, model.inputs.len() as u32, &[None]);
    let pop: Box<dyn Population> = match p {
        NodeParams::Aeif(x) => Box::new(AeifPscDeltaClopath::new(&[*x], block()?, res)?),
        NodeParams::Hh(x) => Box::new(HhPscAlphaClopath::new(&[*x], block()?, res)?),
        NodeParams::Pp(x) => Box::new(PpCondExpMcUrbanczik::new(
            &[*x],
            block()?,
            res,
            vec![(
                rng::stream(1, domain::DYNAMICS, 0),
                rng::stream(1, domain::DENDRITE_SPIKES, 0),
            )],
        )?),
        NodeParams::SpikeGenerator(x) => Box::new(SpikeGenerator::new(NodeId(1), vec![*x])),
        NodeParams::PoissonGenerator(x) => Box::new(PoissonGenerator::new(
            model.name,
            vec![*x],
            res,
            NodeId(1),
            Vec::new(),
            false,
        )),
        NodeParams::DcGenerator(x) => {
            Box::new(DcGenerator::new(model.name, vec![*x], 1, Vec::new()))
        }
        NodeParams::Multimeter(x) => {
            let mut out = ParamMap::new();
            out.insert(
                "record_from".into(),
                ParamValue::Array(x.record_from.into_iter().map(ParamValue::Str).collect()),
            );
            out.insert("interval".into(), ParamValue::Num(x.interval));
            x.recording.to_map(&mut out);
            return Ok(out);
        }
        NodeParams::SpikeRecorder(r) | NodeParams::WeightRecorder(r) => {
            let mut out = ParamMap::new();
            r.to_map(&mut out);
            return Ok(out);
        }
        NodeParams::Parrot => return Ok(ParamMap::new()),
    };
    let mut out = ParamMap::new();
    pop.get_status(0, &mut out);
    Ok(out)
}
