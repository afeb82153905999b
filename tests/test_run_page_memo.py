"""perf34: the run pages' chart sections rendered once per shape (site/sectionsmemo.py) give the same
pages as rendering each; the row table of a run's kept rows (rundata.row_table) is the sorted union
and positions that a sort gives."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from reportgen.site import sectionsmemo
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.site.rundata import row_table
from reportgen.site.runs_data import share_specs

T0 = 1_700_000_000.0


def _run(root: Path, name: str, rows: int, keys: list[str], epoch: bool | None = None, nan_at: int | None = None,
         meta: dict | None = None) -> None:
    """``epoch``: an "epoch" column too, going up (an x axis) or down; ``nan_at``: the row where acc is NaN."""
    d = root / name
    d.mkdir(parents=True)
    (d / "run.json").write_bytes(orjson.dumps({"format": 1, "id": name, "name": name, "state": "finished",
                                               "created": T0, "updated": T0 + rows, **(meta or {})}))
    lines = []
    for i in range(rows):
        row = {"_step": i, **{k: (i * 0.5 + j) for j, k in enumerate(keys)}}
        if epoch is not None:
            row["epoch"] = i // 10 if epoch else rows - i
        line = orjson.dumps(row)
        if i == nan_at:
            line = line.replace(b'"acc":' + orjson.dumps(row["acc"]), b'"acc":NaN')
        lines.append(line)
    (d / "history.jsonl").write_bytes(b"\n".join(lines) + b"\n")


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_memoised_sections_give_the_same_site(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    keys = ["loss", "acc", 'we"ird<&>/key']
    for i, name in enumerate(["a", 'b"<q>&x', "c'd", "e f", "g"]):
        _run(root, name, 300 + 10 * i, keys)
    _run(root, "other", 50, ["loss"])  # another shape
    built = {}
    page = sectionsmemo.SectionsMemo.page
    used = []
    monkeypatch.setattr(sectionsmemo.SectionsMemo, "page", lambda *a: used.append(page(*a)) or used[-1])
    for memo in (True, False):
        if not memo:
            monkeypatch.setattr(sectionsmemo.SectionsMemo, "page", _unmemoised)
        out = tmp_path / f"site-{memo}"
        build(BuildConfig(runs=root, out=out, cache=False, quiet=True, workers=1))
        built[memo] = _files(out)
    _same(built[True], built[False])
    assert len(used) == 6 and all(h is not None for _s, _b, h in used)  # every run page took its sections from the memo


def _unmemoised(self, env, shape, make, run_file):
    """SectionsMemo.page without the memo: every run page renders its own sections."""
    sections = make()
    return sections, share_specs(sections), None


def _same(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    assert a.keys() == b.keys()
    for page, data in b.items():
        assert a[page] == data, page


def test_sections_are_made_once_per_run_shape(tmp_path, monkeypatch):
    """issue 19: run pages of runs logged alike take their chart sections' markup from the first such
    page, without making the sections again (chart_sections was ~0.11 ms of a run page's ~0.8 ms, with
    the shared spec and the shape's key ~0.22 ms); what makes two runs' sections differ (points, NaN
    values, a step metric, which keys are x axes) keeps them apart, and the site is the same."""
    root = tmp_path / "runs"
    keys = ["loss", "acc", 'we"ird<&>/key']
    for name in ["a", 'b"<q>&x', "c"]:
        _run(root, name, 300, keys, epoch=True)
    _run(root, "nan", 300, keys, epoch=True, nan_at=7)  # a NaN in acc: the chart's note
    _run(root, "dx", 300, keys, epoch=True, meta={"metrics": {"loss": {"step_metric": "epoch"}}})  # data-x
    _run(root, "down", 300, keys, epoch=False)  # "epoch" goes down: a metric chart, not a step counter
    _run(root, "more", 310, keys, epoch=True)  # more points
    import reportgen.site.pages as pages_mod

    made = []
    chart_sections = pages_mod.chart_sections
    monkeypatch.setattr(pages_mod, "chart_sections",
                        lambda runs, *a, **k: made.append([r.file for r in runs]) or chart_sections(runs, *a, **k))
    built = {}
    for memo in (True, False):
        if not memo:
            monkeypatch.setattr(sectionsmemo.SectionsMemo, "page", _unmemoised, raising=False)
        made.clear()
        out = tmp_path / f"site-{memo}"
        build(BuildConfig(runs=root, out=out, cache=False, quiet=True, workers=1))
        built[memo] = _files(out)
        if memo:
            singles = sorted(m[0] for m in made if len(m) == 1)
            assert len(singles) == 5 and {"nan", "dx", "down", "more"} <= set(singles), singles
    _same(built[True], built[False])
    page = built[True]["runs/dx/index.html"].decode()
    assert 'data-x="epoch"' in page and "Step counters" in page
    assert "NaN/Infinity value" in built[True]["runs/nan/index.html"].decode()
    assert "Step counters" not in built[True]["runs/down/index.html"].decode()


def test_memo_is_used_once_per_shape(tmp_path):
    from reportgen.site.render import make_env

    env = make_env()
    memo = sectionsmemo.SectionsMemo()

    def sections(run):
        return [{"name": "m", "charts": [{"id": "m-1", "key": "m/x", "runs": [run], "points": 3, "note": "",
                                          "nonfinite": 0, "spec": None, "dx": None, "dom_id": None, "panel": None,
                                          "overlay": None, "settings": None}]}]

    a = memo.html(env, sections("r1"), None, "r1")
    b = memo.html(env, sections('r"2<'), None, 'r"2<')
    assert len(memo.done) == 1
    assert a == env.get_template(sectionsmemo.TEMPLATE).render(sections=sections("r1"), spec_base=None)
    assert b == env.get_template(sectionsmemo.TEMPLATE).render(sections=sections('r"2<'), spec_base=None)
    assert memo.html(env, sections("r1"), None, "other") is None  # a chart drawing another run: rendered


def test_row_table_is_the_sorted_union():
    rng = np.random.default_rng(3)
    cases = [[], [np.zeros(0, np.int64)], [np.array([5, 9, 12])],
             [np.unique(rng.integers(0, 2000, 400)) for _ in range(6)],
             [np.array([0, 10 ** 9]), np.array([3, 10 ** 9])],  # a wide span: sorted
             [np.array([7, 8], np.int32), np.array([2], np.int32)]]
    for rows in cases:
        table, pos = row_table(rows)
        want = np.unique(np.concatenate(rows)) if rows else np.zeros(0, np.int64)
        assert table.dtype == (np.concatenate(rows).dtype if rows else np.int64)
        assert np.array_equal(table, want)
        for r, p in zip(rows, pos):
            ref = np.searchsorted(want, r)
            assert p.dtype == ref.dtype and np.array_equal(p, ref)
