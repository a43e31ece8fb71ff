"""The one guarded reader refuses what is not a plain workbook, with a Vietnamese message."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tdkt_lib.core.problems import InputError
from tdkt_lib.workbook import snapshot
from tdkt_lib.workbook.snapshot import read_snapshot
from tdkt_lib.workbook.writer import backup_path, write_atomically


def refusal(path: Path) -> tuple[str, str]:
    with pytest.raises(InputError) as caught:
        read_snapshot(path)
    problem = caught.value.problems[0]
    assert problem.where.file == path.name
    return problem.code, problem.message


def test_old_xls_is_refused_with_how_to_convert(tmp_path):
    path = tmp_path / "phieu.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    code, message = refusal(path)
    assert code == "OLD_XLS" and "Lưu thành" in message and ".xlsx" in message


def test_encrypted_xlsx_asks_for_the_unencrypted_file(tmp_path):
    path = tmp_path / "phieu.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    code, message = refusal(path)
    assert code == "ENCRYPTED" and "mật khẩu" in message


@pytest.mark.parametrize("content", [b"", b"hello", b"PK\x03\x04truncated"])
def test_non_zip_and_truncated_files_are_refused(tmp_path, content):
    path = tmp_path / "phieu.xlsx"
    path.write_bytes(content)
    code, _ = refusal(path)
    assert code in {"NOT_XLSX", "CORRUPT_FILE"}


def test_zip_without_workbook_is_refused(tmp_path):
    path = tmp_path / "phieu.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    assert refusal(path)[0] == "NOT_XLSX"


def test_zip_bomb_member_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_MEMBER_BYTES", 4 * 2**20)
    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (5 * 2**20))
    assert refusal(path)[0] == "ZIP_BOMB"


def test_high_ratio_member_is_refused(tmp_path):
    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b"a" * (8 * 2**20))
    assert refusal(path)[0] == "ZIP_BOMB"


def test_missing_file_is_a_message_not_a_traceback(tdkt, tmp_path):
    run = tdkt("check", tmp_path / "khong-co.xlsx")
    assert run.code == 2
    assert "Không tìm thấy tệp" in run.err and "Traceback" not in run.err


def test_failed_write_leaves_original_and_backup_intact(tmp_path):
    target = tmp_path / "so.xlsx"
    target.write_bytes(b"original")
    backup_path(target).write_bytes(b"older backup")

    def broken(temp: Path) -> None:
        temp.write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError) as caught:
        write_atomically(target, broken, backup_of=target)
    assert caught.value.problems[0].code == "WRITE_FAILED"
    assert target.read_bytes() == b"original"
    assert backup_path(target).read_bytes() == b"older backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, backup_path(target).name])


def test_update_in_place_keeps_a_backup_of_the_previous_state(tmp_path):
    target = tmp_path / "so.xlsx"
    target.write_bytes(b"before")
    write_atomically(target, lambda temp: temp.write_bytes(b"after"), backup_of=target)
    assert target.read_bytes() == b"after"
    assert backup_path(target).read_bytes() == b"before"


def test_a_workbook_open_in_excel_gets_a_clear_message(tmp_path):
    from tdkt_lib.workbook.writer import update_lock

    target = tmp_path / "so.xlsx"
    target.write_bytes(b"x")
    (tmp_path / "~$so.xlsx").write_bytes(b"owner")
    with pytest.raises(InputError) as caught, update_lock(target):
        pass
    assert caught.value.problems[0].code == "FILE_OPEN_ELSEWHERE"


def test_two_runs_cannot_update_the_same_file_at_once(tmp_path):
    from tdkt_lib.workbook.writer import lock_path, update_lock

    target = tmp_path / "so.xlsx"
    with update_lock(target):
        assert lock_path(target).exists()
        with pytest.raises(InputError) as caught, update_lock(target):
            pass
        assert caught.value.problems[0].code == "FILE_LOCKED"
    assert not lock_path(target).exists()
    with update_lock(target):  # released: a later run proceeds
        pass
