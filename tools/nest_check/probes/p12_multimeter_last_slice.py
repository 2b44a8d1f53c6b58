"""When a multimeter's samples become visible in `events` (min_delay 1 ms, interval 0.1 ms)."""
import nest

nest.verbosity = nest.VerbosityLevel.ERROR
nest.ResetKernel()
n = nest.Create("aeif_psc_delta_clopath")
mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
nest.Connect(mm, n, syn_spec={"delay": 1.0})
for t in (10.5, 0.2, 0.2, 0.2):
    nest.Simulate(t)
    print(f"after {nest.biological_time:.1f} ms: last sample at {mm.events['times'][-1]:.1f} ms")
for d in (0.0, -1.0):
    try:
        nest.Connect(n, n, syn_spec={"delay": d})
    except nest.NESTError as e:
        print(f"delay {d}: {type(e).__name__}")
