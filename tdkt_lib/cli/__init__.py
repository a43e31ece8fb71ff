"""`tdkt` command line. Every sub-command module registers itself; heavy imports stay lazy."""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from tdkt_lib import __version__
from tdkt_lib.cli import addin, check, demo, merge, new, profiles, score, verify, vietnamese_argparse

COMMANDS = (new, score, check, merge, verify, demo, profiles, addin)

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class _UsageError(Exception):
    """Wrong command-line arguments (argparse's own errors)."""


class _Parser(argparse.ArgumentParser):
    """argparse with Vietnamese usage errors and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise _UsageError(f"Lỗi tham số dòng lệnh: {message}. Xem «tdkt -h».")


def build_parser() -> argparse.ArgumentParser:
    vietnamese_argparse.install()
    parser = _Parser(prog="tdkt", description="Chấm điểm, xếp hạng khối thi đua (thi đua – khen thưởng).")
    parser.add_argument("--version", action="version", version=f"tdkt {__version__}",
                        help="in phiên bản của tdkt rồi thoát")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH", parser_class=_Parser)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    parser = build_parser()
    words = sys.argv[1:] if argv is None else argv
    try:
        args = parser.parse_args(words)
    except _UsageError as exc:
        print(f"[LỖI] {exc}", file=sys.stderr)
        _refusal_json(argparse.Namespace(json="--json" in words),
                      [{"code": "BAD_ARGUMENTS", "severity": "error", "message": str(exc)}])
        return EXIT_INPUT
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_INPUT
    from tdkt_lib.core.problems import InputError
    from tdkt_lib.core.profile import ProfileError

    try:
        return int(args.run(args) or EXIT_OK)
    except InputError as exc:
        from tdkt_lib.report import describe_issue

        for problem in exc.problems:
            print(describe_issue(problem.as_dict()), file=sys.stderr)
        _refusal_json(args, [p.as_dict() for p in exc.problems])
        return EXIT_INPUT
    except ProfileError as exc:
        print(f"[LỖI] {exc}", file=sys.stderr)
        _refusal_json(args, [{"code": "PROFILE_ERROR", "severity": "error", "message": str(exc)}])
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu.", file=sys.stderr)
        return 130
    except Exception:
        if os.environ.get("TDKT_DEBUG"):
            traceback.print_exc()
        print(
            "[LỖI] tdkt gặp lỗi nội bộ và đã dừng; dữ liệu đầu vào không bị thay đổi. "
            "Chạy lại với biến môi trường TDKT_DEBUG=1 để xem chi tiết và gửi cho bộ phận kỹ thuật.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _refusal_json(args: argparse.Namespace, issues: list[dict]) -> None:
    """With --json, stdout is one JSON document even when the inputs could not be read."""
    if not getattr(args, "json", False):
        return
    import json

    doc = {"ranked": False, "units": [], "top": [], "top_tie": False, "needs_vote": [], "issues": issues}
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


def entry_point() -> None:
    raise SystemExit(main())
