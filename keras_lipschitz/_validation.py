"""Argument checks shared by the public classes and functions."""

import math
import numbers


def check_finite_number(name, value, *, positive, owner=None, hint=None):
    """Returns `value` as a float, or raises a ValueError that says why not.

    Args:
        name: the argument's name, for the message.
        value: the value given.
        positive: True to require `> 0`, False to require `>= 0`.
        owner: the class or function name, to start the message with.
        hint: a typical value, to end the message with.
    """
    valid = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and math.isfinite(value)
        and (value > 0 if positive else value >= 0)
    )
    if not valid:
        prefix = f"{owner} " if owner else ""
        bound = "> 0" if positive else ">= 0"
        suffix = f" ({hint})" if hint else ""
        raise ValueError(f"{prefix}{name} must be a finite number {bound}{suffix}, got {value!r}.")
    return float(value)


def check_positive_integer(name, value, *, owner=None, hint=None):
    """Returns `value` if it is an integer >= 1 (not a bool), else raises."""
    return _check_integer(name, value, 1, owner, hint)


def check_non_negative_integer(name, value, *, owner=None, hint=None):
    """Returns `value` if it is an integer >= 0 (not a bool), else raises."""
    return _check_integer(name, value, 0, owner, hint)


def _check_integer(name, value, minimum, owner, hint):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        prefix = f"{owner} " if owner else ""
        suffix = f" ({hint})" if hint else ""
        raise ValueError(f"{prefix}{name} must be an integer >= {minimum}{suffix}, got {value!r}.")
    return int(value)
