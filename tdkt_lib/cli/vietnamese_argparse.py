"""Vietnamese for argparse's own texts (usage, errors, help headings), through its gettext hook."""

from __future__ import annotations

import argparse

CATALOGUE = {
    "usage: ": "cách dùng: ",
    "positional arguments": "tham số",
    "options": "tuỳ chọn",
    "show this help message and exit": "in hướng dẫn này rồi thoát",
    "show program's version number and exit": "in phiên bản của tdkt rồi thoát",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "không hiểu tham số: %s",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "not allowed with argument %s": "không dùng cùng tham số %s",
    "expected one argument": "cần đúng một giá trị",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "invalid %(type)s value: %(value)r": "giá trị không hợp lệ (%(type)s): %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "lựa chọn không hợp lệ: %(value)r (chọn một trong %(choices)s)",
    "ambiguous option: %(option)s could match %(matches)s": "tuỳ chọn mơ hồ: %(option)s có thể là %(matches)s",
    "unexpected option string: %s": "tuỳ chọn không mong đợi: %s",
    "ignored explicit argument %r": "bỏ qua giá trị %r",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
}
PLURALS = {"expected %s argument": "cần %s giá trị", "expected %s arguments": "cần %s giá trị"}


def install() -> None:
    """Route argparse's messages through the Vietnamese catalogue (English when not listed)."""
    argparse._ = lambda text: CATALOGUE.get(text, text)  # type: ignore[attr-defined]
    argparse.ngettext = lambda one, many, n: PLURALS.get(one if n == 1 else many, one if n == 1 else many)  # type: ignore[attr-defined]
