//! The one table of models: NEST name, kind, inputs, recordables and parameter docs.

use evplast_kernel::inputs::ChannelKind;
use evplast_kernel::Resolution;

use crate::devices::{
    dc_generator, inhomogeneous_poisson_generator, multimeter, poisson_generator, spike_generator,
    spike_recorder, weight_recorder,
};
use crate::error::BuildError;
use crate::neurons::{aeif_psc_delta_clopath as aeif, hh_psc_alpha_clopath as hh, parrot_neuron};
use crate::params::{ParamDoc, ParamMap};
use crate::synapses::{clopath_synapse, static_synapse};

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
}

/// A registered model.
pub struct ModelInfo {
    pub name: &'static str,
    pub kind: ModelKind,
    pub summary: &'static str,
    /// Input channels per node (neurons only).
    pub inputs: &'static [ChannelKind],
    /// Offset of the current-input channel, if the model takes currents.
    pub current_channel: Option<u32>,
    pub recordables: &'static [&'static str],
    pub archive: Option<Archive>,
    pub describe: fn(&mut Vec<ParamDoc>),
}

fn no_params(_: &mut Vec<ParamDoc>) {}

/// Every model evplast knows, in listing order.
pub static MODELS: &[ModelInfo] = &[
    ModelInfo {
        name: aeif::MODEL,
        kind: ModelKind::Neuron,
        summary: "adaptive exponential integrate-and-fire, delta synapses, Clopath archive",
        inputs: aeif::INPUTS,
        current_channel: Some(1),
        recordables: aeif::RECORDABLES,
        archive: Some(Archive::Clopath),
        describe: aeif::describe,
    },
    ModelInfo {
        name: hh::MODEL,
        kind: ModelKind::Neuron,
        summary: "Hodgkin-Huxley, alpha-shaped synaptic currents, Clopath archive",
        inputs: hh::INPUTS,
        current_channel: Some(2),
        recordables: hh::RECORDABLES,
        archive: Some(Archive::Clopath),
        describe: hh::describe,
    },
    ModelInfo {
        name: parrot_neuron::MODEL,
        kind: ModelKind::Neuron,
        summary: "repeats every incoming spike",
        inputs: parrot_neuron::INPUTS,
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: no_params,
    },
    ModelInfo {
        name: spike_generator::MODEL,
        kind: ModelKind::Generator,
        summary: "spikes at given times",
        inputs: &[],
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: spike_generator::describe,
    },
    ModelInfo {
        name: poisson_generator::MODEL,
        kind: ModelKind::Generator,
        summary: "an independent Poisson train per target",
        inputs: &[],
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: poisson_generator::describe,
    },
    ModelInfo {
        name: inhomogeneous_poisson_generator::MODEL,
        kind: ModelKind::Generator,
        summary: "an independent Poisson train per target, piecewise-constant rate",
        inputs: &[],
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: inhomogeneous_poisson_generator::describe,
    },
    ModelInfo {
        name: dc_generator::MODEL,
        kind: ModelKind::Generator,
        summary: "constant current",
        inputs: &[],
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: dc_generator::describe,
    },
    ModelInfo {
        name: spike_recorder::MODEL,
        kind: ModelKind::Recorder,
        summary: "records spikes of the nodes connected to it",
        inputs: &[],
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: no_params,
    },
    ModelInfo {
        name: multimeter::MODEL,
        kind: ModelKind::Recorder,
        summary: "samples state of the neurons it is connected to",
        inputs: &[],
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: multimeter::describe,
    },
    ModelInfo {
        name: weight_recorder::MODEL,
        kind: ModelKind::Recorder,
        summary: "records weights of plastic synapses at each presynaptic spike",
        inputs: &[],
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: no_params,
    },
    ModelInfo {
        name: static_synapse::MODEL,
        kind: ModelKind::Synapse,
        summary: "fixed weight and delay",
        inputs: &[],
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: static_describe,
    },
    ModelInfo {
        name: clopath_synapse::MODEL,
        kind: ModelKind::Synapse,
        summary: "Clopath voltage-based STDP (needs a Clopath archive on the target)",
        inputs: &[],
        current_channel: None,
        recordables: &[],
        archive: None,
        describe: clopath_synapse::describe,
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
    Parrot,
    SpikeGenerator(spike_generator::Params),
    PoissonGenerator(poisson_generator::Params),
    DcGenerator(dc_generator::Params),
    SpikeRecorder,
    Multimeter(multimeter::Params),
    WeightRecorder,
}

/// Reads one node's parameters for `model`.
pub fn parse_node(
    model: &ModelInfo,
    map: &ParamMap,
    res: Resolution,
) -> Result<NodeParams, BuildError> {
    Ok(match model.name {
        aeif::MODEL => NodeParams::Aeif(Box::new(aeif::parse(map, res)?)),
        hh::MODEL => NodeParams::Hh(Box::new(hh::parse(map, res)?)),
        parrot_neuron::MODEL => {
            parrot_neuron::parse(map)?;
            NodeParams::Parrot
        }
        spike_generator::MODEL => NodeParams::SpikeGenerator(spike_generator::parse(map, res)?),
        poisson_generator::MODEL => NodeParams::PoissonGenerator(poisson_generator::parse(map)?),
        inhomogeneous_poisson_generator::MODEL => {
            NodeParams::PoissonGenerator(inhomogeneous_poisson_generator::parse(map, res)?)
        }
        dc_generator::MODEL => NodeParams::DcGenerator(dc_generator::parse(map)?),
        spike_recorder::MODEL => {
            spike_recorder::parse(map)?;
            NodeParams::SpikeRecorder
        }
        multimeter::MODEL => NodeParams::Multimeter(multimeter::parse(map, res)?),
        weight_recorder::MODEL => {
            weight_recorder::parse(map)?;
            NodeParams::WeightRecorder
        }
        other => {
            return Err(BuildError::Connect(format!(
                "'{other}' is a synapse model; create nodes of a neuron or device model and use it in syn_spec"
            )))
        }
    })
}
