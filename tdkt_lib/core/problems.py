"""Structured problems: what is wrong, how bad, and where."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """`error` blocks the ranking; `warning` is reported; `info` is a note for people about what
    tdkt did to the input (e.g. text converted from TCVN3): stderr and the Kiểm tra sheet, never a
    JSON result document."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Location:
    """Where a problem is: in the data (scorer/unit/criterion) and in a file."""

    scorer: str | None = None
    unit: str | None = None
    criterion: str | None = None
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def describe(self) -> str:
        """Vietnamese 'where' text, e.g. `tệp S.csv, dòng 12`."""
        parts = []
        if self.file:
            parts.append(f"tệp {self.file}")
        if self.sheet:
            parts.append(f"trang tính «{self.sheet}»")
        if self.cell:
            parts.append(f"ô {self.cell}")
        if self.line is not None:
            parts.append(f"dòng {self.line}")
        if self.scorer:
            parts.append(f"đơn vị chấm {self.scorer}")
        if self.unit:
            parts.append(f"đơn vị được chấm {self.unit}")
        if self.criterion:
            parts.append(f"tiêu chí {self.criterion}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One finding. `code` is stable (for programs), `message` is for officers."""

    code: str
    severity: Severity
    message: str
    where: Location = field(default_factory=Location)

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def is_note(self) -> bool:
        return self.severity is Severity.INFO

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            **self.where.as_dict(),
        }

    def describe(self) -> str:
        where = self.where.describe()
        label = {"error": "LỖI", "warning": "CẢNH BÁO", "info": "GHI CHÚ"}[self.severity.value]
        return f"[{label}] {where}: {self.message}" if where else f"[{label}] {self.message}"


def error(code: str, message: str, **where: object) -> Problem:
    return Problem(code, Severity.ERROR, message, Location(**where))  # type: ignore[arg-type]


def warning(code: str, message: str, **where: object) -> Problem:
    return Problem(code, Severity.WARNING, message, Location(**where))  # type: ignore[arg-type]


def info(code: str, message: str, **where: object) -> Problem:
    return Problem(code, Severity.INFO, message, Location(**where))  # type: ignore[arg-type]


class InputError(Exception):
    """Input that cannot be used at all; carries the problems that say why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.describe() for p in problems))
        self.problems = problems
