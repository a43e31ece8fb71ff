"""Votes (--votes/--voters), acclamation threshold, the appraisal list (top three) and awards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from blocs import make_profile, run, uniform

from tdkt_lib.adapters.profiles import load_profile
from tdkt_lib.core.model import Criterion, Unit
from tdkt_lib.core.result import Ballot

# ---------------------------------------------------------------- votes through the CLI
# The built-in example: SGTVT first (96.00); SNN and SCT equal on every step (rank 5, 5).


@pytest.fixture
def vote(tdkt, example, tmp_path):
    def score(votes_csv: str, *extra: object):
        path = tmp_path / "votes.csv"
        path.write_text(votes_csv, encoding="utf-8")
        return tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
                    "--scores", example / "scores.csv", "--votes", path, "--json", *extra)

    return score


def test_votes_order_units_still_tied_after_the_chain(vote):
    run_ = vote("unit,votes\nSNN,3\nSCT,5\nSGTVT,7\n", "--voters", 7)
    assert run_.code == 0, run_.err
    doc = run_.json
    rows = {u["unit"]: u for u in doc["units"]}
    assert (rows["SCT"]["rank"], rows["SNN"]["rank"]) == (5, 6)
    assert rows["SCT"]["decided_by"] == rows["SNN"]["decided_by"] == "votes"
    assert (rows["SCT"]["votes"], rows["SNN"]["votes"]) == (5, 3)
    assert doc["needs_vote"] == []
    order = [u["unit"] for u in doc["units"]]
    assert order.index("SCT") < order.index("SNN")
    # Votes do not reorder units the chain already separated: STC stays last.
    assert order[-1] == "STC" and rows["STC"]["rank"] == 7


def test_equal_votes_still_need_a_vote(vote):
    doc = vote("unit,votes\nSNN,4\nSCT,4\n", "--voters", 7).json
    assert doc["needs_vote"] == [["SNN", "SCT"]]
    assert {u["decided_by"] for u in doc["units"] if u["unit"] in ("SNN", "SCT")} == {"vote_needed"}


def test_missing_votes_for_a_tied_unit_are_reported(vote):
    doc = vote("unit,votes\nSNN,4\n", "--voters", 7).json
    assert "VOTES_MISSING" in [i["code"] for i in doc["issues"]]


@pytest.mark.parametrize(
    ("votes", "voters", "required", "reached"),
    [
        (6, 9, 6, True),    # 6/9 = 2/3 exactly: the boundary reaches the threshold
        (5, 9, 6, False),
        (5, 7, 5, True),    # 2/3 · 7 = 4.67 → at least 5
        (4, 7, 5, False),
        (2, 3, 2, True),
        (7, 7, 5, True),
    ],
)
def test_acclamation_threshold(vote, votes, voters, required, reached):
    doc = vote(f"unit,votes\nSGTVT,{votes}\n", "--voters", voters).json
    assert doc["vote"] == {"unit": "SGTVT", "votes": votes, "voters": voters, "threshold": "2/3",
                           "required": required, "reached": reached}
    codes = [i["code"] for i in doc["issues"]]
    assert ("VOTE_THRESHOLD_NOT_REACHED" in codes) is (not reached)


def test_threshold_from_profile(vote, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[vote]\nrequired = true\nthreshold = "1/2"\n', encoding="utf-8")
    doc = vote("unit,votes\nSGTVT,3\n", "--voters", 6, "--profile", path).json
    assert (doc["vote"]["threshold"], doc["vote"]["required"], doc["vote"]["reached"]) == ("1/2", 3, True)


def test_vote_not_checked_without_voters(vote):
    doc = vote("unit,votes\nSGTVT,6\n").json
    assert doc["vote"]["reached"] is None
    assert "VOTE_NOT_CHECKED" in [i["code"] for i in doc["issues"]]


@pytest.mark.parametrize(
    ("votes_csv", "voters", "code"),
    [
        ("unit,votes\nSGTVT,6\nSBN,2\n", 9, "UNKNOWN_UNIT"),
        ("unit,votes\nSGTVT,10\n", 9, "INVALID_VOTES"),
        ("unit,votes\nSGTVT,-1\n", 9, "INVALID_VOTES"),
        ("unit,votes\nSGTVT,2,5\n", 9, "EXTRA_CELLS"),   # 2,5 unquoted in a comma file
        ('unit,votes\nSGTVT,"2,5"\n', 9, "INVALID_VOTES"),
        ("unit,votes\nSGTVT,nhiều\n", 9, "INVALID_VOTES"),
        ("unit,votes\nSGTVT,6\nSGTVT,6\n", 9, "DUPLICATE_ENTRY"),
        ("unit,votes\nSGTVT,6\n", 0, "INVALID_VOTES"),
    ],
)
def test_bad_votes_file_blocks(vote, votes_csv, voters, code):
    run_ = vote(votes_csv, "--voters", voters)
    assert run_.code == 2
    doc = run_.json
    assert doc["ranked"] is False and doc["units"] == []
    assert code in [i["code"] for i in doc["issues"]]
    assert "Traceback" not in run_.err


# ---------------------------------------------------------------- top three, in memory

K = Criterion("K", "Tổng hợp", Decimal(100))


def bloc(points: dict[str, str], units=None, profile=None, criteria=(K,), extra=None):
    codes = tuple(points)
    values = uniform(codes, criteria, {u: (p,) if isinstance(p, str) else p for u, p in points.items()})
    values.update(extra or {})
    return run(codes, criteria, values, profile, units=units).as_json()


def test_ineligible_unit_keeps_its_rank_and_is_skipped_with_its_reason():
    units = (Unit("A"), Unit("B", eligible=False, reason="Đang bị thanh tra"), Unit("C"), Unit("D"), Unit("E"))
    doc = bloc({"A": "95", "B": "94", "C": "93", "D": "92", "E": "91"}, units=units)
    assert [(u["unit"], u["rank"], u["eligible"]) for u in doc["units"]][:2] == [("A", 1, True), ("B", 2, False)]
    assert doc["top"] == ["A", "C", "D"]
    assert doc["skipped"] == [{"unit": "B", "reason": "Đang bị thanh tra"}]
    assert doc["units"][1]["reason"] == "Đang bị thanh tra"


def test_ineligible_unit_below_the_list_is_not_listed_as_skipped():
    units = (Unit("A"), Unit("B"), Unit("C"), Unit("D"), Unit("E", eligible=False, reason="x"))
    doc = bloc({"A": "95", "B": "94", "C": "93", "D": "92", "E": "91"}, units=units)
    assert doc["top"] == ["A", "B", "C"] and doc["skipped"] == []


def test_tie_straddling_third_place_brings_all_tied_units_in():
    doc = bloc({"A": "95", "B": "94", "C": "90", "D": "90", "E": "80"})
    assert doc["top"] == ["A", "B", "C", "D"]
    assert doc["top_tie"] is True
    assert doc["needs_vote"] == [["C", "D"]]
    assert "TOP_TIE" in [i["code"] for i in doc["issues"]]


def test_tie_inside_the_list_is_not_a_top_tie():
    doc = bloc({"A": "95", "B": "90", "C": "90", "D": "80"})
    assert doc["top"] == ["A", "B", "C"] and doc["top_tie"] is False


def test_tie_straddling_third_place_after_skipping_an_ineligible_unit():
    units = (Unit("A", eligible=False, reason="r"), Unit("B"), Unit("C"), Unit("D"), Unit("E"))
    doc = bloc({"A": "99", "B": "95", "C": "94", "D": "90", "E": "90"}, units=units)
    assert doc["top"] == ["B", "C", "D", "E"] and doc["top_tie"] is True


def test_disqualifying_criterion_makes_a_unit_ineligible():
    # DQ ("đang bị điều tra") carries coefficient 0 so it does not change the score.
    dq = Criterion("DQ", "Đang bị điều tra", Decimal(1), coefficient=Decimal(0), disqualifying=True)
    points = {u: (p, "0") for u, p in {"A": "95", "B": "94", "C": "93", "D": "92"}.items()}
    doc = bloc(points, criteria=(K, dq), extra={("C", "B", "DQ"): "1"})
    rows = {u["unit"]: u for u in doc["units"]}
    assert rows["B"]["eligible"] is False and rows["B"]["rank"] == 2 and rows["B"]["score"] == 94.0
    assert "DQ" in rows["B"]["reason"] and "C" in rows["B"]["reason"]
    assert doc["top"] == ["A", "C", "D"]
    assert [s["unit"] for s in doc["skipped"]] == ["B"]


def test_disqualifying_column_through_the_cli(tdkt, tmp_path):
    (tmp_path / "u.csv").write_text("unit\nA\nB\nC\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("criterion,title,max,kind,coefficient,priority,section,disqualifying\n"
                                    "K,Tổng hợp,10,normal,,,,\nDQ,Đang bị thanh tra,1,normal,0,,,x\n",
                                    encoding="utf-8")
    rows = ["scorer,unit,criterion,points"]
    for s in "ABC":
        for u, p in zip("ABC", ("9", "8", "7"), strict=True):
            rows += [f"{s},{u},K,{p}", f"{s},{u},DQ,{1 if u == 'A' and s == 'B' else 0}"]
    (tmp_path / "s.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    doc = tdkt("score", "--units", tmp_path / "u.csv", "--criteria", tmp_path / "c.csv",
               "--scores", tmp_path / "s.csv", "--json").json
    assert doc["units"][0]["unit"] == "A" and doc["units"][0]["eligible"] is False
    assert doc["top"] == ["B", "C"]


def test_awards_and_classification_from_a_custom_profile(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        '[appraisal]\ntop = 2\n'
        '[[awards]]\ntitle = "Cờ thi đua"\ncount = 1\n'
        '[[awards]]\ntitle = "Bằng khen"\ncount = 2\n'
        '[[classification]]\nlabel = "Xuất sắc"\nmin = "90"\n'
        '[[classification]]\nlabel = "Tốt"\nmin_percent = "80"\n'
        '[[classification]]\nlabel = "Khá"\nmin = "69,5"\n',
        encoding="utf-8")
    profile = load_profile(str(path))
    units = (Unit("A"), Unit("B", eligible=False, reason="r"), Unit("C"), Unit("D"), Unit("E"), Unit("F"))
    # Table max 100 → "Tốt" from 80. E and F tie on 70 → the second certificate straddles.
    doc = bloc({"A": "95", "B": "90", "C": "89,99", "D": "80", "E": "70", "F": "69,49"}, units=units,
               profile=profile)
    rows = {u["unit"]: u for u in doc["units"]}
    assert doc["top"] == ["A", "C"]
    assert {u: rows[u]["classification"] for u in rows} == {
        "A": "Xuất sắc", "B": "Xuất sắc", "C": "Tốt", "D": "Tốt", "E": "Khá", "F": None}
    assert {u: rows[u]["award"] for u in rows} == {
        "A": "Cờ thi đua", "B": None, "C": "Bằng khen", "D": "Bằng khen", "E": None, "F": None}
    assert doc["awards"] == [{"title": "Cờ thi đua", "units": ["A"], "tie": False},
                             {"title": "Bằng khen", "units": ["C", "D"], "tie": False}]


def test_award_tie_brings_every_tied_unit_in():
    profile = make_profile(awards=[{"title": "Cờ", "count": 1}, {"title": "Bằng khen", "count": 1}])
    doc = bloc({"A": "95", "B": "90", "C": "90", "D": "80"}, profile=profile)
    assert doc["awards"] == [{"title": "Cờ", "units": ["A"], "tie": False},
                             {"title": "Bằng khen", "units": ["B", "C"], "tie": True}]


def test_ballot_in_memory_reorders_a_top_tie():
    codes = ("A", "B", "C", "D")
    values = uniform(codes, (K,), {"A": ("95",), "B": ("94",), "C": ("90",), "D": ("90",)})
    result = run(codes, (K,), values, ballot=Ballot({"d": 5, "C": 2}, voters=7))
    doc = result.as_json()
    assert doc["top"] == ["A", "B", "D"] and doc["top_tie"] is False
    assert [u["rank"] for u in doc["units"]] == [1, 2, 3, 4]


def test_a_profile_that_requires_a_vote_says_so_when_no_ballot_is_given(tdkt, example):
    run = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
               "--scores", example / "scores.csv", "--profile", "lao-cai-2023", "--json")
    assert run.code == 0
    assert "VOTE_REQUIRED" in [i["code"] for i in run.json["issues"]]
    other = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
                 "--scores", example / "scores.csv", "--profile", "hai-phong-2024", "--json")
    assert "VOTE_REQUIRED" not in [i["code"] for i in other.json["issues"]]


def test_duplicate_vote_rows_are_matched_like_codes(tdkt, example, tmp_path):
    votes = tmp_path / "votes.csv"
    votes.write_text("unit,votes\nSNN,4\n snn ,5\n", encoding="utf-8")
    run = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
               "--scores", example / "scores.csv", "--votes", votes, "--voters", 7, "--json")
    assert run.code == 2
    assert "DUPLICATE_ENTRY" in [i["code"] for i in run.json["issues"]]
