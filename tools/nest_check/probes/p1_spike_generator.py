"""Probe 1: spike_generator stamps, arrival through a parrot, t = 0, off-grid times,
repeated times, spike_weights."""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR


def chain(spike_times, delay, t_sim=10.0, gen_params=None):
    nest.ResetKernel()
    nest.resolution = 0.1
    g = nest.Create("spike_generator", params=dict(spike_times=spike_times, **(gen_params or {})))
    p = nest.Create("parrot_neuron")
    sr_g = nest.Create("spike_recorder")
    sr_p = nest.Create("spike_recorder")
    nest.Connect(g, p, syn_spec={"delay": delay})
    nest.Connect(g, sr_g)
    nest.Connect(p, sr_p)
    nest.Simulate(t_sim)
    return sr_g.events, sr_p.events


print("== a) spike at 2.0, parrot delay 1.0")
eg, ep = chain([2.0], 1.0)
print("  generator recorded times:", [float(t) for t in eg["times"]], " parrot times:", [float(t) for t in ep["times"]])
print("== a2) spike at 2.0, parrot delay 0.1 and 2.5")
for d in (0.1, 2.5):
    eg, ep = chain([2.0], d)
    print(f"  delay {d}: parrot times:", [float(t) for t in ep["times"]])

print("== b) spike at t = 0.0")
try:
    eg, ep = chain([0.0], 1.0)
    print("  accepted; generator times:", [float(t) for t in eg["times"]], " parrot times:", [float(t) for t in ep["times"]])
except Exception as e:
    print("  ERROR:", e)
print("== b2) spike at t = 0.1 (first step)")
eg, ep = chain([0.1], 1.0)
print("  generator times:", [float(t) for t in eg["times"]], " parrot times:", [float(t) for t in ep["times"]])

print("== c) off-grid time 2.05 (default precise_times=False, allow_offgrid_times=False)")
try:
    eg, ep = chain([2.05], 1.0)
    print("  accepted; generator:", [float(t) for t in eg["times"]], "parrot:", [float(t) for t in ep["times"]])
except Exception as e:
    print("  ERROR:", e)
print("== c2) off-grid 2.05 with allow_offgrid_times=True")
eg, ep = chain([2.05], 1.0, gen_params={"allow_offgrid_times": True})
print("  generator:", [float(t) for t in eg["times"]], "parrot:", [float(t) for t in ep["times"]])
print("== c3) float noise and tic rounding (1 tic = 0.001 ms)")
for t in [62.3, 95.7, 0.1 * 3, 2.0000001, 2.0000006, 2.0004, 2.0004999, 2.0005, 2.001]:
    try:
        eg, ep = chain([t], 0.1, t_sim=100.0)
        print(f"  {t!r}: accepted; generator: {[float(t) for t in eg['times']]} parrot: {[float(t) for t in ep['times']]}")
    except Exception as e:
        print(f"  {t!r}: ERROR:", e)

print("== d) repeated times [2.0, 2.0, 3.0, 3.0, 3.0] (multiplicity)")
try:
    eg, ep = chain([2.0, 2.0, 3.0, 3.0, 3.0], 1.0)
    print("  generator rows:", [float(t) for t in eg["times"]], " parrot rows:", [float(t) for t in ep["times"]])
except Exception as e:
    print("  ERROR:", e)
print("== d2) unsorted times [3.0, 2.0]")
try:
    eg, ep = chain([3.0, 2.0], 1.0)
    print("  accepted; generator:", [float(t) for t in eg["times"]])
except Exception as e:
    print("  ERROR:", e)

print("== e) spike_weights: generator [2.0, 4.0] weights [3.0, -0.5] -> iaf_psc_delta (tau_m huge, V_th huge) connection weight 2.0")
nest.ResetKernel()
nest.resolution = 0.1
g = nest.Create("spike_generator", params={"spike_times": [2.0, 4.0], "spike_weights": [3.0, -0.5]})
n = nest.Create("iaf_psc_delta", params={"E_L": 0.0, "V_m": 0.0, "V_reset": 0.0, "V_th": 1e9, "tau_m": 1e12, "C_m": 1.0})
mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
nest.Connect(g, n, syn_spec={"weight": 2.0, "delay": 1.0})
nest.Connect(mm, n)
nest.Simulate(7.0)
ev = mm.events
prev = None
for t, v in zip(ev["times"], ev["V_m"]):
    if prev is None or abs(v - prev) > 1e-12:
        print(f"  t={t:.1f} V_m={float(v)!r}")
    prev = v
print("  => V jump per spike = spike_weight * connection weight (6.0 then -1.0) if the above shows 6, 5")
print("== e2) spike_weights with multiplicity: times [2.0, 2.0], weights [1.0, 3.0], conn weight 1.0")
nest.ResetKernel()
g = nest.Create("spike_generator", params={"spike_times": [2.0, 2.0], "spike_weights": [1.0, 3.0]})
n = nest.Create("iaf_psc_delta", params={"E_L": 0.0, "V_m": 0.0, "V_reset": 0.0, "V_th": 1e9, "tau_m": 1e12, "C_m": 1.0})
nest.Connect(g, n, syn_spec={"weight": 1.0, "delay": 1.0})
nest.Simulate(5.0)
print("  final V_m:", n.V_m)
print("== e3) spike_weights length mismatch")
try:
    nest.ResetKernel()
    nest.Create("spike_generator", params={"spike_times": [2.0, 3.0], "spike_weights": [1.0]})
    print("  accepted")
except Exception as e:
    print("  ERROR:", e)
print("== e4) spike_weights to a parrot: does the parrot forward the weight? gen weights [5.0] -> parrot -> iaf_psc_delta weight 1.0")
nest.ResetKernel()
g = nest.Create("spike_generator", params={"spike_times": [2.0], "spike_weights": [5.0]})
p = nest.Create("parrot_neuron")
n = nest.Create("iaf_psc_delta", params={"E_L": 0.0, "V_m": 0.0, "V_reset": 0.0, "V_th": 1e9, "tau_m": 1e12, "C_m": 1.0})
sr = nest.Create("spike_recorder")
nest.Connect(g, p, syn_spec={"weight": 1.0, "delay": 1.0})
nest.Connect(p, n, syn_spec={"weight": 1.0, "delay": 1.0})
nest.Connect(p, sr)
nest.Simulate(6.0)
print("  parrot spikes:", list(sr.events["times"]), " final V_m of target:", n.V_m)
print("== e5) sign of spike_weight x connection weight picks the receptor of hh_psc_alpha_clopath (I_syn_ex vs I_syn_in)")
for cw, sw in ((-100.0, -1.0), (-100.0, 1.0), (100.0, -1.0), (100.0, 1.0)):
    nest.ResetKernel()
    n = nest.Create("hh_psc_alpha_clopath")
    g = nest.Create("spike_generator", params={"spike_times": [2.0], "spike_weights": [sw]})
    mm = nest.Create("multimeter", params={"record_from": ["I_syn_ex", "I_syn_in"], "interval": 0.1})
    nest.Connect(g, n, syn_spec={"weight": cw, "delay": 1.0})
    nest.Connect(mm, n)
    nest.Simulate(5.0)
    e = mm.events
    print(f"  conn weight {cw}, spike_weight {sw}: max I_syn_ex {max(e['I_syn_ex']):.3f}, min I_syn_in {min(e['I_syn_in']):.3f}")
