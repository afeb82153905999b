"""Molecule (every supported format, parsed for real) and Object3D."""
from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from molfiles import write_all
from reportgen.media.base import MediaContext
from reportgen.media.molecule import Molecule
from reportgen.media.molparse import FORMATS
from reportgen.media.object3d import Object3D
from reportgen.storage.jsonio import read_json


@pytest.fixture(scope="module")
def molfiles(tmp_path_factory):
    return write_all(tmp_path_factory.mktemp("mol"))


@pytest.fixture
def ctx(tmp_path):
    return MediaContext(tmp_path, "protein", 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_parses(molfiles, ctx, fmt):
    if fmt not in molfiles:
        pytest.skip(f"no writer for {fmt} here")
    with open(molfiles[fmt]) as fh:  # text mode, as in the wandb docs, even for binary mmtf
        rec = Molecule(fh, caption="ala").to_record(ctx)
    assert rec["format"] == fmt and rec["atoms"] == 13 and rec["bonds"] == 12 and rec["caption"] == "ala"
    assert (ctx.run_dir / rec["path"]).read_bytes() == molfiles[fmt].read_bytes()
    structure = read_json(ctx.run_dir / rec["structure"])
    elements = sorted(a["element"] for a in structure["atoms"])
    assert elements == sorted(["N", "C", "C", "O", "C", "O"] + ["H"] * 7)
    n0 = structure["atoms"][0]
    assert n0["element"] == "N" and n0["x"] == pytest.approx(-0.966, abs=0.01)
    assert all(0 <= i < 13 and 0 <= j < 13 and o >= 1 for i, j, o in structure["bonds"])


def test_bonds_inferred_when_the_file_has_none(molfiles):
    # gro and pqr carry no bonds: they come from distances, and match the bonded formats
    ref = {tuple(b[:2]) for b in Molecule(str(molfiles["sdf"])).structure["bonds"]}
    for fmt in ("gro", "pqr"):
        got = {tuple(b[:2]) for b in Molecule(str(molfiles[fmt])).structure["bonds"]}
        assert got == ref


def test_errors(tmp_path, molfiles):
    (tmp_path / "x.xyz").write_text("1\n\nC 0 0 0\n")
    with pytest.raises(ValueError, match="unsupported molecule format 'xyz'; expected one of pdb, pqr"):
        Molecule(str(tmp_path / "x.xyz"))
    with pytest.raises(ValueError, match="file_type"):
        Molecule(io.StringIO(molfiles["pdb"].read_text()))
    assert Molecule(io.StringIO(molfiles["pdb"].read_text()), file_type="pdb").format == "pdb"
    (tmp_path / "bad.sdf").write_text("garbage\n")
    with pytest.raises(ValueError, match="cannot read this sdf file"):
        Molecule(str(tmp_path / "bad.sdf"))


def test_rdkit_missing_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdkit", None)
    with pytest.raises(ImportError, match="pip install rdkit"):
        Molecule.from_smiles("CCO")


def test_from_smiles_with_rdkit(ctx):
    pytest.importorskip("rdkit")
    m = Molecule.from_smiles("CCO", caption="ethanol")
    s = m.structure
    assert m.format == "sdf" and sorted(a["element"] for a in s["atoms"]) == ["C", "C", "H", "H", "H", "H", "H", "H", "O"]
    assert len(s["bonds"]) == 8
    assert Molecule.from_smiles("CCO").structure == s  # seeded embedding: reproducible
    with pytest.raises(ValueError, match="SMILES"):
        Molecule.from_smiles("not(a smiles")


# -- Object3D -----------------------------------------------------------------

def test_point_clouds(ctx):
    rng = np.random.default_rng(0)
    xyz = rng.random((20, 3))
    r3 = Object3D(xyz).to_record(ctx)
    scene = read_json(ctx.run_dir / r3["scene"])
    assert r3["format"] == "points" and r3["points"] == 20 and np.allclose(scene["points"], xyz, atol=1e-6)
    cats = Object3D(np.c_[xyz, rng.integers(1, 15, 20)]).scene
    assert 1 <= min(cats["categories"]) and max(cats["categories"]) <= 14
    rgb = Object3D(np.c_[xyz, rng.integers(0, 256, (20, 3))]).scene
    assert len(rgb["point_colors"]) == 20 and "categories" not in rgb


@pytest.mark.parametrize("arr, match", [
    (np.zeros((4, 5)), "N x 3"),
    (np.c_[np.zeros((4, 3)), np.full(4, 15)], "1-14"),
    (np.c_[np.zeros((4, 3)), np.full(4, 0.5)], "1-14"),
    (np.c_[np.zeros((4, 3)), np.full((4, 3), 256)], "0-255"),
    (np.array([[0, 0, np.nan]]), "NaN"),
])
def test_point_cloud_errors(arr, match):
    with pytest.raises(ValueError, match=match):
        Object3D(arr)


def _box(corners, label, color):
    return {"corners": corners, "label": label, "color": color}


def test_lidar_scene(ctx):
    cube = [[0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
    scene = {"type": "lidar/beta", "points": np.array([[0.4, 1, 1.3], [1, 1, 1], [1.2, 1, 1.2]]),
             "boxes": np.array([_box(cube, "Box", [123, 321, 111])]),
             "vectors": [{"start": [0, 0, 0], "end": [0.1, 0.2, 0.5]}]}
    with pytest.warns(UserWarning, match=r"\['boxes'\]\[0\]\['color'\].*clipped"):
        rec = Object3D(scene).to_record(ctx)
    stored = read_json(ctx.run_dir / rec["scene"])
    assert rec["format"] == "lidar/beta" and stored["boxes"][0]["color"] == [123, 255, 111]
    assert stored["boxes"][0]["label"] == "Box" and stored["vectors"] == [{"start": [0, 0, 0], "end": [0.1, 0.2, 0.5]}]
    bad = dict(scene, boxes=[_box(cube[:7], "x", [1, 2, 3])])
    with pytest.raises(ValueError, match=r"\['boxes'\]\[0\]\['corners'\]: expected 8 corners"):
        Object3D(bad)
    with pytest.raises(ValueError, match=r"\['boxes'\]\[0\]\['color'\]"):
        Object3D(dict(scene, boxes=[_box(cube, "x", [1, 2])]))
    with pytest.raises(ValueError, match=r"\['vectors'\]\[0\]\['end'\]"):
        Object3D(dict(scene, boxes=[], vectors=[{"start": [0, 0, 0], "end": [1, 2]}]))
    with pytest.raises(ValueError, match="type"):
        Object3D(dict(scene, type="radar"))
    same = Object3D.from_point_cloud(points=scene["points"], boxes=[], vectors=scene["vectors"])
    assert same.scene["vectors"] == stored["vectors"] and same.scene["boxes"] == []
    with pytest.raises(ValueError, match="unknown scene keys"):
        Object3D(dict(scene, colour="red"))


@pytest.fixture(scope="module")
def meshes(tmp_path_factory):
    trimesh = pytest.importorskip("trimesh")
    d = tmp_path_factory.mktemp("mesh")
    box = trimesh.creation.box()
    box.visual.vertex_colors = [255, 0, 0, 255]
    box.export(d / "sample.obj")
    box.export(d / "sample.glb")
    for name, data in trimesh.Scene(box).export(file_type="gltf").items():  # gltf + external buffers
        (d / ("sample.gltf" if name.endswith(".gltf") else name)).write_bytes(data)
    return d


@pytest.mark.parametrize("fmt", ["obj", "gltf", "glb"])
def test_mesh_files(meshes, ctx, fmt):
    with open(meshes / f"sample.{fmt}") as fh:  # text mode, as in the wandb docs, even for glb
        rec = Object3D(fh).to_record(ctx)
    assert rec["format"] == fmt and (ctx.run_dir / rec["path"]).read_bytes() == (meshes / f"sample.{fmt}").read_bytes()
    mesh = read_json(ctx.run_dir / rec["scene"])["mesh"]
    assert len(mesh["vertices"]) >= 8 and len(mesh["faces"]) == 12
    assert np.allclose(np.min(mesh["vertices"], axis=0), -0.5) and np.allclose(np.max(mesh["vertices"], axis=0), 0.5)


def test_mesh_errors(tmp_path):
    (tmp_path / "m.ply").write_text("ply")
    with pytest.raises(ValueError, match="expected one of obj, gltf, glb, stl, pts.json"):
        Object3D(str(tmp_path / "m.ply"))
    (tmp_path / "m.stl").write_text("solid x")  # stl is read (wandb lists it), but this one is empty
    with pytest.raises(ValueError, match="stl file contains no geometry"):
        Object3D(str(tmp_path / "m.stl"))
    (tmp_path / "m.glb").write_bytes(b"not a glb")
    with pytest.raises(ValueError, match="cannot read this glb"):
        Object3D(str(tmp_path / "m.glb"))
