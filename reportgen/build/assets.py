"""Writing ``assets/``: the project's css/js and the Vega runtime from vl-convert."""
from __future__ import annotations

import functools
import shutil
from pathlib import Path

from .._resources import assets_dir

VEGA_BUNDLE = "vega-bundle.js"


@functools.lru_cache(maxsize=1)
def _vega_bundle_text() -> tuple[str, str]:
    import vl_convert

    version = getattr(vl_convert, "__version__", "unknown")
    return version, vl_convert.javascript_bundle()


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
    # The Vega runtime is written once per vl-convert version (it takes ~2 s to bundle).
    import vl_convert

    version = getattr(vl_convert, "__version__", "unknown")
    stamp = target / (VEGA_BUNDLE + ".version")
    bundle = target / VEGA_BUNDLE
    if bundle.exists() and stamp.exists() and stamp.read_text() == version:
        return
    _, text = _vega_bundle_text()
    bundle.write_text("/* Vega, Vega-Lite and vega-embed, bundled by vl-convert-python " + version + " */\n"
                      + text, encoding="utf-8")
    stamp.write_text(version)
