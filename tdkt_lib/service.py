"""Actions shared by every front end (CLI, ribbon): read inputs, run the core, return results."""

from __future__ import annotations

from pathlib import Path

from tdkt_lib.adapters.csv_input import read_criteria, read_scores, read_units, read_votes
from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.core.problems import InputError, Problem
from tdkt_lib.core.result import Ballot, BlocResult, evaluate
from tdkt_lib.core.scores import build_scores


def read_ballot(votes: Path | None, voters: int | None) -> Ballot | None:
    if votes is None:
        return None
    return read_votes(votes, voters)


def score_csv(
    units: Path,
    criteria: Path,
    scores: Path,
    profile: str | None = None,
    votes: Path | None = None,
    voters: int | None = None,
) -> BlocResult:
    """The CSV contract: units + criteria + long-format scores → a ranked (or refused) bloc."""
    problems: list[Problem] = []
    notes: list[Problem] = []
    parts = {}
    for key, reader, path in (
        ("units", lambda p: read_units(p, notes), units),
        ("table", lambda p: read_criteria(p, notes), criteria),
        ("entries", read_scores, scores),
    ):
        try:
            parts[key] = reader(path)
        except InputError as exc:
            problems += exc.problems
    ballot = None
    try:
        ballot = read_ballot(votes, voters)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    rules = load_profile(profile)
    array, build_problems = build_scores(parts["units"], parts["table"], parts["entries"])
    return evaluate(array, rules, notes + build_problems, ballot)
