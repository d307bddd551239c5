"""Strip debugging symbols from the bundle's shared libraries, but only where it is safe.

PyInstaller's ``strip=True`` strips everything, and binutils' strip breaks libraries that
auditwheel rewrote with patchelf (numpy's OpenBLAS then fails to load: "ELF load command
address/offset not page-aligned"). Here each library is stripped into a copy, the copy's LOAD
segments are checked the way the dynamic loader checks them, and only a sound, smaller copy
replaces the original. Linux only; needs binutils (strip, readelf).

    python installer/strip_bundle.py dist/commune-police
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ELF_MAGIC = b"\x7fELF"


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == ELF_MAGIC
    except OSError:
        return False


def loads_soundly(path: Path) -> bool:
    """Every LOAD segment's offset and address agree modulo its alignment (what ld.so checks)."""
    out = subprocess.run(["readelf", "-lW", str(path)], capture_output=True, text=True).stdout
    # LOAD  offset  vaddr  paddr  filesz  memsz  flags (one to three words)  align
    segments = [line.split() for line in out.splitlines() if line.split()[:1] == ["LOAD"]]
    if not segments:
        return False
    for fields in segments:
        offset, vaddr, align = fields[1], fields[2], fields[-1]
        a = int(align, 16)
        if a > 1 and (int(offset, 16) - int(vaddr, 16)) % a:
            return False
    return True


def strip_file(path: Path, work: Path) -> int:
    """Strip ``path`` if that is safe; returns the bytes saved (0 when left as it was)."""
    copy = work / "candidate"
    shutil.copy2(path, copy)
    done = subprocess.run(["strip", "--strip-unneeded", str(copy)], capture_output=True)
    saved = path.stat().st_size - copy.stat().st_size
    if done.returncode != 0 or saved <= 0 or not loads_soundly(copy):
        return 0
    shutil.copymode(path, copy)
    copy.replace(path)
    return saved


def strip_bundle(folder: Path) -> tuple[int, int]:
    """Returns (files stripped, bytes saved)."""
    count = total = 0
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not path.is_file() or not is_elf(path):
                continue
            saved = strip_file(path, Path(tmp))
            if saved:
                count += 1
                total += saved
    return count, total


if __name__ == "__main__":
    files, saved = strip_bundle(Path(sys.argv[1]))
    print(f"stripped {files} libraries, {saved / 2**20:.1f} MiB saved")
