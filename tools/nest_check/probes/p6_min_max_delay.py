"""Probe 6: kernel min_delay / max_delay (i) with no connections, (ii) only device
connections, (iii) neuron connections with delays 1.0 and 2.5; do generator connections
(spike_generator, dc_generator, poisson_generator) count toward min_delay?"""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR


def ks(label):
    before = nest.GetKernelStatus(["min_delay", "max_delay"])
    nest.Simulate(1.0)
    after = nest.GetKernelStatus(["min_delay", "max_delay"])
    print(f"  {label:75s} min/max_delay before Simulate {before}, after {after}")


def fresh():
    nest.ResetKernel()
    nest.resolution = 0.1


print("(i) no connections")
fresh(); nest.Create("iaf_psc_alpha", 2); ks("2 neurons, no connections")
print("(ii) only device connections")
fresh(); n = nest.Create("iaf_psc_alpha"); nest.Connect(n, nest.Create("spike_recorder")); nest.Connect(nest.Create("multimeter"), n)
ks("neuron->spike_recorder, multimeter->neuron (default delay)")
for model in ("spike_generator", "dc_generator", "poisson_generator"):
    for d in (0.3, 2.5):
        fresh(); n = nest.Create("iaf_psc_alpha"); g = nest.Create(model)
        nest.Connect(g, n, syn_spec={"delay": d})
        ks(f"{model}->neuron delay {d}")
fresh(); n = nest.Create("iaf_psc_alpha"); nest.Connect(n, nest.Create("spike_recorder"), syn_spec={"delay": 0.3})
ks("neuron->spike_recorder with delay 0.3")
fresh(); n = nest.Create("iaf_psc_alpha"); nest.Connect(nest.Create("multimeter"), n, syn_spec={"delay": 0.3})
ks("multimeter->neuron with delay 0.3")
print("(iii) neuron connections")
fresh(); n = nest.Create("parrot_neuron", 3)
nest.Connect(n[0], n[1], syn_spec={"delay": 1.0}); nest.Connect(n[1], n[2], syn_spec={"delay": 2.5})
ks("parrot->parrot delays 1.0 and 2.5")
fresh(); n = nest.Create("aeif_psc_delta_clopath", 3)
nest.Connect(n[0], n[1], syn_spec={"synapse_model": "clopath_synapse", "delay": 1.0})
nest.Connect(n[1], n[2], syn_spec={"synapse_model": "clopath_synapse", "delay": 2.5})
ks("aeif clopath delays 1.0 and 2.5")
fresh(); n = nest.Create("parrot_neuron", 3); g = nest.Create("spike_generator")
nest.Connect(n[0], n[1], syn_spec={"delay": 1.0}); nest.Connect(n[1], n[2], syn_spec={"delay": 2.5}); nest.Connect(g, n[0], syn_spec={"delay": 0.1})
ks("parrot delays 1.0 and 2.5 + spike_generator->parrot delay 0.1")
fresh(); n = nest.Create("iaf_psc_alpha", 3); g = nest.Create("dc_generator")
nest.Connect(n[0], n[1], syn_spec={"delay": 1.0}); nest.Connect(n[1], n[2], syn_spec={"delay": 2.5}); nest.Connect(g, n[0], syn_spec={"delay": 4.0})
ks("iaf delays 1.0 and 2.5 + dc_generator->iaf delay 4.0")
fresh(); n = nest.Create("iaf_psc_alpha", 3); g = nest.Create("dc_generator")
nest.Connect(n[0], n[1], syn_spec={"delay": 1.0}); nest.Connect(n[1], n[2], syn_spec={"delay": 2.5}); nest.Connect(g, n[0], syn_spec={"delay": 0.2})
ks("iaf delays 1.0 and 2.5 + dc_generator->iaf delay 0.2")
fresh(); n = nest.Create("iaf_psc_alpha", 3)
nest.Connect(n[0], n[1], syn_spec={"delay": 1.0}); nest.Connect(n[1], n[2], syn_spec={"delay": 2.5})
nest.Connect(n, nest.Create("spike_recorder")); nest.Connect(nest.Create("multimeter"), n)
ks("iaf delays 1.0 and 2.5 + recorders with default delay 1.0")
fresh(); n = nest.Create("iaf_psc_alpha", 3)
nest.Connect(n[0], n[1], syn_spec={"delay": 1.5}); nest.Connect(n[1], n[2], syn_spec={"delay": 2.5})
nest.Connect(n, nest.Create("spike_recorder")); nest.Connect(nest.Create("multimeter"), n)
ks("iaf delays 1.5 and 2.5 + recorders with default delay 1.0")
fresh(); n = nest.Create("parrot_neuron", 2)
nest.Connect(n[0], n[1], syn_spec={"delay": 2.5})
ks("parrot->parrot single delay 2.5")
