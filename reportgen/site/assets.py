"""Writing ``assets/``: the project's css/js and the Vega runtime from vl-convert."""
from __future__ import annotations

import functools
import shutil
from pathlib import Path

from .._resources import assets_dir
from .bundle import write_bundles
from .cache import user_cache
from .write import write_bytes, write_text

VEGA_BUNDLE = "vega-bundle.js"


@functools.lru_cache(maxsize=1)
def _vega_bundle_text() -> tuple[str, str]:
    """The bundle text; bundling takes seconds, so it is also kept in the user cache folder."""
    import vl_convert

    version = _vl_convert_version()
    cached = user_cache() / f"vega-bundle-{version}.js"
    try:
        return version, cached.read_text(encoding="utf-8")
    except OSError:
        pass
    text = vl_convert.javascript_bundle()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_text(cached, text)
    except OSError:
        pass  # a read-only home: bundle again next time
    return version, text


def _vl_convert_version() -> str:
    import vl_convert

    return getattr(vl_convert, "__version__", "unknown")


@functools.lru_cache(maxsize=4)
def _versions(src: str, stamp: tuple) -> dict[str, str]:
    from .bundle import BUNDLES, bundle_text, version

    out = {f"assets/{p.relative_to(src).as_posix()}": version(p.read_bytes())[:10]
           for p in sorted(Path(src).rglob("*")) if p.is_file()}
    out.update({f"assets/{name}": version(bundle_text(name))[:10] for name in BUNDLES})
    out[f"assets/{VEGA_BUNDLE}"] = version(_vl_convert_version())[:10]
    return out


def asset_versions() -> dict[str, str]:
    """Site path of each file in ``assets/`` -> a short hash of what it holds (the Vega runtime: of
    vl-convert's version, which decides it). Pages ask for ``assets/x.js?v=<hash>``: a browser, or
    GitHub Pages' 10-minute cache, never runs a page against the assets of another build (the
    query is ignored where the file is read: from disk, by ``serve``, by any static server)."""
    src = assets_dir()
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(src.rglob("*")) if p.is_file())
    return _versions(str(src), stamp + (_vl_convert_version(),))


def write_assets(out: Path) -> None:
    target = out / "assets"
    target.mkdir(parents=True, exist_ok=True)
    src = assets_dir()
    for path in sorted(src.rglob("*")):
        if path.is_file():
            dest = target / path.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists() or dest.read_bytes() != path.read_bytes():
                shutil.copyfile(path, dest)
    write_bundles(target)  # tabs12: one script per page part (site/bundle.py)
    # The Vega runtime is written once per vl-convert version (it takes ~2 s to bundle).
    version = _vl_convert_version()
    stamp = target / (VEGA_BUNDLE + ".version")
    bundle = target / VEGA_BUNDLE
    if bundle.exists() and stamp.exists() and stamp.read_text() == version:
        return
    _, text = _vega_bundle_text()
    write_bytes(bundle, ("/* Vega, Vega-Lite and vega-embed, bundled by vl-convert-python " + version + " */\n"
                         + text).encode("utf-8"))
    write_bytes(stamp, version.encode("utf-8"))
