"""Connect (every rule, autapses/multapses, syn_spec forms), GetConnections and
SynapseCollection. Counts are the rules' definitions; shapes and types are NEST 3.10's."""

import numpy as np
import pytest

import evplast as nest


def conns(pre=None, post=None, model=None):
    return nest.GetConnections(pre, post, model)


def test_rules_and_counts():
    a = nest.Create("parrot_neuron", 4)
    b = nest.Create("parrot_neuron", 6)
    nest.Connect(a, b)  # all_to_all by default
    assert len(conns(a, b)) == 24
    nest.ResetKernel()
    a = nest.Create("parrot_neuron", 4)
    b = nest.Create("parrot_neuron", 4)
    nest.Connect(a, b, "one_to_one")
    c = conns(a, b)
    assert c.source == [1, 2, 3, 4] and c.target == [5, 6, 7, 8]
    nest.ResetKernel()
    a = nest.Create("parrot_neuron", 10)
    b = nest.Create("parrot_neuron", 5)
    nest.Connect(a, b, {"rule": "fixed_indegree", "indegree": 3})
    t = np.array(conns(a, b).target)
    assert all((t == i).sum() == 3 for i in b.tolist())
    nest.ResetKernel()
    a = nest.Create("parrot_neuron", 10)
    b = nest.Create("parrot_neuron", 5)
    nest.Connect(a, b, {"rule": "fixed_outdegree", "outdegree": 2})
    s = np.array(conns(a, b).source)
    assert all((s == i).sum() == 2 for i in a.tolist())
    nest.ResetKernel()
    a = nest.Create("parrot_neuron", 10)
    nest.Connect(a, a, {"rule": "fixed_total_number", "N": 17})
    assert len(conns(a, a)) == 17
    nest.ResetKernel()
    a = nest.Create("parrot_neuron", 60)
    nest.Connect(a, a, {"rule": "pairwise_bernoulli", "p": 0.25})
    n = len(conns(a, a))
    assert abs(n - 900) < 5 * np.sqrt(3600 * 0.25 * 0.75)  # binomial(3600, 0.25)


def test_autapses_multapses():
    a = nest.Create("parrot_neuron", 5)
    nest.Connect(a, a, {"rule": "all_to_all", "allow_autapses": False})
    c = conns(a, a)
    assert len(c) == 20 and all(s != t for s, t in zip(c.source, c.target))
    nest.ResetKernel()
    a = nest.Create("parrot_neuron", 5)
    nest.Connect(a, a, {"rule": "fixed_indegree", "indegree": 4, "allow_autapses": False, "allow_multapses": False})
    c = conns(a, a)
    pairs = list(zip(c.source, c.target))
    assert len(pairs) == 20 and len(set(pairs)) == 20 and all(s != t for s, t in pairs)
    with pytest.raises(nest.NESTError):
        nest.ResetKernel()
        a = nest.Create("parrot_neuron", 3)
        nest.Connect(a, a, {"rule": "fixed_indegree", "indegree": 4, "allow_multapses": False})


def test_weights_delays_forms():
    a = nest.Create("parrot_neuron", 3)
    b = nest.Create("parrot_neuron", 2)
    nest.Connect(a, b, syn_spec={"weight": 2.5, "delay": 3.0})
    c = conns(a, b)
    assert c.weight == [2.5] * 6 and c.delay == [3.0] * 6
    nest.ResetKernel()
    a = nest.Create("parrot_neuron", 3)
    b = nest.Create("parrot_neuron", 3)
    nest.Connect(a, b, "one_to_one", {"weight": np.array([1.0, 2.0, 3.0]), "delay": [1.0, 2.0, 3.0]})
    c = conns(a, b)
    assert c.weight == [1.0, 2.0, 3.0] and c.delay == [1.0, 2.0, 3.0]
    nest.ResetKernel()
    a = nest.Create("parrot_neuron", 3)
    b = nest.Create("parrot_neuron", 2)
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # NEST: shape (len(post), len(pre))
    nest.Connect(a, b, "all_to_all", {"weight": w})
    c = conns(a, b)
    got = {(s, t): x for s, t, x in zip(c.source, c.target, c.weight)}
    assert got[(1, 4)] == 1.0 and got[(3, 4)] == 3.0 and got[(1, 5)] == 4.0 and got[(3, 5)] == 6.0
    nest.ResetKernel()
    a = nest.Create("parrot_neuron", 50)
    nest.Connect(a, a, syn_spec={"weight": nest.random.uniform(0.5, 2.0), "delay": nest.random.uniform(1.0, 2.0)})
    w = np.array(conns(a, a).weight)
    d = np.array(conns(a, a).delay)
    assert w.min() >= 0.5 and w.max() < 2.0 and len(np.unique(w)) > 2000
    assert d.min() >= 1.0 and d.max() <= 2.0
    assert np.allclose(d, np.round(d, 1))  # delays on the grid


def test_syn_spec_forms_receptor_and_inline_params():
    nrn = nest.Create("pp_cond_exp_mc_urbanczik")
    p = nest.Create("parrot_neuron", 2)
    syns = nest.GetDefaults("pp_cond_exp_mc_urbanczik")["receptor_types"]
    nest.Connect(p, nrn, syn_spec={"synapse_model": "urbanczik_synapse", "receptor_type": syns["dendritic_exc"],
                                   "weight": 3.0, "eta": 0.5, "Wmax": 100.0})
    c = conns(p, nrn)
    assert c.synapse_model == ["urbanczik_synapse"] * 2
    assert c.get("eta") == [0.5, 0.5] and c.get("Wmax") == [100.0, 100.0]
    nest.ResetKernel()
    n = nest.Create("aeif_psc_delta_clopath", 2)
    nest.Connect(n, n, "one_to_one", "clopath_synapse")  # syn_spec as a string
    assert conns().synapse_model == ["clopath_synapse"] * 2


def test_connect_errors():
    n = nest.Create("aeif_psc_delta_clopath", 2)
    p = nest.Create("parrot_neuron", 3)
    with pytest.raises(nest.NESTErrors.IllegalConnection):
        nest.Connect(p, p, syn_spec={"synapse_model": "clopath_synapse"})  # parrots have no Clopath archive
    with pytest.raises(nest.NESTErrors.UnknownModelName):
        nest.Connect(n, n, syn_spec={"synapse_model": "no_such_synapse"})
    with pytest.raises(nest.NESTErrors.BadParameter):
        nest.Connect(n, p, "one_to_one")  # sizes differ
    with pytest.raises(nest.NESTError):
        nest.Connect(n, n, {"rule": "no_such_rule"})
    with pytest.raises(nest.NESTErrors.BadParameter):
        nest.Connect(n, n, {"rule": "fixed_indegree"})  # needs indegree
    with pytest.raises(nest.NESTErrors.UnaccessedDictionaryEntry):
        nest.Connect(n, n, {"rule": "all_to_all", "bogus": 1})
    # NEST 3.10 raises BadDelay for delays 0 and -1 (measured).
    for d in (0.0, -1.0):
        with pytest.raises(nest.NESTErrors.BadDelay):
            nest.Connect(n, n, syn_spec={"delay": d})
    with pytest.raises(nest.NESTErrors.BadParameter):
        nest.Connect(p, p, "one_to_one", {"weight": [1.0, 2.0]})  # 2 values for 3 connections
    with pytest.raises(TypeError):
        nest.Connect([1], n)
    with pytest.raises(nest.NESTError):
        nest.Connect(n, n, syn_spec={"synapse_model": "static_synapse", "weight": float("nan")})
    assert nest.num_connections == 0  # refusals connect nothing


def test_synapse_collection():
    n = nest.Create("aeif_psc_delta_clopath", 3)
    nest.Connect(n, n, {"rule": "all_to_all", "allow_autapses": False},
                 {"synapse_model": "clopath_synapse", "weight": 0.5})
    c = nest.GetConnections(n, n)
    assert len(c) == 6
    # NEST 3.10: attributes of several connections are lists; of one connection scalars.
    assert isinstance(c.weight, list) and isinstance(c[0].weight, float)
    assert isinstance(c.source, list) and isinstance(c.source[0], int)
    assert c.get(["weight", "delay"]) == {"weight": [0.5] * 6, "delay": [1.0] * 6}
    d = c.get()
    assert set(d) >= {"source", "target", "weight", "delay", "synapse_model", "Wmax", "Wmin", "tau_x"}
    assert [x.source for x in c] == c.source
    assert len(c[1:4]) == 3 and len(c[::2]) == 3
    c.set({"weight": 0.7})
    assert c.weight == [0.7] * 6
    c.set(weight=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert c.weight == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    c[0].weight = 0.9
    assert c.weight[0] == 0.9
    c.set([{"weight": 0.0}] * 6)
    assert c.weight == [0.0] * 6
    assert nest.GetConnections(n[0], None).source == [1, 1]
    assert nest.GetConnections(None, n[0]).target == [1, 1]
    assert len(nest.GetConnections(synapse_model="static_synapse")) == 0
    assert nest.GetConnections(n, n) == c
    assert list(c.sources()) == c.source
    with pytest.raises(KeyError):
        c.get("no_such")
    with pytest.raises(nest.NESTErrors.BadProperty):
        c.set(weight=float("nan"))
    nest.ResetKernel()
    with pytest.raises(nest.NESTErrors.KernelException):
        c.weight


def test_connections_columns_dtypes():
    n = nest.Create("parrot_neuron", 3)
    nest.Connect(n, n, syn_spec={"weight": 2.0})
    cols = nest.GetConnections(n, n)._cols
    assert cols["source"].dtype == np.int64 and cols["target"].dtype == np.int64
    assert cols["weight"].dtype == np.float64 and cols["delay"].dtype == np.float64
    assert cols["source"].shape == (9,)


def test_return_synapsecollection():
    n = nest.Create("parrot_neuron", 2)
    sc = nest.Connect(n, n, return_synapsecollection=True)
    assert len(sc) == 4
