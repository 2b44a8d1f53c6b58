"""Random parameters as PyNEST 3.10 spells them (``nest.random.uniform(min, max)`` …)."""

import numbers


class Parameter:
    """A distribution the kernel draws from. Unlike PyNEST, arithmetic on parameters and
    spatial parameters are not supported."""

    def __init__(self, name, **args):
        for k, v in args.items():
            if isinstance(v, Parameter) or not isinstance(v, numbers.Real):
                from .._errors import not_supported

                raise not_supported(f"a {name} parameter whose {k} is not a number")
        self._evplast_dist = (name, {k: float(v) for k, v in args.items()})


    def __repr__(self):
        name, args = self._evplast_dist
        return f"nest.random.{name}(" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + ")"

    def _unsupported(self, *_):
        from .._errors import not_supported

        raise not_supported("arithmetic on nest.random parameters")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _unsupported
    __truediv__ = __rtruediv__ = __pow__ = __neg__ = _unsupported


def uniform(min=0.0, max=1.0):
    """Uniform on [min, max)."""
    return Parameter("uniform", min=min, max=max)


def normal(mean=0.0, std=1.0):
    """Normal with mean and standard deviation."""
    return Parameter("normal", mean=mean, std=std)


def lognormal(mean=0.0, std=1.0):
    """Log-normal: exp of a normal with mean and std."""
    return Parameter("lognormal", mean=mean, std=std)


def exponential(beta=1.0):
    """Exponential with scale beta (mean beta)."""
    return Parameter("exponential", beta=beta)
