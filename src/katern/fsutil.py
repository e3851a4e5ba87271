"""Write files atomically, so a reader never sees half a file and a failure leaves the old one."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

# The temporary files atomic writes make: ".<target name>.<8 random characters>.tmp".
TEMP_RE = re.compile(r"^\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp$")


def _write_temp(path: Path, payload: bytes) -> Path:
    """Write `payload` to a new temporary file beside `path`, flushed to disk, and return its path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write `data` to `path` through a temporary file in the same folder and `os.replace`."""
    atomic_write_many([(Path(path), data)])


def atomic_write_many(files: list[tuple[Path, bytes | str]]) -> None:
    """Write several files together: every one to a temporary file first, then each moved into place.

    If any write fails, none of the targets is touched and no temporary file is left behind.
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            payload = data.encode("utf-8") if isinstance(data, str) else data
            temps.append((_write_temp(path, payload), path))
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _path in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files a killed katern run left in `folder`; return what was removed."""
    removed = []
    if not Path(folder).is_dir():
        return removed
    for entry in sorted(Path(folder).iterdir()):
        if TEMP_RE.match(entry.name) and entry.is_file() and not entry.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed
