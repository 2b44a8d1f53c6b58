"""NEST's error classes: ``nest.NESTError`` and ``nest.NESTErrors.<Name>``.

As in PyNEST 3.10, ``NESTError`` is ``NESTErrors.KernelException`` and every other class
derives from it, so ``except nest.NESTError`` catches every refusal of the kernel.
"""

from . import _evplast


class _Namespace:
    """``nest.NESTErrors``: the classes by NEST's names."""

    def __init__(self):
        self._classes = {}

    def _add(self, name, base):
        cls = type(name, (base,), {"__module__": "NESTErrors"})
        cls.__qualname__ = name
        self._classes[name] = cls
        setattr(self, name, cls)
        return cls

    def __iter__(self):
        return iter(self._classes.values())

    def __repr__(self):
        return "NESTErrors(" + ", ".join(sorted(self._classes)) + ")"


class _KernelException(Exception):
    """Base of NEST's errors; ``errorname`` is NEST's class name, ``errormessage`` the text."""

    def __init__(self, message=""):
        super().__init__(message)
        self.errorname = type(self).__name__
        self.errormessage = message


_KernelException.__name__ = "KernelException"
_KernelException.__qualname__ = "KernelException"

NESTErrors = _Namespace()
NESTErrors._classes["KernelException"] = _KernelException
NESTErrors.KernelException = _KernelException
NESTError = _KernelException

# The classes evplast raises (the kernel's ErrorKind) and a few more that PyNEST scripts
# catch by name.
for _name in (
    "UnknownModelName",
    "BadProperty",
    "BadParameter",
    "UnaccessedDictionaryEntry",
    "IllegalConnection",
    "UnknownNode",
    "BadDelay",
    "NumericalInstability",
    "UnknownReceptorType",
    "NotImplemented",
):
    NESTErrors._add(_name, _KernelException)


def from_kernel(e):
    """The ``NESTErrors`` instance for a ``_evplast.Error(name, message)``."""
    name, message = e.args
    cls = NESTErrors._classes.get(name) or NESTErrors._add(name, _KernelException)
    return cls(message)


class _GuardedKernel:
    """The low-level kernel with its refusals raised as ``NESTErrors``."""

    __slots__ = ("_k",)

    def __init__(self, k):
        self._k = k

    def __getattr__(self, name):
        f = getattr(self._k, name)

        def call(*args, **kwargs):
            try:
                return f(*args, **kwargs)
            except _evplast.Error as e:
                raise from_kernel(e) from None

        return call


def not_supported(what):
    """The error an unsupported PyNEST call raises."""
    return NESTErrors.NotImplemented(
        f"{what} is part of PyNEST 3.10 but not of evplast (see docs/PYTHON.md for what is supported)"
    )
