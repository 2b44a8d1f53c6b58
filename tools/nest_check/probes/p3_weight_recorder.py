"""Probe 3: weight_recorder `times` (presynaptic spike stamp or arrival time?) and the
meaning of `senders`/`targets`. Also: spikes emitted in the last slice are not delivered."""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR

for d in (0.1, 2.5):
    nest.ResetKernel()
    nest.resolution = 0.1
    g = nest.Create("spike_generator", params={"spike_times": [10.0, 20.0]})   # id 1
    p = nest.Create("parrot_neuron")                                          # id 2
    n = nest.Create("aeif_psc_delta_clopath", 2)                              # ids 3, 4
    wr = nest.Create("weight_recorder")                                       # id 5
    sr = nest.Create("spike_recorder")                                        # id 6
    nest.CopyModel("clopath_synapse", "clopath_wr", {"weight_recorder": wr})
    nest.Connect(g, p, syn_spec={"delay": 1.0})
    nest.Connect(p, n, syn_spec={"synapse_model": "clopath_wr", "weight": 1.0, "delay": d})
    nest.Connect(p, sr)
    nest.Simulate(30.0)
    ev = wr.events
    print(f"clopath delay {d}: parrot spike times {list(map(float, sr.events['times']))}")
    for k in range(len(ev["times"])):
        print(f"  senders={ev['senders'][k]} targets={ev['targets'][k]} times={float(ev['times'][k])!r} weights={float(ev['weights'][k])!r}")

for src in ("spike_generator", "parrot_neuron"):
    for syn, tgt in (("static_synapse", "iaf_psc_alpha"), ("clopath_synapse", "aeif_psc_delta_clopath")):
        print(f"== {src} -> {tgt} via a copy of {syn} with weight_recorder (spike at 10.0, delay 2.0)")
        nest.ResetKernel()
        g = nest.Create("spike_generator", params={"spike_times": [10.0]})
        if src == "parrot_neuron":
            p = nest.Create("parrot_neuron")
            nest.Connect(g, p, syn_spec={"delay": 1.0})
            g = p
        n = nest.Create(tgt)
        wr = nest.Create("weight_recorder")
        nest.CopyModel(syn, "syn_wr", {"weight_recorder": wr})
        try:
            nest.Connect(g, n, syn_spec={"synapse_model": "syn_wr", "weight": 3.0, "delay": 2.0})
            nest.Simulate(30.0)
            print("  ", {k: [float(x) for x in wr.events[k]] for k in ("senders", "targets", "times", "weights")})
        except Exception as e:
            print("   ERROR:", e)

print("== spikes emitted in the last slice: parrot spikes at 28.0, 29.5, 29.9, 30.0; Simulate(30.0)")
print("   network min_delay = 1.0 (all delays 1.0)")
nest.ResetKernel()
nest.resolution = 0.1
g = nest.Create("spike_generator", params={"spike_times": [27.0, 28.5, 28.9, 29.0]})
p = nest.Create("parrot_neuron")
n = nest.Create("aeif_psc_delta_clopath")
wr = nest.Create("weight_recorder")
sr = nest.Create("spike_recorder")
nest.CopyModel("clopath_synapse", "clopath_wr", {"weight_recorder": wr})
nest.Connect(g, p, syn_spec={"delay": 1.0})
nest.Connect(p, n, syn_spec={"synapse_model": "clopath_wr", "weight": 1.0, "delay": 1.0})
nest.Connect(p, sr)
nest.Simulate(30.0)
print("  parrot spikes recorded:", list(map(float, sr.events["times"])))
print("  weight_recorder times :", list(map(float, wr.events["times"])))
nest.Simulate(1.0)
print("  after Simulate(1.0) more, weight_recorder times:", list(map(float, wr.events["times"])))
