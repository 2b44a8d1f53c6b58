//! The one table of models: NEST name, kind, inputs, recordables and parameter docs.

use evplast_kernel::inputs::ChannelKind;
use evplast_kernel::Resolution;

use crate::devices::recording::Recording;
use crate::devices::{
    dc_generator, inhomogeneous_poisson_generator, multimeter, poisson_generator, spike_generator,
    spike_recorder, step_current_generator, weight_recorder,
};
use crate::error::BuildError;
use crate::neurons::{
    aeif_psc_delta_clopath as aeif, hh_psc_alpha_clopath as hh, parrot_neuron,
    pp_cond_exp_mc_urbanczik as pp,
};
use crate::params::{ParamDoc, ParamMap};
use crate::synapses::{clopath_synapse, static_synapse, urbanczik_synapse};

/// What a model is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    Neuron,
    Generator,
    Recorder,
    Synapse,
}

impl ModelKind {
    /// Lower-case name for listings.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Neuron => "neuron",
            ModelKind::Generator => "generator",
            ModelKind::Recorder => "recorder",
            ModelKind::Synapse => "synapse",
        }
    }
}

/// The plasticity archive a neuron model offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Archive {
    Clopath,
    Urbanczik,
}

/// A registered model.
pub struct ModelInfo {
    pub name: &'static str,
    pub kind: ModelKind,
    pub summary: &'static str,
    /// Input channels per node (neurons only).
    pub inputs: &'static [ChannelKind],
    /// Spike receptors: (NEST number, name, channel offset).
    pub spike_receptors: &'static [(u32, &'static str, u32)],
    /// Current receptors: (NEST number, name, channel offset).
    pub current_receptors: &'static [(u32, &'static str, u32)],
    pub recordables: &'static [&'static str],
    pub archive: Option<Archive>,
    pub describe: fn(&mut Vec<ParamDoc>),
    /// Bytes of one neuron's state in its population and of its parameters (boxed in the
    /// builder, and copied once more while its population is made; 0 for devices: the memory
    /// estimate adds vector parameters, channels and bookkeeping).
    pub node_bytes: usize,
}

fn no_params(_: &mut Vec<ParamDoc>) {}

/// Point neurons take spikes on receptor 0.
const POINT_SPIKE: &[(u32, &str, u32)] = &[(0, "", 0)];

/// Every model evplast knows, in listing order.
pub static MODELS: &[ModelInfo] = &[
    ModelInfo {
        name: aeif::MODEL,
        kind: ModelKind::Neuron,
        summary: "adaptive exponential integrate-and-fire, delta synapses, Clopath archive",
        inputs: aeif::INPUTS,
        spike_receptors: POINT_SPIKE,
        current_receptors: &[(0, "", 1)],
        recordables: aeif::RECORDABLES,
        archive: Some(Archive::Clopath),
        describe: aeif::describe,
        // The population also keeps each node's Clopath parameters (for GetStatus).
        node_bytes: aeif::NODE_BYTES
            + 2 * std::mem::size_of::<aeif::NodeParams>()
            + std::mem::size_of::<crate::clopath_archiving::ClopathParams>(),
    },
    ModelInfo {
        name: hh::MODEL,
        kind: ModelKind::Neuron,
        summary: "Hodgkin-Huxley, alpha-shaped synaptic currents, Clopath archive",
        inputs: hh::INPUTS,
        spike_receptors: POINT_SPIKE,
        current_receptors: &[(0, "", 2)],
        recordables: hh::RECORDABLES,
        archive: Some(Archive::Clopath),
        describe: hh::describe,
        node_bytes: hh::NODE_BYTES
            + 2 * std::mem::size_of::<hh::NodeParams>()
            + std::mem::size_of::<crate::clopath_archiving::ClopathParams>(),
    },
    ModelInfo {
        name: parrot_neuron::MODEL,
        kind: ModelKind::Neuron,
        summary: "repeats every incoming spike",
        inputs: parrot_neuron::INPUTS,
        spike_receptors: POINT_SPIKE,
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: no_params,
        node_bytes: 0,
    },
    ModelInfo {
        name: pp::MODEL,
        kind: ModelKind::Neuron,
        summary: "two-compartment point-process neuron (soma + dendrite), Urbanczik archive",
        inputs: pp::INPUTS,
        spike_receptors: pp::SPIKE_RECEPTORS,
        current_receptors: pp::CURRENT_RECEPTORS,
        recordables: pp::RECORDABLES,
        archive: Some(Archive::Urbanczik),
        describe: pp::describe,
        node_bytes: pp::NODE_BYTES
            + 2 * std::mem::size_of::<pp::NodeParams>()
            + std::mem::size_of::<evplast_kernel::rng::Rng>(),
    },
    ModelInfo {
        name: spike_generator::MODEL,
        kind: ModelKind::Generator,
        summary: "spikes at given times",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: spike_generator::describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: poisson_generator::MODEL,
        kind: ModelKind::Generator,
        summary: "an independent Poisson train per target",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: poisson_generator::describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: inhomogeneous_poisson_generator::MODEL,
        kind: ModelKind::Generator,
        summary: "an independent Poisson train per target, piecewise-constant rate",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: inhomogeneous_poisson_generator::describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: dc_generator::MODEL,
        kind: ModelKind::Generator,
        summary: "constant current",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: dc_generator::describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: step_current_generator::MODEL,
        kind: ModelKind::Generator,
        summary: "piecewise-constant current",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: step_current_generator::describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: spike_recorder::MODEL,
        kind: ModelKind::Recorder,
        summary: "records spikes of the nodes connected to it",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: crate::devices::recording::Recording::describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: multimeter::MODEL,
        kind: ModelKind::Recorder,
        summary: "samples state of the neurons it is connected to",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: multimeter::describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: weight_recorder::MODEL,
        kind: ModelKind::Recorder,
        summary: "records weights of plastic synapses at each presynaptic spike",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: crate::devices::recording::Recording::describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: static_synapse::MODEL,
        kind: ModelKind::Synapse,
        summary: "fixed weight and delay",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: static_describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: clopath_synapse::MODEL,
        kind: ModelKind::Synapse,
        summary: "Clopath voltage-based STDP (needs a Clopath archive on the target)",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: clopath_synapse::describe,
        node_bytes: 0,
    },
    ModelInfo {
        name: urbanczik_synapse::MODEL,
        kind: ModelKind::Synapse,
        summary:
            "Urbanczik-Senn dendritic prediction rule (needs an Urbanczik archive on the target)",
        inputs: &[],
        spike_receptors: &[],
        current_receptors: &[],
        recordables: &[],
        archive: None,
        describe: urbanczik_synapse::describe,
        node_bytes: 0,
    },
];

fn static_describe(out: &mut Vec<ParamDoc>) {
    out.push(ParamDoc {
        name: "weight",
        default: "1".into(),
        unit: "",
        doc: "weight",
    });
    out.push(ParamDoc {
        name: "delay",
        default: "1".into(),
        unit: "ms",
        doc: "delay",
    });
}

/// The model named `name`.
pub fn find(name: &str) -> Result<&'static ModelInfo, BuildError> {
    MODELS
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| BuildError::UnknownModel {
            name: name.to_string(),
            known: MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", "),
        })
}

/// Parsed parameters of one node.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeParams {
    Aeif(Box<aeif::NodeParams>),
    Hh(Box<hh::NodeParams>),
    Pp(Box<pp::NodeParams>),
    Parrot,
    SpikeGenerator(Box<spike_generator::Params>),
    PoissonGenerator(Box<poisson_generator::Params>),
    /// `dc_generator` and `step_current_generator`.
    DcGenerator(Box<dc_generator::Params>),
    SpikeRecorder(Box<Recording>),
    Multimeter(Box<multimeter::Params>),
    WeightRecorder(Box<Recording>),
}

// Every variant boxed: the builder keeps one per node (a parrot costs the tag and a pointer).
const _: () = assert!(std::mem::size_of::<NodeParams>() == 16);

impl NodeParams {
    /// Bytes this node's parameters hold on the heap (for the memory estimate).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of_val;
        let strings = |v: &[String]| v.iter().map(|s| s.len()).sum::<usize>() + size_of_val(v);
        match self {
            // Boxed neuron parameters are counted in `ModelInfo::node_bytes`.
            NodeParams::Aeif(_) | NodeParams::Hh(_) | NodeParams::Pp(_) => 0,
            // Devices keep their status dictionary as given (for GetStatus), in their box.
            NodeParams::SpikeGenerator(p) => {
                size_of_val(&**p)
                    + size_of_val(&p.stamps[..])
                    + size_of_val(&p.weights[..])
                    + size_of_val(&p.multiplicities[..])
                    + crate::builder::memory::param_map_bytes(&p.status) as usize
            }
            NodeParams::PoissonGenerator(p) => {
                size_of_val(&**p)
                    + size_of_val(&p.starts[..])
                    + size_of_val(&p.rates[..])
                    + crate::builder::memory::param_map_bytes(&p.status) as usize
            }
            NodeParams::DcGenerator(p) => {
                size_of_val(&**p)
                    + size_of_val(&p.starts[..])
                    + size_of_val(&p.amplitudes[..])
                    + crate::builder::memory::param_map_bytes(&p.status) as usize
            }
            NodeParams::Multimeter(p) => size_of_val(&**p) + strings(&p.record_from),
            NodeParams::SpikeRecorder(r) | NodeParams::WeightRecorder(r) => {
                size_of_val(&**r) + r.label.len()
            }
            NodeParams::Parrot => 0,
        }
    }
}

/// Reads one node's parameters for `model`.
pub fn parse_node(
    model: &ModelInfo,
    map: &ParamMap,
    res: Resolution,
) -> Result<NodeParams, BuildError> {
    Ok(match model.name {
        aeif::MODEL => NodeParams::Aeif(Box::new(aeif::parse(map)?)),
        hh::MODEL => NodeParams::Hh(Box::new(hh::parse(map)?)),
        pp::MODEL => NodeParams::Pp(Box::new(pp::parse(map)?)),
        step_current_generator::MODEL => NodeParams::DcGenerator(Box::new(step_current_generator::parse(map, res)?)),
        parrot_neuron::MODEL => {
            parrot_neuron::parse(map)?;
            NodeParams::Parrot
        }
        spike_generator::MODEL => NodeParams::SpikeGenerator(Box::new(spike_generator::parse(map, res)?)),
        poisson_generator::MODEL => NodeParams::PoissonGenerator(Box::new(poisson_generator::parse(map, res)?)),
        inhomogeneous_poisson_generator::MODEL => {
            NodeParams::PoissonGenerator(Box::new(inhomogeneous_poisson_generator::parse(map, res)?))
        }
        dc_generator::MODEL => NodeParams::DcGenerator(Box::new(dc_generator::parse(map, res)?)),
        spike_recorder::MODEL => NodeParams::SpikeRecorder(Box::new(spike_recorder::parse(map, res)?)),
        multimeter::MODEL => NodeParams::Multimeter(Box::new(multimeter::parse(map, res)?)),
        weight_recorder::MODEL => NodeParams::WeightRecorder(Box::new(weight_recorder::parse(map, res)?)),
        other => {
            return Err(BuildError::Connect(format!(
                "'{other}' is a synapse model; create nodes of a neuron or device model and use it in syn_spec"
            )))
        }
    })
}

/// Checks a synapse model's parameters other than weight, delay and receptor_type (as
/// `Connect` reads them), e.g. for `SetDefaults` and `CopyModel`.
pub fn check_synapse_params(model: &ModelInfo, map: &ParamMap) -> Result<(), BuildError> {
    match model.name {
        crate::synapses::clopath_synapse::MODEL => {
            crate::synapses::clopath_synapse::parse(map)?;
        }
        crate::synapses::urbanczik_synapse::MODEL => {
            crate::synapses::urbanczik_synapse::parse(map)?;
        }
        _ => crate::params::Reader::new(model.name, map).finish()?,
    }
    Ok(())
}

/// A synapse model's defaults (NEST's `GetDefaults`): weight and delay (1, 1 ms, as NEST's)
/// and the rule's parameters.
pub fn synapse_defaults(model: &ModelInfo) -> ParamMap {
    let mut m = ParamMap::new();
    m.insert("weight".into(), crate::params::ParamValue::Num(1.0));
    m.insert("delay".into(), crate::params::ParamValue::Num(1.0));
    match model.name {
        crate::synapses::clopath_synapse::MODEL => {
            crate::synapses::clopath_synapse::Params::default().to_map(&mut m)
        }
        crate::synapses::urbanczik_synapse::MODEL => {
            crate::synapses::urbanczik_synapse::Params::default().to_map(&mut m)
        }
        _ => {}
    }
    m
}
