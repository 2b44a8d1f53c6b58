"""evplast with PyNEST 3.10's API: ``import evplast as nest``.

Kernel settings are module attributes as in PyNEST (``nest.resolution = 0.1``,
``nest.rng_seed``, ``nest.local_num_threads``, ``nest.biological_time``, ``nest.verbosity``,
and evplast's ``nest.scheme`` = "auto" | "event" | "time" | "compressed"). See docs/PYTHON.md for what
of PyNEST is supported.
"""

import sys
import types

from . import _kernel, random  # noqa: F401
from ._api import (  # noqa: F401
    Connect,
    CopyModel,
    Create,
    Disconnect,
    GetConnections,
    GetDefaults,
    GetStatus,
    PrintNodes,
    SetDefaults,
    SetStatus,
)
from ._errors import NESTError, NESTErrors, not_supported
from ._kernel import (  # noqa: F401
    Cleanup,
    GetKernelStatus,
    Prepare,
    ResetKernel,
    Run,
    RunManager,
    SetKernelStatus,
    Simulate,
    VerbosityLevel,
    __version__,
    get_verbosity,
    set_verbosity,
)
from ._types import NodeCollection, SynapseCollection  # noqa: F401

# PyNEST 3.10 names evplast does not provide: calling (or, for modules, using) them raises
# NESTErrors.NotImplemented with a pointer to docs/PYTHON.md.
_UNSUPPORTED = (
    "Install",
    "EnableStructuralPlasticity",
    "DisableStructuralPlasticity",
    "CreateMask",
    "GetPosition",
    "Displacement",
    "Distance",
    "FindNearestElement",
    "FindCenterElement",
    "GetTargetNodes",
    "GetSourceNodes",
    "GetTargetPositions",
    "GetSourcePositions",
    "PlotLayer",
    "PlotTargets",
    "PlotSources",
    "PlotProbabilityParameter",
    "SelectNodesByMask",
    "DumpLayerNodes",
    "DumpLayerConnections",
    "GetLocalNodeCollection",
    "NumProcesses",
    "Rank",
    "SetAcceptableLatency",
    "SetMaxBuffered",
    "SyncProcesses",
    "ExportToSonata",
    "SonataNetwork",
    "CollocatedSynapses",
    "Mask",
    "help",
    "helpdesc",
)


def _unsupported(name):
    def f(*args, **kwargs):
        raise not_supported(f"nest.{name}")

    f.__name__ = name
    f.__doc__ = f"Not supported by evplast: raises NESTErrors.NotImplemented."
    return f


for _n in _UNSUPPORTED:
    globals()[_n] = _unsupported(_n)


def _kattr(name, readonly=False):
    def get(self):
        return GetKernelStatus(name)

    def set(self, value):
        if readonly:
            raise AttributeError(f"`{name}` is a read only kernel attribute.")
        SetKernelStatus({name: value})

    return property(get, set, doc=f"Kernel attribute `{name}`" + (" (read only)" if readonly else ""))


class _EvplastModule(types.ModuleType):
    """The ``evplast`` module: kernel attributes as properties, as PyNEST's ``NestModule``."""

    kernel_status = property(lambda self: GetKernelStatus(), doc="The whole kernel status (read only)")

    def set(self, **kwargs):
        """Set kernel attributes: ``nest.set(resolution=0.1, rng_seed=5)``."""
        return SetKernelStatus(kwargs)

    def get(self, *args):
        """Kernel attributes: ``nest.get("resolution")``."""
        if not args:
            return GetKernelStatus()
        if len(args) == 1:
            return GetKernelStatus(args[0])
        return GetKernelStatus(args)

    def __setattr__(self, attr, value):
        # PyNEST refuses to shadow kernel attributes or to invent new module attributes
        # silently; evplast refuses unknown ones the same way.
        if (
            attr.startswith("_")
            or attr in self.__dict__
            or hasattr(type(self), attr)
            or f"{self.__name__}.{attr}" in sys.modules
        ):
            return super().__setattr__(attr, value)
        raise AttributeError(f"Cannot set attribute '{attr}' of the nest module: it is not a kernel attribute")


for _name, _ro in (
    ("resolution", False),
    ("rng_seed", False),
    ("local_num_threads", False),
    ("total_num_virtual_procs", False),
    ("scheme", False),
    ("history_horizon", False),
    ("verbosity", False),
    ("print_time", False),
    ("overwrite_files", False),
    ("data_path", False),
    ("data_prefix", False),
    ("dict_miss_is_error", False),
    ("keep_source_table", False),
    ("use_compressed_spikes", False),
    ("off_grid_spiking", False),
    ("rng_type", False),
    ("biological_time", True),
    ("build_info", True),
    ("node_models", True),
    ("synapse_models", True),
    ("network_size", True),
    ("num_connections", True),
    ("min_delay", True),
    ("max_delay", True),
    ("num_processes", True),
    ("ms_per_tic", True),
    ("tics_per_ms", True),
    ("tics_per_step", True),
    ("T_max", True),
    ("T_min", True),
    ("to_do", True),
    ("rng_types", True),
    ("connection_rules", True),
    ("recording_backends", True),
    ("memory_size", True),
):
    setattr(_EvplastModule, _name, _kattr(_name, _ro))

for _m in ("spatial", "math", "logic", "spatial_distributions", "raster_plot", "voltage_trace", "visualization", "server"):
    setattr(
        _EvplastModule,
        _m,
        property(lambda self, _m=_m: (_ for _ in ()).throw(not_supported(f"nest.{_m}"))),
    )

userdict = {}

del _n, _name, _ro, _m
sys.modules[__name__].__class__ = _EvplastModule
