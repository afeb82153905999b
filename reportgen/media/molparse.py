"""Parse molecule files into a plain atoms/bonds description for the viewer.

``parse_structure(data, fmt)`` returns ``{"atoms": [{"element", "x", "y", "z",
"name"?, "res_name"?, "res_id"?, "chain"?}], "bonds": [[i, j, order]]}`` for the
first model. pdb, cif/mmcif/mcif, sdf/sd, gro are read with biotite (the
``molecule`` extra); pqr and mol2 with the small readers below; mmtf with
mmtf-python. Files without bonds get bonds inferred from distances.
"""
from __future__ import annotations

import io
import re
from typing import Any

import numpy as np

FORMATS = ("pdb", "pqr", "mmcif", "mcif", "cif", "sdf", "sd", "gro", "mol2", "mmtf")
# biotite BondType -> bond order (aromatic kinds keep their Kekule order; ANY and coordination -> 1)
_ORDER = {0: 1, 1: 1, 2: 2, 3: 3, 4: 4, 5: 1, 6: 2, 7: 3, 8: 1, 9: 1}


def _biotite():
    try:
        import biotite.structure as struc
    except ImportError:
        raise ImportError("reading molecule files needs biotite: pip install reportgen[molecule]") from None
    return struc


def _element_from_name(name: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", name)
    return letters[:1].upper() if letters else "X"


def _atom_array(elements, coords, names=None, res_names=None, res_ids=None, chains=None):
    struc = _biotite()
    n = len(elements)
    arr = struc.AtomArray(n)
    arr.coord = np.asarray(coords, dtype=np.float32).reshape(n, 3)
    arr.element = np.asarray([e.upper() for e in elements], dtype="U2")
    arr.atom_name = np.asarray(names if names is not None else elements, dtype="U6")
    arr.res_name = np.asarray(res_names if res_names is not None else ["MOL"] * n, dtype="U5")
    arr.res_id = np.asarray(res_ids if res_ids is not None else [1] * n, dtype=int)
    arr.chain_id = np.asarray(chains if chains is not None else ["A"] * n, dtype="U4")
    arr.hetero = np.zeros(n, dtype=bool)
    return arr


def _read_pqr(text: str):
    elements, coords, names, res_names, res_ids = [], [], [], [], []
    for line in text.splitlines():
        if not line.startswith(("ATOM", "HETATM")):
            continue
        f = line.split()
        if len(f) < 10:
            raise ValueError(f"pqr: malformed atom line {line.strip()!r}")
        x, y, z = (float(v) for v in f[-5:-2])
        names.append(f[2])
        res_names.append(f[3])
        res_ids.append(int(re.sub(r"[^0-9-]", "", f[-6]) or 0))
        elements.append(_element_from_name(f[2]))
        coords.append((x, y, z))
    return _atom_array(elements, coords, names, res_names, res_ids), None


def _read_mol2(text: str):
    section, atoms, bonds = None, [], []
    for line in text.splitlines():
        if line.startswith("@<TRIPOS>"):
            section = line[9:].strip().upper()
            continue
        f = line.split()
        if not f or line.startswith("#"):
            continue
        if section == "ATOM":
            if len(f) < 6:
                raise ValueError(f"mol2: malformed atom line {line.strip()!r}")
            atoms.append((f[1], (float(f[2]), float(f[3]), float(f[4])), f[5].split(".")[0],
                          f[7] if len(f) > 7 else "MOL"))
        elif section == "BOND" and len(f) >= 4:
            kind = f[3].lower()
            order = {"1": 1, "2": 2, "3": 3, "ar": 1, "am": 1}.get(kind, 1)
            bonds.append([int(f[1]) - 1, int(f[2]) - 1, order])
    if not atoms:
        raise ValueError("mol2: no @<TRIPOS>ATOM records")
    arr = _atom_array([a[2] for a in atoms], [a[1] for a in atoms], [a[0] for a in atoms],
                      [a[3][:5] for a in atoms])
    return arr, (bonds or None)


def _read_mmtf(data: bytes):
    try:
        import msgpack
        from mmtf.api.mmtf_reader import MMTFDecoder
    except ImportError:
        raise ImportError("reading mmtf needs mmtf-python: pip install reportgen[molecule]") from None
    dec = MMTFDecoder()
    dec.decode_data(msgpack.unpackb(data, raw=False))
    n_model_chains = dec.chains_per_model[0] if len(dec.chains_per_model) else dec.num_chains
    elements, names, res_names, res_ids, bonds = [], [], [], [], []
    atom = group_index = 0
    for chain in range(n_model_chains):
        for _ in range(dec.groups_per_chain[chain]):
            gtype = dec.group_type_list[group_index]
            group = dec.group_list[gtype]
            start = atom
            for name, element in zip(group["atomNameList"], group["elementList"]):
                elements.append(element)
                names.append(name)
                res_names.append(group["groupName"])
                res_ids.append(int(dec.group_id_list[group_index]))
                atom += 1
            bl, ol = group["bondAtomList"], group["bondOrderList"]
            for k in range(len(ol)):
                bonds.append([start + bl[2 * k], start + bl[2 * k + 1], int(ol[k])])
            group_index += 1
    n = atom
    coords = np.stack([dec.x_coord_list[:n], dec.y_coord_list[:n], dec.z_coord_list[:n]], axis=1)
    inter = [] if getattr(dec, "bond_atom_list", None) is None else list(dec.bond_atom_list)
    orders = [] if getattr(dec, "bond_order_list", None) is None else list(dec.bond_order_list)
    for k in range(len(inter) // 2):
        i, j = int(inter[2 * k]), int(inter[2 * k + 1])
        if i < n and j < n:
            bonds.append([i, j, int(orders[k]) if k < len(orders) else 1])
    return _atom_array(elements, coords, names, res_names, res_ids), (bonds or None)


def _read_biotite(data: bytes, fmt: str):
    _biotite()
    text = io.StringIO(data.decode("utf-8", errors="replace"))
    if fmt == "pdb":
        from biotite.structure.io import pdb
        arr = pdb.PDBFile.read(text).get_structure(model=1, include_bonds=True)
    elif fmt in ("cif", "mmcif", "mcif"):
        from biotite.structure.io import pdbx
        arr = pdbx.get_structure(pdbx.CIFFile.read(text), model=1, include_bonds=True)
    elif fmt in ("sdf", "sd"):
        from biotite.structure.io import mol
        arr = mol.get_structure(mol.SDFile.read(text))
    elif fmt == "gro":
        from biotite.structure.io import gro
        arr = gro.GROFile.read(text).get_structure(model=1)
    else:  # pragma: no cover - guarded by FORMATS
        raise ValueError(fmt)
    if hasattr(arr, "stack_depth"):  # an AtomArrayStack: first model
        arr = arr[0]
    bonds = None
    if arr.bonds is not None and arr.bonds.get_bond_count() > 0:
        bonds = [[int(i), int(j), _ORDER.get(int(t), 1)] for i, j, t in arr.bonds.as_array()]
    return arr, bonds


def infer_bonds(arr) -> list[list[int]]:
    """Bonds from interatomic distances (biotite's covalent distance table)."""
    struc = _biotite()
    if arr.array_length() < 2:
        return []
    try:
        bl = struc.connect_via_distances(arr)
    except Exception:
        return []
    return [[int(i), int(j), 1] for i, j, _ in bl.as_array()]


def parse_structure(data: bytes, fmt: str) -> dict[str, Any]:
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"unsupported molecule format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "pqr":
        arr, bonds = _read_pqr(data.decode("utf-8", errors="replace"))
    elif fmt == "mol2":
        arr, bonds = _read_mol2(data.decode("utf-8", errors="replace"))
    elif fmt == "mmtf":
        arr, bonds = _read_mmtf(data)
    else:
        arr, bonds = _read_biotite(data, fmt)
    if arr.array_length() == 0:
        raise ValueError(f"{fmt}: the file contains no atoms")
    if bonds is None:
        bonds = infer_bonds(arr)
    atoms = []
    for k in range(arr.array_length()):
        x, y, z = (round(float(c), 4) for c in arr.coord[k])
        el = str(arr.element[k]).strip() or _element_from_name(str(arr.atom_name[k]))
        atoms.append({"element": el.capitalize(), "x": x, "y": y, "z": z, "name": str(arr.atom_name[k]),
                      "res_name": str(arr.res_name[k]), "res_id": int(arr.res_id[k]),
                      "chain": str(arr.chain_id[k])})
    return {"atoms": atoms, "bonds": sorted(bonds)}
