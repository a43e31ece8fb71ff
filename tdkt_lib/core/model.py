"""The bloc's data: units, the scoring table (a tree of sections and criteria) and the scores."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

import numpy as np

from tdkt_lib.core.numbers import clean_text


class Kind(StrEnum):
    """How a criterion's points enter a total: added (normal, bonus) or subtracted (deduction)."""

    NORMAL = "normal"
    BONUS = "bonus"
    DEDUCTION = "deduction"

    @property
    def sign(self) -> int:
        return -1 if self is Kind.DEDUCTION else 1

    @property
    def label(self) -> str:
        return {"normal": "Tiêu chí", "bonus": "Điểm cộng", "deduction": "Điểm trừ"}[self.value]


@functools.lru_cache(maxsize=8192)
def code_key(code: str) -> str:
    """Matching key for a code typed by hand: NFC, no stray spaces, case-insensitive.

    Cached: a bloc has a few hundred codes but every one of its scores names three.
    """
    return clean_text(code).casefold()


@dataclass(frozen=True)
class Unit:
    """A member unit of the bloc. An ineligible unit is ranked but not proposed."""

    code: str
    name: str = ""
    eligible: bool = True
    reason: str = ""


@dataclass(frozen=True)
class Section:
    """A heading of the scoring table; its coefficient applies to criteria without their own."""

    code: str
    title: str = ""
    coefficient: Decimal | None = None
    parent: str | None = None


@dataclass(frozen=True)
class Criterion:
    """One row of the scoring table. `maximum` bounds the raw points entered."""

    code: str
    title: str
    maximum: Decimal
    kind: Kind = Kind.NORMAL
    coefficient: Decimal | None = None
    priority: bool = False
    section: str | None = None
    disqualifying: bool = False


@dataclass(frozen=True)
class ScoringTable:
    """Sections and criteria in table order."""

    criteria: tuple[Criterion, ...]
    sections: tuple[Section, ...] = ()

    def __post_init__(self) -> None:
        codes = [code_key(c.code) for c in self.criteria]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate criterion codes")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.criteria)

    def section(self, code: str | None) -> Section | None:
        """The section with this code (matched like every code: case and stray spaces ignored)."""
        if code is None:
            return None
        return next((s for s in self.sections if code_key(s.code) == code_key(code)), None)

    def coefficient(self, criterion: Criterion) -> Decimal:
        """Own coefficient, else the nearest section's, else 1."""
        if criterion.coefficient is not None:
            return criterion.coefficient
        seen: set[str] = set()
        section = self.section(criterion.section)
        while section is not None and section.code not in seen:
            if section.coefficient is not None:
                return section.coefficient
            seen.add(section.code)
            section = self.section(section.parent)
        return Decimal(1)

    def maximum_total(self) -> Decimal:
        """The most a unit can get without bonus points: Σ coef·max over normal criteria."""
        return sum(
            (self.coefficient(c) * c.maximum for c in self.criteria if c.kind is Kind.NORMAL),
            Decimal(0),
        )


@dataclass
class ScoreArray:
    """scorer × unit × criterion points as scaled integers; `present` False means no score.

    `points[s, u, c] / 10**places` is the exact decimal entered. Scorers are the
    bloc's units, in the same order.
    """

    units: tuple[Unit, ...]
    table: ScoringTable
    points: np.ndarray
    present: np.ndarray
    places: int
    refused: np.ndarray       # content entered but refused (and reported): neither a score nor a blank
    origins: Mapping[int, Mapping[str, object]] = field(default_factory=dict)   # by flat index: see `origin`

    @property
    def scale(self) -> int:
        return 10**self.places

    @property
    def unanswered(self) -> np.ndarray:
        """Cells left blank: no score and no refused content (that is reported once, as itself)."""
        return ~(self.present | self.refused)

    def origin(self, s: int, u: int, c: int) -> Mapping[str, object]:
        """Where the score of (s, u, c) was read (file, sheet, cell or line); empty when unknown."""
        return self.origins.get((int(s) * len(self.units) + int(u)) * len(self.table.criteria) + int(c), {})

    def value(self, s: int, u: int, c: int) -> Decimal | None:
        if not self.present[s, u, c]:
            return None
        return Decimal(int(self.points[s, u, c])).scaleb(-self.places)
