"""How far back a clopath_synapse connected between runs reads (NEST 3.10).

As p11, with a post spike at 47 ms and presynaptic spikes soon after the connection at 50 ms, so
that the first window (t_s − d, ...] and the LTD at t_s − d reach back before the connection
(delay 1 or 3 ms). The neuron has another plastic input (which never spikes), or none.
"""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR


def run(connect_late, pre_times, other_plastic, d):
    nest.ResetKernel()
    nrn = nest.Create("aeif_psc_delta_clopath")
    sgp = nest.Create("spike_generator", params={"spike_times": [10.0, 20.0, 30.0, 40.0, 47.0, 60.0, 70.0]})
    nest.Connect(sgp, nrn, syn_spec={"weight": 1000.0, "delay": 0.1})
    prrt = nest.Create("parrot_neuron")
    sg = nest.Create("spike_generator", params={"spike_times": pre_times})
    nest.Connect(sg, prrt, syn_spec={"delay": 0.1})
    d1, d2 = nest.Create("parrot_neuron", 2)
    nest.Connect(d1, d2, syn_spec={"delay": 3.0})  # max_delay 3 ms from the start
    nest.Connect(d1, d2, syn_spec={"delay": 0.1})
    if other_plastic:
        p2 = nest.Create("parrot_neuron")
        nest.Connect(p2, nrn, syn_spec={"synapse_model": "clopath_synapse", "weight": 1.0, "delay": 1.0})
    syn = {"synapse_model": "clopath_synapse", "weight": 10.0, "delay": d}
    if not connect_late:
        nest.Connect(prrt, nrn, syn_spec=syn)
    nest.Simulate(50.0)
    if connect_late:
        nest.Connect(prrt, nrn, syn_spec=syn)
    nest.Simulate(100.0)
    return round(nest.GetConnections(prrt, nrn).weight, 9)


for other in (True, False):
    for d in (1.0, 3.0):
        for pre in ([50.3, 75.0], [51.0, 75.0], [52.0, 53.0, 75.0]):
            print(f"other plastic input {other!s:5} d {d} pre {pre}: connected at 0: {run(False, pre, other, d)}"
                  f"  connected at 50: {run(True, pre, other, d)}")
