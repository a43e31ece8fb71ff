"""SHA-256 fingerprints of what a ranking was computed from, part by part.

Each part (units, scoring table, profile, each scorer's sheet) is hashed over a canonical
JSON text, so `tdkt verify` can say which part changed after scoring.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tdkt_lib.core.model import ScoreArray
from tdkt_lib.core.profile import Profile

ALL = "all"


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return _canonical(asdict(value))
    return value


def _digest(value: Any) -> str:
    text = json.dumps(_canonical(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint_parts(scores: ScoreArray, profile: Profile) -> dict[str, str]:
    """{"units": …, "criteria": …, "profile": …, "scorer:<code>": …, "all": …} as hex SHA-256."""
    rules = {k: v for k, v in asdict(profile).items() if k not in ("title", "source", "defaulted")}
    parts = {
        "units": _digest([(u.code, u.name, u.eligible, u.reason) for u in scores.units]),
        "criteria": _digest([scores.table.criteria, scores.table.sections]),
        "profile": _digest(rules),
    }
    criteria = [c.code for c in scores.table.criteria]
    for s, scorer in enumerate(scores.units):
        parts[f"scorer:{scorer.code}"] = _digest([
            [unit.code, criteria[c], scores.value(s, u, c)]
            for u, unit in enumerate(scores.units)
            for c in range(len(criteria))
        ])
    parts[ALL] = _digest(sorted(parts.items()))
    return parts
