"""The wheel ships templates/ and assets/ inside the package, and works from there."""
from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_contains_templates_and_assets(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(REPO)],
                   check=True, capture_output=True, text=True)
    wheels = list(tmp_path.glob("reportgen-*.whl"))
    assert len(wheels) == 1
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    for folder in ("templates", "assets"):
        src_files = {p.relative_to(REPO).as_posix() for p in (REPO / folder).rglob("*") if p.is_file()}
        assert src_files, folder
        for f in src_files:
            assert f"reportgen/{f}" in names, f"{f} missing from the wheel"
    assert "reportgen/cli.py" in names
    # the wandb stand-in for `reportgen run`, with its dist-info (importlib.metadata.version("wandb"))
    shim = REPO / "reportgen" / "compat" / "shim"
    for p in shim.rglob("*"):
        if p.is_file() and "__pycache__" not in p.parts:
            assert p.relative_to(REPO).as_posix() in names, f"{p} missing from the wheel"
    # the installed layout is found by the resource locator: unpack and check from there
    target = tmp_path / "unpacked"
    zipfile.ZipFile(wheels[0]).extractall(target)
    code = ("from reportgen._resources import templates_dir, assets_dir; "
            "print(templates_dir()); print(assets_dir())")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(target)},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(target / "reportgen" / "templates"), str(target / "reportgen" / "assets")]
