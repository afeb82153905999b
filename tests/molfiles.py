"""Write one small molecule (alanine, from biotite's bundled component dictionary)
in every supported format, for the molecule tests and the example script."""
from __future__ import annotations

import io
from pathlib import Path


def alanine():
    import biotite.structure.info as info
    return info.residue("ALA")


def write_all(folder: Path) -> dict[str, Path]:
    """Write ala.<fmt> for every format; return {fmt: path}."""
    from biotite.structure.io import gro, mol, pdb, pdbx

    a = alanine()
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    def save(fmt: str, text: str | bytes) -> None:
        p = folder / f"ala.{fmt}"
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        out[fmt] = p

    for fmt, cls in (("pdb", pdb.PDBFile), ("gro", gro.GROFile)):
        f = cls()
        f.set_structure(a)
        s = io.StringIO()
        f.write(s)
        save(fmt, s.getvalue())
    f = pdbx.CIFFile()
    pdbx.set_structure(f, a)
    s = io.StringIO()
    f.write(s)
    for fmt in ("cif", "mmcif", "mcif"):
        save(fmt, s.getvalue())
    f = mol.SDFile()
    mol.set_structure(f, a)
    s = io.StringIO()
    f.write(s)
    for fmt in ("sdf", "sd"):
        save(fmt, s.getvalue())
    pqr = [f"ATOM  {i + 1:5d} {a.atom_name[i]:<4s} ALA A   1    {x:8.3f}{y:8.3f}{z:8.3f}  0.0000 1.5000"
           for i, (x, y, z) in enumerate(a.coord)]
    save("pqr", "\n".join(pqr + ["END"]) + "\n")
    bonds = a.bonds.as_array()
    lines = ["@<TRIPOS>MOLECULE", "ALA", f"{len(a)} {len(bonds)} 1", "SMALL", "NO_CHARGES", "", "@<TRIPOS>ATOM"]
    lines += [f"{i + 1} {a.atom_name[i]} {x:.4f} {y:.4f} {z:.4f} {a.element[i]} 1 ALA 0.0"
              for i, (x, y, z) in enumerate(a.coord)]
    lines += ["@<TRIPOS>BOND"] + [f"{k + 1} {i + 1} {j + 1} 1" for k, (i, j, _) in enumerate(bonds)]
    save("mol2", "\n".join(lines) + "\n")
    try:
        save("mmtf", _mmtf(a))
    except ImportError:
        pass
    return out


def _mmtf(a) -> bytes:
    from mmtf.api.mmtf_writer import MMTFEncoder

    bonds = a.bonds.as_array()
    enc = MMTFEncoder()
    enc.init_structure(len(bonds), len(a), 1, 1, 1, "ALA1")
    enc.set_model_info(0, 1)
    enc.set_chain_info("A", "A", 1)
    enc.set_entity_info([0], "", "polymer", "ALA")
    enc.set_group_info("ALA", 1, "\x00", "L-PEPTIDE LINKING", len(a), len(bonds), "A", 0, -1)
    for i in range(len(a)):
        x, y, z = (float(c) for c in a.coord[i])
        enc.set_atom_info(str(a.atom_name[i]), i + 1, "\x00", x, y, z, 1.0, 0.0, str(a.element[i]), 0)
    for i, j, _ in bonds:
        enc.set_group_bond(int(i), int(j), 1)
    enc.set_xtal_info("", None)
    enc.set_header_info(None, None, None, "", None, None, [])
    enc.finalize_structure()
    return enc.get_msgpack()
