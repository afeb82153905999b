"""The type of each column of a CSV read a part at a time (:mod:`.csvparts`), settled by the first part
holding a value of it, and each part's columns converted to it.

The columns are settled and converted a kind at a time, each kind as one 2-D array: taken out of a
part one at a time (a Series each, ~50 us on the frame pandas returns, one block a column), a CSV of
20,000 columns and 100 rows took ~24 s to import where pandas reads it in ~1 s. Only a column of text
is taken alone, once, to settle its type, and a column of numbers holding text to name its cells.
"""
from __future__ import annotations

from .csvblocks import CELL_MAX


def _integers(cells):
    """Whether each of the text ``cells`` (a Series) is written as an integer."""
    return cells.str.fullmatch(r"\s*[+-]?\d+\s*")


def _all_integers(cells):
    """For each column of the 2-D object array ``cells`` (text, or NaN where empty), whether every cell
    of it is written as an integer (matched at once: a match a column cost ~1 ms a column)."""
    import numpy as np
    import pandas as pd

    present = pd.notna(cells)
    ok = np.ones(cells.shape, dtype=bool)
    ok[present] = _integers(pd.Series(cells[present], dtype=object).astype(str)).to_numpy(dtype=bool)
    return ok.all(axis=0)


class ColumnKinds:
    """The kind each column settled: "integer", "float", "text" or "other" (:attr:`kinds`), and the parts'
    columns converted to it; ``left_out(row, column, what)`` is told of each cell left out."""

    def __init__(self, left_out):
        self.kinds: dict = {}
        self._left_out = left_out

    def settle(self, part, skip: set, as_text) -> set:
        """Settle the type of the columns of ``part`` not settled yet that hold a value; the ones
        settled as text; ``as_text(columns)``: those columns of the part parsed again as text. Columns
        of numbers are settled all at once; a column of text is taken alone."""
        cols = part.columns.tolist()
        dtypes = [d.kind for d in part.dtypes]
        todo = [j for j, col in enumerate(cols) if col not in self.kinds and col not in skip]
        text = set()
        for j in todo:
            if dtypes[j] in "iu":
                self.kinds[cols[j]] = "integer"
            elif dtypes[j] == "b":
                self.kinds[cols[j]] = "other"
            elif dtypes[j] != "f":
                kind = self._kind_of_text(part.iloc[:, j])
                if kind is not None:
                    self.kinds[cols[j]] = kind
                    if kind == "text":
                        text.add(cols[j])
        # (integral floats with an empty cell: integers unless a cell is written as a float)
        holed = self._settle_floats(part, [j for j in todo if dtypes[j] == "f"], cols)
        if holed:  # (one parse of the block as text for all of them: a parse each made 30,000 columns take minutes)
            cells = as_text(holed)
            for col, whole in zip(cells.columns.tolist(), _all_integers(cells.to_numpy(dtype=object))):
                self.kinds[col] = "integer" if whole else "float"
        return text

    def _settle_floats(self, part, floats: list, cols: list) -> list:
        """Settle the columns at ``floats`` (read as floats) that hold a value: floats, but for those whose
        values are all integral with an empty cell, which are returned (their cells as written tell)."""
        import numpy as np

        if not floats:
            return []
        values = part.iloc[:, floats].to_numpy(dtype=float)
        empty = np.isnan(values)
        integral = (np.where(empty, 0.0, values) == np.round(np.where(empty, 0.0, values))).all(axis=0)
        holed = []
        for j, some, whole, holes in zip(floats, (~empty).any(axis=0), integral, empty.any(axis=0)):
            if some and whole and holes:
                holed.append(cols[j])
            elif some:
                self.kinds[cols[j]] = "float"
        return holed

    @staticmethod
    def _kind_of_text(s):
        """The kind of a column read as text ``s`` (None: no value)."""
        import pandas as pd

        cells = s.dropna()
        if not len(cells):
            return None
        numbers = pd.to_numeric(cells, errors="coerce")
        if pd.api.types.infer_dtype(cells, skipna=True) == "boolean":
            return "other"
        if numbers.notna().sum() * 2 > len(cells):
            return "integer" if _integers(cells[numbers.notna()].astype(str)).all() else "float"
        return "text"

    def typed(self, part, skip: set, start: int):
        """``part`` with its columns of the types settled: text cells of number columns left out
        (warned of), integers and floats as settled; text cells longer than :data:`CELL_MAX` left out.
        The columns a type changes are converted a kind at a time, each kind as one 2-D array, and put
        in a new frame at once: set one at a time into ``part``, each cost as much as the columns
        already set (a CSV of 100,000 columns and one row took 10 minutes to import), and taken out
        and converted one at a time, a 20,000-column table spent ~1 ms a column in every part."""
        import numpy as np
        import pandas as pd

        cols = part.columns.tolist()
        dtypes = [d.kind for d in part.dtypes]
        texts = [j for j, k in enumerate(dtypes) if k not in "iufb"]
        changed: dict = {}  # position -> Series (a column taken alone: long text cells, text in numbers)
        for j in self._long_cells(part, texts):
            s = part.iloc[:, j]
            long = (s.str.len() > CELL_MAX).to_numpy()
            for i in np.flatnonzero(long):
                self._left_out(start + i + 1, cols[j], f"a cell of {len(s.iat[i]):,} characters (more than "
                               f"{CELL_MAX >> 20} MiB)")
            changed[j] = s.where(~long)
        to_float, holed = [], []  # positions of integer columns settled floats; of integral floats (with holes)
        for j, col in enumerate(cols):
            kind = self.kinds.get(col)
            if col in skip or kind not in ("integer", "float"):
                continue
            if dtypes[j] not in "iuf":
                s = changed.get(j, part.iloc[:, j])
                numbers = pd.to_numeric(s, errors="coerce")
                for i in np.flatnonzero((s.notna() & numbers.isna()).to_numpy()):
                    cell = str(s.iat[i])
                    self._left_out(start + i + 1, col, f"{cell[:80]!r}{'...' if len(cell) > 80 else ''} is not a "
                                   "number, in a column of numbers")
                if kind == "float" or numbers.dtype.kind != "f":
                    changed[j] = numbers.astype(float) if kind == "float" else numbers
                    continue
                changed[j] = numbers  # (settled below with the float columns of integers)
                holed.append(j)
            elif kind == "float" and dtypes[j] != "f":
                to_float.append(j)
            elif kind == "integer" and dtypes[j] == "f":
                holed.append(j)
        blocks = []  # (positions, 2-D array) of columns converted together
        if to_float:
            blocks.append((to_float, part.iloc[:, to_float].to_numpy(dtype=float)))
        if holed:
            blocks.extend(self._holed_integers(part, holed, changed, cols))
        if not changed and not blocks:
            return part
        return _replaced(part, changed, blocks)

    def _long_cells(self, part, texts: list) -> list:
        """The positions among ``texts`` (columns of text) of the columns holding a cell longer than
        :data:`CELL_MAX`, found over all of them at once."""
        import numpy as np

        if not texts:
            return []
        cells = part.iloc[:, texts].to_numpy(dtype=object)
        if not cells.size:
            return []
        size = np.frompyfunc(lambda v: len(v) if type(v) is str else 0, 1, 1)
        long = (size(cells).astype(np.int64) > CELL_MAX).any(axis=0)
        return [texts[j] for j in np.flatnonzero(long)]

    def _holed_integers(self, part, holed: list, changed: dict, cols: list):
        """The columns at ``holed`` (settled integers, read as floats: a hole made them so) as integers
        with None in their holes, as one object array; a column holding a fraction or an integer too
        large for a float to hold is settled floats from here on, and kept as it is."""
        import numpy as np

        values = np.empty((len(part), len(holed)))
        read = [k for k, j in enumerate(holed) if j not in changed]  # (others held text: their numbers)
        values[:, read] = part.iloc[:, [holed[k] for k in read]].to_numpy(dtype=float)
        for k, j in enumerate(holed):
            if j in changed:
                values[:, k] = changed[j].to_numpy(dtype=float)
        present = ~np.isnan(values)
        whole = np.where(present, values, 0.0)
        fits = ((whole == np.round(whole)) & (np.abs(whole) < 2 ** 53)).all(axis=0)
        for j in np.flatnonzero(~fits):
            self.kinds[cols[holed[j]]] = "float"  # (a fraction in a column of integers: floats from here on)
        keep = np.flatnonzero(fits)
        if not len(keep):
            return []
        out = np.full((len(values), len(keep)), None, dtype=object)
        ints = whole[:, keep].astype(np.int64).astype(object)
        out[present[:, keep]] = ints[present[:, keep]]
        for j in keep:
            changed.pop(holed[j], None)
        return [([holed[j] for j in keep], out)]

def _replaced(part, changed: dict, blocks: list):
    """``part`` with the columns at the positions of ``changed`` (position -> column) and ``blocks``
    (positions, 2-D array) replaced, made at once: the columns left as they were, each block and the
    columns changed alone put side by side, then in ``part``'s order."""
    import numpy as np
    import pandas as pd

    n = part.shape[1]
    moved = np.zeros(n, dtype=bool)
    frames, order = [], []
    for at, values in blocks:
        frames.append(pd.DataFrame(values, index=part.index, columns=range(len(at))))
        order.extend(at)
    if changed:
        at = list(changed)
        frames.append(pd.DataFrame({k: changed[j] for k, j in enumerate(at)}, index=part.index))
        order.extend(at)
    moved[order] = True
    kept = np.flatnonzero(~moved)
    frames.insert(0, part.iloc[:, kept].set_axis(range(len(kept)), axis=1))
    order = np.concatenate([kept, np.asarray(order, dtype=np.int64)])
    out = pd.concat(frames, axis=1, ignore_index=True)
    at = np.empty(n, dtype=np.int64)
    at[order] = np.arange(n)
    out = out.iloc[:, at]
    out.columns = part.columns
    return out
