"""Files a panel needs in the site: copied media, thumbnails, mask layers, waveforms, data scripts.

Every output name is derived from the (content-hashed) source name, so builds are
reproducible and a rebuild skips files that are already there.
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

from ...storage.jsonio import dumps, loads
from ...storage.safety import (MAX_DEPTH, OutsideRunFolder, UnsafePath, check_relative, inside, reading_inside,
                               run_folder_real, safe_file_name)
from ..publish import NotPublished, check_dense, check_publishable, publish, read_whole
from ..svgclean import SvgRefused
from ..write import discard, write_if_changed, writing

THUMB_MAX = 320  # longest side of gallery thumbnails, in pixels
#: at most, pixels of a logged image the builder decodes (a thumbnail, a mask): 64 megapixels (an 8K x 8K
#: image, 256 MB as RGBA). A 140 KB PNG of 12,000 x 12,000 pixels took 760 MB to make its thumbnail, and
#: Pillow's own warning (past 89 megapixels) went to the terminal as it was
DECODE_MAX = 64_000_000


class MissingFile(Exception):
    """A record points at a file that is not in the run folder (or one the site may not publish)."""


def short_hash(text: str, n: int = 10) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


@dataclass
class RunFiles:
    """Copies files of one run folder into ``site/media/<run-key>/`` and writes data scripts.

    ``run_id`` is the run's site key (its folder's safe, unique name), never the id from run.json.
    Every source path is resolved and refused when it leaves the run folder (links included);
    every file goes through :func:`..publish.publish` (inert types as they are, SVG sanitized,
    anything that could run script refused)."""

    out: Path  # site folder
    run_dir: Path
    run_id: str
    warnings: list[str] = field(default_factory=list)
    root: Path | None = None  # the runs root (default: that of the build under way, safety.reading_from)
    #: a run file over 64 MiB that is mostly holes is copied (kept sparse); False for a site published to
    #: a URL, which does not upload such a file: its item is not shown (publish.check_dense)
    holes: bool = True
    #: site paths of the files the items made so far wrote or use (copies, derived files, data
    #: scripts), in order; an item that fails gives its own back (:meth:`settle`)
    touched: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # those of items shown
    dropped: set[str] = field(default_factory=set)  # those of items that could not be shown
    #: the build's checks of run files (site/verdicts.py), shared by the run pages and the reports:
    #: each file is checked once a build (a kept verdict: not even then); None: checked every time
    verdicts: Any = None

    def checked(self, what: str, src: Path, check: Callable[[Path], Any], keep: bool = False) -> Any:
        """``check(src)`` for the run file ``src``, made once a build for the file as it is now (and, with
        ``keep``, kept between builds): :meth:`..verdicts.Verdicts.check`."""
        if self.verdicts is None:
            return check(src)
        return self.verdicts.check(self.run_id, what, src, check, keep)

    def settle(self, mark: int, shown: bool) -> None:
        """The files touched since ``len(touched) == mark`` belong to an item that is ``shown``, or not."""
        (self.used if shown else self.dropped).update(self.touched[mark:])
        del self.touched[mark:]

    def unused(self) -> list[str]:
        """Site paths of files that only items which could not be shown touched: the page links none
        of them, so the site must not publish them (an undecodable image was copied all the same)."""
        return sorted(self.dropped - self.used - set(self.touched))

    @property
    def prefix(self) -> str:
        return f"media/{self.run_id}"

    def source(self, rel_path: Any) -> Path:
        """The real path of the run file ``rel_path``: inside the run folder (links followed), and the
        run folder inside the runs root *now* (one replaced by a link out of it since the build listed
        it had its link target's files published)."""
        if not isinstance(rel_path, str) or not rel_path:
            raise MissingFile(f"no file path in the record ({rel_path!r})")
        folder = run_folder_real(self.run_dir, self.root)
        if folder is None:
            raise MissingFile(f"{rel_path}: the run folder is a link out of the runs root now; not published")
        try:  # (inside the folder's real path as just found: no second look-up a swap could get between)
            src = inside(folder, rel_path, "the run folder")
        except UnsafePath as exc:
            raise MissingFile(str(exc)) from None
        except FileNotFoundError:
            raise MissingFile(f"missing file {rel_path}") from None
        if not src.is_file():
            raise MissingFile(f"missing file {rel_path}")
        return src

    def reading(self):
        """A block that opens files of this run folder only (checked where they really are when
        opened: :func:`...storage.safety.reading_inside`)."""
        return reading_inside(self.run_dir, self.root)

    def read_bytes(self, rel_path: Any, max_bytes: int | None = None) -> bytes:
        """A run file read whole (logged HTML, a JSON file), bounded (:func:`..publish.read_whole`;
        ``max_bytes``, else its ``READ_MAX``)."""
        src = self.source(rel_path)
        try:
            with self.reading():
                return read_whole(src) if max_bytes is None else read_whole(src, max_bytes)
        except OutsideRunFolder as exc:
            raise MissingFile(str(exc)) from None

    def read_json(self, rel_path: Any, max_bytes: int | None = None) -> Any:
        """A JSON file of the run, bounded: read as :meth:`read_bytes`, and refused (``TooDeep`` naming
        it) when nested deeper than ``MAX_DEPTH`` (a table cell 490 lists deep overflowed the stack
        of the data script's writer)."""
        return loads(self.read_bytes(rel_path, max_bytes), max_depth=MAX_DEPTH, what=str(rel_path))

    def site_path(self, rel_path: str, suffix: str = "", ext: str | None = None) -> str:
        try:
            p = check_relative(rel_path, "the run folder")
        except UnsafePath as exc:
            raise MissingFile(str(exc)) from None
        parts = p.parts[1:] if p.parts and p.parts[0] == "media" else p.parts
        if not parts:
            raise MissingFile(f"file path {rel_path!r} names no file")
        sub = PurePosixPath(*parts)
        if suffix or ext:
            sub = sub.with_name(sub.stem + suffix + (ext if ext is not None else sub.suffix))
        safe = "/".join(safe_file_name(x) for x in sub.parts)
        return f"{self.prefix}/{safe}"

    def claim(self, rel_path: str) -> str:
        """The site path :meth:`copy` gives ``rel_path``, counted as the current item's before its file
        is read: an item that then cannot be shown drops a copy an earlier build made there."""
        site = self.site_path(rel_path)
        self.touched.append(site)
        return site

    def copy(self, rel_path: str, check: Callable[[Path], Any] | None = None, ext: str | None = None) -> str:
        """Copy a run file into the site as :func:`..publish.publish` allows; return its site path.
        ``check(src)``, when given, looks at the run file first (inside :meth:`reading`, each build,
        a copy made before or not): what it raises means the file is not shown (nor published).
        ``ext`` (``".mp4"``): the copy is named ``<name><ext>`` (``x.mov.mp4``), its bytes as they are."""
        src = self.source(rel_path)
        site = self.site_path(rel_path) if ext is None else \
            self.site_path(rel_path, PurePosixPath(rel_path).suffix, ext)
        self.touched.append(site)
        dest = self.out / site
        try:
            svg = check_publishable(site) == "svg"
            with self.reading():
                if not self.holes:  # (checked before a copy an earlier build made is kept)
                    check_dense(rel_path, src)
                if check is not None:
                    check(src)
                # (a link under the site's name, from a site folder made elsewhere, is replaced: kept because
                # its size matched, it published the file it led to)
                if svg or dest.is_symlink() or not (dest.exists() and dest.stat().st_size == src.stat().st_size):
                    publish(src, dest)
        except (NotPublished, SvgRefused, OutsideRunFolder) as exc:
            raise MissingFile(str(exc)) from None
        return site

    def derived(self, rel_path: str, suffix: str, ext: str, make) -> str:
        """Site path of a file made from a run file by ``make(src, dest)``, made once."""
        src = self.source(rel_path)
        site = self.site_path(rel_path, suffix, ext)
        try:
            check_publishable(site)
        except NotPublished as exc:
            raise MissingFile(str(exc)) from None
        self.touched.append(site)
        dest = self.out / site
        if dest.is_symlink() or not dest.exists():
            tmp = dest.with_name("." + dest.name + ".tmp")
            try:  # (a full site: WriteFailed, which ends the build)
                with writing(dest, tmp, only_no_room=True):
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with self.reading():
                        make(src, tmp)
                    tmp.replace(dest)
            except OutsideRunFolder as exc:
                discard(tmp)
                raise MissingFile(str(exc)) from None
            except BaseException:
                discard(tmp)  # (a half-written thumbnail is no file of the site)
                raise
        return site

    def write_data(self, name: str, payload: Any) -> tuple[str, str]:
        """Write ``media/<run>/data/<name>.js`` calling ``RGPanels.receive(id, payload)``; return (id, site path).

        Kept under ``media/`` (not the site's ``data/``) so the chart builder's cleanup of
        stale data files never touches panel data."""
        data_id = f"{self.run_id}/{name}"
        site = f"{self.prefix}/data/{name}.js"
        self.touched.append(site)
        text = f"RGPanels.receive({dumps(data_id).decode()},{dumps(payload).decode()});\n"
        write_if_changed(self.out / site, text.encode("utf-8"))  # atomic (site/write.py)
        return data_id, site


@contextmanager
def open_image(src: Path, decode: bool = False) -> Iterator[Any]:
    """The image file ``src`` opened with Pillow (its header read). Pillow's decompression-bomb warning is
    an error here (one warning line of the build names the image); ``decode``: the caller will decode
    it whole, so an image of more than :data:`DECODE_MAX` pixels is refused first."""
    import warnings

    from PIL import Image

    from ...storage.safety import open_regular

    with open_regular(src, follow=False) as fh:  # (a real path: a link or a pipe now is a swap)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(fh)
        with im:
            w, h = im.size
            if decode and w * h > DECODE_MAX:
                raise ValueError(f"an image of {w:,} x {h:,} pixels is not decoded by the builder (at most "
                                 f"{DECODE_MAX // 1_000_000} megapixels)")
            yield im


def make_thumbnail(src: Path, dest: Path, max_side: int = THUMB_MAX) -> None:
    from PIL import Image

    with open_image(src, decode=True) as im:
        im.seek(0)
        im = im.convert("RGBA") if im.mode in ("RGBA", "LA", "P", "PA") else im.convert("RGB")
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        if im.mode == "RGBA":
            im.save(dest, format="PNG")
        else:
            im.save(dest, format="JPEG", quality=85)


def needs_thumbnail(width: Any, height: Any, src: Path, max_side: int = THUMB_MAX) -> bool:
    try:
        big = max(int(width), int(height)) > max_side
    except (TypeError, ValueError):
        big = True
    return big or src.stat().st_size > 64_000
