"""User settings: one registry with defaults, stored as JSON in the user's config folder.

Versioned: a file written by an older version is upgraded key by key; an unreadable file is set
aside (renamed ``.broken``) and the defaults are used, so a bad settings file never stops the app.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import platformdirs

VERSION = 1
DEFAULTS: dict = {"version": VERSION, "language": "ar", "last_db": "", "page_size": 200}


def settings_path() -> Path:
    return Path(platformdirs.user_config_dir("commune-police", appauthor=False)) / "settings.json"


def _upgrade(data: dict) -> dict:
    # version 0 (no "version" key) stored the language under "lang"
    if "version" not in data and "lang" in data:
        data["language"] = data.pop("lang")
    data["version"] = VERSION
    return data


class Settings:
    def __init__(self, path: Path | None = None):
        self.path = path or settings_path()
        self.values = dict(DEFAULTS)
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("settings must be an object")
            self.values.update(_upgrade(raw))
        except FileNotFoundError:
            pass
        except (OSError, ValueError):
            try:
                self.path.replace(self.path.with_suffix(".broken"))
            except OSError:
                pass

    def __getitem__(self, key: str):
        return self.values.get(key, DEFAULTS.get(key))

    def __setitem__(self, key: str, value) -> None:
        self.values[key] = value

    def save(self) -> None:
        """Write atomically; a failure to save settings is not worth losing work over."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".settings-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.values, fh, ensure_ascii=False, indent=1)
            os.replace(tmp, self.path)
        except OSError:
            pass
