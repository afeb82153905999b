"""wandb.Object3D / wandb.Molecule documented inputs: glTF 1.0, .pts.json, stl, empty
point clouds, bad shapes; a PDB in the layout of the wandb docs' example (RCSB 6LU7)."""
from __future__ import annotations

import base64
import io
import json
import struct

import numpy as np
import pytest

from reportgen.media.base import MediaContext
from reportgen.media.molecule import Molecule
from reportgen.media.object3d import Object3D
from reportgen.storage.jsonio import read_json


def gltf1(tmp_path, external=False):
    """A glTF 1.0 file: one quad (two triangles) under a translated node, diffuse red material."""
    pos = struct.pack("<12f", 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0)
    idx = struct.pack("<6H", 0, 1, 2, 0, 2, 3)
    buf = pos + idx
    uri = "quad.bin" if external else "data:application/octet-stream;base64," + base64.b64encode(buf).decode()
    if external:
        (tmp_path / "quad.bin").write_bytes(buf)
    doc = {
        "asset": {"version": "1.0"}, "scene": "s", "scenes": {"s": {"nodes": ["n"]}},
        "nodes": {"n": {"meshes": ["m"], "translation": [10, 0, 0], "children": []}},
        "meshes": {"m": {"primitives": [{"attributes": {"POSITION": "ap"}, "indices": "ai", "mode": 4,
                                         "material": "red"}]}},
        "materials": {"red": {"values": {"diffuse": [1, 0, 0, 1]}}},
        "accessors": {"ap": {"bufferView": "bp", "byteOffset": 0, "byteStride": 12, "componentType": 5126,
                             "count": 4, "type": "VEC3"},
                      "ai": {"bufferView": "bi", "byteOffset": 0, "componentType": 5123, "count": 6,
                             "type": "SCALAR"}},
        "bufferViews": {"bp": {"buffer": "b", "byteOffset": 0, "byteLength": 48},
                        "bi": {"buffer": "b", "byteOffset": 48, "byteLength": 12}},
        "buffers": {"b": {"byteLength": len(buf), "type": "arraybuffer", "uri": uri}},
    }
    path = tmp_path / "quad.gltf"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("external", [False, True])
def test_gltf_1_0(tmp_path, external):
    pytest.importorskip("trimesh")
    obj = Object3D(str(gltf1(tmp_path, external)))
    mesh = obj.scene["mesh"]
    assert mesh["faces"] == [[0, 1, 2], [0, 2, 3]]
    assert mesh["vertices"][2] == [11.0, 1.0, 0.0]  # the node's translation applied
    assert mesh["vertex_colors"][0] == [255, 0, 0]
    rec = obj.to_record(MediaContext(tmp_path, "mesh", 0))
    assert rec["format"] == "gltf" and rec["path"].endswith(".gltf")


def test_gltf_1_0_errors(tmp_path):
    doc = json.loads(gltf1(tmp_path).read_text())
    doc["buffers"]["b"]["uri"] = "missing.bin"
    (tmp_path / "bad.gltf").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="glTF 1.0.*buffer file not found"):
        Object3D(str(tmp_path / "bad.gltf"))


def test_stl(tmp_path):
    trimesh = pytest.importorskip("trimesh")
    path = tmp_path / "box.stl"
    trimesh.creation.box().export(path)
    assert len(Object3D(str(path)).scene["mesh"]["faces"]) == 12


def test_pts_json_files(tmp_path):
    pts = tmp_path / "cloud.pts.json"
    pts.write_text(json.dumps([[0, 0, 0], [1, 2, 3]]))
    obj = Object3D(str(pts))
    assert obj.format == "points" and obj.scene == {"points": [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]}
    scene = tmp_path / "scene.pts.json"
    scene.write_text(json.dumps({"type": "lidar/beta", "points": [[0, 0, 0, 3]], "boxes": [], "vectors": []}))
    assert Object3D(str(scene)).scene["categories"] == [3]
    with open(pts, "rb") as fh:
        assert Object3D(fh).scene["points"][1] == [1.0, 2.0, 3.0]
    assert Object3D(io.StringIO(pts.read_text()), file_type="pts.json").scene["points"][0] == [0.0, 0.0, 0.0]


def test_empty_point_clouds(tmp_path):
    ctx = MediaContext(tmp_path, "pc", 0)
    for empty in (np.zeros((0, 3)), [], np.array([])):
        rec = Object3D(empty).to_record(ctx)
        assert rec["points"] == 0 and read_json(tmp_path / rec["scene"]) == {"points": []}
    assert Object3D.from_point_cloud(points=[], boxes=[], vectors=[]).scene == {"points": [], "boxes": [], "vectors": []}
    assert Object3D({"type": "lidar/beta"}).scene == {"points": []}


@pytest.mark.parametrize("bad", [np.zeros((5, 2)), np.zeros(7), np.zeros((2, 3, 3)), [[1, 2, 3], [1, 2]],
                                 np.zeros((3, 5))])
def test_bad_array_shape_is_value_error(bad):
    with pytest.raises(ValueError, match="data_or_path: expected an N x 3"):
        Object3D(bad)


def test_unsupported_formats_say_so(tmp_path):
    (tmp_path / "scene.babylon").write_text("{}")
    with pytest.raises(ValueError, match="babylon files are not supported"):
        Object3D(str(tmp_path / "scene.babylon"))
    with pytest.raises(ValueError, match="point_cloud_type"):
        Object3D.from_point_cloud([[0, 0, 0]], [], point_cloud_type="radar")


# The layout of an RCSB entry such as 6LU7 (the wandb docs' `wandb.Molecule("6lu7.pdb")`): header
# records, SEQRES/HELIX/SHEET/CRYST1, ATOM + ANISOU, TER, a HETATM ligand and a water, CONECT,
# MASTER, END, in the fixed columns of the PDB format. Coordinates are made up.
def _atom(rec, serial, name, res, chain, seq, x, y, z, el):
    name4 = f" {name:<3}" if len(name) < 4 else name
    return f"{rec:<6}{serial:>5} {name4} {res:>3} {chain}{seq:>4}    {x:8.3f}{y:8.3f}{z:8.3f}  1.00 50.00          {el:>2}"


def _anisou(serial, name, res, chain, seq, el):
    us = "".join(f"{u:7d}" for u in (6592, 7180, 6728, -93, -295, 220))
    return f"ANISOU{serial:>5}  {name:<3} {res:>3} {chain}{seq:>4}  {us}      {el:>2}"


PDB_6LU7_LIKE = "\n".join([
    "HEADER    VIRAL PROTEIN                           26-JAN-20   6LU7",
    "TITLE     THE CRYSTAL STRUCTURE OF COVID-19 MAIN PROTEASE IN COMPLEX WITH AN",
    "TITLE    2 INHIBITOR N3",
    "COMPND    MOL_ID: 1;",
    "COMPND   2 MOLECULE: 3C-LIKE PROTEINASE;",
    "REMARK   2 RESOLUTION.    2.16 ANGSTROMS.",
    "SEQRES   1 A  306  SER GLY PHE ARG LYS MET ALA PHE PRO SER GLY LYS VAL",
    "HELIX    1 AA1 SER A   10  GLY A   15  5                                   6",
    "SHEET    1 AA1 7 VAL A  73  LEU A  75  0",
    "CRYST1   97.931   79.477   51.803  90.00 114.55  90.00 C 1 2 1       4",
    _atom("ATOM", 1, "N", "SER", "A", 1, -32.073, 8.585, 33.823, "N"),
    _anisou(1, "N", "SER", "A", 1, "N"),
    _atom("ATOM", 2, "CA", "SER", "A", 1, -32.218, 9.302, 32.550, "C"),
    _atom("ATOM", 3, "C", "SER", "A", 1, -31.106, 8.836, 31.609, "C"),
    _atom("ATOM", 4, "O", "SER", "A", 1, -30.416, 7.866, 31.902, "O"),
    "TER       5      SER A   1",
    _atom("HETATM", 6, "C20", "02J", "C", 1, -10.893, 12.449, 69.092, "C"),
    _atom("HETATM", 7, "O21", "02J", "C", 1, -11.853, 12.926, 68.461, "O"),
    _atom("HETATM", 8, "O", "HOH", "A", 401, -20.123, 4.567, 30.000, "O"),
    "CONECT    6    7",
    "CONECT    7    6",
    "MASTER      306    0    6    9   15    0    0    6 2418    1   42   24",
    "END",
]) + "\n"


def test_molecule_from_rcsb_style_pdb(tmp_path):
    pytest.importorskip("biotite")
    path = tmp_path / "6lu7.pdb"
    path.write_text(PDB_6LU7_LIKE)
    for source in (str(path), open(path), io.StringIO(PDB_6LU7_LIKE)):
        mol = Molecule(source, file_type="pdb") if isinstance(source, io.StringIO) else Molecule(source)
        atoms = mol.structure["atoms"]
        assert len(atoms) == 7 and atoms[0]["element"] == "N"  # TER is not an atom
        assert atoms[0]["x"] == pytest.approx(-32.073) and atoms[6]["res_name"] == "HOH"
        assert [4, 5] in [b[:2] for b in mol.structure["bonds"]]  # CONECT 6-7: the ligand's two atoms
    rec = Molecule(str(path), caption="Mpro").to_record(MediaContext(tmp_path, "protein", 0))
    assert rec["format"] == "pdb" and rec["atoms"] == 7 and rec["caption"] == "Mpro"
    assert (tmp_path / rec["path"]).read_text() == PDB_6LU7_LIKE


def test_molecule_from_pdb_text_with_file_type(tmp_path):
    pytest.importorskip("biotite")
    # seen in training code: wandb.Molecule(Chem.MolToPDBBlock(mol), file_type="pdb")
    assert len(Molecule(PDB_6LU7_LIKE, file_type="pdb").structure["atoms"]) == 7
    with pytest.raises(ValueError, match="file not found"):
        Molecule("missing.pdb")


def test_box3d_as_wandb(tmp_path):
    import reportgen

    box = reportgen.box3d(center=(1, 2, 3), size=(2, 4, 6), orientation=(1, 0, 0, 0), color=(1, 0.5, 0),
                          label="car", score=0.9)
    corners = np.array(box["corners"])
    assert corners.min(axis=0).tolist() == [0, 0, 0] and corners.max(axis=0).tolist() == [2, 4, 6]
    assert box["color"] == [255, 128, 0]
    turned = reportgen.box3d(center=(0, 0, 0), size=(2, 0, 0), orientation=(np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)),
                             color=(0, 0, 1))  # 90 degrees about z: the x extent becomes a y extent
    assert np.allclose(np.abs(np.array(turned["corners"])).max(axis=0), [0, 1, 0])
    obj = Object3D.from_point_cloud(points=np.zeros((2, 3)), boxes=[box])
    assert obj.scene["boxes"][0]["score"] == 0.9 and obj.scene["boxes"][0]["label"] == "car"
    with pytest.raises(ValueError, match="orientation"):
        reportgen.box3d(center=(0, 0, 0), size=(1, 1, 1), orientation=(0, 0, 0, 0), color=(1, 1, 1))
