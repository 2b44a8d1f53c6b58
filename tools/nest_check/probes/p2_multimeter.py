"""Probe 2: multimeter sample times (interval 0.1 and 1.0), first and last sample, and
whether the recorded value is the state at the end of the step."""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR

for interval in (0.1, 1.0):
    for T in (5.0, 5.3):
        nest.ResetKernel()
        nest.resolution = 0.1
        n = nest.Create("iaf_psc_delta")
        mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": interval})
        nest.Connect(mm, n)
        nest.Simulate(T)
        t = [float(x) for x in mm.events["times"]]
        print(f"interval {interval}, Simulate({T}): n = {len(t)}, first = {t[0]!r}, second = {t[1]!r}, last = {t[-1]!r}")

print("== two Simulate calls (2.0 then 3.0), interval 1.0")
nest.ResetKernel()
n = nest.Create("iaf_psc_delta")
mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 1.0})
nest.Connect(mm, n)
nest.Simulate(2.0)
nest.Simulate(3.0)
print("  times:", [float(x) for x in mm.events["times"]])

print("== value = state at end of step? iaf_psc_delta, E_L = 0, I_e = 0, one input spike of 1 mV")
print("   (spike_generator at 2.0, delay 1.0 -> arrives in the step ending at 3.0)")
nest.ResetKernel()
nest.resolution = 0.1
g = nest.Create("spike_generator", params={"spike_times": [2.0]})
n = nest.Create("iaf_psc_delta", params={"E_L": 0.0, "V_m": 0.0, "V_reset": 0.0, "V_th": 100.0, "tau_m": 10.0})
mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
nest.Connect(g, n, syn_spec={"weight": 1.0, "delay": 1.0})
nest.Connect(mm, n)
nest.Simulate(4.0)
for t, v in zip(mm.events["times"], mm.events["V_m"]):
    if 2.75 < t < 3.35:
        print(f"  t={t:.1f} V_m={float(v)!r}")
print("== aeif_psc_delta_clopath: same input (static, weight 2.0)")
nest.ResetKernel()
nest.resolution = 0.1
g = nest.Create("spike_generator", params={"spike_times": [2.0]})
n = nest.Create("aeif_psc_delta_clopath")
mm = nest.Create("multimeter", params={"record_from": ["V_m", "u_bar_plus", "u_bar_minus", "u_bar_bar", "w", "z", "V_th"], "interval": 0.1})
nest.Connect(g, n, syn_spec={"weight": 2.0, "delay": 1.0})
nest.Connect(mm, n)
nest.Simulate(4.0)
ev = mm.events
for i, t in enumerate(ev["times"]):
    if 2.75 < t < 3.25 or t < 0.25:
        print(f"  t={t:.1f} V_m={float(ev['V_m'][i])!r} u_bar_minus={float(ev['u_bar_minus'][i])!r}")
print("  recordables aeif_psc_delta_clopath:", nest.GetDefaults("aeif_psc_delta_clopath")["recordables"])
print("  recordables hh_psc_alpha_clopath:", nest.GetDefaults("hh_psc_alpha_clopath")["recordables"])
print("  multimeter defaults:", {k: nest.GetDefaults("multimeter")[k] for k in ("interval", "offset", "start", "stop", "origin")})
print("== interval not a multiple of the resolution (0.25)")
try:
    nest.ResetKernel()
    nest.Create("multimeter", params={"interval": 0.25})
    print("  accepted")
except Exception as e:
    print("  ERROR:", e)

print("== last sample vs min_delay: Simulate(5.0), interval 0.1, plus a neuron->neuron static connection of delay d")
for d in (None, 0.1, 0.5, 2.5):
    nest.ResetKernel()
    nest.resolution = 0.1
    n = nest.Create("iaf_psc_delta", 2)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    nest.Connect(mm, n)
    if d is not None:
        nest.Connect(n[0], n[1], syn_spec={"delay": d})
    nest.Simulate(5.0)
    ks = nest.GetKernelStatus(["min_delay", "max_delay"])
    t = mm.events["times"]
    print(f"  d={d}: min/max_delay={ks}, n samples={len(t)}, last={float(t.max())!r}")
print("== Simulate(5.0) then Simulate(0.1)... is the tail delivered later? (no neuron conns)")
nest.ResetKernel()
n = nest.Create("iaf_psc_delta")
mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
nest.Connect(mm, n)
nest.Simulate(5.0)
a = mm.events["times"].max()
nest.Simulate(0.1)
print(f"  after Simulate(5.0): last={float(a)!r}; after another Simulate(0.1): last={float(mm.events['times'].max())!r}, n={len(mm.events['times'])}")
