"""Create, Connect, models and connections (PyNEST's hl_api_nodes / _connections / _models /
_info)."""

import numbers
import warnings

import numpy

from . import _kernel
from ._errors import NESTErrors, not_supported
from ._types import NodeCollection, SynapseCollection, _is_iterable, _plain, _scalar_keys, _split_per_item
from .random import Parameter

_S = _kernel.S


def _model_calls_allowed():
    # Remember CopyModel/SetDefaults while no node exists, to replay them if a kernel setting
    # (resolution, scheme …) makes a new kernel.
    return _S.kernel.n_nodes() == 0 and not _S.kernel.is_built()


def Create(model, n=1, params=None, positions=None):
    """Create ``n`` nodes of ``model``; ``params`` is a dict (values may be
    ``nest.random`` parameters, drawn per node, or lists with one value per node) or a list
    of one dict per node."""
    if positions is not None:
        raise not_supported("Create(..., positions=...) (spatial networks)")
    if not isinstance(model, str):
        raise TypeError("model must be a string")
    if isinstance(n, bool) or not isinstance(n, (numbers.Integral, numpy.integer)):
        raise TypeError("n must be an integer")
    n = int(n)
    if n < 1:
        raise NESTErrors.BadParameter(f"n: {n} must be >= 1")
    k = _S.kernel
    if params is None or (isinstance(params, dict) and not params):
        first = k.create(model, n, None)
    elif isinstance(params, dict):
        params = _plain(params)
        if any(_is_iterable(v) for v in params.values()):
            defaults = k.defaults(model)
            params = _split_per_item(params, n, _scalar_keys(defaults))
        first = k.create(model, n, params)
    elif isinstance(params, (list, tuple)):
        if len(params) != n:
            raise TypeError("list of params must have the same length as n")
        first = k.create(model, n, [_plain(p) for p in params])
    else:
        raise TypeError("params must be a dict or a list of dicts")
    if k.node_model(first)[1] == "recorder":
        _S.recorders.extend(range(first, first + n))
    return NodeCollection._range(first, n)


def _conn_spec(conn_spec):
    if conn_spec is None:
        return {"rule": "all_to_all"}
    if isinstance(conn_spec, str):
        return {"rule": conn_spec}
    if isinstance(conn_spec, dict):
        c = dict(conn_spec)
        c.setdefault("rule", "all_to_all")
        return c
    raise TypeError("conn_spec must be a string or a dict")


def _syn_spec(syn_spec):
    if syn_spec is None:
        return {}
    if isinstance(syn_spec, str):
        return {"synapse_model": syn_spec}
    if isinstance(syn_spec, dict):
        return _plain(dict(syn_spec))
    raise not_supported(f"a syn_spec of type {type(syn_spec).__name__} (CollocatedSynapses)")


def Connect(pre, post, conn_spec=None, syn_spec=None, return_synapsecollection=False):
    """Connect ``pre`` to ``post`` (NodeCollections) by a rule (``all_to_all`` default,
    ``one_to_one``, ``fixed_indegree``, ``fixed_outdegree``, ``fixed_total_number``,
    ``pairwise_bernoulli``) with a synapse model, weights and delays (numbers, arrays or
    ``nest.random`` parameters), ``receptor_type`` and the synapse's parameters."""
    if not isinstance(pre, NodeCollection) or not isinstance(post, NodeCollection):
        raise TypeError("Connect: pre and post have to be a NodeCollection")
    conn = _conn_spec(conn_spec)
    syn = _syn_spec(syn_spec)
    for key in ("weight", "delay"):
        v = syn.get(key)
        if v is not None and not isinstance(v, (numbers.Real, Parameter, numpy.ndarray, list, tuple)):
            raise TypeError(f"syn_spec['{key}'] must be a number, an array or a nest.random parameter")
    _S.kernel.connect(list(pre._valid()), list(post._valid()), conn, syn)
    if return_synapsecollection:
        return GetConnections(pre, post, syn.get("synapse_model"))
    return None


def Disconnect(*args, **kwargs):
    raise not_supported("Disconnect")


def GetConnections(source=None, target=None, synapse_model=None, synapse_label=None):
    """The connections from ``source`` to ``target`` (NodeCollections; None for all) of
    ``synapse_model`` (None for all), as a SynapseCollection. Builds the network."""
    if synapse_label is not None:
        raise not_supported("GetConnections(synapse_label=...)")
    for name, nc in (("source", source), ("target", target)):
        if nc is not None and not isinstance(nc, NodeCollection):
            raise TypeError(f"{name} must be a NodeCollection")
    cols = _S.kernel.connections(
        None if source is None else list(source._valid()),
        None if target is None else list(target._valid()),
        synapse_model,
    )
    return SynapseCollection(cols)


def CopyModel(existing, new, params=None):
    """A new model ``new`` with ``existing``'s defaults changed by ``params``."""
    args = (existing, new, _plain(params) if params else None)
    record = _model_calls_allowed()
    _S.kernel.copy_model(*args)
    if record:
        _S.model_calls.append(("copy_model", args))


def SetDefaults(model, params, val=None):
    """Change ``model``'s defaults for later Create / Connect calls."""
    if val is not None:
        params = {params: val}
    if not isinstance(params, dict):
        raise TypeError("params must be a dict")
    args = (model, _plain(params))
    record = _model_calls_allowed()
    _S.kernel.set_defaults(*args)
    if record:
        _S.model_calls.append(("set_defaults", args))


def GetDefaults(model, keys=None, output=""):
    """``model``'s defaults: the dict, one value, or a list of values."""
    if output:
        raise not_supported(f"GetDefaults(output='{output}')")
    d = _S.kernel.defaults(model)
    if keys is None:
        return d
    if isinstance(keys, str):
        return d[keys]
    return [d[k] for k in keys]


def GetStatus(nodes_or_conns, keys=None, output=""):
    """PyNEST's GetStatus: a tuple with one entry per node or connection."""
    if output:
        raise not_supported(f"GetStatus(output='{output}')")
    if len(nodes_or_conns) == 0:
        return ()
    one = len(nodes_or_conns) == 1
    if keys:
        result = nodes_or_conns.get(keys)
        if isinstance(keys, str):
            return (result,) if one else tuple(result)
        if one:
            return (tuple(result.values()),)
        return tuple(zip(*result.values()))
    result = nodes_or_conns.get()
    if one:
        return (result,)
    return tuple({k: v[j] for k, v in result.items()} for j in range(len(nodes_or_conns)))


def SetStatus(nodes_or_conns, params, val=None):
    """Deprecated in PyNEST 3.10: use ``nodes.set(...)``."""
    warnings.warn(
        "SetStatus() is deprecated; use nrns|conns.set(args) instead", DeprecationWarning, stacklevel=2
    )
    nodes_or_conns.set(params if val is None else {params: val})


def PrintNodes():
    """Print the node id ranges and model names."""
    k = _S.kernel
    n = k.n_nodes()
    i = 1
    while i <= n:
        model = k.node_model(i)[0]
        j = i
        while j + 1 <= n and k.node_model(j + 1)[0] == model:
            j += 1
        print(f"{i:>3} .. {j:>3} {model}" if j > i else f"{i:>10} {model}")
        i = j + 1
