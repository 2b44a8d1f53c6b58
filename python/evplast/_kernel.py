"""The one kernel of the process and its status (PyNEST's ``hl_api_simulation``).

The kernel's settings (``resolution``, ``rng_seed``, ``local_num_threads``, ``scheme``,
``history_horizon``) are fixed when the Rust kernel is made. Setting one while no node
exists makes a new kernel with the models copied or changed so far (their calls are
replayed); once nodes exist a change is refused, as NEST refuses a new resolution then.
"""

import enum
import warnings

from . import _evplast
from ._errors import NESTErrors, _GuardedKernel

__version__ = "0.1.0"


class VerbosityLevel(enum.IntEnum):
    """NEST's message levels, most chatty first."""

    ALL = 0
    DEBUG = 5
    STATUS = 7
    INFO = 10
    PROGRESS = 15
    DEPRECATED = 18
    WARNING = 20
    ERROR = 30
    FATAL = 40
    QUIET = 100


_CONFIG_DEFAULTS = {
    "resolution": 0.1,
    "rng_seed": 1,
    "local_num_threads": 1,
    "scheme": "auto",
    "history_horizon": 1000.0,
}

# Settable keys that change nothing in evplast's simulation but that PyNEST scripts set.
_PASSIVE_DEFAULTS = {
    "print_time": False,
    "overwrite_files": False,
    "data_path": "",
    "data_prefix": "",
    "dict_miss_is_error": True,
    "keep_source_table": True,
    "use_compressed_spikes": True,
    "off_grid_spiking": False,
    "rng_type": "xoshiro256++",
}

BUILD_INFO = {
    "version": __version__,
    "exitcode": 0,
    "built": "evplast " + __version__,
    "datadir": "",
    "docdir": "",
    "prefix": "",
    "host": "",
    "hostos": "",
    "hostvendor": "",
    "hostcpu": "",
    "have_gsl": True,  # evplast's RKF45 replays GSL's step-size control
    "have_mpi": False,
    "have_threads": False,
    "have_music": False,
    "have_libneurosim": False,
    "have_sionlib": False,
    "have_boost": False,
    "have_hdf5": False,
    "ndebug": True,
    "threading": "no",
    "mpiexec": "",
    "mpiexec_max_numprocs": 0,
    "mpiexec_numproc_flag": "",
    "mpiexec_preflags": "",
    "mpiexec_postflags": "",
    "test_exitcodes": {},
}


class _State:
    def __init__(self):
        self.generation = 0
        self.verbosity = VerbosityLevel.INFO
        self.reset()

    def reset(self):
        self.config = dict(_CONFIG_DEFAULTS)
        self.passive = dict(_PASSIVE_DEFAULTS)
        self.model_calls = []  # CopyModel / SetDefaults calls, replayed on a new kernel
        self.prepared = False
        self.recorders = []  # ids of recorder nodes (for record_to = "ascii")
        self.generation += 1
        self.raw = _memory_recorders(_evplast.Kernel(**self.config))
        self.kernel = _GuardedKernel(self.raw)

    def remake(self, config):
        try:
            raw = _GuardedKernel(_memory_recorders(_evplast.Kernel(**config)))
        except _evplast.Error as e:
            from ._errors import from_kernel

            raise from_kernel(e) from None
        except (TypeError, OverflowError) as e:
            raise NESTErrors.BadProperty(f"kernel settings: {e}") from None
        for name, args in self.model_calls:
            getattr(raw, name)(*args)
        self.config = config
        self.raw = raw._k
        self.kernel = raw
        self.generation += 1


_RECORDERS = ("spike_recorder", "multimeter", "weight_recorder")


def _memory_recorders(raw):
    # In Python, recorders keep their events in memory unless told otherwise (NEST's
    # default); a model file's default is "ascii".
    for m in _RECORDERS:
        raw.set_defaults(m, {"record_to": "memory"})
    return raw


S = _State()


def _write_ascii():
    """After a run: the recorders with record_to = "ascii" write their files (evplast run's
    format) into data_path (the working directory if empty)."""
    if S.recorders:
        import os

        S.kernel.write_recorder_files(S.recorders, S.passive["data_path"] or os.getcwd())


def _run(t):
    try:
        S.kernel.simulate(float(t))
    finally:
        _write_ascii()


def kernel():
    return S.kernel


def ResetKernel():
    """Forget every node, connection, model change and setting."""
    S.reset()


def _status():
    k = S.kernel
    counts = k.counts()
    h = S.config["resolution"]
    status = dict(S.config)
    status.update(S.passive)
    status.update(
        {
            "biological_time": k.biological_time(),
            "network_size": counts["network_size"],
            "num_connections": counts["num_connections"],
            "min_delay": counts.get("min_delay", h),
            "max_delay": counts.get("max_delay", h),
            "total_num_virtual_procs": S.config["local_num_threads"],
            "num_processes": 1,
            "mpi_address": "",
            "node_models": list(k.model_names("node")),
            "synapse_models": list(k.model_names("synapse")),
            "connection_rules": (
                "all_to_all",
                "fixed_indegree",
                "fixed_outdegree",
                "fixed_total_number",
                "one_to_one",
                "pairwise_bernoulli",
            ),
            "build_info": dict(BUILD_INFO),
            "verbosity": S.verbosity,
            "ms_per_tic": 0.001,
            "tics_per_ms": 1000.0,
            "tics_per_step": int(round(h * 1000.0)),
            "T_min": -(2**31 - 1) * h,
            "T_max": (2**31 - 1) * h,
            "to_do": 0,
            "rng_types": ("xoshiro256++",),
            "recording_backends": ("ascii", "memory"),
            "stimulation_backends": (),
            "memory_size": -1,
            "max_num_syn_models": 512,
        }
    )
    return status


_SETTABLE = set(_CONFIG_DEFAULTS) | set(_PASSIVE_DEFAULTS) | {"verbosity", "total_num_virtual_procs"}


def _readonly_keys():
    return set(_status()) - _SETTABLE


def SetKernelStatus(params):
    """Set kernel parameters (``resolution``, ``rng_seed``, ``local_num_threads``,
    ``scheme`` ("auto", "event", "time", "compressed"), ``history_horizon``, ``verbosity`` …)."""
    if not isinstance(params, dict):
        raise TypeError("SetKernelStatus takes a dictionary")
    params = dict(params)
    raise_errors = params.get("dict_miss_is_error", S.passive["dict_miss_is_error"])
    readonly = _readonly_keys()
    for key in list(params):
        msg = None
        if key in readonly:
            msg = f"`{key}` is a readonly kernel parameter"
        elif key not in _SETTABLE:
            msg = f"`{key}` is not a valid kernel parameter, valid parameters are: " + ", ".join(
                f"'{p}'" for p in sorted(_SETTABLE | readonly)
            )
        if msg is not None:
            if raise_errors:
                raise ValueError(msg)
            warnings.warn(msg + f" \n`{key}` has been ignored")
            del params[key]
    if "total_num_virtual_procs" in params:
        params.setdefault("local_num_threads", params.pop("total_num_virtual_procs"))
    config = dict(S.config)
    for key in _CONFIG_DEFAULTS:
        if key in params:
            config[key] = params.pop(key)
    if "verbosity" in params:
        v = params.pop("verbosity")
        try:
            S.verbosity = VerbosityLevel(v)
        except ValueError:
            raise NESTErrors.BadProperty(f"verbosity: {v!r} is not a VerbosityLevel") from None
    if "rng_type" in params and params["rng_type"] not in ("xoshiro256++",):
        raise NESTErrors.BadProperty(f"rng_type: '{params['rng_type']}' is not available (xoshiro256++)")
    if config != S.config:
        _change_config(config)
    S.passive.update(params)


def _change_config(config):
    if S.kernel.n_nodes() > 0 or S.kernel.is_built():
        changed = sorted(k for k in config if config[k] != S.config[k])
        raise NESTErrors.KernelException(
            f"{', '.join(changed)}: kernel settings cannot change after nodes have been created"
            " (call ResetKernel first)"
        )
    S.remake(config)


def GetKernelStatus(keys=None):
    """The kernel's status: the whole dict, one value, or a list of values."""
    status = _status()
    if keys is None:
        return status
    if isinstance(keys, str):
        return status[keys]
    try:
        return [status[k] for k in keys]
    except TypeError:
        raise TypeError("keys should be either a string or an iterable") from None


def set_verbosity(level):
    """Deprecated: set ``nest.verbosity = nest.VerbosityLevel.XYZ`` instead."""
    warnings.warn(
        "set_verbosity is deprecated; set nest.verbosity = nest.VerbosityLevel.XYZ instead",
        DeprecationWarning,
        stacklevel=2,
    )
    S.verbosity = VerbosityLevel[level.split("_", 1)[1]]


def get_verbosity():
    """Deprecated: the verbosity as an int."""
    warnings.warn("get_verbosity is deprecated; look up nest.verbosity instead", DeprecationWarning, stacklevel=2)
    return int(S.verbosity)


# ------------------------------------------------------------------------------ simulation


def Simulate(t):
    """Simulate ``t`` ms more (builds the network on the first call). Ctrl-C stops at a
    ``min_delay`` boundary with KeyboardInterrupt; a later call goes on from there."""
    _check_time(t)
    _run(t)


def Prepare():
    """Build the network (NEST's Prepare)."""
    S.kernel.prepare()
    S.prepared = True


def Run(t):
    """Simulate ``t`` ms between Prepare and Cleanup."""
    _check_time(t)
    if not S.prepared:
        raise NESTErrors.KernelException("Run: call Prepare() before Run()")
    _run(t)


def Cleanup():
    """End a Prepare/Run sequence."""
    if not S.prepared:
        raise NESTErrors.KernelException("Cleanup: call Prepare() before Cleanup()")
    S.prepared = False


class RunManager:
    """``with nest.RunManager(): nest.Run(t) …`` — Prepare on entry, Cleanup on exit."""

    def __enter__(self):
        Prepare()

    def __exit__(self, *exc):
        Cleanup()


def _check_time(t):
    import numbers

    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise TypeError("the simulation time must be a number (ms)")
