"""The network of build_1e6.toml built from Python: Create + Connect + Prepare time (s)."""

import json
import time

import evplast as nest

t0 = time.perf_counter()
nest.ResetKernel()
nest.rng_seed = 1
nrn = nest.Create("aeif_psc_delta_clopath", 1000)
prt = nest.Create("parrot_neuron", 2000)
nest.Connect(prt, nrn, {"rule": "fixed_indegree", "indegree": 1000},
             {"synapse_model": "clopath_synapse", "weight": 0.5, "delay": 1.0})
t1 = time.perf_counter()
nest.Prepare()
t2 = time.perf_counter()
nest.Run(1.0)
nest.Cleanup()
print(json.dumps({"create_connect_s": t1 - t0, "build_s": t2 - t0, "num_connections": nest.num_connections}))
