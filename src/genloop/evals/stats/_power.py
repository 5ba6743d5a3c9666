"""Sample size and power: can ``n`` items detect an effect, and how many would?

Normal approximation for a two-sided test at level ``alpha`` (e.g. Chow, Shao & Wang, "Sample Size
Calculations in Clinical Research", ch. 3-4), with ``z_q`` the standard normal quantile:

* paired (per-item differences with standard deviation ``sd``):  ``n = ((z_{1-alpha/2} + z_power) * sd / effect)^2``
* two-sample (independent groups, ``sd`` within each): ``n per group = 2 * ((z_{1-alpha/2} + z_power) * sd / effect)^2``
* a proportion ``p`` stands for ``sd = sqrt(p (1 - p))``.

Achieved power is ``Phi(effect * sqrt(n / k) / sd - z_{1-alpha/2})`` with k = 1 (paired) or 2 (two-sample).
"""

from __future__ import annotations

import math
from statistics import NormalDist

from genloop.errors import InvalidInput
from genloop.evals.stats._models import PowerCheck

__all__ = ["achieved_power", "power_check", "required_sample_size"]

_STANDARD = NormalDist()


def _sd(sd: float | None, variance: float | None, proportion: float | None) -> float:
    given = [v is not None for v in (sd, variance, proportion)]
    if sum(given) != 1:
        raise InvalidInput("give exactly one of sd, variance or proportion")
    if proportion is not None:
        if not 0.0 <= proportion <= 1.0:
            raise InvalidInput(f"a proportion is between 0 and 1, not {proportion}")
        return math.sqrt(proportion * (1 - proportion))
    if variance is not None:
        if variance < 0:
            raise InvalidInput(f"a variance cannot be negative ({variance})")
        return math.sqrt(variance)
    assert sd is not None
    if sd < 0:
        raise InvalidInput(f"a standard deviation cannot be negative ({sd})")
    return float(sd)


def _groups(design: str) -> int:
    if design not in ("paired", "two-sample"):
        raise InvalidInput(f"design must be 'paired' or 'two-sample', not {design!r}")
    return 1 if design == "paired" else 2


def _check(alpha: float, power: float) -> None:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise InvalidInput(f"alpha and power must be between 0 and 1 (got {alpha}, {power})")


def required_sample_size(effect: float, *, sd: float | None = None, variance: float | None = None,
                         proportion: float | None = None, alpha: float = 0.05, power: float = 0.8,
                         design: str = "paired") -> int | None:
    """Items (per group for two-sample) needed to detect ``effect``; None when the effect or spread is 0."""
    _check(alpha, power)
    spread, k, effect = _sd(sd, variance, proportion), _groups(design), abs(effect)
    if effect == 0 or spread == 0:
        return None
    z = _STANDARD.inv_cdf(1 - alpha / 2) + _STANDARD.inv_cdf(power)
    return max(2, math.ceil(k * (z * spread / effect) ** 2 - 1e-9))


def achieved_power(n: int, effect: float, *, sd: float, alpha: float = 0.05, design: str = "paired") -> float:
    """The power of ``n`` items to detect ``effect`` at ``alpha`` (normal approximation, the far tail ignored)."""
    _check(alpha, 0.5)
    k = _groups(design)
    if sd <= 0:
        return 1.0 if effect != 0 else alpha
    return _STANDARD.cdf(abs(effect) * math.sqrt(n / k) / sd - _STANDARD.inv_cdf(1 - alpha / 2))


def power_check(n: int, effect: float, *, sd: float | None = None, variance: float | None = None,
                proportion: float | None = None, alpha: float = 0.05, power: float = 0.8,
                design: str = "paired", label: str | None = None) -> PowerCheck:
    """Whether ``n`` items suffice to detect ``effect`` (a minimum effect of interest, or the observed delta),
    given the spread (``sd``, ``variance`` or a ``proportion``); ``message`` says so when they do not."""
    spread = _sd(sd, variance, proportion)
    needed = required_sample_size(effect, sd=spread, alpha=alpha, power=power, design=design)
    reached = achieved_power(n, effect, sd=spread, alpha=alpha, design=design)
    sufficient = needed is None or n >= needed
    message = None
    if not sufficient:
        unit = "items" if design == "paired" else "items per group"
        message = (f"{label + ': ' if label else ''}{n} {unit} are too few to detect a difference of {abs(effect):.3g} "
                   f"(sd {spread:.3g}): about {needed} are needed for {power:.0%} power at alpha {alpha:g} "
                   f"(power now {reached:.0%})")
    return PowerCheck(n=n, effect=abs(effect), sd=spread, alpha=alpha, power=power, design=design,
                      achieved_power=reached, required_n=needed, sufficient=sufficient, message=message)
