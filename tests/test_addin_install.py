"""install / remove / status against a temporary XLSTART; nothing needs a licence key."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile

from tdkt_lib.addin.install import CONFIG_NAME, read_config


def test_install_status_remove(tdkt, tmp_path):
    xlstart, conf = tmp_path / "XLSTART", tmp_path / "cfg"
    conf.mkdir()
    (conf / CONFIG_NAME).write_bytes(b'"SHOW CONSOLE","True"\r\n')
    where = ("--xlstart", xlstart, "--config-dir", conf)

    run = tdkt("addin", "status", *where)
    assert run.code == 2 and "Chưa cài add-in" in run.out

    run = tdkt("addin", "install", *where)
    assert run.code == 0, run.err
    assert (xlstart / "tdkt.xlam").is_file() and "Đã cài add-in" in run.out
    values = read_config(conf)
    assert values["INTERPRETER_WIN"] == sys.executable and values["UDF MODULES"] == "tdkt_lib.addin.udfs"
    assert values["SHOW CONSOLE"] == "True"  # the officer's own settings stay
    assert (conf / CONFIG_NAME).read_bytes().startswith(b'"SHOW CONSOLE","True"\r\n')

    run = tdkt("addin", "status", *where)
    assert run.code == 0, run.out
    assert "Phiên bản xlwings trong add-in: " in run.out and "trùng khớp từng byte" in run.out
    assert "sẵn sàng" in run.out

    run = tdkt("addin", "remove", *where)
    assert run.code == 0 and not (xlstart / "tdkt.xlam").exists()
    assert read_config(conf) == {"SHOW CONSOLE": "True"}
    run = tdkt("addin", "remove", *where)
    assert run.code == 0 and "không có gì để gỡ" in run.out


def test_status_flags_a_stale_addin(tdkt, tmp_path):
    xlstart, conf = tmp_path / "XLSTART", tmp_path / "cfg"
    where = ("--xlstart", xlstart, "--config-dir", conf)
    assert tdkt("addin", "install", *where).code == 0
    target = xlstart / "tdkt.xlam"
    with zipfile.ZipFile(target, "a") as z:
        z.writestr("extra.txt", "x")
    run = tdkt("addin", "status", *where)
    assert run.code == 2 and "khác bản dựng" in run.out


def test_errors_are_vietnamese(tdkt, tmp_path):
    run = tdkt("addin", "install", "--xlstart", tmp_path, "--config-dir", tmp_path, "--from", tmp_path / "none.xlam")
    assert run.code == 2 and "Không tìm thấy tệp add-in" in run.err and "Traceback" not in run.err
    run = tdkt("addin", "build", "-o", tmp_path / "tdkt.xlsx")
    assert run.code == 2 and "đuôi .xlam" in run.err


NO_KEY_SCRIPT = textwrap.dedent('''
    import sys
    from pathlib import Path
    from tdkt_lib.cli import main
    out = Path(sys.argv[1])
    assert main(["addin", "build", "-o", str(out / "tdkt.xlam")]) == 0
    where = ["--xlstart", str(out / "XLSTART"), "--config-dir", str(out / "cfg")]
    assert main(["addin", "install", *where]) == 0
    assert main(["addin", "status", *where]) == 0
    assert main(["addin", "remove", *where]) == 0
    from tdkt_lib.addin import ribbon, udfs

    class App:
        def alert(self, *a, **k):
            print("ALERT", a[0][:20])
        status_bar = False

    class Book:
        app = App()

    assert ribbon.dispatch("tdkt_help", Book()) is True
    assert udfs.TDKT_DIEM(95, [[96], ["9,5"]]) == 66.83
    print("NO-KEY-OK")
''')


def test_cli_and_handlers_run_without_a_licence_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_LICENSE_KEY"}
    done = subprocess.run([sys.executable, "-c", NO_KEY_SCRIPT, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "NO-KEY-OK" in done.stdout
