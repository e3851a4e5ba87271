"""The one resolver every file katern reads goes through: it confines paths to the allowed folders.

Content is untrusted input. A record, a seed reference, a layout or a style sheet may name a file
outside the project (`../../../../etc/passwd`), a link (symlink) that points outside it, or a
network address. Everything katern reads is resolved here, with symbolic links followed, and
refused unless it lies inside the project, katern's own layouts and styles, or the font packages.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from katern.errors import ContentError

# A URL scheme (https:, file:, data:, javascript:) or a protocol-relative or UNC address.
URL_RE = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|//|\\\\)", re.IGNORECASE)
DRIVE_RE = re.compile(r"^[A-Za-z]:[\\/]")


class RefusedPath(ContentError):
    """A reference that names a file outside the allowed folders, a network address, or no file at all."""


def is_url(ref: str) -> bool:
    """Say whether `ref` is a URL (or a protocol-relative address) rather than a file path."""
    return bool(URL_RE.match(ref)) and not DRIVE_RE.match(ref)


@dataclass(frozen=True)
class Resolver:
    """Resolve paths and references against the project, refusing anything outside the allowed roots."""

    project: Path
    roots: tuple[Path, ...]

    @classmethod
    def for_project(cls, project_root: Path, extra_roots: tuple[Path, ...] | list[Path] = ()) -> Resolver:
        """Return the resolver of a project: the project itself plus katern's own files and fonts."""
        root = Path(project_root).resolve()
        return cls(root, tuple(dict.fromkeys([root, *(Path(p).resolve() for p in extra_roots)])))

    def allows(self, path: Path, within: Path | None = None) -> bool:
        """Say whether the real location of `path` lies inside the allowed roots (and `within`)."""
        real = Path(path).resolve()
        if within is not None:
            return real.is_relative_to(Path(within).resolve())
        return any(real.is_relative_to(root) for root in self.roots)

    def confine(self, path: Path, within: Path | None = None) -> Path:
        """Return the real path of `path`, or raise RefusedPath when it (or the link it is) leads outside."""
        path = Path(path)
        real = path.resolve()
        if self.allows(real, within):
            return real
        where = f"{within}" if within is not None else f"the project ({self.project})"
        how = f"is a link to {real}, which lies" if _through_link(path) else "lies"
        raise RefusedPath(
            f"{how} outside {where}. katern reads only files inside the project: "
            "copy the file into the project and refer to it there.",
            path=path,
        )

    def reference(self, ref: str, base: Path, within: Path | None = None, kind: str = "file") -> Path:
        """Resolve a reference written in content (relative to `base`) to an existing file inside the project.

        Raises RefusedPath with a message for the user: a URL, a path outside the project (or outside
        `within`), a link that leads outside, or a file that does not exist.
        """
        ref = ref.strip()
        if not ref:
            raise RefusedPath(f"the {kind} reference is empty. Give the path of a file inside the project.")
        if is_url(ref):
            scheme = ref.split(":", 1)[0].lower() if ":" in ref[:12] else ""
            if scheme in ("http", "https", "ftp") or ref.startswith("//"):
                raise RefusedPath(
                    f"'{abbreviate(ref)}' is a network address. katern never fetches from the network: download "
                    "the file into the project (for example images/) and refer to it there."
                )
            raise RefusedPath(
                f"'{abbreviate(ref)}' is a URL, not a file in the project. Refer to the {kind} by its path inside "
                "the project, relative to this file, for example images/photo.jpg."
            )
        candidate = Path(ref) if Path(ref).is_absolute() else Path(base) / ref
        real = candidate.resolve()
        if not self.allows(real, within if within is not None else self.project):
            where = f"{within}" if within is not None else f"the project ({self.project})"
            via = " through a link" if _through_link(candidate) else ""
            raise RefusedPath(
                f"'{abbreviate(ref)}' lies outside {where}{via}: it leads to {real}. Copy the file into "
                f"{'that folder' if within is not None else 'the project (for example images/)'} "
                "and refer to it there."
            )
        if not real.is_file():
            raise RefusedPath(f"'{abbreviate(ref)}' does not exist (looked for {real}). Check the file name.")
        return real


def _through_link(path: Path) -> bool:
    """Say whether any part of `path` is a symbolic link."""
    current = Path(path).absolute()
    for part in (current, *current.parents):
        try:
            if part.is_symlink():
                return True
        except OSError:
            return False
    return False


def abbreviate(text: str, limit: int = 80) -> str:
    """Shorten a reference for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def not_an_image(path: Path) -> str | None:
    """Say why the file at `path` is not an image WeasyPrint and browsers can show, or None."""
    if path.suffix.lower() == ".svg":
        head = path.read_bytes()[:4096].decode("utf-8", "replace")
        return None if "<svg" in head else f"'{path.name}' is not an SVG image. Export it again as SVG, PNG or JPEG."
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return f"'{path.name}' is not an image that can be printed ({exc}). Use a PNG, JPEG or SVG file."
    return None


def file_url(path: Path, embed: bool) -> str:
    """Return a file URL for print, or a data URL holding the file for the HTML booklet."""
    if not embed:
        return path.as_uri()
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
