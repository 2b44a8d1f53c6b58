"""``NodeCollection`` and ``SynapseCollection`` with PyNEST 3.10's behaviour."""

import numbers

import numpy

from . import _kernel
from ._errors import NESTErrors

_S = _kernel.S


def _is_iterable(x):
    return isinstance(x, (list, tuple, numpy.ndarray, range))


def _plain(v):
    """Values as the binding takes them (a NodeCollection becomes ids)."""
    if isinstance(v, NodeCollection):
        ids = v._ids
        return ids[0] if len(ids) == 1 else list(ids)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _split_per_item(params, n, scalar_keys):
    """PyNEST's rule: a list given for a key whose value is a scalar means one value per
    node (or connection). Returns a dict, or a list of n dicts."""
    listed = [k for k, v in params.items() if _is_iterable(v) and k in scalar_keys]
    if not listed:
        return params
    for k in listed:
        if len(params[k]) != n:
            raise NESTErrors.BadProperty(f"{k}: {len(params[k])} values for {n} elements: give one value or one per element")
    out = []
    for i in range(n):
        d = {}
        for k, v in params.items():
            d[k] = v[i] if k in listed else v
        out.append(d)
    return out


def _scalar_keys(status):
    return {k for k, v in status.items() if not _is_iterable(v) and not isinstance(v, dict)}


class NodeCollection:
    """Nodes of the network, ascending ids. Indexing, slicing (with step), iteration, ``+``,
    ``==``, ``in``; ``get`` / ``set`` and attribute access reach the nodes' status."""

    __slots__ = ("_ids", "_gen")

    def __init__(self, ids=()):
        ids = sorted({int(i) for i in ids})
        object.__setattr__(self, "_ids", tuple(ids))
        object.__setattr__(self, "_gen", _S.generation)

    @classmethod
    def _range(cls, first, n):
        nc = cls.__new__(cls)
        object.__setattr__(nc, "_ids", tuple(range(first, first + n)))
        object.__setattr__(nc, "_gen", _S.generation)
        return nc

    @classmethod
    def _sorted(cls, ids, gen):
        nc = cls.__new__(cls)
        object.__setattr__(nc, "_ids", tuple(ids))
        object.__setattr__(nc, "_gen", gen)
        return nc

    def _valid(self):
        if self._gen != _S.generation:
            raise NESTErrors.KernelException(
                "this NodeCollection belongs to a kernel that was reset (ResetKernel) or remade; create the nodes again"
            )
        return self._ids

    @property
    def _evplast_ids(self):
        return list(self._ids)

    # -- sequence protocol
    def __len__(self):
        return len(self._ids)

    def __bool__(self):
        return len(self._ids) > 0

    def __iter__(self):
        for i in self._ids:
            yield NodeCollection._sorted((i,), self._gen)

    def __getitem__(self, key):
        if isinstance(key, slice):
            if key.step is not None and key.step < 1:
                raise IndexError("slicing step must be strictly positive")
            return NodeCollection._sorted(self._ids[key], self._gen)
        if isinstance(key, (numbers.Integral, numpy.integer)) and not isinstance(key, bool):
            i = int(key)
            if not -len(self._ids) <= i < len(self._ids):
                raise IndexError("index value outside of the NodeCollection")
            return NodeCollection._sorted((self._ids[i],), self._gen)
        if _is_iterable(key):
            key = list(key)
            if key and all(isinstance(k, (bool, numpy.bool_)) for k in key):
                if len(key) != len(self._ids):
                    raise IndexError("bool index array must be the same length as NodeCollection")
                ids = [i for i, b in zip(self._ids, key) if b]
            else:
                idx = [int(k) for k in key]
                if len(set(idx)) != len(idx):
                    raise IndexError("All node IDs in a NodeCollection have to be unique")
                if any(b <= a for a, b in zip(idx, idx[1:])):
                    raise IndexError("Indices must be sorted in ascending order")
                ids = [self._ids[k] for k in idx]
            return NodeCollection._sorted(ids, self._gen)
        raise IndexError("only integers, slices, lists, tuples, and numpy arrays are valid indices")

    def __add__(self, other):
        if not isinstance(other, NodeCollection):
            raise NotImplementedError("NodeCollection can only be added to a NodeCollection")
        if set(self._ids) & set(other._ids):
            raise NESTErrors.BadProperty("Composite NodeCollections cannot contain overlapping node IDs")
        return NodeCollection._sorted(sorted(self._ids + other._ids), self._gen)

    def __eq__(self, other):
        if not isinstance(other, NodeCollection):
            return NotImplemented
        return self._ids == other._ids and self._gen == other._gen

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    __hash__ = None

    def __contains__(self, node):
        if isinstance(node, NodeCollection):
            return all(i in self._ids for i in node._ids)
        return int(node) in self._ids

    def __array__(self, dtype=None, copy=None):
        return numpy.array(self._ids, dtype=dtype if dtype is not None else numpy.int64)

    def __repr__(self):
        if not self._ids:
            return "NodeCollection(<empty>)"
        try:
            model = _S.kernel.node_model(self._ids[0])[0] if self._gen == _S.generation else "?"
        except Exception:
            model = "?"
        return f"NodeCollection(metadata=None, model={model}, size={len(self._ids)}, first={self._ids[0]}, last={self._ids[-1]})"

    __str__ = __repr__

    def tolist(self):
        """The node ids as a list of int."""
        return list(self._ids)

    def index(self, node_id):
        """Position of ``node_id`` in the collection."""
        try:
            return self._ids.index(int(node_id))
        except ValueError:
            raise ValueError(f"{node_id} is not in NodeCollection") from None

    @property
    def global_id(self):
        return self._ids[0] if len(self._ids) == 1 else self._ids

    # -- status
    def _statuses(self):
        return _S.kernel.get_status(list(self._valid()))

    def get(self, *params, output=""):
        """PyNEST's get: no key → dict (scalars for one node, tuples otherwise); one key →
        value or tuple; a list of keys → dict; ``get("events", "times")`` → hierarchical."""
        if output not in ("", "json", "pandas"):
            raise TypeError("Got unexpected keyword argument")
        if output:
            from ._errors import not_supported

            raise not_supported(f"get(output='{output}')")
        if not self:
            raise ValueError("Cannot get parameter of empty NodeCollection")
        if len(params) == 0:
            st = self._statuses()
            if len(st) == 1:
                return st[0]
            keys = sorted({k for s in st for k in s})
            return {k: tuple(s.get(k) for s in st) for k in keys}
        if len(params) == 1:
            return self._get_one(params[0])
        if not isinstance(params[0], str):
            raise TypeError("First argument must be a string, specifying path into hierarchical dictionary")
        values = self._get_one(params[0])
        if len(self) == 1:
            top = values
        else:
            top = {}
            for v in values:
                for k in v:
                    top.setdefault(k, []).append(v[k])
        last = params[-1]
        if isinstance(last, str):
            return top[last]
        return {k: top[k] for k in last}

    def _get_one(self, key):
        if isinstance(key, str):
            ids = self._valid()
            if key == "events":
                ev = [_S.kernel.events(i) for i in ids]
                return ev[0] if len(ev) == 1 else tuple(ev)
            if key == "n_events":
                n = [_S.kernel.n_events(i) for i in ids]
                return n[0] if len(n) == 1 else tuple(n)
            if key == "global_id":
                return self.global_id
            st = self._statuses()
            for s in st:
                if key not in s:
                    raise KeyError(key)
            return st[0][key] if len(st) == 1 else tuple(s[key] for s in st)
        if _is_iterable(key):
            return {k: self._get_one(k) for k in key}
        raise TypeError("Params should be either a string or an iterable")

    def set(self, params=None, **kwargs):
        """PyNEST's set: a dict (a list for a scalar key gives one value per node; random
        parameters are drawn per node), a list of one dict per node, or keyword arguments."""
        if not self:
            return
        if kwargs and params is None:
            params = kwargs
        elif kwargs and params:
            raise TypeError("must either provide params or kwargs, but not both.")
        ids = list(self._valid())
        if isinstance(params, dict):
            params = _plain(params)
            if "n_events" in params:
                params = dict(params)
                n = params.pop("n_events")
                if n != 0:
                    raise NESTErrors.BadProperty("n_events: can only be set to 0 (which forgets the recorded events)")
                for i in ids:
                    _S.kernel.clear_events(i)
                if not params:
                    return
            if any(_is_iterable(v) for v in params.values()):
                params = _split_per_item(params, len(ids), _scalar_keys(_S.kernel.get_status(ids[:1])[0]))
            _S.kernel.set_status(ids, params)
        elif isinstance(params, (list, tuple)):
            if len(params) != len(ids):
                raise TypeError("List of dicts must have the same length as the NodeCollection")
            for i, p in zip(ids, params):
                NodeCollection._sorted((i,), self._gen).set(p)
        else:
            raise TypeError("params must be a dict, a list of dicts or keyword arguments")

    def __getattr__(self, attr):
        if attr.startswith("__array_") or attr.startswith("_"):
            raise AttributeError(attr)
        if attr == "spatial":
            return None
        if not self:
            raise AttributeError("Cannot get attribute of empty NodeCollection")
        return self.get(attr)

    def __setattr__(self, attr, value):
        if attr in NodeCollection.__slots__:
            object.__setattr__(self, attr, value)
        else:
            self.set({attr: value})


class SynapseCollection:
    """Connections found by GetConnections: ``len``, indexing, iteration, ``get`` / ``set``
    and the attributes ``source``, ``target``, ``weight``, ``delay``, ``synapse_model``."""

    __slots__ = ("_cols", "_gen")

    def __init__(self, cols=None, gen=None):
        if cols is None:
            cols = {
                "source": numpy.zeros(0, numpy.int64),
                "target": numpy.zeros(0, numpy.int64),
                "weight": numpy.zeros(0),
                "delay": numpy.zeros(0),
                "handle": numpy.zeros(0, numpy.uint64),
                "synapse_model": [],
            }
        object.__setattr__(self, "_cols", cols)
        object.__setattr__(self, "_gen", _S.generation if gen is None else gen)

    def _valid(self):
        if self._gen != _S.generation:
            raise NESTErrors.KernelException(
                "this SynapseCollection belongs to a kernel that was reset; call GetConnections again"
            )
        return [int(h) for h in self._cols["handle"]]

    def __len__(self):
        return len(self._cols["handle"])

    def __bool__(self):
        return len(self) > 0

    def _sub(self, idx):
        pos = numpy.atleast_1d(numpy.arange(len(self))[idx])
        cols = {k: (v[pos] if isinstance(v, numpy.ndarray) else [v[i] for i in pos]) for k, v in self._cols.items()}
        return SynapseCollection(cols, self._gen)

    def __getitem__(self, key):
        if isinstance(key, (numbers.Integral, numpy.integer)):
            if not -len(self) <= int(key) < len(self):
                raise IndexError("index value outside of the SynapseCollection")
            return self._sub(int(key))
        if isinstance(key, slice):
            return self._sub(key)
        if _is_iterable(key):
            return self._sub(numpy.asarray(key))
        raise IndexError("No valid index type")

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other):
        if not isinstance(other, SynapseCollection):
            return NotImplemented
        return self._gen == other._gen and numpy.array_equal(self._cols["handle"], other._cols["handle"])

    __hash__ = None

    def __repr__(self):
        return f"SynapseCollection(size={len(self)})"

    def sources(self):
        return iter(int(x) for x in self._cols["source"])

    def targets(self):
        return iter(int(x) for x in self._cols["target"])

    def _statuses(self):
        st = _S.kernel.connection_status(self._valid())
        for d, s, t in zip(st, self._cols["source"], self._cols["target"]):
            d["source"] = int(s)
            d["target"] = int(t)
        return st

    def get(self, keys=None, output=""):
        """PyNEST's get: no key → dict of lists (values for one connection); a key → list (a
        value for one connection); a list of keys → dict of lists."""
        if output:
            from ._errors import not_supported

            raise not_supported(f"get(output='{output}')")
        if len(self) == 0:
            return {} if keys is None else ()
        st = self._statuses()
        one = len(st) == 1
        if keys is None:
            allk = sorted({k for s in st for k in s})
            return {k: st[0][k] for k in allk} if one else {k: [s.get(k) for s in st] for k in allk}
        if isinstance(keys, str):
            if keys not in st[0]:
                raise KeyError(keys)
            return st[0][keys] if one else [s[keys] for s in st]
        if _is_iterable(keys):
            for k in keys:
                if k not in st[0]:
                    raise KeyError(k)
            return {k: st[0][k] for k in keys} if one else {k: [s[k] for s in st] for k in keys}
        raise TypeError("keys should be either a string or an iterable")

    def set(self, params=None, **kwargs):
        """PyNEST's set: a dict (a list gives one value per connection), a list of dicts, or
        keyword arguments."""
        if kwargs and params is None:
            params = kwargs
        elif kwargs and params:
            raise TypeError("must either provide params or kwargs, but not both.")
        if len(self) == 0:
            return
        handles = self._valid()
        if isinstance(params, dict):
            params = _plain(params)
            if any(_is_iterable(v) for v in params.values()):
                params = _split_per_item(params, len(handles), set(params))
            _S.kernel.set_connection_status(handles, params)
        elif isinstance(params, (list, tuple)):
            if len(params) != len(handles):
                raise TypeError("List of dicts must have the same length as the SynapseCollection")
            _S.kernel.set_connection_status(handles, [_plain(p) for p in params])
        else:
            raise TypeError("params must be a dict, a list of dicts or keyword arguments")

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        return self.get(attr)

    def __setattr__(self, attr, value):
        if attr in SynapseCollection.__slots__:
            object.__setattr__(self, attr, value)
        else:
            self.set({attr: value})
