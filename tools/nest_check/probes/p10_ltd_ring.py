"""Probe 10 (found while cross-checking): NEST's Clopath LTD ring holds only max_delay + 1
entries (nest-models.md 2.2/2.4). When min_delay > h, a synapse whose delay is close to
max_delay looks up the LTD entry at t_s - d after it has been overwritten, and gets NO LTD.

Setup: an aeif_psc_delta_clopath held depolarised by I_e (u_bar_minus > theta_minus every
step, so an LTD entry is written every step, no spikes). Three parrots fire once each, at
20.1, 20.5 and 21.0 ms, onto it through clopath_synapse (weight 1, delay d). It is each
synapse's first spike (x_bar = 0, no LTP), so 1 - weight is exactly the LTD value read.
min_delay is set by an extra parrot -> parrot connection (the weight_recorder is not
connected, so it does not count)."""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR


def run(d, extra_delay):
    nest.ResetKernel()
    nest.resolution = 0.1
    n = nest.Create("aeif_psc_delta_clopath", params={"I_e": 150.0})
    times = [20.1, 20.5, 21.0]
    gens = nest.Create("spike_generator", 3, params=[{"spike_times": [t - 0.1 * 0 - extra_delay]} for t in times])
    par = nest.Create("parrot_neuron", 3)
    wr = nest.Create("weight_recorder")
    nest.CopyModel("clopath_synapse", "cw", {"weight_recorder": wr})
    nest.Connect(gens, par, "one_to_one", syn_spec={"delay": extra_delay})
    nest.Connect(par, n, syn_spec={"synapse_model": "cw", "weight": 1.0, "delay": d})
    x = nest.Create("parrot_neuron", 2)
    nest.Connect(x[0], x[1], syn_spec={"delay": extra_delay})
    nest.Simulate(40.0)
    ev = wr.events
    res = {round(float(t), 1): 1.0 - float(w) for t, w in zip(ev["times"], ev["weights"])}
    return nest.GetKernelStatus(["min_delay", "max_delay"]), res


for d in (2.5, 1.0):
    for extra in (0.1, 1.0, 2.5):
        (mind, maxd), res = run(d, extra)
        shown = ", ".join(f"t_s={t}: LTD={v:.6g}" for t, v in sorted(res.items()))
        print(f"clopath delay {d}, min_delay {mind}, max_delay {maxd}: {shown}")
