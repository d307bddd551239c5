"""A clean Debian root to install the package into: made once with debootstrap (cached as a
tarball under build/installer/), unpacked fresh for each test run, entered with chroot inside a
private mount namespace (unshare), so that nothing it mounts is seen outside and nothing is left
mounted when a command ends."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARBALL = ROOT / "build" / "installer" / "bookworm-root.tar"
APT_CACHE = ROOT / "build" / "installer" / "apt-archives"
USER = "clerk"  # the commune's employee: an ordinary account, not root
USER_ENV = {"HOME": f"/home/{USER}", "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
            "USER": USER, "LOGNAME": USER, "QT_QPA_PLATFORM": "offscreen"}


def why_not_here() -> str | None:
    """Why a chroot cannot be used on this machine, or None."""
    if os.geteuid() != 0:
        return "needs root (debootstrap, chroot, mounts)"
    for tool in ("unshare", "chroot", "dpkg-deb"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    if not TARBALL.exists() and shutil.which("debootstrap") is None:
        return "needs debootstrap (apt-get install debootstrap) to make the clean root once"
    return None


@dataclass
class Result:
    code: int
    out: str
    err: str


class CleanRoot:
    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def unpack(cls, path: Path) -> "CleanRoot":
        subprocess.run(["bash", str(ROOT / "installer" / "debian-root.sh"), str(TARBALL)],
                       check=True, capture_output=True, text=True)
        if path.exists():
            subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=True)
        path.mkdir(parents=True)
        subprocess.run(["tar", "-C", str(path), "-xf", str(TARBALL)], check=True)
        APT_CACHE.mkdir(parents=True, exist_ok=True)
        (APT_CACHE / "partial").mkdir(exist_ok=True)
        return cls(path)

    def run(self, command: str, *, user: bool = False, env: dict | None = None,
            timeout: float = 900) -> Result:
        """Run a shell command inside the root (as the ordinary user when ``user``)."""
        r = shlex.quote(str(self.path))
        mounts = (f"mount -t proc proc {r}/proc && mount --rbind /dev {r}/dev && "
                  f"mount --bind {shlex.quote(str(APT_CACHE))} {r}/var/cache/apt/archives")
        if user:
            variables = " ".join(f"{k}={shlex.quote(v)}" for k, v in {**USER_ENV, **(env or {})}.items())
            inner = f"cd /home/{USER} && exec env -i {variables} /bin/sh -c {shlex.quote(command)}"
            inner = f"exec runuser -u {USER} -- /bin/sh -c {shlex.quote(inner)}"
        else:
            variables = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
            inner = (f"exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "
                     f"DEBIAN_FRONTEND=noninteractive {variables} /bin/sh -c {shlex.quote(command)}")
        script = f"{mounts} && exec chroot {r} /bin/sh -c {shlex.quote(inner)}"
        done = subprocess.run(["unshare", "--mount", "--fork", "/bin/sh", "-c", script],
                              capture_output=True, text=True, timeout=timeout)
        return Result(done.returncode, done.stdout, done.stderr)

    def must(self, command: str, **kw) -> Result:
        result = self.run(command, **kw)
        assert result.code == 0, f"{command}\n--- exit {result.code}\n{result.out[-3000:]}\n{result.err[-3000:]}"
        return result

    def home(self, *parts: str) -> Path:
        return self.path / "home" / USER / Path(*parts)

    def install(self, deb: Path) -> Result:
        """``apt-get install ./package.deb`` as a commune's IT person would (dependencies come
        from Debian's mirror; the package lists are refreshed once if they went stale)."""
        shutil.copy(deb, self.path / "tmp" / deb.name)
        command = f"apt-get install -y -q --no-install-recommends /tmp/{deb.name}"
        result = self.run(command)
        if result.code != 0:
            self.run("apt-get update -q")
            result = self.run(command)
        return result
