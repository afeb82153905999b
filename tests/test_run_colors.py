"""Run colours: the runs charts draw by default differ in colour on every page that lists runs,
a run keeps its colour when newer runs come, and no two palette colours look alike."""
from __future__ import annotations

import json
import random
import re

from reportgen.site import charts, pages, runs_data
from reportgen.site.rundata import RunInfo


def _run(i: int, project: str, created) -> RunInfo:
    meta = {"id": f"r{i:04d}", "project": project}
    if created is not None:
        meta["created"] = created
    return RunInfo(file=f"r{i:04d}", path=f"/runs/r{i:04d}", meta=meta, config={}, summary={}, warnings=[])


def _colors(runs: list[RunInfo]) -> dict[str, str]:
    ordered = pages.order_runs(runs)
    return dict(zip((r.file for r in ordered), pages.run_colors(ordered)))


def _site(rng: random.Random, n: int) -> list[RunInfo]:
    """Start times all different (float seconds, as the SDK writes them), or none at all (an import)."""
    projects = [f"p{k}" for k in range(rng.randint(1, 5))]
    undated = rng.random() < 0.2
    return [_run(i, rng.choice(projects), None if undated else rng.random() * n) for i in range(n)]


def test_one_project_cycles_through_the_palette_in_start_order():
    runs = [_run(i, "p", 1000.0 + i) for i in range(45)]
    colors = _colors(runs)
    assert [colors[r.file] for r in runs] == [charts.PALETTE[i % len(charts.PALETTE)] for i in range(45)]


def test_runs_drawn_by_default_differ_in_colour_on_the_index_and_every_project_page():
    rng = random.Random(7)
    for _ in range(300):
        runs = _site(rng, rng.randint(1, 120))
        ordered = pages.order_runs(runs)
        colors = _colors(runs)
        scopes = [ordered] + [[r for r in ordered if r.project == p] for p in {r.project for r in runs}]
        for scope in scopes:
            drawn = runs_data.default_drawn(scope, 10)
            assert len({colors[f] for f in drawn}) == len(drawn), (len(runs), drawn)


def test_a_run_keeps_its_colour_when_runs_with_the_same_start_time_are_added():
    """Runs with one start time (or none): a run added after the others in site order changes nothing."""
    for created in (1_700_000_000.0, None):
        runs = [_run(i, "p", created) for i in range(25)]
        before = _colors(runs)
        after = _colors(runs + [_run(25 + j, "p", created) for j in range(5)])
        assert {f: after[f] for f in before} == before


def test_a_run_keeps_its_colour_when_newer_runs_are_added():
    rng = random.Random(11)
    for _ in range(100):
        n = rng.randint(1, 80)
        projects = [f"p{k}" for k in range(rng.randint(1, 4))]
        runs = [_run(i, rng.choice(projects), float(i)) for i in range(n)]
        rng.shuffle(runs)  # (site order is by project, start time and id, not by when folders were made)
        before = _colors(runs)
        more = [_run(n + j, rng.choice(projects + ["new"]), float(n + j)) for j in range(rng.randint(1, 30))]
        after = _colors(runs + more)
        assert {f: after[f] for f in before} == before


def _lab(hex_color: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour."""
    rgb = [int(hex_color[k:k + 2], 16) / 255 for k in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def test_no_two_palette_colours_look_alike():
    labs = [_lab(c) for c in charts.PALETTE]
    assert len(set(charts.PALETTE)) == len(charts.PALETTE) == 20
    closest = min(sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5
                  for i, a in enumerate(labs) for b in labs[i + 1:])
    # CIE76 distance; the former palette's closest pair (#f58518 and #ff7f0e, both orange) was 4.5 apart
    assert closest > 20
    assert all(40 <= lab[0] <= 85 for lab in labs)  # lines show on the light and the dark theme


def test_built_site_draws_the_latest_runs_of_two_projects_in_different_colours(tmp_path):
    """A built site: two projects whose runs were started alternately (the case where two of the
    ten runs drawn on the index shared a colour)."""
    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    root = tmp_path / "runs"
    for i in range(40):  # (in site order, by project first, run-39 came 20 after run-38: one colour)
        d = root / f"run-{i:02d}"
        d.mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"format": 1, "id": d.name, "project": "ab"[i % 2] * 3,
                                                "state": "finished", "created": 1_700_000_000 + i}))
        (d / "history.jsonl").write_text("".join(json.dumps({"_step": s, "loss": 1 / (s + 1)}) + "\n" for s in range(5)))
    build(BuildConfig(root, tmp_path / "site", quiet=True, cache_dir=tmp_path / "cache"))
    site = tmp_path / "site"

    def colors_of(page):
        data = json.loads(re.search(r'<script type="application/json" id="rg-site">(.*?)</script>',
                                    (site / page).read_text(), re.S).group(1))
        return {r["f"]: r["color"] for r in data["runs"]}

    index = colors_of("index.html")
    latest = [f"run-{i:02d}" for i in range(39, 29, -1)]
    assert len({index[f] for f in latest}) == 10
    for project, page in (("aaa", "projects/aaa/index.html"), ("bbb", "projects/bbb/index.html")):
        own = colors_of(page)
        assert all(own[f] == index[f] for f in own)  # a run keeps its colour on every page
        mine = sorted(own, reverse=True)[:10]
        assert len({own[f] for f in mine}) == 10, project
