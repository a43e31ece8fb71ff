"""Legacy Vietnamese encodings (TCVN3 .VnTime, VNI Windows): converted only when certain."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest

from tdkt_lib.core.legacy_text import (
    TCVN3,
    TCVN3_DECODE,
    VNI,
    detect,
    encode,
    is_syllable,
    vietnamese_letters,
)

NAMES = [
    "Sở Giao thông vận tải",
    "Ban Quản lý Khu kinh tế Hải Phòng",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Kế hoạch và Đầu tư",
    "Sở Tài chính",
    "Sở Công Thương",
    "Sở Xây dựng",
    "UBND huyện Thủy Nguyên",
    "Bệnh viện Đa khoa tỉnh Thừa Thiên Huế",
    "Trường Trung học phổ thông Nguyễn Trãi",
    "Công an tỉnh Lào Cai",
    "Hội Liên hiệp Phụ nữ thành phố",
    "Thực hành tiết kiệm, phòng chống tham nhũng",
    "Ký kết và thực hiện giao ước thi đua",
    "Phối hợp với Trưởng khối, Phó Trưởng khối",
    "Đắk Lắk",
    "Ngoằn ngoèo, khuỷu tay, quốc kỳ, giếng nước, thuở xưa",
]


def test_there_are_134_precomposed_letters():
    letters = vietnamese_letters()
    assert len(letters) == len(set(letters)) == 134
    assert all(unicodedata.is_normalized("NFC", ch) for ch in letters)


def _word_with(letter: str) -> str:
    """A real-looking syllable around `letter` (valid per the checker), in the letter's case."""
    low = letter.lower()
    if letter.isupper():   # capitals inside a word in capitals (TCVN3 writes toned capitals as small codes)
        for template in ("b{}n", "ch{}", "{}ng", "b{}t", "th{}", "l{}i", "h{}u", "x{}a", "nh{}", "{}ch"):
            if is_syllable(template.format(low)):
                return template.format(low).upper()
    for template in ("b{}n", "m{}", "t{}", "{}n", "ch{}", "{}ng", "b{}t", "{}c", "l{}i", "h{}u", "x{}a", "{}a", "{}"):
        word = template.format(low)
        if is_syllable(word):
            return word.upper() if letter.isupper() else word
    raise AssertionError(letter)


@pytest.mark.parametrize("encoding", [TCVN3, VNI])
def test_every_letter_round_trips_through_the_table(encoding):
    """Encode Unicode → legacy with our table, detect, decode back: all 134 letters."""
    for letter in vietnamese_letters():
        word = _word_with(letter)
        legacy = encode(f"Sở {word} tỉnh", encoding)
        found = detect(legacy)
        assert found.status == "converted", (letter, legacy, found)
        assert found.encoding == encoding
        assert found.text == f"Sở {word} tỉnh", (letter, legacy, found.text)


def test_tcvn3_writes_toned_capitals_with_small_codes_like_vntimeh():
    """TCVN3 has no toned capitals: .VnTimeH shows the small codes as capitals; words in capitals stay capitals."""
    legacy = encode("SỞ GIAO THÔNG VẬN TẢI", TCVN3)
    assert legacy == "Së GIAO TH¤NG VËN T¶I"     # Ô is one of the seven capitals TCVN3 has (0xA4)
    assert detect(legacy).text == "SỞ GIAO THÔNG VẬN TẢI"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("encoding", [TCVN3, VNI])
def test_real_names_are_converted(name, encoding):
    found = detect(encode(name, encoding))
    assert (found.status, found.encoding, found.text) == ("converted", encoding, name)


def test_tcvn3_toned_capital_starting_a_word_comes_back_small():
    """'Ủy' in TCVN3 is the small code of ủ (.VnTimeH shows it big): the case cannot be known, so ủy."""
    assert encode("Ủy ban", TCVN3) == encode("ủy ban", TCVN3)
    assert detect(encode("Ủy ban nhân dân", TCVN3)).text == "ủy ban nhân dân"
    assert detect(encode("Ủy ban nhân dân", VNI)).text == "Ủy ban nhân dân"     # VNI has every capital


def test_published_examples():
    assert detect("Së Giao th«ng vËn t¶i").text == "Sở Giao thông vận tải"
    assert detect("Sôû Giao thoâng vaän taûi").text == "Sở Giao thông vận tải"
    assert detect("B¶o Th¾ng").text == "Bảo Thắng"
    assert detect("M\u00adêng Kh\u00ad¬ng").text == "Mường Khương"   # ư is 0xAD (soft hyphen)


@pytest.mark.parametrize("text", [
    "SGTVT", "Ban Quan ly", "UBND", "",                     # ASCII
    "Sở Giao thông vận tải", "Lê Hà", "Tô Hiến Thành", "Cà Mau", "Tây Ninh", "Lê Thánh Tông",  # genuine Unicode
    "So\u031b\u0309 Giao tho\u0302ng",                      # genuine Unicode, NFD
    "Café Müller", "Société Générale", "Hélène Noël", "Jürgen Straße", "Gómez", "André", "Zoë",   # Latin-1 names
    "Ærø", "François", "Ørsted", "naïve",
])
def test_plain_latin1_and_unicode_are_left_alone(text):
    found = detect(text)
    assert found.status == "plain" and found.text == text


def test_mixed_signals_are_not_guessed():
    found = detect("Sở Giao th«ng")
    assert found.status == "uncertain" and found.text == "Sở Giao th«ng"


def test_tcvn3_table_agrees_with_glibc_iconv():
    """An independent check: glibc's TCVN5712-1 (VN1) gives the same letters at every VN3 position."""
    if shutil.which("iconv") is None:
        pytest.skip("iconv not available")
    raw = bytes(ord(ch) for ch in TCVN3_DECODE)
    run = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=raw, capture_output=True)
    if run.returncode != 0:
        pytest.skip("iconv has no TCVN5712-1")
    decoded = unicodedata.normalize("NFC", run.stdout.decode("utf-8"))
    assert decoded == "".join(TCVN3_DECODE.values())


@pytest.mark.parametrize("word", ["thông", "nghiêng", "khuỷu", "quốc", "gì", "giữa", "thuở", "xoong", "oanh", "yêu"])
def test_syllables(word):
    assert is_syllable(word)


@pytest.mark.parametrize("word", ["Müller", "thỏnh", "tõy", "bàt", "ă", "đ", "xyz", "Straße", "Mỹller"])
def test_not_syllables(word):
    assert not is_syllable(word)


# --- through the command line ---------------------------------------------------------------


def _legacy_example(tmp_path, example):
    import csv

    for name in ("units.csv", "criteria.csv", "scores.csv"):
        shutil.copy(example / name, tmp_path / name)
    rows = list(csv.reader((tmp_path / "units.csv").open(encoding="utf-8")))
    for i, row in enumerate(rows[1:], 1):
        row[1] = encode(row[1], TCVN3 if i % 2 else VNI)
    with (tmp_path / "units.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return tmp_path


def test_csv_names_are_converted_and_said_on_stderr_only(tdkt, tmp_path, example):
    folder = _legacy_example(tmp_path, example)
    before = (folder / "units.csv").read_bytes()
    run = tdkt("score", "--units", folder / "units.csv", "--criteria", folder / "criteria.csv",
               "--scores", folder / "scores.csv", "--profile", "hai-phong-2024", "--json")
    reference = tdkt("score", "--units", example / "units.csv", "--criteria", example / "criteria.csv",
                     "--scores", example / "scores.csv", "--profile", "hai-phong-2024", "--json")
    assert run.code == 0
    doc = run.json     # stdout is exactly one JSON document
    assert [u["name"] for u in doc["units"]] == [u["name"] for u in reference.json["units"]]
    assert doc == reference.json     # the conversion is said to people, never mixed into the JSON
    assert run.err.count("LEGACY") == 0 and run.err.count("units.csv") == 7
    assert "Së Giao th«ng vËn t¶i" in run.err and "Sở Giao thông vận tải" in run.err and "dòng 8" in run.err
    assert (folder / "units.csv").read_bytes() == before


def test_bloc_workbook_names_are_converted_and_listed_on_kiem_tra(tdkt, tmp_path):
    import openpyxl

    from tdkt_lib.workbook import layout
    from tdkt_lib.workbook.demo import run_demo

    demo = run_demo(tmp_path / "demo")
    book = openpyxl.load_workbook(demo.bloc)
    sheet, area = next(iter(book.defined_names[layout.UNIT_TABLE].destinations))
    rows = book[sheet][area.replace("$", "")]
    rows[6][1].value = encode(rows[6][1].value, TCVN3)      # SGTVT, Tên đơn vị (column B)
    name_cell = rows[6][1].coordinate
    bloc = tmp_path / "khoi.xlsx"
    book.save(bloc)
    run = tdkt("check", bloc, "--json")
    assert "LEGACY_ENCODING_CONVERTED" not in run.out
    assert f"trang tính {sheet}, ô {name_cell}" in run.err and "Sở Giao thông vận tải" in run.err
    out = tmp_path / "out.xlsx"
    scored = tdkt("score", bloc, "-o", out, "--json")
    assert scored.code == 0
    assert next(u["name"] for u in scored.json["units"] if u["unit"] == "SGTVT") == "Sở Giao thông vận tải"
    assert "LEGACY_ENCODING_CONVERTED" not in scored.out.split("\n", 1)[0]
    check_sheet = openpyxl.load_workbook(out)[layout.SHEET_CHECK]
    texts = " ".join(str(c.value) for row in check_sheet.iter_rows() for c in row if c.value)
    assert "Sở Giao thông vận tải" in texts and "TCVN3" in texts
