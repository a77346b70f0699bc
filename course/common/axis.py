"""Chart axes: ticks at steps of 1, 2 or 5 times a power of ten, as people read them.

Pure (no Django); shared by the server-rendered SVG charts (monitoring, power tuning).
"""

from __future__ import annotations

import math


def nice_step(top: float, most: int) -> float:
    """The step of 1, 2 or 5 times a power of ten that divides [0, top] into at most ``most``
    steps (1 for an empty axis)."""
    if top <= 0:
        return 1.0
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns
