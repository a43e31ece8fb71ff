"""Rule profiles: each packaged profile against its seed document, and the strict schema."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from blocs import run

from tdkt_lib.adapters.profiles import load_profile, profile_names
from tdkt_lib.core.model import Criterion, Kind
from tdkt_lib.core.profile import DayMonth, ProfileError

DEFAULT_CHAIN = ("score", "priority", "cross_mean", "deductions")


def test_packaged_profiles_are_exactly_these():
    assert profile_names() == [
        "default", "hai-phong-2024", "lao-cai-2023", "thua-thien-hue-2020", "thua-thien-hue-2023"]


def test_default_profile_is_the_seed_rule():
    p = load_profile()
    assert load_profile("default") == p
    assert (p.method, p.missing_sheets, p.self_weight) == ("mean", "error", None)
    assert p.tie_break == DEFAULT_CHAIN
    assert p.top_count == 3
    assert p.vote_required is False and p.vote_threshold == Fraction(2, 3)
    assert [(a.title, a.count) for a in p.awards] == [("Cờ thi đua", 1)]
    assert p.deadlines == {} and p.appraisal == (None, None)
    assert p.defaulted == ()  # the default is its own source
    assert "1516/KH-KTĐ" in p.source["document"]


def test_hai_phong_2024_seed_004():
    # Seed 004, Kế hoạch 1516/KH-KTĐ ngày 09/4/2024: "[Điểm đơn vị tự chấm (1) + Điểm của 6 đơn vị
    # trong Khối chấm chéo (2)]/7"; báo cáo tổng kết và bảng chấm điểm "trước ngày 08/12/2024".
    p = load_profile("hai-phong-2024")
    assert p.id == "hai-phong-2024"
    assert "1516/KH-KTĐ" in p.source["document"] and p.source["seed"] == "004"
    assert p.source["date"] == "09/04/2024"
    assert "/7" in p.source["quote"]
    assert p.method == "mean" and "method.name" not in p.defaulted
    assert p.deadlines == {"reports": DayMonth(8, 12), "score_tables": DayMonth(8, 12)}
    # The plan says nothing about appraisal, votes or tie-breaks: those are defaults.
    assert {"appraisal.top", "vote.threshold", "vote.required", "ranking.tie_break",
            "method.missing_sheets", "awards"} <= set(p.defaulted)


def test_thua_thien_hue_2020_seed_002():
    # Seed 002, Kế hoạch 281/KH-UBND ngày 30/12/2019: báo cáo "Trước 30/11/2020", kết quả "trước ngày
    # 10/12/2020", thẩm định "Từ ngày 10/12/2020 đến 18/12/2020 ... nhất, nhì, ba".
    p = load_profile("thua-thien-hue-2020")
    assert "281/KH-UBND" in p.source["document"] and p.source["seed"] == "002"
    assert p.deadlines == {"reports": DayMonth(30, 11), "results": DayMonth(10, 12)}
    assert p.appraisal == (DayMonth(10, 12), DayMonth(18, 12))
    assert p.top_count == 3 and "appraisal.top" not in p.defaulted
    assert "method.name" in p.defaulted  # the plan leaves the method to each bloc
    assert p.awards[0].title == "Cờ thi đua của UBND tỉnh"


def test_thua_thien_hue_2023_seed_000():
    # Seed 000, Kế hoạch 469/KH-UBND ngày 21/12/2022: báo cáo "Trước 30/11/2023", kết quả "trước ngày
    # 07/12/2023", thẩm định "Từ ngày 07/12/2023 đến 14/12/2023 ... nhất, nhì, ba".
    p = load_profile("thua-thien-hue-2023")
    assert "469/KH-UBND" in p.source["document"] and p.source["seed"] == "000"
    assert p.source["date"] == "21/12/2022"
    assert p.deadlines == {"reports": DayMonth(30, 11), "results": DayMonth(7, 12)}
    assert p.appraisal == (DayMonth(7, 12), DayMonth(14, 12))
    assert p.top_count == 3
    assert "method.name" in p.defaulted


def test_lao_cai_2023_seed_003():
    # Seed 003, Kế hoạch 05-KH/KTĐ ngày 28/11/2023: bảng chấm điểm "trước ngày 05/12/2023", báo cáo
    # "trước ngày 11/12/2023", hội nghị "dự kiến ngày 19/12/2023", "Bình xét thi đua, suy tôn đề nghị
    # tặng Cờ thi đua của Chủ tịch UBND tỉnh".
    p = load_profile("lao-cai-2023")
    assert "05-KH/KTĐ" in p.source["document"] and p.source["seed"] == "003"
    assert p.source["date"] == "28/11/2023"
    assert p.deadlines == {"score_tables": DayMonth(5, 12), "reports": DayMonth(11, 12),
                           "conference": DayMonth(19, 12)}
    assert p.vote_required is True and "vote.required" not in p.defaulted
    assert "vote.threshold" in p.defaulted  # the plan says "theo quy định", not a fraction
    assert p.awards[0].title == "Cờ thi đua của Chủ tịch UBND tỉnh"
    assert p.appraisal == (None, None)


@pytest.mark.parametrize("name", ["hai-phong-2024", "lao-cai-2023", "thua-thien-hue-2020", "thua-thien-hue-2023"])
def test_every_seed_profile_cites_its_document(name):
    p = load_profile(name)
    assert p.id == name and p.title
    for key in ("document", "issuer", "title", "date", "seed", "quote"):
        assert p.source.get(key), key


def write(tmp_path, text: str) -> str:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ('[methd]\nname = "mean"\n', "«method»"),
        ('[method]\nnme = "mean"\n', "«method.name»"),
        ('[deadlines]\nresult = "07/12"\n', "«deadlines.results»"),
        ('tittle = "x"\n', "«title»"),
        ('[ranking]\ntiebreak = ["score"]\n', "«ranking.tie_break»"),
        ('[[awards]]\ntitle = "Cờ"\ncout = 1\n', "«awards.count»"),
    ],
)
def test_misspelt_keys_are_errors_with_a_suggestion(tmp_path, text, suggestion):
    with pytest.raises(ProfileError) as exc:
        load_profile(write(tmp_path, text))
    assert suggestion in str(exc.value)


@pytest.mark.parametrize(
    "text",
    [
        'zzz = 1\n',
        '[appraisal]\ntop = "3"\n',
        '[appraisal]\ntop = 0\n',
        '[vote]\nrequired = "yes"\n',
        '[vote]\nthreshold = "3/2"\n',
        '[method]\nname = "median"\n',
        '[method]\nname = "weighted"\n',
        '[method]\nname = "weighted"\nself_weight = "1,5"\n',
        '[method]\nmissing_sheets = "ignore"\n',
        '[deadlines]\nresults = "31/13"\n',
        '[[classification]]\nlabel = "Xuất sắc"\n',
        '[[classification]]\nlabel = "Xuất sắc"\nmin = "90"\nmin_percent = "90"\n',
        'method = "mean"\n',
        'this is not toml',
    ],
)
def test_invalid_profiles_are_errors(tmp_path, text):
    with pytest.raises(ProfileError):
        load_profile(write(tmp_path, text))


def test_unknown_profile_name_lists_the_packaged_ones():
    with pytest.raises(ProfileError) as exc:
        load_profile("hai-phong-2042")
    assert "hai-phong-2024" in str(exc.value)


def test_defaulted_lists_what_came_from_the_default(tmp_path):
    p = load_profile(write(tmp_path, '[method]\nname = "weighted"\nself_weight = "1/3"\n'
                                     '[deadlines]\nresults = "07/12"\n'))
    assert p.method == "weighted" and p.self_weight == Fraction(1, 3)
    assert "method.name" not in p.defaulted and "method.self_weight" not in p.defaulted
    assert "deadlines.results" not in p.defaulted
    assert {"method.missing_sheets", "ranking.tie_break", "appraisal.top", "vote.threshold",
            "vote.required", "awards"} <= set(p.defaulted)
    assert not any(d.startswith("source.") for d in p.defaulted)


def test_extends_a_packaged_profile(tmp_path):
    p = load_profile(write(tmp_path, 'id = "lc-2024"\nextends = "lao-cai-2023"\n[deadlines]\nconference = "20/12"\n'))
    assert p.id == "lc-2024"
    assert p.vote_required is True  # inherited
    assert p.deadlines["conference"] == DayMonth(20, 12)
    assert p.deadlines["score_tables"] == DayMonth(5, 12)


def _tie_bloc():
    # X and Y: equal score (every sheet 10 − 1 = 9 vs 9.5 − 0.5 = 9), X has more priority points,
    # Y fewer deductions. The default chain puts X first (priority); dropping "priority" puts Y first.
    criteria = (Criterion("P", "", Decimal(10), priority=True),
                Criterion("D", "", Decimal(5), kind=Kind.DEDUCTION))
    values = {}
    for s in ("X", "Y"):
        values[(s, "X", "P")], values[(s, "X", "D")] = "10", "1"
        values[(s, "Y", "P")], values[(s, "Y", "D")] = "9,5", "0,5"
    return ("X", "Y"), criteria, values


@pytest.mark.parametrize(
    ("chain", "first", "decided_by"),
    [
        (None, "X", "priority"),
        ('["score", "deductions", "priority"]', "Y", "deductions"),
        ('["score", "deductions"]', "Y", "deductions"),
        ('["score"]', None, "vote_needed"),
    ],
)
def test_tie_break_reorder_and_drop(tmp_path, chain, first, decided_by):
    text = f"[ranking]\ntie_break = {chain}\n" if chain else "id = 'x'\n"
    profile = load_profile(write(tmp_path, text))
    codes, criteria, values = _tie_bloc()
    doc = run(codes, criteria, values, profile).as_json()
    assert {u["decided_by"] for u in doc["units"]} == {decided_by}
    if first is None:
        assert [u["rank"] for u in doc["units"]] == [1, 1]
        assert doc["needs_vote"] == [["X", "Y"]]
    else:
        assert doc["units"][0]["unit"] == first
        assert [u["rank"] for u in doc["units"]] == [1, 2]


@pytest.mark.parametrize(
    "chain", ['["priority", "score"]', "[]", '["score", "score"]', '["score", "luck"]', '["score", 1]'])
def test_tie_break_must_start_with_score(tmp_path, chain):
    with pytest.raises(ProfileError):
        load_profile(write(tmp_path, f"[ranking]\ntie_break = {chain}\n"))


def test_cli_lists_and_shows_profiles(tdkt):
    run_all = tdkt("profiles")
    assert run_all.code == 0
    for name in profile_names():
        assert name in run_all.out
    shown = tdkt("profiles", "lao-cai-2023")
    assert shown.code == 0
    assert "05/12" in shown.out and "19/12" in shown.out and "05-KH/KTĐ" in shown.out
    assert "vote.threshold" in shown.out  # listed as taken from the default
    bad = tdkt("profiles", "lao-cai-2032")
    assert bad.code == 2 and "Traceback" not in bad.err


def test_cli_profile_from_a_file(tdkt, example, tmp_path):
    path = write(tmp_path, 'id = "tinh-x"\ntitle = "Tỉnh X"\n[source]\ndocument = "Quyết định 1/QĐ"\n'
                           '[appraisal]\ntop = 2\n')
    doc = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
               "--scores", example / "scores.csv", "--profile", path, "--json").json
    assert doc["profile"]["id"] == "tinh-x" and doc["profile"]["document"] == "Quyết định 1/QĐ"
    assert len(doc["top"]) == 2
    assert "appraisal.top" not in doc["profile"]["defaults"]
    assert "ranking.tie_break" in doc["profile"]["defaults"]
