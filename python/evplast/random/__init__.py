"""``nest.random``: random parameters drawn by the kernel per node (Create, set) or per
connection (Connect's weight and delay, synapse parameters)."""

from ._parameter import Parameter, exponential, lognormal, normal, uniform

__all__ = ["Parameter", "exponential", "lognormal", "normal", "uniform"]
