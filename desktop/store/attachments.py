"""Content-addressed files (photos, later signed PDFs) kept beside the database.

A file is stored once under its SHA-256 (``ab/cdef...``), written to a temporary name and moved
into place, so a crash never leaves a half-written file under a real name, and a stored file is
never rewritten. In an encrypted commune (``key``) each file is AES-256-GCM encrypted
(``MAGIC``, a 12-byte nonce, the ciphertext with its tag; the hash is the authenticated data);
the address stays the SHA-256 of the plaintext, checked again on every read.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from desktop.domain.ids import is_sha256
from desktop.store import keys
from desktop.store.errors import StoreError, from_os

MAX_PHOTO_BYTES = 25 * 1024 * 1024

# Leading bytes of the image formats a phone or camera produces.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_image(head: bytes) -> str | None:
    for magic, mime in _SIGNATURES:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1"):
        return "image/heic"
    return None


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    mime: str


MAGIC = b"CPENC\x01\x00\x00"
_OVERHEAD = len(MAGIC) + 12 + 16  # magic, nonce, GCM tag


class AttachmentStore:
    def __init__(self, root: Path, key: bytes | None = None):
        self.root = root
        self.key = key  # the attachments' AES-256-GCM key; None: stored in clear

    def _seal(self, sha256: str, data: bytes) -> bytes:
        if self.key is None:
            return data
        nonce = os.urandom(12)
        return MAGIC + nonce + keys.aesgcm(self.key).encrypt(nonce, data, sha256.encode())

    def _open(self, sha256: str, stored: bytes) -> bytes:
        if not stored.startswith(MAGIC):
            return stored  # written before the commune was encrypted, or in a clear commune
        if self.key is None:
            raise StoreError("attachment_encrypted", sha256[:12])
        n = len(MAGIC)
        try:
            return keys.aesgcm(self.key).decrypt(stored[n:n + 12], stored[n + 12:], sha256.encode())
        except keys.invalid_tag():
            raise StoreError("attachment_damaged", sha256[:12]) from None

    def read(self, sha256: str) -> bytes:
        """A stored file's content (decrypted), refused when it does not match its hash."""
        path = self.path_for(sha256)
        try:
            data = self._open(sha256, path.read_bytes())
        except FileNotFoundError:
            raise StoreError("attachment_missing", sha256[:12]) from None
        except OSError as exc:
            raise from_os(exc, str(path)) from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError("attachment_damaged", sha256[:12])
        return data

    def path_for(self, sha256: str) -> Path:
        """Where a file lives; the hash comes from the database, so it is checked (no path tricks),
        and no symbolic link is followed (a linked ``ab/`` folder or file could lead anywhere)."""
        if not is_sha256(sha256):
            raise StoreError("attachment_bad_hash", str(sha256)[:80])
        path = self.root / sha256[:2] / sha256[2:]
        for part in (self.root, path.parent, path):
            if part.is_symlink():
                raise StoreError("attachment_symlink", path=str(part))
        return path

    def remove(self, sha256: str) -> None:
        """Delete a stored file (a retention purge), once no live row refers to it."""
        try:
            self.path_for(sha256).unlink(missing_ok=True)
        except OSError as exc:
            raise from_os(exc, str(self.root)) from exc

    def put_photo(self, source: Path) -> StoredFile:
        """Check that ``source`` is an image of acceptable size, then store it."""
        try:
            size = source.stat().st_size
            with source.open("rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise StoreError("file_unreadable", str(exc), path=str(source)) from exc
        if size == 0:
            raise StoreError("photo_empty", path=str(source))
        if size > MAX_PHOTO_BYTES:
            raise StoreError("photo_too_large", path=str(source), size_mb=round(size / 2**20, 1),
                             max_mb=MAX_PHOTO_BYTES // 2**20)
        mime = sniff_image(head)
        if mime is None:
            raise StoreError("photo_not_image", path=str(source))
        return self.put_file(source, mime)

    def put_file(self, source: Path, mime: str) -> StoredFile:
        if self.key is not None:  # encrypted whole (a photo is at most MAX_PHOTO_BYTES)
            try:
                data = source.read_bytes()
            except OSError as exc:
                raise from_os(exc, str(source)) from exc
            return self.put_bytes(data, mime)
        digest = hashlib.sha256()
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        except OSError as exc:
            raise from_os(exc, str(self.root)) from exc
        tmp = Path(tmp_name)
        try:
            size = 0
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.path_for(sha)
            if target.exists():
                tmp.unlink()
            else:
                target.parent.mkdir(mode=0o700, exist_ok=True)
                self.path_for(sha)  # the folder just made (or found) is not a link
                os.chmod(tmp, 0o400)
                os.replace(tmp, target)
            return StoredFile(sha, size, mime)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise from_os(exc, str(source)) from exc

    def put_bytes(self, data: bytes, mime: str) -> StoredFile:
        """Store bytes made by the application (a signed PDF), content-addressed."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha)
        if target.exists():
            return StoredFile(sha, len(data), mime)
        tmp_name: str | None = None
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            target.parent.mkdir(mode=0o700, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
            with os.fdopen(fd, "wb") as out:
                out.write(self._seal(sha, data))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp_name, 0o400)
            os.replace(tmp_name, target)
        except OSError as exc:
            if tmp_name is not None:
                Path(tmp_name).unlink(missing_ok=True)
            raise from_os(exc, str(target)) from exc
        return StoredFile(sha, len(data), mime)

    def verify(self, sha256: str, size: int) -> str | None:
        """None if the stored file is present and intact, else what is wrong."""
        path = self.path_for(sha256)
        try:
            data_size = path.stat().st_size
            with path.open("rb") as fh:
                encrypted = fh.read(len(MAGIC)) == MAGIC
        except FileNotFoundError:
            return "missing"
        if encrypted:
            if data_size != size + _OVERHEAD:
                return f"size {data_size - _OVERHEAD} instead of {size}"
            try:
                self.read(sha256)
            except StoreError as exc:
                return "encrypted, no key to read it" if exc.code == "attachment_encrypted" else \
                    "content does not match its hash"
            return None
        if data_size != size:
            return f"size {data_size} instead of {size}"
        h = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return None if h.hexdigest() == sha256 else "content does not match its hash"
