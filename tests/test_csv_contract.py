"""The CSV contract through the `tdkt score` command line: formats, variants, JSON, exit codes."""

from __future__ import annotations

import json
import unicodedata

import pytest

UNITS = "unit,name,eligible,reason\nA,Sở Tài chính,1,\nB,Sở Xây dựng,1,\nC,Sở Nội vụ,1,\n"
CRITERIA = "criterion,title,max,kind\nK1,Chuyên môn,10,normal\nK2,Cải cách hành chính,10,normal\n"
# Every scorer gives A (9.5, 9), B (8, 8.25), C (7, 7): scores 18.50, 16.25, 14.00 — ranks 1, 2, 3.
GIVEN = {"A": ("9.5", "9"), "B": ("8", "8.25"), "C": ("7", "7")}
EXPECTED = [("A", 18.5, 1), ("B", 16.25, 2), ("C", 14.0, 3)]


def score_rows(given=GIVEN, codes=("A", "B", "C")) -> list[list[str]]:
    return [[s, u, c, given[u][i]] for s in codes for u in codes for i, c in enumerate(("K1", "K2"))]


def as_csv(header: str, rows: list[list[str]], sep: str = ",", decimal_comma: bool = False) -> str:
    lines = [header.replace(",", sep)]
    for row in rows:
        cells = [cell.replace(".", ",") if decimal_comma else cell for cell in row]
        lines.append(sep.join(f'"{c}"' if sep == "," and "," in c else c for c in cells))
    return "\n".join(lines) + "\n"


@pytest.fixture
def bloc(tmp_path, tdkt):
    """Write the three files (text or bytes) and run `tdkt score` on them."""

    def score(units=UNITS, criteria=CRITERIA, scores=None, *extra, encoding="utf-8"):
        files = {}
        for name, content in (("units", units), ("criteria", criteria),
                              ("scores", scores if scores is not None else as_csv(
                                  "scorer,unit,criterion,points", score_rows()))):
            path = tmp_path / f"{name}.csv"
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding=encoding)
            files[name] = path
        return tdkt("score", "--units", files["units"], "--criteria", files["criteria"],
                    "--scores", files["scores"], "--json", *extra)

    return score


def ranking(run) -> list[tuple[str, float, int]]:
    return [(u["unit"], u["score"], u["rank"]) for u in run.json["units"]]


def test_baseline_document(bloc):
    run = bloc()
    assert run.code == 0, run.err
    doc = json.loads(run.out)  # the whole of stdout is one JSON document
    assert ranking(run) == EXPECTED
    assert doc["ranked"] is True
    first = doc["units"][0]
    for key in ("unit", "name", "score", "rank", "eligible", "decided_by", "needs_vote", "score_rank"):
        assert key in first
    assert isinstance(first["score"], float) and isinstance(first["rank"], int)
    assert first["name"] == "Sở Tài chính"
    assert doc["top"] == ["A", "B", "C"]
    assert doc["needs_vote"] == [] and doc["top_tie"] is False
    assert doc["issues"] == []
    assert doc["profile"]["id"] == "default"


def test_utf8_bom_on_every_file(bloc):
    bom = "\ufeff"
    run = bloc(bom + UNITS, bom + CRITERIA, bom + as_csv("scorer,unit,criterion,points", score_rows()))
    assert run.code == 0, run.err
    assert ranking(run) == EXPECTED


def test_semicolon_separator_with_decimal_commas(bloc):
    scores = as_csv("scorer,unit,criterion,points", score_rows(), sep=";", decimal_comma=True)
    assert "9,5" in scores and ";" in scores
    run = bloc(UNITS.replace(",", ";"), CRITERIA.replace(",", ";"), scores)
    assert run.code == 0, run.err
    assert ranking(run) == EXPECTED


def test_comma_separator_with_quoted_decimal_commas(bloc):
    scores = as_csv("scorer,unit,criterion,points", score_rows(), sep=",", decimal_comma=True)
    assert '"9,5"' in scores
    run = bloc(scores=scores)
    assert run.code == 0, run.err
    assert ranking(run) == EXPECTED


def test_nfd_text_stray_spaces_and_case_in_codes(bloc):
    units = unicodedata.normalize("NFD", "Unit , Name ,eligible\n Sở_A ,Sở Tài chính , 1\nB,Sở Xây dựng,\nC,x,\n")
    rows = score_rows(given={"Sở_A": GIVEN["A"], "B": GIVEN["B"], "C": GIVEN["C"]}, codes=("Sở_A", "B", "C"))
    messy = []
    for s, u, c, v in rows:
        s = f"  {s.lower()} " if s == "B" else unicodedata.normalize("NFD", s)
        u = f"{unicodedata.normalize('NFD', u.upper())}\u00a0"
        messy.append([s, u, f" {c.lower()}", f" {v} "])
    run = bloc(units, CRITERIA, as_csv(" Scorer , UNIT,criterion,Points ", messy))
    assert run.code == 0, run.err
    assert ranking(run) == [("Sở_A", 18.5, 1), ("B", 16.25, 2), ("C", 14.0, 3)]
    assert run.json["units"][0]["name"] == "Sở Tài chính"  # NFC, no stray spaces


@pytest.mark.parametrize(
    ("kind", "score"),
    [
        # Every sheet: K1 = 8, K2 = 2. Added: 8 + 2 = 10; subtracted: 8 − 2 = 6.
        ("", 10.0), ("normal", 10.0), ("thường", 10.0), ("Tiêu chí", 10.0),
        ("bonus", 10.0), ("cộng", 10.0), ("Điểm cộng", 10.0), ("thưởng", 10.0), ("điểm thưởng", 10.0),
        ("deduction", 6.0), ("trừ", 6.0), ("điểm trừ", 6.0), ("ĐIỂM TRỪ", 6.0), ("tru", 6.0),
        ("khấu trừ", 6.0), (unicodedata.normalize("NFD", "điểm trừ"), 6.0),
    ],
)
def test_vietnamese_kind_aliases(bloc, kind, score):
    criteria = f"criterion,title,max,kind\nK1,Chuyên môn,10,normal\nK2,Khác,10,{kind}\n"
    given = {u: ("8", "2") for u in "ABC"}
    run = bloc(criteria=criteria, scores=as_csv("scorer,unit,criterion,points", score_rows(given)))
    assert run.code == 0, run.err
    assert [u["score"] for u in run.json["units"]] == [score] * 3


def test_ambiguous_or_unknown_kind_is_refused(bloc):
    # "thuong" without diacritics could be thường (normal) or thưởng (bonus).
    for kind in ("thuong", "penalty"):
        run = bloc(criteria=f"criterion,title,max,kind\nK1,a,10,normal\nK2,b,10,{kind}\n")
        assert run.code == 2
        assert [i["code"] for i in run.json["issues"]] == ["INVALID_KIND"]
        assert "Traceback" not in run.err


def test_repeated_row_is_blocking_even_with_equal_values(bloc):
    rows = score_rows()
    rows.append(list(rows[4]))  # the very same scorer/unit/criterion/points again
    run = bloc(scores=as_csv("scorer,unit,criterion,points", rows))
    assert run.code == 2
    doc = json.loads(run.out)
    assert doc["ranked"] is False and doc["units"] == [] and doc["top"] == []
    dup = [i for i in doc["issues"] if i["code"] == "DUPLICATE_ENTRY"]
    assert len(dup) == 1 and dup[0]["severity"] == "error"
    assert dup[0]["line"] == len(rows) + 1  # header is line 1
    assert (dup[0]["scorer"], dup[0]["unit"], dup[0]["criterion"]) == tuple(rows[4][:3])
    assert "DUPLICATE_ENTRY" not in run.out.split("\n", 1)[0]
    assert "Điểm này được nhập hai lần" in run.err


def test_repeated_row_differing_only_in_case_and_spaces_is_a_repeat(bloc):
    rows = score_rows()
    rows.append([f" {rows[0][0].lower()}", rows[0][1], rows[0][2], rows[0][3]])
    run = bloc(scores=as_csv("scorer,unit,criterion,points", rows))
    assert run.code == 2
    assert [i["code"] for i in run.json["issues"]] == ["DUPLICATE_ENTRY"]


def test_missing_sheet_blocks(bloc):
    rows = [r for r in score_rows() if r[0] != "C" or r[1] == "C"]
    run = bloc(scores=as_csv("scorer,unit,criterion,points", rows))
    assert run.code == 2
    assert run.json["ranked"] is False and run.json["units"] == []
    assert [(i["code"], i["scorer"]) for i in run.json["issues"]] == [("MISSING_SHEET", "C")]


@pytest.mark.parametrize(
    ("value", "code"),
    [("10.5", "OUT_OF_RANGE"), ("-1", "OUT_OF_RANGE"), ("abc", "INVALID_NUMBER"), ("9.5.1", "INVALID_NUMBER"),
     ("1e3", "INVALID_NUMBER"), ("9,1234567", "TOO_MANY_DECIMALS"), ("", "MISSING_SCORE")],
)
def test_bad_value_blocks_with_its_code(bloc, value, code):
    rows = score_rows()
    rows[2][3] = value  # scorer A, unit B, K1
    run = bloc(scores=as_csv("scorer,unit,criterion,points", rows))
    assert run.code == 2
    issues = run.json["issues"]
    # Reported once, as itself: a refused value is not reported again as a missing score.
    assert [i["code"] for i in issues] == [code]
    assert issues[0]["severity"] == "error"
    assert (issues[0]["scorer"], issues[0]["unit"]) == ("A", "B")


@pytest.mark.parametrize(
    ("column", "typo", "code"),
    [(0, "Z", "UNKNOWN_SCORER"), (1, "Z", "UNKNOWN_UNIT"), (2, "K9", "UNKNOWN_CRITERION")],
)
def test_unknown_codes_block(bloc, column, typo, code):
    rows = score_rows()
    rows.append(list(rows[0]))
    rows[-1][column] = typo
    run = bloc(scores=as_csv("scorer,unit,criterion,points", rows))
    assert run.code == 2
    assert [i["code"] for i in run.json["issues"]] == [code]
    assert run.json["issues"][0]["line"] == len(rows) + 1


def test_unquoted_decimal_comma_in_a_comma_file_is_refused(bloc):
    # "A,B,K1,9,5" would silently read 9 if the extra cell were ignored.
    rows = score_rows()
    text = as_csv("scorer,unit,criterion,points", rows).replace("A,A,K1,9.5", "A,A,K1,9,5")
    run = bloc(scores=text)
    assert run.code == 2
    assert [(i["code"], i["line"]) for i in run.json["issues"]] == [("EXTRA_CELLS", 2)]
    # Trailing empty cells (as Excel writes them) are fine.
    run = bloc(scores=as_csv("scorer,unit,criterion,points", [[*r, "", ""] for r in rows]))
    assert run.code == 0, run.err


def test_missing_column_blocks(bloc):
    run = bloc(scores="scorer,unit,points\nA,A,9\n")
    assert run.code == 2
    assert [i["code"] for i in run.json["issues"]] == ["MISSING_COLUMN"]


def test_ineligible_unit_from_units_file(bloc):
    units = "unit,name,eligible,reason\nA,a,0,Đang bị thanh tra\nB,b,1,\nC,c,,\n"
    run = bloc(units=units)
    assert run.code == 0
    rows = {u["unit"]: u for u in run.json["units"]}
    assert rows["A"]["rank"] == 1 and rows["A"]["eligible"] is False
    assert rows["A"]["reason"] == "Đang bị thanh tra"
    assert run.json["top"] == ["B", "C"]


def test_warnings_go_to_stderr_and_into_issues(bloc):
    given = {"A": ("9", "9"), "B": ("9", "9"), "C": ("7", "7")}
    run = bloc(scores=as_csv("scorer,unit,criterion,points", score_rows(given)))
    assert run.code == 0
    doc = json.loads(run.out)
    assert doc["needs_vote"] == [["A", "B"]]
    assert [i["code"] for i in doc["issues"]] == ["NEEDS_VOTE"]
    assert "CẢNH BÁO" in run.err and "CẢNH BÁO" not in run.out


def test_readable_vietnamese_table_without_json(tmp_path, tdkt, example):
    run = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
               "--scores", example / "scores.csv")
    assert run.code == 0
    assert "Danh sách thẩm định" in run.out and "Hạng" in run.out
    with pytest.raises(json.JSONDecodeError):
        json.loads(run.out)


@pytest.mark.parametrize(
    "content",
    [
        b"",                                         # empty file
        b"\n\n  \n",                                 # only blank lines
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00",  # binary
        "scorer,unit,criterion,points\nA,Sở,K1,9\n".encode("utf-16"),  # not UTF-8
        "unit,name\nA,S\xf4 T\xe0i ch\xednh\n".encode("latin-1"),      # legacy 8-bit encoding
        b'scorer,unit,criterion,points\nA,"B,K1,9\n',                # unterminated quote
    ],
)
def test_unusable_file_is_exit_2_never_a_traceback(bloc, content):
    run = bloc(scores=content)
    assert run.code == 2
    assert "Traceback" not in run.err and "Traceback" not in run.out
    doc = json.loads(run.out)
    assert doc["ranked"] is False and doc["issues"]
    assert all(i["severity"] == "error" for i in doc["issues"])


def test_missing_file_and_bad_profile_are_exit_2(tdkt, example, tmp_path):
    run = tdkt("score", "--units", tmp_path / "nowhere.csv", "--criteria", example / "criteria.csv",
               "--scores", example / "scores.csv", "--json")
    assert run.code == 2
    assert [i["code"] for i in run.json["issues"]] == ["FILE_UNREADABLE"]
    assert "nowhere.csv" in run.err and "Traceback" not in run.err
    run = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
               "--scores", example / "scores.csv", "--profile", "hai-phong-2042", "--json")
    assert run.code == 2
    assert [i["code"] for i in run.json["issues"]] == ["PROFILE_ERROR"]
    assert "hai-phong-2024" in run.err  # the message lists the packaged profiles
    run = tdkt("score", "--units", tmp_path, "--criteria", example / "criteria.csv",
               "--scores", example / "scores.csv")
    assert run.code == 2 and run.out == "" and "Traceback" not in run.err


def test_missing_argument_is_exit_2(tdkt, capsys):
    try:
        code = tdkt("score", "--units", "u.csv").code
    except SystemExit as exc:  # argparse's own refusal
        code = exc.code
    assert code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_wrong_arguments_with_json_still_print_one_json_document(tdkt):
    run = tdkt("score", "--units", "u.csv", "--json", "--voters", "nhiều")
    assert run.code == 2
    doc = json.loads(run.out)
    assert doc["ranked"] is False and doc["issues"][0]["code"] == "BAD_ARGUMENTS"
    assert "Lỗi tham số" in run.err


def test_argument_errors_and_help_are_vietnamese(tdkt):
    run = tdkt("merge")
    assert run.code == 2
    assert "thiếu tham số bắt buộc" in run.err and "the following" not in run.err
