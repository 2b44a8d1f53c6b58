"""Create and NodeCollection: forms of params, collection operations, get/set return shapes
as PyNEST 3.10 gives them (checked against NEST 3.10 on this machine, see the comments)."""

import numpy as np
import pytest

import evplast as nest

M = "aeif_psc_delta_clopath"


def test_create_forms():
    a = nest.Create(M)
    assert len(a) == 1 and a.tolist() == [1]
    b = nest.Create(M, 3, {"V_m": -60.0})
    assert b.tolist() == [2, 3, 4]
    assert b.V_m == (-60.0, -60.0, -60.0)
    c = nest.Create(M, 2, params=[{"V_m": -61.0}, {"V_m": -62.0}])
    assert c.V_m == (-61.0, -62.0)
    d = nest.Create(M, 3, {"V_m": [-1.0, -2.0, -3.0], "C_m": 100.0})  # a list for a scalar key: per node
    assert d.V_m == (-1.0, -2.0, -3.0) and d.C_m == (100.0, 100.0, 100.0)
    sg = nest.Create("spike_generator", params={"spike_times": [1.0, 2.0]})  # list param: not split
    assert sg.spike_times.tolist() == [1.0, 2.0]


def test_create_random_params_drawn_per_node():
    n = nest.Create(M, 200, {"V_m": nest.random.uniform(-70.0, -50.0)})
    v = np.array(n.V_m)
    assert len(set(v)) == 200
    assert v.min() >= -70.0 and v.max() < -50.0
    assert abs(v.mean() + 60.0) < 1.5  # 200 draws: sd of the mean 0.41
    n2 = nest.Create(M, 2000, {"V_m": nest.random.normal(-60.0, 5.0)})
    v = np.array(n2.V_m)
    assert abs(v.mean() + 60.0) < 0.5 and abs(v.std() - 5.0) < 0.4
    for p in (nest.random.lognormal(0.0, 0.5), nest.random.exponential(2.0)):
        g = nest.Create("poisson_generator", 500, {"rate": p})
        r = np.array(g.rate)
        assert (r > 0).all()
    assert abs(r.mean() - 2.0) < 0.3  # exponential(beta=2): mean 2, sd of mean 0.09


def test_create_is_deterministic_for_a_seed():
    def draw():
        nest.ResetKernel()
        nest.rng_seed = 7
        return nest.Create(M, 5, {"V_m": nest.random.normal(-60.0, 5.0)}).V_m

    assert draw() == draw()


def test_create_errors():
    with pytest.raises(nest.NESTErrors.UnknownModelName):
        nest.Create("no_such_model")
    with pytest.raises(nest.NESTErrors.UnaccessedDictionaryEntry):
        nest.Create(M, params={"no_such_param": 1.0})
    with pytest.raises(nest.NESTErrors.BadProperty):
        nest.Create(M, params={"C_m": -1.0})
    with pytest.raises(nest.NESTErrors.BadParameter):
        nest.Create(M, 0)
    with pytest.raises(TypeError):
        nest.Create(M, 2, params=[{}])
    with pytest.raises(nest.NESTErrors.BadParameter):
        nest.Create(M, params={"V_m": nest.random.uniform(1.0, 0.0)})  # max < min


def test_collection_operations():
    n = nest.Create("parrot_neuron", 10)
    assert len(n) == 10 and bool(n)
    assert [x.global_id for x in n] == list(range(1, 11))
    assert n[0].global_id == 1 and n[-1].global_id == 10
    assert n[2:8:2].tolist() == [3, 5, 7]
    assert n[::3].tolist() == [1, 4, 7, 10]
    assert n[[0, 4, 5]].tolist() == [1, 5, 6]
    assert n[np.array([1, 2])].tolist() == [2, 3]
    with pytest.raises(IndexError):
        n[10]
    m = nest.Create("parrot_neuron", 2)
    both = n[:2] + m
    assert both.tolist() == [1, 2, 11, 12]
    with pytest.raises(nest.NESTError):
        n[:3] + n[2:4]
    assert n[1:3] == n[1:3] and n[1:3] != n[1:4]
    assert 5 in n and 11 not in n and n[2:4] in n
    assert n.global_id == tuple(range(1, 11))
    assert n.index(4) == 3
    assert np.array(n).dtype == np.int64
    assert "parrot_neuron" in repr(n)
    nest.ResetKernel()
    with pytest.raises(nest.NESTErrors.KernelException):
        n.get("global_id")


def test_get_shapes():
    # NEST 3.10: one node → scalars; several → tuples; a list of keys → dict.
    n = nest.Create(M, 2)
    assert isinstance(n.get("V_m"), tuple) and len(n.get("V_m")) == 2
    assert isinstance(n[0].get("V_m"), float)
    assert n.get(["V_m", "C_m"]) == {"V_m": (-70.6, -70.6), "C_m": (281.0, 281.0)}
    assert n[0].get(["V_m"]) == {"V_m": -70.6}
    d = n.get()
    assert d["C_m"] == (281.0, 281.0) and d["global_id"] == (1, 2)
    d1 = n[1].get()
    assert d1["global_id"] == 2 and d1["model"] == M and d1["element_type"] == "neuron"
    assert isinstance(d1["global_id"], int)
    assert n[0].V_m == -70.6
    with pytest.raises(KeyError):
        n.get("no_such_key")
    assert nest.GetStatus(n, "V_m") == (-70.6, -70.6)
    assert nest.GetStatus(n[0])[0]["C_m"] == 281.0


def test_set_forms():
    n = nest.Create(M, 3)
    n.set({"V_m": -50.0})
    assert n.V_m == (-50.0,) * 3
    n.set(V_m=-51.0, C_m=200.0)
    assert n.V_m == (-51.0,) * 3 and n.C_m == (200.0,) * 3
    n.set([{"V_m": -1.0}, {"V_m": -2.0}, {"V_m": -3.0}])
    assert n.V_m == (-1.0, -2.0, -3.0)
    n.set({"V_m": [-4.0, -5.0, -6.0]})
    assert n.V_m == (-4.0, -5.0, -6.0)
    n.V_m = -7.0
    assert n.V_m == (-7.0,) * 3
    n[1].V_m = -8.0
    assert n.V_m == (-7.0, -8.0, -7.0)
    n.V_m = nest.random.uniform(-70.0, -60.0)
    assert len(set(n.V_m)) == 3
    with pytest.warns(DeprecationWarning):
        nest.SetStatus(n, {"V_m": -9.0})
    assert n.V_m == (-9.0,) * 3


def test_set_errors_change_nothing():
    n = nest.Create(M, 2)
    with pytest.raises(nest.NESTErrors.BadProperty):
        n.set(C_m=-1.0)
    with pytest.raises(nest.NESTErrors.UnaccessedDictionaryEntry):
        n.set(no_such=1.0)
    with pytest.raises(nest.NESTErrors.BadProperty):
        n.set(global_id=5)
    assert n.C_m == (281.0, 281.0)
    with pytest.raises(TypeError):
        n.set([{"V_m": 1.0}])


def test_nested_soma_dendritic():
    nrn = nest.Create("pp_cond_exp_mc_urbanczik", params={"soma": {"V_m": -65.0}, "dendritic": {"C_m": 150.0}})
    soma = nrn.get("soma")
    assert soma["V_m"] == -65.0
    assert nrn.get("dendritic")["C_m"] == 150.0
    nrn.set({"soma": {"g_L": 20.0}})
    assert nrn.soma["g_L"] == 20.0 and nrn.soma["V_m"] == -65.0
    d = nest.GetDefaults("pp_cond_exp_mc_urbanczik")
    # NEST 3.10: receptor_types soma_exc 1, soma_inh 2, dendritic_exc 3, dendritic_inh 4
    r = d["receptor_types"]
    assert (r["soma_exc"], r["soma_inh"], r["dendritic_exc"], r["dendritic_inh"]) == (1, 2, 3, 4)
    # NEST 3.10's recordables of this model
    assert set(d["recordables"]) >= {"V_m.s", "V_m.p", "g_ex.s", "g_in.s", "I_ex.p", "I_in.p"}
    assert isinstance(d["soma"], dict) and isinstance(d["dendritic"], dict)


def test_defaults_and_copy_model():
    assert nest.GetDefaults(M, "C_m") == 281.0
    assert nest.GetDefaults(M, ["C_m", "E_L"]) == [281.0, -70.6]
    assert "V_m" in nest.GetDefaults(M)["recordables"]
    nest.SetDefaults(M, {"C_m": 100.0})
    assert nest.Create(M).C_m == 100.0
    nest.SetDefaults(M, "E_L", -65.0)
    assert nest.GetDefaults(M, "E_L") == -65.0
    nest.CopyModel(M, "my_neuron", {"a": 2.0})
    n = nest.Create("my_neuron")
    assert n.a == 2.0 and n.C_m == 100.0 and n.model == "my_neuron"
    with pytest.raises(nest.NESTErrors.UnknownModelName):
        nest.GetDefaults("no_such_model")
    with pytest.raises(nest.NESTError):
        nest.CopyModel(M, "my_neuron")  # name in use
    with pytest.raises(nest.NESTErrors.BadProperty):
        nest.SetDefaults(M, {"C_m": -1.0})
    with pytest.raises(KeyError):
        nest.GetDefaults(M, "no_such_key")
    assert nest.GetDefaults("static_synapse") == {"delay": 1.0, "model": "static_synapse", "weight": 1.0}


def test_unknown_node():
    n = nest.Create("parrot_neuron")
    ghost = nest.NodeCollection([5])
    with pytest.raises(nest.NESTErrors.UnknownNode):
        ghost.get("global_id" if False else "model")
    with pytest.raises(nest.NESTErrors.UnknownNode):
        nest.Connect(n, ghost)


def test_learning_signal():
    # evplast's extension of pp_cond_exp_mc_urbanczik (docs/URBANCZIK.md): NEST's signal by
    # default; the sampled one archives only steps where soma and dendrite spike differently.
    m = "pp_cond_exp_mc_urbanczik"
    assert nest.GetDefaults(m, "learning_signal") == "spike_rate"
    nrn = nest.Create(m, 2, {"learning_signal": "spike_spike"})
    assert nrn.learning_signal == ("spike_spike", "spike_spike")
    nrn[1].set(learning_signal="rate_rate")
    assert nrn.get("learning_signal") == ("spike_spike", "rate_rate")
    with pytest.raises(nest.NESTErrors.BadProperty, match="learning_signal.*spike_rate"):
        nest.Create(m, 1, {"learning_signal": "spikes"})
    pg = nest.Create("poisson_generator", params={"rate": 400.0})
    parrot = nest.Create("parrot_neuron")
    nest.Connect(pg, parrot)
    nest.Connect(parrot, nrn, syn_spec={"synapse_model": "urbanczik_synapse", "receptor_type": 3,
                                        "weight": 300.0})
    nest.Simulate(200.0)
    # The archive's rule is fixed once built: a change is refused with the parameter's name.
    with pytest.raises(nest.NESTError, match="learning_signal"):
        nrn[0].set(learning_signal="spike_rate")
