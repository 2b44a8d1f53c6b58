"""Probe 8: does a spike_recorder record a spike emitted in the very last step of
Simulate(T) (stamp T)? Checked for spikes of a spike_generator, of a parrot and of an aeif
neuron, for several min_delay values (all connections get delay D, so min_delay = D), and for
T a multiple of min_delay or not."""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR

for T, D in ((10.0, 0.1), (10.0, 1.0), (10.0, 3.0), (10.3, 1.0)):
    nest.ResetKernel()
    nest.resolution = 0.1
    times = [round(T - D - 1.0, 1), round(T - D - 0.1, 1), round(T - D, 1), round(T - 0.1, 1), T, round(T + 0.1, 1)]
    g = nest.Create("spike_generator", params={"spike_times": times})
    p = nest.Create("parrot_neuron")
    srg = nest.Create("spike_recorder")
    srp = nest.Create("spike_recorder")
    nest.Connect(g, p, syn_spec={"delay": D})
    nest.Connect(g, srg, syn_spec={"delay": D})
    nest.Connect(p, srp, syn_spec={"delay": D})
    nest.Simulate(T)
    print(f"Simulate({T}) min_delay {nest.min_delay}: generator spikes at {times}")
    print(f"  spike_recorder on generator: {[round(float(t), 1) for t in srg.events['times']]}")
    print(f"  spike_recorder on parrot (parrot spike = generator spike + {D}): {[round(float(t), 1) for t in srp.events['times']]}")

print("== aeif_psc_delta_clopath firing in the last step (input of 80 mV arriving at T - 0.1; aeif fires one step later)")
for T, D in ((10.0, 0.1), (10.0, 1.0)):
    nest.ResetKernel()
    g = nest.Create("spike_generator", params={"spike_times": [round(T - 0.1 - D, 1)]})
    n = nest.Create("aeif_psc_delta_clopath")
    sr = nest.Create("spike_recorder")
    nest.Connect(g, n, syn_spec={"weight": 80.0, "delay": D})
    nest.Connect(n, sr, syn_spec={"delay": D})
    nest.Simulate(T)
    print(f"  Simulate({T}), min_delay {nest.min_delay}: recorded spikes {[float(t) for t in sr.events['times']]}")
