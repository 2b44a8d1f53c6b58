"""Probe 7: default weight/delay of static_synapse and clopath_synapse; error text for a
clopath_synapse onto iaf_psc_alpha; weight sign differing from Wmax (and Wmin)."""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR
for m in ("static_synapse", "clopath_synapse", "urbanczik_synapse"):
    d = nest.GetDefaults(m)
    print(f"{m}: " + ", ".join(f"{k}={d[k]!r}" for k in ("weight", "delay", "Wmin", "Wmax", "tau_x", "x_bar", "tau_Delta", "eta", "receptor_type") if k in d))

print("== Connect without syn_spec weight/delay: realised values")
nest.ResetKernel()
n = nest.Create("aeif_psc_delta_clopath", 2)
nest.Connect(n[0], n[1], syn_spec={"synapse_model": "clopath_synapse"})
nest.Connect(n[1], n[0])
print("  ", nest.GetConnections().get(["source", "target", "synapse_model", "weight", "delay"]))


def attempt(label, fn):
    try:
        fn()
        print(f"  {label}: accepted")
    except Exception as e:
        print(f"  {label}: {type(e).__name__}: {' '.join(str(e).split())}")


print("== clopath_synapse onto iaf_psc_alpha / from iaf_psc_alpha / parrot onto pp_cond_exp_mc_urbanczik")
nest.ResetKernel()
iaf = nest.Create("iaf_psc_alpha")
par = nest.Create("parrot_neuron")
aeif = nest.Create("aeif_psc_delta_clopath")
attempt("parrot -> iaf_psc_alpha (clopath_synapse)", lambda: nest.Connect(par, iaf, syn_spec={"synapse_model": "clopath_synapse"}))
attempt("iaf_psc_alpha -> aeif_psc_delta_clopath (clopath_synapse)", lambda: nest.Connect(iaf, aeif, syn_spec={"synapse_model": "clopath_synapse"}))
attempt("parrot -> parrot (clopath_synapse)", lambda: nest.Connect(par, par, syn_spec={"synapse_model": "clopath_synapse"}))

print("== weight sign vs Wmax/Wmin (parrot -> aeif_psc_delta_clopath)")
for syn in ({"weight": -0.5}, {"weight": -0.5, "tau_x": 10.0}, {"weight": -0.5, "Wmin": 0.0}, {"weight": -0.5, "Wmax": 100.0}, {"weight": 0.0, "Wmin": -1.0, "Wmax": 1.0}, {"weight": -0.5, "Wmax": -1.0}, {"weight": 0.5, "Wmax": -1.0}, {"weight": -0.5, "Wmin": -1.0},
            {"weight": -0.5, "Wmin": -1.0, "Wmax": 0.0}, {"weight": 0.0, "Wmin": 0.0, "Wmax": 1.0}, {"weight": 0.0, "Wmin": -1.0, "Wmax": 0.0},
            {"weight": 0.5, "Wmin": 0.0, "Wmax": 0.0}, {"weight": -0.5, "Wmin": 0.0, "Wmax": 0.0}, {"weight": 150.0}, {"weight": 0.5, "Wmin": 1.0}, {"weight": 1.0, "Wmin": 2.0, "Wmax": 1.5}):
    nest.ResetKernel()
    par = nest.Create("parrot_neuron")
    aeif = nest.Create("aeif_psc_delta_clopath")
    attempt(f"Connect syn_spec {syn}", lambda: nest.Connect(par, aeif, syn_spec=dict(synapse_model="clopath_synapse", **syn)))
for d in ({"Wmax": -1.0}, {"Wmin": -1.0, "Wmax": -0.5}):
    nest.ResetKernel()
    attempt(f"SetDefaults(clopath_synapse, {d}) with default weight 1.0", lambda: nest.SetDefaults("clopath_synapse", d))
    attempt(f"CopyModel(clopath_synapse, x, {d})", lambda: nest.CopyModel("clopath_synapse", "x", d))
print("== what happens to a weight outside [Wmin, Wmax] once it is updated? one pre spike at 11.0 (t > delay_u_bars: tiny LTD)")
for syn in ({"weight": 150.0}, {"weight": -0.5}, {"weight": 0.5, "Wmin": 1.0}):
    nest.ResetKernel()
    g = nest.Create("spike_generator", params={"spike_times": [10.0]})
    par = nest.Create("parrot_neuron")
    aeif = nest.Create("aeif_psc_delta_clopath")
    wr = nest.Create("weight_recorder")
    nest.CopyModel("clopath_synapse", "cw", {"weight_recorder": wr})
    nest.Connect(g, par)
    nest.Connect(par, aeif, syn_spec=dict(synapse_model="cw", **syn))
    nest.Simulate(20.0)
    print(f"  {syn}: recorded weight after the spike: {list(map(float, wr.events['weights']))}")
print("== delay < resolution / not a multiple")
for dl in (0.05, 0.15, 0.0):
    nest.ResetKernel()
    par = nest.Create("parrot_neuron", 2)
    attempt(f"static delay {dl}", lambda: nest.Connect(par[0], par[1], syn_spec={"delay": dl}))
    if dl in (0.05, 0.15):
        try:
            print("    realised delay:", nest.GetConnections().delay)
        except Exception:
            pass
