"""Where a device's hub is: its address, its pinned certificate, the device's id, kept beside the
database (``<db>.sync/hub.json``, 0600). No network here (and no httpx import): the signing
service asks ``hub_number`` on every signature, standalone communes included.

The address is checked by ``hubwire.check_url`` (plain ``http://`` only on the loopback)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.domain.errors import Refusal
from desktop.store.outbox import is_enrolled

if TYPE_CHECKING:
    from desktop.services.commune import Commune


@dataclass
class HubConfig:
    """What a device keeps of its hub: address, pinned certificate (HTTPS), its own id."""
    url: str
    certificate: str | None
    device_id: str

    @staticmethod
    def path_for(db: Path) -> Path:
        return Path(str(db) + ".sync") / "hub.json"

    @classmethod
    def load(cls, db: Path) -> HubConfig | None:
        path = cls.path_for(db)
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["url"], data.get("certificate"), data["device_id"])

    def save(self, db: Path) -> None:
        path = self.path_for(db)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"url": self.url, "certificate": self.certificate, "device_id": self.device_id}, f)
        os.replace(tmp, path)


def hub_number(commune: "Commune", series: str, year: int, document_id: str) -> int | None:
    """The register number of a document, taken at the hub when this commune is enrolled with one
    (an unreachable hub is a refusal: no number is ever taken locally then); None when standalone."""
    config = HubConfig.load(commune.path)
    if config is None:
        if is_enrolled(commune.store.conn):  # enrolled by USB stick only: no number can be taken here
            raise Refusal("net.number_needs_network")
        return None
    from desktop.services.hubclient import HubClient  # httpx, only for an enrolled commune
    from desktop.services.sync import key_path
    try:
        with HubClient(config.url, config.certificate, config.device_id, key_path(commune.path).read_bytes()) as hub:
            return hub.reserve_number(series, year, document_id)
    except Refusal as exc:
        if exc.key in ("net.unreachable", "net.timeout", "net.interrupted"):
            raise Refusal("net.number_needs_hub", url=config.url) from None
        raise
