"""Probe 5: a parrot_neuron receiving multiplicity > 1 in one step (from a poisson_generator
and from a spike_generator with repeated times): rows in a spike_recorder on the parrot, and
the effect downstream."""
from collections import Counter
import nest

nest.verbosity = nest.VerbosityLevel.ERROR

print("== poisson_generator (rate 20000 Hz, mean 2 spikes per 0.1 ms step) -> parrot -> spike_recorder, 5 ms")
nest.ResetKernel()
nest.resolution = 0.1
pg = nest.Create("poisson_generator", params={"rate": 20000.0})
p = nest.Create("parrot_neuron")
sr = nest.Create("spike_recorder")
nest.Connect(pg, p, syn_spec={"delay": 1.0})
nest.Connect(p, sr)
nest.Simulate(5.0)
c = Counter(round(float(t), 1) for t in sr.events["times"])
print(f"  {len(sr.events['times'])} rows for {len(c)} distinct times; rows per time: {dict(sorted(Counter(c.values()).items()))} (count: number of times)")
print("  first rows:", [(int(s), float(t)) for s, t in list(zip(sr.events["senders"], sr.events["times"]))[:8]])

print("== spike_generator [2.0, 2.0, 2.0] -> parrot (delay 1.0) -> iaf_psc_delta (weight 1.0, delay 1.0)")
nest.ResetKernel()
g = nest.Create("spike_generator", params={"spike_times": [2.0, 2.0, 2.0]})
p = nest.Create("parrot_neuron")
n = nest.Create("iaf_psc_delta", params={"E_L": 0.0, "V_m": 0.0, "V_reset": 0.0, "V_th": 1e9, "tau_m": 1e12})
sr = nest.Create("spike_recorder")
srg = nest.Create("spike_recorder")
nest.Connect(g, p, syn_spec={"delay": 1.0})
nest.Connect(p, n, syn_spec={"delay": 1.0, "weight": 1.0})
nest.Connect(p, sr)
nest.Connect(g, srg)
nest.Simulate(6.0)
print("  spike_recorder on generator:", [float(t) for t in srg.events["times"]])
print("  spike_recorder on parrot:", [float(t) for t in sr.events["times"]], " target V_m after:", n.V_m)

print("== does a parrot with multiplicity 3 drive a clopath_synapse once or three times? weight_recorder rows")
nest.ResetKernel()
g = nest.Create("spike_generator", params={"spike_times": [2.0, 2.0, 2.0]})
p = nest.Create("parrot_neuron")
n = nest.Create("aeif_psc_delta_clopath")
wr = nest.Create("weight_recorder")
mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
nest.CopyModel("clopath_synapse", "cw", {"weight_recorder": wr})
nest.Connect(g, p, syn_spec={"delay": 1.0})
nest.Connect(p, n, syn_spec={"synapse_model": "cw", "delay": 1.0, "weight": 1.0})
nest.Connect(mm, n)
nest.Simulate(6.0)
v = dict(zip([round(float(t), 1) for t in mm.events["times"]], mm.events["V_m"]))
print("  weight_recorder rows:", [(float(t), float(w)) for t, w in zip(wr.events["times"], wr.events["weights"])],
      f" V_m jump at 4.0: {float(v[4.0] - v[3.9])!r}")
