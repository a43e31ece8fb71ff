"""`tdkt verify` says whether results were edited after Tính điểm, and where."""

from __future__ import annotations

import hashlib

import openpyxl
import pytest

from tdkt_lib.workbook import layout
from tdkt_lib.workbook.demo import run_demo


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("verify")).bloc


def edited(tmp_path, source, edit):
    book = openpyxl.load_workbook(source)
    edit(book)
    path = tmp_path / "edited.xlsx"
    book.save(path)
    return path


def named_sheet(book, name):
    return book[next(iter(book.defined_names[name].destinations))[0]]


def test_intact_workbook_verifies_and_is_not_modified(scored, tdkt):
    before = hashlib.sha256(scored.read_bytes()).hexdigest()
    run = tdkt("verify", scored)
    assert run.code == 0 and "NGUYÊN VẸN" in run.out
    assert hashlib.sha256(scored.read_bytes()).hexdigest() == before


def test_a_changed_score_in_the_appraisal_list_is_found_with_its_cell(scored, tdkt, tmp_path):
    def edit(book):
        sheet = named_sheet(book, layout.OUT_APPRAISAL)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == 90.07:
                    cell.value = 92.5
    run = tdkt("verify", edited(tmp_path, scored, edit))
    assert run.code == 2
    assert "Danh sách thẩm định" in run.out and "ô E9" in run.out and "92,5" not in run.out
    assert "«92.5»" in run.out and "«90.07»" in run.out


def test_a_changed_rank_is_found(scored, tdkt, tmp_path):
    def edit(book):
        sheet, ref = next(iter(book.defined_names[layout.RANKS].destinations))
        book[sheet][ref.split(":")[0].replace("$", "")].value = 1
    run = tdkt("verify", edited(tmp_path, scored, edit))
    assert run.code == 2 and "Hạng đã bị sửa" in run.out


def test_a_score_edited_after_scoring_names_the_scorer_sheet(scored, tdkt, tmp_path):
    def edit(book):
        sheet, ref = next(iter(book.defined_names[layout.scorer_name(2, "grid")].destinations))
        cell = book[sheet][ref.split(":")[0].replace("$", "")]
        cell.value = float(cell.value) - 0.25
    run = tdkt("verify", edited(tmp_path, scored, edit))
    assert run.code == 2
    assert "Phiếu chấm của SNN đã bị sửa sau khi tính điểm" in run.out


def test_an_unscored_workbook_is_not_called_intact(tdkt, tmp_path, scored):
    def edit(book):
        del book[named_sheet(book, layout.OUT_VERIFY).title]
    run = tdkt("verify", edited(tmp_path, scored, edit))
    assert run.code == 2 and "chưa có dấu kiểm" in run.out
