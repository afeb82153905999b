"""Molecule: a structure file (kept as is) plus a parsed atoms/bonds description.

``Molecule(open("6lu7.pdb"))`` or ``Molecule("ligand.sdf")``; a file object
without a name needs ``file_type="pdb"``; so does the text of a file passed as a string
(``Molecule(pdb_text, file_type="pdb")``). ``Molecule.from_smiles`` and
``Molecule.from_rdkit`` need RDKit (``pip install rdkit``).
"""
from __future__ import annotations

import io
from typing import Any

from .base import Media, MediaContext, check_caption, extension, read_source
from .molparse import FORMATS, parse_structure


def _require_rdkit():
    try:
        from rdkit import Chem
        from rdkit.Chem import AllChem
    except ImportError:
        raise ImportError("Molecule.from_smiles / from_rdkit need RDKit: pip install rdkit") from None
    return Chem, AllChem


class Molecule(Media):
    TYPE = "molecule"
    SUPPORTED_TYPES = FORMATS

    def __init__(self, data_or_path: Any, caption: str | None = None, file_type: str | None = None):
        self.caption = check_caption(caption)
        if isinstance(data_or_path, str) and "\n" in data_or_path and file_type:
            # the file's text itself (e.g. Chem.MolToPDBBlock(mol)) with file_type= naming its format;
            # wandb would take it for a file name and fail
            self._bytes, name = data_or_path.encode("utf-8"), None
        else:
            self._bytes, name = read_source(data_or_path, "data_or_path")
        fmt = (file_type or extension(name)).lower().lstrip(".")
        if not fmt:
            raise ValueError(f"file_type: cannot tell the format of {name or 'this file object'}; pass "
                             f"file_type= one of {', '.join(FORMATS)}")
        if fmt not in FORMATS:
            raise ValueError(f"data_or_path: unsupported molecule format {fmt!r}; expected one of {', '.join(FORMATS)}")
        self.format = fmt
        if not self._bytes.strip():
            raise ValueError("data_or_path: the molecule file is empty")
        try:
            self.structure = parse_structure(self._bytes, fmt)
        except ImportError:
            raise
        except Exception as exc:
            raise ValueError(f"data_or_path: cannot read this {fmt} file ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_rdkit(cls, data_or_path: Any, caption: str | None = None, convert_to_3d_and_optimize: bool = True,
                   mmff_optimize_molecule_max_iterations: int = 200) -> "Molecule":
        """From an RDKit ``Mol`` (or a path RDKit can read: .mol, .sdf); 3-D coordinates are
        embedded (seeded, so reproducible) and MMFF-optimised when asked."""
        Chem, AllChem = _require_rdkit()
        mol = data_or_path
        if isinstance(mol, str):
            mol = Chem.MolFromMolFile(mol) if not mol.lower().endswith(".sdf") else next(iter(Chem.SDMolSupplier(mol)))
        if not isinstance(mol, Chem.Mol):
            raise TypeError(f"data_or_path: expected an rdkit.Chem.Mol or a .mol/.sdf path, got {type(mol).__name__}")
        if convert_to_3d_and_optimize:
            mol = Chem.AddHs(mol)
            if AllChem.EmbedMolecule(mol, randomSeed=0xF00D) != 0:
                raise ValueError("data_or_path: RDKit could not embed 3-D coordinates for this molecule")
            AllChem.MMFFOptimizeMolecule(mol, maxIters=mmff_optimize_molecule_max_iterations)
        elif mol.GetNumConformers() == 0:
            raise ValueError("data_or_path: the molecule has no conformer; use convert_to_3d_and_optimize=True")
        block = Chem.MolToMolBlock(mol) + "$$$$\n"
        return cls(io.StringIO(block), caption=caption, file_type="sdf")

    @classmethod
    def from_smiles(cls, data: str, caption: str | None = None, sanitize: bool = True,
                    convert_to_3d_and_optimize: bool = True, mmff_optimize_molecule_max_iterations: int = 200
                    ) -> "Molecule":
        Chem, _ = _require_rdkit()
        if not isinstance(data, str):
            raise TypeError(f"data: expected a SMILES string, got {type(data).__name__}")
        mol = Chem.MolFromSmiles(data, sanitize=sanitize)
        if mol is None:
            raise ValueError(f"data: RDKit could not parse the SMILES string {data!r}")
        return cls.from_rdkit(mol, caption=caption, convert_to_3d_and_optimize=convert_to_3d_and_optimize,
                              mmff_optimize_molecule_max_iterations=mmff_optimize_molecule_max_iterations)

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        record: dict[str, Any] = {
            "_type": self.TYPE,
            "path": ctx.write_bytes("molecules", self.format, self._bytes),
            "format": self.format,
            "structure": ctx.write_json("molecules", self.structure, suffix="structure"),
            "atoms": len(self.structure["atoms"]),
            "bonds": len(self.structure["bonds"]),
        }
        if self.caption is not None:
            record["caption"] = self.caption
        return record

    def __repr__(self) -> str:
        return f"<Molecule {self.format} {len(self.structure['atoms'])} atoms>"
