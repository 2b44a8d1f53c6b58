"""What NEST 3.10 does with Connect after Simulate (for evplast's Create/Connect between runs).

A clopath_synapse from a parrot onto an aeif_psc_delta_clopath neuron (driven to spike at
10, 20, 30, 40, 60, 70 ms) is connected either before the first Simulate(50) or between it and
Simulate(100); its presynaptic spikes come at 55 and 75 ms, or at 50.0 (emitted in the last
slice of the first run) and 75, or at 45.1 and 75. The neuron has another plastic input, or
none. Also: a connection whose delay would change min_delay/max_delay after Simulate.
"""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR


def run(connect_late, pre_times, other_plastic):
    nest.ResetKernel()
    nrn = nest.Create("aeif_psc_delta_clopath")
    sgp = nest.Create("spike_generator", params={"spike_times": [10.0, 20.0, 30.0, 40.0, 60.0, 70.0]})
    nest.Connect(sgp, nrn, syn_spec={"weight": 1000.0, "delay": 0.1})
    prrt = nest.Create("parrot_neuron")
    sg = nest.Create("spike_generator", params={"spike_times": pre_times})
    nest.Connect(sg, prrt, syn_spec={"delay": 0.1})
    d1, d2 = nest.Create("parrot_neuron", 2)
    nest.Connect(d1, d2, syn_spec={"delay": 1.0})  # min/max delay fixed from the start
    if other_plastic:
        p2 = nest.Create("parrot_neuron")
        nest.Connect(p2, nrn, syn_spec={"synapse_model": "clopath_synapse", "weight": 1.0, "delay": 1.0})
    syn = {"synapse_model": "clopath_synapse", "weight": 10.0, "delay": 1.0}
    if not connect_late:
        nest.Connect(prrt, nrn, syn_spec=syn)
    nest.Simulate(50.0)
    if connect_late:
        nest.Connect(prrt, nrn, syn_spec=syn)
    nest.Simulate(100.0)
    return round(nest.GetConnections(prrt, nrn).weight, 9)


for other in (True, False):
    for pre in ([55.0, 75.0], [49.9, 75.0], [45.0, 75.0]):
        print(f"other plastic input {other!s:5} pre {pre}: connected at 0: {run(False, pre, other)}"
              f"  connected at 50: {run(True, pre, other)}")

nest.ResetKernel()
a, b = nest.Create("parrot_neuron", 2)
nest.Connect(a, b, syn_spec={"delay": 1.0})
nest.Simulate(10.0)
for d in (2.0, 0.5, 1.0):
    try:
        nest.Connect(a, b, syn_spec={"delay": d})
        print(f"Connect after Simulate, delay {d}: ok")
    except nest.NESTError as e:
        print(f"Connect after Simulate, delay {d}: {type(e).__name__}: {e}")
