"""Kernel attributes, kernel status, verbosity, build info, model lists (PyNEST 3.10 names and
return types; NEST 3.10's defaults: resolution 0.1, rng_seed 1 in evplast, one thread)."""

import warnings

import numpy as np
import pytest

import evplast as nest


def test_module_attributes_default_and_settable():
    assert nest.resolution == 0.1
    assert nest.local_num_threads == 1
    assert nest.biological_time == 0.0
    nest.resolution = 0.05
    nest.rng_seed = 42
    assert nest.resolution == 0.05
    assert nest.rng_seed == 42
    assert nest.GetKernelStatus("resolution") == 0.05
    assert nest.GetKernelStatus(["resolution", "rng_seed"]) == [0.05, 42]
    nest.ResetKernel()
    assert nest.resolution == 0.1


def test_set_get_kernel_status_and_module_get_set():
    nest.SetKernelStatus({"resolution": 0.2, "print_time": True})
    assert nest.GetKernelStatus()["resolution"] == 0.2
    assert nest.get("resolution") == 0.2
    nest.set(resolution=0.1)
    assert nest.kernel_status["resolution"] == 0.1
    assert nest.print_time is True


def test_scheme_is_a_kernel_key():
    # "auto" by default: per projection, the scheme the cost model picks (docs/SCHEMES.md).
    assert nest.scheme == "auto"
    for s in ("time", "compressed", "event", "auto"):
        nest.scheme = s
        assert nest.GetKernelStatus("scheme") == s
    with pytest.raises(nest.NESTErrors.BadProperty, match="auto, event, compressed, time"):
        nest.scheme = "bogus"


def test_unknown_and_readonly_kernel_keys():
    with pytest.raises(ValueError, match="not a valid kernel parameter"):
        nest.SetKernelStatus({"no_such_key": 1})
    with pytest.raises(ValueError, match="readonly"):
        nest.SetKernelStatus({"network_size": 3})
    with pytest.raises(AttributeError):
        nest.biological_time = 5.0
    with pytest.raises(AttributeError):
        nest.no_such_attribute = 1


def test_settings_refused_after_nodes_exist_and_kept_before():
    nest.CopyModel("static_synapse", "my_syn", {"weight": 2.0})
    nest.resolution = 0.01  # no node yet: a new kernel, CopyModel replayed
    assert nest.GetDefaults("my_syn", "weight") == 2.0
    nest.Create("parrot_neuron")
    with pytest.raises(nest.NESTErrors.KernelException):
        nest.resolution = 0.1
    with pytest.raises(nest.NESTError):
        nest.local_num_threads = 2
    with pytest.raises(nest.NESTError):
        nest.scheme = "time"
    assert nest.resolution == 0.01
    nest.rng_seed = nest.rng_seed  # unchanged: fine


def test_verbosity():
    assert nest.verbosity == nest.VerbosityLevel.INFO
    nest.verbosity = nest.VerbosityLevel.WARNING
    assert nest.verbosity is nest.VerbosityLevel.WARNING
    with pytest.warns(DeprecationWarning):
        nest.set_verbosity("M_ERROR")
    assert nest.verbosity == nest.VerbosityLevel.ERROR
    with pytest.warns(DeprecationWarning):
        assert nest.get_verbosity() == 30
    assert [v.name for v in nest.VerbosityLevel][:4] == ["ALL", "DEBUG", "STATUS", "INFO"]


def test_build_info_and_models():
    bi = nest.build_info
    assert isinstance(bi, dict) and bi["have_gsl"] is True
    assert isinstance(nest.node_models, list)
    for m in ("aeif_psc_delta_clopath", "pp_cond_exp_mc_urbanczik", "parrot_neuron", "spike_recorder"):
        assert m in nest.node_models
    assert set(nest.synapse_models) >= {"static_synapse", "clopath_synapse", "urbanczik_synapse"}
    nest.CopyModel("clopath_synapse", "my_clopath")
    assert "my_clopath" in nest.synapse_models
    nest.CopyModel("parrot_neuron", "my_parrot")
    assert "my_parrot" in nest.node_models


def test_counts_in_kernel_status():
    n = nest.Create("parrot_neuron", 3)
    nest.Connect(n, n)
    st = nest.GetKernelStatus()
    assert st["network_size"] == 3
    assert st["num_connections"] == 9
    assert nest.network_size == 3


def test_unsupported_calls_raise_not_implemented():
    with pytest.raises(nest.NESTErrors.NotImplemented, match="docs/PYTHON.md"):
        nest.Install("mymodule")
    with pytest.raises(nest.NESTError):
        nest.Disconnect()
    with pytest.raises(nest.NESTErrors.NotImplemented):
        nest.Create("parrot_neuron", positions=object())
    with pytest.raises(nest.NESTErrors.NotImplemented):
        nest.spatial
    with pytest.raises(nest.NESTErrors.NotImplemented):
        nest.random.normal() * 2


def test_error_hierarchy():
    assert nest.NESTError is nest.NESTErrors.KernelException
    for name in ("UnknownModelName", "BadProperty", "BadParameter", "UnaccessedDictionaryEntry",
                 "IllegalConnection", "UnknownNode", "BadDelay", "NumericalInstability", "NotImplemented"):
        cls = getattr(nest.NESTErrors, name)
        assert issubclass(cls, nest.NESTError) and cls.__name__ == name
    e = nest.NESTErrors.BadProperty("x")
    assert e.errorname == "BadProperty" and e.errormessage == "x"


def test_prepare_run_cleanup():
    sg = nest.Create("spike_generator", params={"spike_times": [1.0, 3.0]})
    p = nest.Create("parrot_neuron")
    sr = nest.Create("spike_recorder")
    nest.Connect(sg, p)
    nest.Connect(p, sr)
    with pytest.raises(nest.NESTErrors.KernelException):
        nest.Run(1.0)
    nest.Prepare()
    nest.Run(2.5)
    nest.Run(2.5)
    nest.Cleanup()
    assert nest.biological_time == 5.0
    with nest.RunManager():
        nest.Run(1.0)
    assert nest.biological_time == 6.0
    assert sr.events["times"].tolist() == [2.0, 4.0]  # + 1 ms default delay


def test_simulate_refusals():
    nest.Create("parrot_neuron")
    with pytest.raises(nest.NESTErrors.BadParameter):
        nest.Simulate(-1.0)
    with pytest.raises(nest.NESTErrors.BadParameter):
        nest.Simulate(0.05)  # not a multiple of the resolution
    with pytest.raises(nest.NESTErrors.BadParameter, match="longest run"):
        nest.Simulate(1e12)  # past the largest simulable time: refused, not wrapped
    with pytest.raises(TypeError):
        nest.Simulate("10")
    assert nest.biological_time == 0.0


def test_set_verbosity_warns_only_once_per_call():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nest.set_verbosity("M_WARNING")
    assert len(w) == 1


def _plastic_run(threads):
    """A small plastic network (Poisson inputs through parrots, Clopath synapses with drawn
    weights, a weight recorder, spike recorder and multimeter) run with `threads`."""
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": threads, "rng_seed": 5})
    pg = nest.Create("poisson_generator", 10, {"rate": 50.0})
    prt = nest.Create("parrot_neuron", 10)
    nrn = nest.Create("aeif_psc_delta_clopath", 5, {"V_m": nest.random.uniform(-70.0, -60.0)})
    wr = nest.Create("weight_recorder")
    sr = nest.Create("spike_recorder")
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.5})
    nest.Connect(pg, prt, "one_to_one")
    nest.CopyModel("clopath_synapse", "clopath_rec", {"weight_recorder": wr, "Wmax": 60.0})
    nest.Connect(prt, nrn, {"rule": "fixed_indegree", "indegree": 6},
                 {"synapse_model": "clopath_rec", "weight": nest.random.uniform(20.0, 40.0)})
    nest.Connect(prt + nrn, sr)
    nest.Connect(mm, nrn)
    nest.Simulate(60.0)
    late = nest.Create("aeif_psc_delta_clopath")
    nest.Connect(prt[:4], late, syn_spec={"synapse_model": "clopath_synapse", "weight": 30.0, "Wmax": 60.0})
    nest.Connect(late, sr)
    nest.Simulate(60.0)
    c = nest.GetConnections(synapse_model="clopath_synapse")
    return sr.events, wr.events, mm.events, c.get(["source", "target", "weight"])


def test_results_do_not_depend_on_local_num_threads():
    one = _plastic_run(1)
    assert len(one[0]["times"]) > 50 and len(one[1]["times"]) > 10
    for threads in (2, 3):
        other = _plastic_run(threads)
        assert nest.local_num_threads == threads
        for a, b in zip(one, other):
            assert a.keys() == b.keys()
            for k in a:
                assert np.array_equal(a[k], b[k]), (threads, k)


def test_local_num_threads_refusals():
    for bad in (0, -1, 1025):
        with pytest.raises(nest.NESTErrors.BadProperty, match="local_num_threads"):
            nest.SetKernelStatus({"local_num_threads": bad})
    assert nest.local_num_threads == 1
