"""Probe 9: reproduce the 12 reference values of NEST's test_clopath_synapse.py
(test_SynapseDepressionFacilitation) with NEST 3.10 (nest-models.md section 8.1 item 2).
The protocol is re-written here from the description in the spec, not copied."""
import numpy as np
import nest

nest.verbosity = nest.VerbosityLevel.ERROR

PROTOCOLS = [
    ([29.0, 129.0, 229.0, 329.0, 429.0], [19.0, 119.0, 219.0, 319.0, 419.0]),
    ([29.0, 62.3, 95.7, 129.0, 162.3], [19.0, 52.3, 85.7, 119.0, 152.3]),
    ([29.0, 49.0, 69.0, 89.0, 109.0], [19.0, 39.0, 59.0, 79.0, 99.0]),
    ([129.0, 229.0, 329.0, 429.0, 529.0, 629.0], [139.0, 239.0, 339.0, 439.0, 539.0, 639.0]),
    ([62.3, 95.6, 129.0, 162.3, 195.6, 229.0], [72.3, 105.6, 139.0, 172.3, 205.6, 239.0]),
    ([49.0, 69.0, 89.0, 109.0, 129.0, 149.0], [59.0, 79.0, 99.0, 119.0, 139.0, 159.0]),
]
AEIF = {"V_m": -70.6, "E_L": -70.6, "C_m": 281.0, "theta_minus": -70.6, "theta_plus": -45.3,
        "A_LTD": 14.0e-5, "A_LTP": 8.0e-5, "tau_u_bar_minus": 10.0, "tau_u_bar_plus": 7.0,
        "delay_u_bars": 4.0, "a": 4.0, "b": 0.0805, "V_reset": -70.6 + 21.0, "V_clamp": 33.0,
        "t_clamp": 2.0, "t_ref": 0.0, "V_peak": 33.0}
HH = {"V_m": -64.9, "C_m": 100.0, "tau_syn_ex": 0.2, "tau_syn_in": 2.0, "theta_minus": -64.9,
      "theta_plus": -35.0, "A_LTD": 14.0e-5, "A_LTP": 8.0e-5, "tau_u_bar_minus": 10.0,
      "tau_u_bar_plus": 114.0, "delay_u_bars": 5.0}
EXPECTED = {
    "aeif_psc_delta_clopath": [57.82638722, 72.16730112, 149.43359357, 103.30408341, 124.03640668, 157.02882555],
    "hh_psc_alpha_clopath": [70.14343863, 99.49206222, 178.1028757, 119.63314118, 167.37750688, 178.83111685],
}


def run(model, params, drive, pre, post, init_w=0.5):
    nest.ResetKernel()
    nest.resolution = 0.1
    nrn = nest.Create(model, 1, params)
    pre_gen = nest.Create("spike_generator", 1, {"spike_times": pre})
    post_gen = nest.Create("spike_generator", 1, {"spike_times": post})
    parrot = nest.Create("parrot_neuron")
    wr = nest.Create("weight_recorder")
    nest.CopyModel("clopath_synapse", "clopath_wr", {"weight_recorder": wr})
    nest.Connect(pre_gen, parrot, syn_spec={"delay": 0.1})
    nest.Connect(post_gen, nrn, syn_spec={"delay": 0.1, "weight": drive})
    nest.Connect(parrot, nrn, syn_spec={"synapse_model": "clopath_wr", "weight": init_w, "delay": 0.1})
    nest.Simulate(10.0 + max(pre[-1], post[-1]))
    ev = wr.events
    w = ev["weights"][-1]
    w = float(w)
    return w, 100.0 * 15.0 * (w - init_w) / init_w + 100.0


ok = True
for model, params, drive in [("aeif_psc_delta_clopath", AEIF, 80.0), ("hh_psc_alpha_clopath", HH, 2000.0)]:
    for i, (pre, post) in enumerate(PROTOCOLS):
        w, v = run(model, params, drive, pre, post)
        exp = EXPECTED[model][i]
        good = bool(np.isclose(v, exp, rtol=1e-7, atol=0.0))
        ok &= good
        print(f"{model} row {i+1}: raw w = {w!r}  normalised = {v!r}  expected {exp}  rel err {abs(v-exp)/exp:.2e}  {'OK' if good else 'MISMATCH'}")
print("ALL MATCH at rtol 1e-7" if ok else "SOME MISMATCH")
