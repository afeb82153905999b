"""The incremental writer every importer uses: one :class:`RunImport` per imported run.

An importer reads its source and calls :meth:`RunImport.add` with ``(step, values)``;
values may be plain numbers/strings or reportgen media objects (``Image``,
``Histogram``, ``Audio``, ``Table``...), which are normalised exactly as ``log()``
does (same records, same media files). :meth:`RunImport.commit` writes the new rows in
step order through the storage writer, then the summary, config, ``run.json`` and
``import.json`` (the importer's state: source offsets and the last step written).

Re-importing is incremental and idempotent: a run id comes from the source
(:func:`run_id_for`), and rows at or below the last written step are dropped
unless they carry keys that step did not have yet (a step that was still being
written when the last import ran).
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..media.base import slug
from ..sdk.values import Normalizer, Unsupported
from ..storage import format as fmt
from ..storage.safety import MAX_DEPTH, is_inside
from ..storage.safety import printable  # noqa: F401 (importers.follow imports it from here)
from ..storage.jsonio import TooDeep, encode_line, encode_plain_line, read_json, write_json_atomic
from ..storage.reader import DeepKeys, without_deep_keys
from ..storage.writer import RunWriter
from ..tell import tell

if TYPE_CHECKING:
    from .budget import MediaBudget

IMPORT_JSON = "import.json"
SOURCE_MAX = 64 << 20  # a params/tags/meta/hparams file larger than this is not read


class OutsideSource(OSError):
    """A file of the folder being imported that is a link to somewhere outside it: never read."""


def source_open(path: Path, root: Path, max_bytes: int | None = None):
    """``path`` opened for reading (binary), a file of the source folder ``root`` being imported
    (an ``mlruns/`` run, a wandb run's ``files/``): the folder is untrusted, so a file that is a
    link to somewhere outside ``root`` (``params/x`` -> ``~/.ssh/id_rsa``, published as a config
    value) raises :class:`OutsideSource`, and a named pipe, device or folder ``NotRegularFile``
    (opening a pipe would block for ever); all are OSErrors, as a missing file is."""
    from ..storage.safety import is_inside, open_regular

    if not is_inside(root, path):
        raise OutsideSource(f"{path.name} is a link to a file outside {root.name}/ (not imported)")
    return open_regular(path, max_bytes)


def source_text(path: Path, root: Path, max_bytes: int = SOURCE_MAX) -> str:
    """:func:`source_open`, read as UTF-8 text (undecodable bytes replaced)."""
    with source_open(path, root, max_bytes) as fh:
        return fh.read().decode("utf-8", "replace")
MAX_WALK_DEPTH = 64  # folders deeper than this under a source are not searched


def walk(root: Path, warn: Callable[[str], None] | None = None, max_depth: int = MAX_WALK_DEPTH,
         follow_links: bool | Callable[[Path], bool] = False):
    """``(folder, dir names, file names)`` under ``root`` top-down, names sorted, as ``os.walk`` (links to
    folders listed as folders, and walked into only with ``follow_links``: a TensorBoard logdir of
    linked runs, ``ln -s /data/exp1 logs/exp1``; a callable is asked for each such link, whether to walk
    into it; each real folder once, so a link loop ends), but
    iterative and at most ``max_depth`` folders deep: ``os.walk`` and ``Path.rglob`` recurse, and a
    source holding a chain of 1,100 nested folders ended ``reportgen import`` and ``reportgen build
    FOREIGN`` with RecursionError. Deeper folders are skipped, with one ``warn``."""
    stack, told = [(Path(root), 0)], False
    seen: set[tuple[int, int]] = set()
    while stack:
        folder, depth = stack.pop()
        if follow_links:
            try:
                st = os.stat(folder)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        dirs, files, walk_into = [], [], []
        for e in entries:
            try:
                is_dir = e.is_dir()
                if is_dir and (not e.is_symlink() or follow_links is True
                               or (callable(follow_links) and follow_links(folder / e.name))):
                    walk_into.append(e.name)
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(e.name)
        yield folder, dirs, files
        if depth >= max_depth:
            if walk_into and warn is not None and not told:
                told = True
                warn(f"{root}: folders more than {max_depth} levels deep are not searched ({folder}/...)")
            continue
        stack.extend((folder / d, depth + 1) for d in reversed(walk_into))


def walk_files(root: Path, warn: Callable[[str], None] | None = None) -> list[Path]:
    """Every path under ``root`` that is not a folder (:func:`walk`), sorted."""
    return sorted(folder / f for folder, _, files in walk(root, warn) for f in files)


YAML_VALUES = 1_000_000  # values a source YAML file may expand to (aliases counted each time they are used)


def source_yaml(path: Path, root: Path, max_bytes: int = SOURCE_MAX) -> Any:
    """A YAML file of the source folder ``root`` (``meta.yaml``, ``hparams.yaml``), read as
    :func:`source_text` and parsed with ``yaml.safe_load``. The file is untrusted: a document whose
    aliases expand to more than :data:`YAML_VALUES` values (a "billion laughs" file of 1 KB expands to
    10**9 strings, and every later use of it, ``str()`` or JSON, walks them all) or that nests deeper
    than ``MAX_DEPTH`` raises ValueError naming the problem (never RecursionError, never a hang). The
    values come back as JSON's types (:func:`_json_ready`)."""
    import yaml

    from ..storage.safety import MAX_DEPTH

    text = source_text(path, root, max_bytes)
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels; not read") from None
    stack, seen = [(data, 1)], 0
    while stack:  # the expanded size: a value reached through n aliases counts n times
        value, depth = stack.pop()
        seen += 1
        if seen > YAML_VALUES:
            raise ValueError(f"its aliases expand to more than {YAML_VALUES} values (a YAML bomb); not read")
        if isinstance(value, dict):
            items = [*value.keys(), *value.values()]
        elif isinstance(value, (list, tuple, set)):
            items = list(value)
        else:
            continue
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels; not read")
        stack.extend((x, depth + 1) for x in items)
    return _json_ready(data)


def _json_ready(value: Any) -> Any:
    """YAML's types as JSON's (``!!binary`` bytes, ``!!set``, dates and times had ``config.json`` fail
    to be written, the run lost): bytes as UTF-8 text (undecodable bytes replaced), sets as sorted
    lists, dates as ISO text, keys as text. (Nesting is bounded by :func:`source_yaml`.)"""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(_json_ready(k)): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_json_ready(v) for v in value), key=repr)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


_NUMBERS = {float, int}
_PLAIN = (int, float, str, bool)
_PLAIN_TYPES = frozenset((*_PLAIN, type(None)))
_RESERVED = frozenset(("_step", "_timestamp", "_runtime"))  # what every history row holds of its own
STATE_VERSION = 1


def _valid_text(value: Any) -> Any:
    """``value`` with every string made valid UTF-8: a folder name's bytes that are not UTF-8 (Python's
    surrogate escapes) become U+FFFD, as the JSON files store them, so the source an import compares
    with the one it stored is equal (or each pass rewrote the run, and ``serve --watch`` rebuilt it)."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    return value


def run_id_for(kind: str, key: str) -> str:
    """A deterministic, valid run id for the run ``key`` (a relative path or a source id) of ``kind``;
    ``key`` may hold a folder name's bytes that are not UTF-8 (they ended a TensorBoard import)."""
    digest = hashlib.sha1(f"{kind}:{key}".encode("utf-8", "surrogateescape")).hexdigest()[:8]
    base = slug(key.replace("/", "-"), 40).strip("._-") or "run"
    return fmt.validate_run_id(f"{kind}-{base}-{digest}")


def read_link(path: Path, source: Path, what: str, follow_links: bool, warn=None) -> bool:
    """Whether ``path`` (a run folder or a file of the source folder ``source``, a ``what``: "logdir",
    "wandb folder", "mlruns folder") is to be read. The folder is untrusted (a downloaded one): what it
    reaches through a link whose target is outside it (``wandb/offline-run-x`` -> another project's
    run) would publish what that names, so it is not read, with one ``warn`` naming the link, its
    target and ``--follow-links`` (``follow_links``: the user's own ``ln -s /data/exp1 logs/exp1``,
    read)."""
    if follow_links or is_inside(source, path):
        return True
    if warn is not None:
        warn(f"{path.relative_to(source).as_posix()}: a link to {os.path.realpath(path)}, outside the "
             f"{what} {source}; not read (--follow-links reads links out of the {what})")
    return False


def source_place(run_dir: Path) -> str:
    """Where the run folder ``run_dir`` is in the source, as an import records it: its folder resolved, its
    own name kept, so a run folder that is a link is named by the link (resolved, it named the link's
    target, outside the source: the Follower never looked for it there and never pruned it)."""
    run_dir = Path(run_dir)
    return str(run_dir.parent.resolve() / run_dir.name)


def safe_run_id(kind: str, key: str, problems: Problems) -> str:
    """``<kind>-<key>`` for the source's own run id ``key``; one that cannot be a folder name (a hostile
    source: ``a b``, ``x<b>y``, 80 characters) gets :func:`run_id_for`'s safe id instead, with a warning."""
    try:
        return fmt.validate_run_id(f"{kind}-{key}")
    except ValueError:
        safe = run_id_for(kind, key)
        problems.warn(f"{kind} run {key!r}: not usable as a folder name; imported as {safe}")
        return safe


NAMED = 3  # problems of one kind in one run that are warned by name (:meth:`Problems.some`); the rest are counted


class Problems:
    """One warning per problem (deduplicated), printed through ``emit`` and kept in ``items``; problems that
    may come by the hundred in one run (bad media records) are named up to :data:`NAMED`, then counted."""

    def __init__(self, emit: Callable[[str], None] | None = None, media: "MediaBudget | None" = None,
                 inform: Callable[[str], None] | None = None):
        from .budget import MediaBudget

        self.items: list[str] = []
        self.notes: list[str] = []  # informational notices (:meth:`note`): no problem, never counted as one
        self.refused: set[str] = set()  # run ids whose folder the import does not write into (RunImport)
        self.skipped = 0  # source runs not imported (:meth:`skip`)
        self.found: set[str] = set()  # run ids of the source's runs this import came to (RunImport), written or not
        self.media = media if media is not None else MediaBudget()  # the import's media budget (budget.py)
        self._seen: set[str] = set()
        self._counts: dict[tuple[str, str], int] = {}  # (run, what) -> problems of :meth:`some`
        self._emit = emit if emit is not None else tell
        self._inform = inform if inform is not None else (lambda m: tell(m, "note"))

    def warn(self, message: str) -> None:
        message = printable(message)
        if message not in self._seen:
            self._seen.add(message)
            self.items.append(message)
            self._emit(message)

    def some(self, run: str, what: str, message: str) -> None:
        """:meth:`warn` of one problem of a kind that may come by the hundred in one run (a logdir with
        hundreds of undecodable image summaries, a wandb run naming hundreds of missing media files: one
        line each buried the rest): the first :data:`NAMED` of ``run`` and ``what`` are warned in full, the
        others counted, and :meth:`finish` says them in one line, "… and 297 more <what> in <run>"."""
        message = printable(message)
        if message in self._seen:
            return
        key = (run, what)
        n = self._counts[key] = self._counts.get(key, 0) + 1
        if n <= NAMED:
            self.warn(message)
        else:
            self._seen.add(message)

    def finish(self) -> None:
        """Warn of the problems :meth:`some` counted without naming them: one line per run and kind."""
        counts, self._counts = self._counts, {}
        for (run, what), n in counts.items():
            if n > NAMED:
                self.warn(f"… and {n - NAMED} more {what} in {run}")

    def note(self, message: str) -> None:
        """Say something the user should know that is no problem of the source (what an import of that
        kind of source never takes, as a tracking server's artifacts): once, printed through ``inform``,
        kept in ``notes``, not in ``items`` (``reportgen import --strict`` fails on items only)."""
        message = printable(message)
        if message not in self.notes:
            self.notes.append(message)
            self._inform(message)

    def skip(self, message: str) -> None:
        """:meth:`warn` that a run of the source is not imported (``message`` says which and why)."""
        self.skipped += 1
        self.warn(message)


def _last_history_step(path: Path) -> tuple[int, set[str]]:
    """The largest ``_step`` in the last lines of ``history.jsonl`` and the keys of that step."""
    from ..storage.jsonio import decode_line

    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            tail = fh.read()
    except FileNotFoundError:
        return -1, set()
    last, keys = -1, set()
    for line in tail.split(b"\n")[1 if size > 65536 else 0:]:
        try:
            row = decode_line(line) if line.strip() else None
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("_step"), int):
            s = row["_step"]
            if s > last:
                last, keys = s, set()
            if s == last:
                keys.update(k for k in row if not fmt.is_system_key(k))
    return last, keys


# files of a run folder the importer writes (appends to some): each must be a regular file when present
_WRITTEN = (fmt.HISTORY_JSONL, fmt.RUN_JSON, fmt.CONFIG_JSON, fmt.SUMMARY_JSON, IMPORT_JSON)


def unsafe_target(root: Path, run_dir: Path) -> str | None:
    """Why the import must not write into ``run_dir`` (a run folder of the runs root ``root`` it imports
    into), or None. The runs root may hold what others made (a shared folder, an unpacked zip): a run
    folder that is a link out of the root, its ``media/``, a folder in it or ``files/`` a link out of
    the run folder, or a run file that is a link or no regular file (a pipe: appending to the history
    blocked the import for ever) would have the import write outside what it owns; a JSON file of it
    over 64 MiB (a sparse 8 GiB summary.json) would be read into memory whole to be continued."""
    import stat

    if os.path.lexists(run_dir):
        if not is_inside(root, run_dir) or not os.path.isdir(run_dir):
            return f"{run_dir.name} is a link to a folder outside the runs root, or no folder"
        for sub in (fmt.MEDIA_DIR, "files"):
            if os.path.lexists(run_dir / sub) and not is_inside(run_dir, run_dir / sub):
                return f"{run_dir.name}/{sub}/ is a link to somewhere outside the run folder"
        try:
            with os.scandir(run_dir / fmt.MEDIA_DIR) as it:
                for e in it:
                    if e.is_symlink() and not is_inside(run_dir, e.path):
                        return f"{run_dir.name}/{fmt.MEDIA_DIR}/{e.name} is a link to somewhere outside the run folder"
        except OSError:
            pass
        for name in _WRITTEN:
            try:
                st = os.lstat(run_dir / name)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                return f"{run_dir.name}/{name} is a link, a pipe, a socket, a device or a folder"
            if name != fmt.HISTORY_JSONL and st.st_size > SOURCE_MAX:  # (read whole to be continued)
                return f"{run_dir.name}/{name} is larger than {SOURCE_MAX >> 20} MiB"
    return None



def _step_text(step: int | None) -> str:
    """A step for a warning: an int of any size (a 400-digit MLflow step: float() overflows, and str()
    refuses past 4,300 digits)."""
    if step is None:
        return "inf or NaN"
    if abs(step) < 10 ** 24:
        return str(step)
    if step.bit_length() < 1024:
        return f"{float(step):.6g}"
    return f"{'-' if step < 0 else ''}a number of about {int(step.bit_length() * 0.30103)} digits"

class RunImport:
    """One run folder being imported into (created or continued)."""

    def __init__(self, root: Path, run_id: str, *, source: dict[str, Any], problems: Problems):
        self.id = fmt.validate_run_id(run_id)
        self.dir = Path(root) / self.id
        self.paths = fmt.RunPaths(self.dir)
        self.problems = problems
        problems.found.add(self.id)
        # what makes this run folder one the import must not write into (None: it may); then it adds
        # nothing and commits nothing, with one warning
        self.refused = unsafe_target(Path(root), self.dir)
        self.created = False  # whether this import made the run folder (:meth:`discard` removes only such)
        if self.refused:
            problems.refused.add(self.id)
            problems.warn(f"{self.id}: {self.refused}; not imported (nothing is written there)")
        else:
            self.created = not os.path.lexists(self.dir)
            self.dir.mkdir(parents=True, exist_ok=True)
        old = {} if self.refused else self._read(self.dir / IMPORT_JSON)
        self.existed = bool(old)
        self.state: dict[str, Any] = dict(old.get("state") or {})  # the importer's own (offsets...)
        self.meta: dict[str, Any] = self._read(self.paths.run_json)
        self.config: dict[str, Any] = self._read(self.paths.config_json)
        self.summary: dict[str, Any] = self._read(self.paths.summary_json)
        self.source = _valid_text(source)  # (as stored: a folder name's undecodable bytes become U+FFFD)
        hist_step, hist_keys = (-1, set()) if self.refused else _last_history_step(self.paths.history)
        self.last_step = int(old.get("last_step", -1))
        self.last_keys = set(old.get("last_keys") or [])
        if hist_step > self.last_step:  # history got ahead of import.json (interrupted import)
            self.last_step, self.last_keys = hist_step, hist_keys
        elif hist_step == self.last_step:
            self.last_keys |= hist_keys
        self.t0 = self.meta.get("created")
        self._loaded = (dict(self.config), dict(self.summary), dict(self.state))
        self._rows: dict[int, dict[str, Any]] = {}
        self._times: dict[int, float] = {}
        self._summary_overrides: dict[str, Any] = {}
        self._summary_removed: set[str] = set()
        # keys the source keeps out of its summary (wandb's define_metric(summary="none")): their last
        # history value is not put there either
        self.summary_hidden: Callable[[str], bool] | None = None
        self._norm = Normalizer(self.dir)
        self.rows_written = 0
        self._off_steps: dict[str, list] = {}  # key -> [first step no run folder holds, values left out]

    def discard(self) -> bool:
        """Remove the run folder when this import made it (True if so): a source skipped after its
        :class:`RunImport` was made (nothing to import in it, or an error part way) leaves no run folder
        behind, empty or half written. A folder that was there before is never touched."""
        import shutil

        if not self.created or os.path.islink(self.dir):
            return False
        self._rows.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.created = False
        return True

    def restart(self, meta: dict[str, Any]) -> None:
        """Import this run again from nothing (a run this import made: a CSV whose steps went down
        after some were written is imported again, sorted): its folder removed and made anew, what was
        added forgotten, ``meta`` (the run's :attr:`meta` before the first try) the run's meta."""
        self.discard()
        self.__init__(self.dir.parent, self.id, source=self.source, problems=self.problems)
        self.meta = dict(meta)

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            data = read_json(path)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    # -- adding data ---------------------------------------------------------------------
    def add(self, step: int, values: dict[str, Any], timestamp: float | None = None) -> None:
        """Merge ``values`` into the row of ``step`` (dropped when that step was imported already, or
        when no run folder can hold it: below 0 or past ``MAX_STEP``, counted per key and warned of at
        :meth:`commit`)."""
        try:
            step = int(step)
        except (OverflowError, ValueError):  # (an infinite or NaN step)
            step = None
        if self.refused:
            return
        if step is None or not fmt.holds_step(step):  # (a CSV step of 1e300 became a 301-digit _step)
            for k in values:
                self._off_steps.setdefault(k, [step, 0])[1] += 1
            return
        if step < self.last_step:
            return
        if step == self.last_step:
            values = {k: v for k, v in values.items() if k not in self.last_keys}
            if not values:
                return
        values = self._within_budget(values, step)
        if not values:
            return
        self._rows.setdefault(step, {}).update(values)
        if timestamp is not None:
            ts = float(timestamp)
            if self.t0 is None or ts < self.t0:
                self.t0 = ts
            prev = self._times.get(step)
            self._times[step] = ts if prev is None else max(prev, ts)

    def set_summary(self, values: dict[str, Any]) -> None:
        """Summary values the source states itself (they override the last history values)."""
        self._summary_overrides.update(self._within_budget(values, None))

    def _within_budget(self, values: dict[str, Any], step: int | None) -> dict[str, Any]:
        """``values`` but the media past the import's budget (:mod:`.budget`), with one warning per run."""
        out = values
        if _PLAIN_TYPES.issuperset(map(type, values.values())):  # (most rows: no media, 0.1 µs a value)
            return out
        for k, v in values.items():
            if type(v) in _PLAIN or v is None:
                continue
            from .budget import media_bytes  # (not for a row of plain values: 0.7 µs a row)

            size = media_bytes(v)
            if size and not self.problems.media.take(self.id, size):
                where = "the summary" if step is None else f"step {step}"
                message = self.problems.media.refusal(self.id, f"key {k!r} at {where}", size)
                if message:
                    self.problems.warn(message)
                out = {**out}
                del out[k]
        return out

    def drop_summary(self, keys) -> None:
        """Summary keys the source deleted (wandb's ``del run.summary[k]``): left out at the next commit."""
        self._summary_removed.update(keys)

    @property
    def pending(self) -> int:
        return len(self._rows)

    # -- writing -------------------------------------------------------------------------
    def _normalise(self, step: int | None, values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in values.items():
            if type(v) in (int, float, str, bool) or v is None:
                out[k] = v
                continue
            try:
                out[k] = self._norm.normalize(k, v, step)
            except Unsupported as exc:
                self.problems.some(self.id, "values skipped",
                                   f"{self.id}: key {k!r}: values of type {exc.type_name} cannot be stored; skipped")
            except Exception as exc:  # noqa: BLE001 - one bad value never stops the import
                self.problems.some(self.id, "values skipped",
                                   f"{self.id}: key {k!r} at step {step}: {type(exc).__name__}: {exc}; skipped")
        return out

    def commit(self, *, meta: dict[str, Any] | None = None, config: dict[str, Any] | None = None,
               state: dict[str, Any] | None = None) -> int:
        """Write the rows added since the last commit, then summary, config, run.json and import.json."""
        if self.refused:
            self._rows.clear()
            return 0
        self._warn_off_steps()
        writer = RunWriter(self.dir)
        n = 0
        deep = DeepKeys("step")
        try:
            now = time.time()
            for step in sorted(self._rows):
                values = self._rows[step]
                if not _RESERVED.isdisjoint(values):  # a source's own "_step" replaced the row's step
                    for key in sorted(_RESERVED.intersection(values)):
                        self.problems.warn(f"{self.id}: key {key!r} is the row's own (step, time); the source's "
                                           "values under that name are skipped")
                    values = {k: v for k, v in values.items() if k not in _RESERVED}
                    if not values:
                        continue
                # rows of plain numbers (most imported rows): no normalising, and the fast encoder when
                # their sum shows every one is finite
                plain = bool(values) and set(map(type, values.values())) <= _NUMBERS
                if plain:
                    total = sum(values.values())
                    plain = total - total == 0
                else:
                    values = self._normalise(step, values)
                    if not values:
                        continue
                ts = self._times.get(step)
                ts = ts if ts is not None else (self.t0 if self.t0 is not None else now)
                if self.t0 is None:
                    self.t0 = ts
                row = {"_step": step, "_timestamp": ts, "_runtime": max(0.0, ts - self.t0), **values}
                if plain:
                    line = encode_plain_line(row, False)
                else:
                    row, line = self._line(row, step, deep)
                    if line is None:
                        continue
                writer.history.append_encoded(line)
                self.summary.update(row)
                if step > self.last_step:
                    self.last_step, self.last_keys = step, set(values)
                else:
                    self.last_keys |= set(values)
                n += 1
        finally:
            writer.close()  # flush + fsync history before the state says it is written
        said: list[str] = []
        deep.tell(fmt.HISTORY_JSONL, said, "not imported (the rest of their rows is)")
        self._rows.clear()
        self._times.clear()
        if self.summary_hidden is not None:
            for k in [k for k in self.summary if not fmt.is_system_key(k) and self.summary_hidden(k)]:
                del self.summary[k]
        if self._summary_overrides:
            for k, v in self._summary_overrides.items():
                self.summary[k] = self._summary_value(k, v)
            self._summary_overrides.clear()
        for k in self._summary_removed:
            self.summary.pop(k, None)
        self._summary_removed.clear()
        if config is not None:
            self.config = config
        # what no reader reads is not written: nested deeper than MAX_DEPTH, the file being the first level
        self.config = without_deep_keys(self.config, fmt.CONFIG_JSON, said)
        self.summary = without_deep_keys(self.summary, fmt.SUMMARY_JSON, said)
        for message in said:
            self.problems.warn(f"{self.id}: {message}")
        if state is not None:
            self.state = state
        m = {**self.meta, **(meta or {})}
        m.setdefault("id", self.id)
        m.setdefault("name", self.id)
        m.setdefault("project", "uncategorized")
        m.setdefault("state", "finished")
        if self.t0 is not None:
            m.setdefault("created", self.t0)
        last_ts = self.summary.get("_timestamp")
        if not (meta or {}).get("updated"):
            m["updated"] = last_ts if isinstance(last_ts, (int, float)) else m.get("updated", now)
        m.setdefault("heartbeat", m["updated"])
        m["format"] = fmt.FORMAT_VERSION
        old_meta = {k: v for k, v in self.meta.items() if k != "imported"}
        unchanged = (n == 0 and self.existed and m.get("imported", {}).get("source") == self.source
                     and {k: v for k, v in m.items() if k != "imported"} == old_meta
                     and self.config == self._loaded[0] and self.summary == self._loaded[1]
                     and self.state == self._loaded[2])
        if unchanged:  # nothing new: leave every file alone (a watcher sees no change)
            return 0
        m["imported"] = {"source": self.source, "time": now}
        self.meta = m
        write_json_atomic(self.paths.config_json, self.config)
        write_json_atomic(self.paths.summary_json, self.summary)
        write_json_atomic(self.paths.run_json, self.meta)
        write_json_atomic(self.dir / IMPORT_JSON, {
            "version": STATE_VERSION, "source": self.source, "last_step": self.last_step,
            "last_keys": sorted(self.last_keys), "state": self.state})
        self._loaded = (dict(self.config), dict(self.summary), dict(self.state))
        self.existed = True
        self.rows_written += n
        return n

    @staticmethod
    def _line(row: dict[str, Any], step: int, deep: DeepKeys) -> tuple[dict[str, Any], bytes | None]:
        """``row`` and its history line without the values nested deeper than the readers read
        (``MAX_DEPTH`` levels, the row being the first; ``deep`` names them): a source's value that
        its conversion made deeper (a wandb image with boxes, nested in dicts) was written, and every
        reader then left it out. No line when no value of the row is left."""
        try:
            return row, encode_line(row, MAX_DEPTH)
        except TooDeep:
            row = deep.left_out(row, step)
            return row, (None if _RESERVED.issuperset(row) else encode_line(row, MAX_DEPTH))

    def _warn_off_steps(self) -> None:
        """One warning per key with values :meth:`add` left out at steps no run folder holds: how many, and
        the first step (TensorBoard's steps are int64, -1 and -2**63 are written; a CSV step of 1e300);
        past a few keys, counted (:meth:`Problems.some`)."""
        for key, (step, n) in self._off_steps.items():
            self.problems.some(self.id, "keys with steps out of range",
                               f"{self.id}: key {key!r}: {n} value{'s' if n != 1 else ''} at steps outside "
                               f"0..{fmt.MAX_STEP} left out (the first at step {_step_text(step)})")
        self._off_steps.clear()

    def _summary_value(self, key: str, value: Any) -> Any:
        if type(value) in (int, float, str, bool) or value is None:
            return value
        out = self._normalise(None, {key: value})  # media in the summary: file names say "summary"
        return out.get(key)
