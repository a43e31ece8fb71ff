"""Find and load rule profiles: a packaged name (hai-phong-2024) or a TOML file path."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from tdkt_lib.core.profile import Profile, ProfileError, build_profile, merge_layers

DEFAULT_PROFILE = "default"


def _packaged() -> dict[str, Any]:
    return {
        entry.name.removesuffix(".toml"): entry
        for entry in resources.files("tdkt_lib.profiles").iterdir()
        if entry.name.endswith(".toml")
    }


def profile_names() -> list[str]:
    return sorted(_packaged())


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: tệp hồ sơ quy tắc sai cú pháp TOML ({exc}).") from None


def profile_data(name_or_path: str) -> tuple[dict[str, Any], str]:
    """The raw mapping of a profile and where it came from (for messages)."""
    packaged = _packaged()
    if name_or_path in packaged:
        return _parse(packaged[name_or_path].read_text("utf-8"), f"hồ sơ {name_or_path}"), name_or_path
    path = Path(name_or_path)
    if path.suffix.lower() == ".toml" or path.exists():
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            raise ProfileError(f"Không đọc được tệp hồ sơ quy tắc {path} (cần tệp TOML mã UTF-8).") from None
        return _parse(text, f"tệp {path}"), f"tệp {path}"
    raise ProfileError(
        f"Không có hồ sơ quy tắc «{name_or_path}». Các hồ sơ có sẵn: {', '.join(sorted(packaged))}; "
        "hoặc đưa đường dẫn tới một tệp .toml."
    )


def load_profile(name_or_path: str | None = None) -> Profile:
    """Resolve a profile over the default one (or one packaged profile it `extends`).

    Unknown or misspelt keys are errors. Keys the file does not set are listed in
    `Profile.defaulted`.
    """
    defaults, _ = profile_data(DEFAULT_PROFILE)
    if name_or_path in (None, DEFAULT_PROFILE):
        return build_profile(defaults, defaults, "hồ sơ default")
    data, where = profile_data(name_or_path)
    base = defaults
    extends = data.get("extends", DEFAULT_PROFILE)
    if extends != DEFAULT_PROFILE:
        parent, parent_where = profile_data(str(extends))
        if parent.get("extends", DEFAULT_PROFILE) != DEFAULT_PROFILE:
            raise ProfileError(f"{where}: chỉ được kế thừa một hồ sơ gốc có sẵn, không nhiều tầng.")
        build_profile(parent, defaults, parent_where)
        inherited = {k: v for k, v in parent.items() if k not in ("id", "title", "source")}
        base = merge_layers(defaults, inherited)
    return build_profile(data, base, where)
