"""No input from Python aborts the interpreter or surfaces as a Rust panic: every odd input is
refused with a NESTError or a Python TypeError / ValueError / KeyError / IndexError /
OverflowError. Simulate releases the GIL."""

import threading
import time

import numpy as np
import pytest

import evplast as nest

ALLOWED = (nest.NESTError, TypeError, ValueError, KeyError, IndexError, OverflowError)

M = "aeif_psc_delta_clopath"


def refused(f):
    try:
        f()
    except ALLOWED:
        return True
    except BaseException as e:  # a pyo3 PanicException derives from BaseException
        raise AssertionError(f"unexpected {type(e).__name__}: {e}") from e
    return False


def test_odd_create_inputs():
    for args in [
        (M, 2**40),
        (M, 1, {"V_m": None}),
        (M, 1, {"V_m": "high"}),
        (M, 1, {"V_m": [1.0, 2.0]}),
        (M, 1, {"V_m": {"a": 1}}),
        (M, 1, {"V_m": float("nan")}),
        (M, 1, {"V_m": float("inf")}),
        (M, 1, {1: 2.0}),
        (M, 1, {"V_m": object()}),
        ("pp_cond_exp_mc_urbanczik", 1, {"soma": 3.0}),
        ("pp_cond_exp_mc_urbanczik", 1, {"soma": {"V_m": "x"}}),
        ("spike_generator", 1, {"spike_times": [3.0, 1.0]}),
        ("spike_generator", 1, {"spike_times": [1e300]}),
        ("spike_generator", 1, {"spike_times": np.array([[1.0], [2.0]])}),
        ("poisson_generator", 1, {"rate": -1.0}),
        ("poisson_generator", 1, {"rate": 1e300}),
        ("x" * 10**6, 1),
    ]:
        assert refused(lambda: nest.Create(*args)), args


def test_odd_random_parameters():
    assert refused(lambda: nest.Create(M, 1, {"V_m": nest.random.normal(0.0, -1.0)}))
    assert refused(lambda: nest.Create(M, 1, {"V_m": nest.random.lognormal(0.0, -1.0)}))
    assert refused(lambda: nest.random.uniform("a", 1.0))
    assert refused(lambda: nest.Create(M, 1, {"V_m": nest.random.exponential(-1.0)}))


def test_multimeter_unknown_recordable():
    mm = nest.Create("multimeter", params={"record_from": ["no_such"]})
    n = nest.Create(M)
    assert refused(lambda: nest.Connect(mm, n))


def test_odd_connect_inputs():
    a = nest.Create("parrot_neuron", 3)
    n = nest.Create(M, 3)
    for conn, syn in [
        ({"rule": "fixed_indegree", "indegree": -1}, None),
        ({"rule": "fixed_indegree", "indegree": 1.5}, None),
        ({"rule": "fixed_indegree", "indegree": 10**30}, None),
        ({"rule": "fixed_total_number", "N": 10**15}, None),
        ({"rule": "pairwise_bernoulli", "p": 2.0}, None),
        ({"rule": "pairwise_bernoulli", "p": float("nan")}, None),
        ({"rule": 5}, None),
        (None, {"weight": "heavy"}),
        (None, {"weight": np.ones((2, 2))}),
        (None, {"delay": -1.0}),
        (None, {"delay": 1e300}),
        (None, {"delay": nest.random.uniform(-5.0, -1.0)}),
        (None, {"synapse_model": 3}),
        (None, {"receptor_type": 99}),
        (None, {"no_such_param": 1.0}),
        (None, {"synapse_model": "clopath_synapse", "Wmax": "big"}),
        ("one_to_one", {"weight": [1.0, 2.0, 3.0, 4.0]}),
    ]:
        assert refused(lambda: nest.Connect(a, n, conn, syn)), (conn, syn)
    assert nest.num_connections == 0


def test_odd_status_inputs():
    n = nest.Create(M, 2)
    for p in [{"V_m": None}, {"V_m": [1.0]}, {"t_ref": -1.0}, {"recordables": []}, {"model": "x"}]:
        assert refused(lambda: n.set(p)), p
    assert refused(lambda: n.set([{"V_m": 1.0}, 3]))
    assert refused(lambda: nest.SetKernelStatus({"resolution": -0.1}))
    assert refused(lambda: nest.SetKernelStatus({"resolution": "fine"}))
    assert refused(lambda: nest.SetKernelStatus({"rng_seed": -1}))
    assert refused(lambda: nest.Simulate(float("nan")))
    assert refused(lambda: nest.Simulate(float("inf")))
    assert refused(lambda: nest.GetDefaults(3))


def test_simulate_releases_the_gil():
    pg = nest.Create("poisson_generator", 200, {"rate": 20.0})
    prt = nest.Create("parrot_neuron", 200)
    nrn = nest.Create(M, 20)
    nest.Connect(pg, prt, "one_to_one")
    nest.Connect(prt, nrn, syn_spec={"synapse_model": "clopath_synapse", "weight": 5.0})
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=count)
    nest.Prepare()
    t0 = time.perf_counter()
    t.start()
    nest.Simulate(2000.0)
    dt = time.perf_counter() - t0
    stop.set()
    t.join()
    nest.Cleanup()
    # Python code ran alongside the simulation (with the GIL held for the whole run, the
    # counter could not run at all between its start and the end of Simulate).
    assert dt > 0.05
    assert len(ticks) > 0.3 * dt / 0.0015
