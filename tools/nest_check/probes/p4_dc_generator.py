"""Probe 4: dc_generator (amplitude A, start/stop) with connection delay d -> neuron:
in which steps does the current change V_m? Default delay of a device connection.

Method: two identical neurons, only one receives the dc current; a step 'carries current'
if the V_m difference grows during it by more than half of A*h/C_m (A = 1000 pA for aeif and
iaf, 50 pA for hh so that it does not fire)."""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR
H = 0.1


def current_steps(model, start, stop, d):
    nest.ResetKernel()
    nest.resolution = H
    amp = 50.0 if model.startswith("hh") else 1000.0   # hh: small enough not to fire within 4 ms
    p = {"amplitude": amp, "start": start}
    if stop is not None:
        p["stop"] = stop
    dc = nest.Create("dc_generator", params=p)
    ref = nest.Create(model)
    n = nest.Create(model)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": H})
    if d is None:
        nest.Connect(dc, n)
    else:
        nest.Connect(dc, n, syn_spec={"delay": d})
    nest.Connect(mm, n + ref)
    nest.Simulate(6.0)
    ev = mm.events
    vn = {round(t, 1): v for s, t, v in zip(ev["senders"], ev["times"], ev["V_m"]) if s == n.global_id}
    vr = {round(t, 1): v for s, t, v in zip(ev["senders"], ev["times"], ev["V_m"]) if s == ref.global_id}
    ts = sorted(vn)
    diff = [vn[t] - vr[t] for t in ts]
    jump = 0.5 * amp * H / nest.GetDefaults(model)["C_m"]    # half the jump of one step of current
    grows = [ts[i] for i in range(len(ts)) if diff[i] - (diff[i - 1] if i else 0.0) > jump]
    return grows, nest.GetConnections(dc).delay


def predicted(start, stop, d, t_end=4.0):
    """Hypothesis: generator step k (interval (kh, (k+1)h]) is active if start <= k*h < stop,
    EXCEPT k = 0, whose current is lost; the current of step k changes V_m during the step
    ending at k*h + d + h."""
    stop = 1e9 if stop is None else stop
    d = 1.0 if d is None else d
    out = []
    for k in range(1, 60):
        if start - 1e-9 <= k * H < stop - 1e-9 and k * H + d + H <= t_end + 1e-9:
            out.append(round(k * H + d + H, 1))
    return out


print("dc_generator defaults:", {k: nest.GetDefaults("dc_generator")[k] for k in ("amplitude", "start", "stop", "origin")})
cases = [(0.0, None, None), (0.0, None, 0.1), (0.0, None, 1.0), (0.0, None, 2.5),
         (0.0, 0.1, 0.1), (0.0, 0.2, 0.1), (0.0, 0.5, 0.1), (0.1, 0.6, 0.1),
         (2.0, 2.1, 0.1), (2.0, 2.1, 1.0), (2.0, 2.5, 0.1), (2.0, 2.5, 1.0)]
for model in ("aeif_psc_delta_clopath", "hh_psc_alpha_clopath", "iaf_psc_delta"):
    allok = True
    for start, stop, d in cases:
        grows, delay = current_steps(model, start, stop, d)
        grows = [g for g in grows if g <= 4.0 + 1e-9]
        # open-ended current: only the onset is checked (hh's channels damp the growth later)
        ok = grows[:1] == predicted(start, stop, d)[:1] if stop is None else grows == predicted(start, stop, d)
        allok &= ok
        shown = grows if len(grows) <= 5 else grows[:3] + ["..."] + grows[-1:]
        print(f"{model:24s} start={start} stop={stop} delay={d} (conn delay {delay}): current acts in steps ending at {[float(x) if not isinstance(x, str) else x for x in shown]}  hypothesis {'OK' if ok else 'FAILS'}")
    print(f"{model}: hypothesis {'holds in all cases' if allok else 'FAILS'}")

print("== device connection default delays: spike_generator->neuron, neuron->spike_recorder, multimeter->neuron, dc_generator->neuron")
nest.ResetKernel()
g = nest.Create("spike_generator")
n = nest.Create("iaf_psc_alpha")
sr = nest.Create("spike_recorder")
mm = nest.Create("multimeter")
dc = nest.Create("dc_generator")
nest.Connect(g, n); nest.Connect(n, sr); nest.Connect(mm, n); nest.Connect(dc, n)
for c in (nest.GetConnections(g), nest.GetConnections(n, sr), nest.GetConnections(mm), nest.GetConnections(dc)):
    print("  ", c.get(["source", "target", "synapse_model", "delay", "weight"]))
print("== connection weight scales the current: amplitude 100 pA, weight 1.0 vs 2.0 vs -1.0 (iaf_psc_delta, delay 1.0)")
for w in (1.0, 2.0, -1.0):
    nest.ResetKernel()
    dc = nest.Create("dc_generator", params={"amplitude": 100.0})
    n = nest.Create("iaf_psc_delta", params={"E_L": 0.0, "V_m": 0.0, "V_reset": 0.0, "V_th": 1e9, "tau_m": 1e12})
    nest.Connect(dc, n, syn_spec={"weight": w, "delay": 1.0})
    nest.Simulate(3.2)
    print(f"  weight {w}: V_m at 3.2 = {n.V_m!r}  (steps with current: 3.2 - 1.2 + 0.1 = 21 -> 21 * 100 * w * 0.1 / 250 = {21 * 100 * w * 0.1 / 250!r})")
