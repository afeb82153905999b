import json
import re
from pathlib import Path

import pytest

from reportgen.site.config import BuildConfig
from reportgen.site.rundata import run_data_path
from reportgen.site.builder import build
from site_data import decoded
from site_runs import append_rows, rows, wavy, write_run


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".reportgen-cache" not in p.parts}


@pytest.fixture
def broken_runs(tmp_path):
    root = tmp_path / "runs"
    write_run(root, "good", rows(50, loss=wavy))
    d = write_run(root, "torn", rows(20, loss=wavy))
    with open(d / "history.jsonl", "ab") as fh:
        fh.write(b'{"_step": 20, "loss"')
    d = write_run(root, "badjson", rows(20, loss=wavy))
    with open(d / "history.jsonl", "ab") as fh:
        fh.write(b"this is not json\n")
    append_rows(d, rows(3, start=21, loss=wavy))
    write_run(root, "nomedia", rows(5, loss=wavy) + [{"_step": 5, "pic": {"_type": "image", "path": "media/images/gone.png"}}])
    write_run(root, "alien", rows(5, loss=wavy) + [{"_step": 5, "thing": {"_type": "hologram", "x": 1}}],
              summary={"thing": {"_type": "hologram"}})
    write_run(root, "nometa", rows(5, loss=wavy), run_json=False)
    return root


def test_broken_run_folders_never_stop_the_build(broken_runs, tmp_path, cli):
    out = tmp_path / "site"
    proc = cli("build", str(broken_runs), "-o", str(out))
    assert proc.returncode == 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    expected = {"torn": "incomplete last line", "badjson": "not valid JSON", "nomedia": "missing media file",
                "alien": "unknown _type 'hologram'", "nometa": "run.json is missing"}
    for run, text in expected.items():
        assert any(f"run {run}:" in ln and text in ln for ln in lines), (run, lines)
    assert not any("run good:" in ln for ln in lines)
    assert "runs 0/6" in proc.stderr and "built 6 runs, 1 metrics" in proc.stderr  # progress + counts
    page = (out / "runs" / "torn" / "index.html").read_text()
    assert "This run folder has problems" in page and "incomplete last line" in page
    alien = (out / "runs" / "alien" / "index.html").read_text()
    assert "unsupported" in alien
    assert "This run folder has problems" not in (out / "runs" / "good" / "index.html").read_text()
    strict = cli("build", str(broken_runs), "-o", str(tmp_path / "s2"), "--strict", "-q", check=False)
    assert strict.returncode == 1 and strict.stderr == ""


def test_incremental_rebuild_parses_only_the_changed_run(tmp_path):
    root = tmp_path / "runs"
    for i in range(3):
        write_run(root, f"r{i}", rows(400, loss=wavy, acc=lambda s: s / 400))
    out = tmp_path / "site"
    cfg = BuildConfig(runs=root, out=out, quiet=True, samples=100)
    first = build(cfg)
    assert sorted(first.reparsed) == ["r0", "r1", "r2"]
    other = out / run_data_path("runs", "r0")
    stamp = other.stat().st_mtime_ns
    again = build(cfg)
    assert again.reparsed == []
    append_rows(root / "r1", rows(100, start=400, loss=wavy, acc=lambda s: s / 400))
    third = build(cfg)
    assert third.reparsed == ["r1"] and third.appended == ["r1"]
    assert other.stat().st_mtime_ns == stamp
    p = decoded(out, "r1", "loss")["p"]
    assert p["n"] == 500 and p["x"]["_step"][-1] == 499 and len(p["y"]) <= 100 + 2
    # the incremental result equals a full build
    full = build(BuildConfig(runs=root, out=tmp_path / "full", quiet=True, samples=100, cache=False))
    assert full.reparsed and _files(out) == _files(tmp_path / "full")
    # a run removed: its pages' data files go away
    import shutil
    shutil.rmtree(root / "r2")
    build(cfg)
    assert not (out / run_data_path("runs", "r2")).exists()
    assert not (out / run_data_path("smooth", "r2")).exists()
    assert "r2" not in (out / "index.html").read_text()


def test_build_is_deterministic(tmp_path):
    root = tmp_path / "runs"
    write_run(root, "a", rows(3000, loss=wavy), config={"lr": 0.1})
    write_run(root, "b", rows(2000, loss=wavy), config={"lr": 0.2})
    build(BuildConfig(runs=root, out=tmp_path / "s1", quiet=True))
    build(BuildConfig(runs=root, out=tmp_path / "s2", quiet=True))
    a, b = _files(tmp_path / "s1"), _files(tmp_path / "s2")
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)


def test_projects_groups_and_case_collisions(tmp_path):
    root = tmp_path / "runs"
    data = rows(10, loss=wavy, **{"My-Metric": wavy, "my-metric": wavy, "train/acc": wavy, "epoch": lambda s: s // 2})
    data[3]["loss"] = "nan-ish"
    write_run(root, "a", data, meta={"project": "vision"})
    write_run(root, "b", rows(10, loss=wavy), meta={"project": "nlp <b>x</b>"})
    res = build(BuildConfig(runs=root, out=tmp_path / "site", quiet=True))
    out = tmp_path / "site"
    index = (out / "index.html").read_text()
    assert "projects/vision/index.html" in index
    slug = [p for p in (out / "projects").iterdir() if p.name != "vision"][0].name
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", slug) and f"projects/{slug}/index.html" in index
    assert "nlp &lt;b&gt;x&lt;/b&gt;" in index
    vision = (out / "projects" / "vision" / "index.html").read_text()
    assert 'data-key="My-Metric"' in vision and 'data-key="my-metric"' in vision
    assert "names differ only in case" in vision
    run_page = (out / "runs" / "a" / "index.html").read_text()
    assert "loss (string)" in run_page
    site = json.loads(re.search(r'id="rg-site">(.*?)</script>', index).group(1))
    assert [o["key"] for o in site["xopts"]] == ["_step", "_runtime", "_timestamp", "epoch"]
    assert res.metrics == 5


def test_samples_bound_points_and_x_columns(tmp_path):
    root = tmp_path / "runs"
    data = rows(20_000, loss=wavy)
    for r in data[::100]:
        r["epoch"] = r["_step"] // 100
    data[5000]["loss"] = float("inf")
    write_run(root, "a", data)
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True, samples=300))
    p = decoded(out, "a", "loss")["p"]
    assert len(p["y"]) <= 302 and p["n"] == 20_000
    assert set(p["x"]) == {"_step", "_runtime", "_timestamp", "epoch"}
    assert all(len(v) == len(p["y"]) for v in p["x"].values())
    assert [i for i, kind in p["nf"]] and p["nf"][0][1] == "Infinity"
    i = p["nf"][0][0]
    assert p["y"][i] is None and p["x"]["_step"][i] == 5000
    assert p["x"]["epoch"][i] == 50  # last logged epoch carried forward
    ss = decoded(out, "a", "loss", weight=3)["ss"]
    assert len(ss) == len(p["y"]) and ss[i] is None and all(v is not None for v in ss[:i])


def test_extra_head_goes_into_every_page(tmp_path):
    root = tmp_path / "runs"
    write_run(root, "a", rows(5, loss=wavy))
    out = tmp_path / "site"
    snippet = '<script src="/__reload.js"></script>'
    res = build(BuildConfig(runs=root, out=out, quiet=True, extra_head=[snippet]))
    assert res.pages and all(snippet in (out / p).read_text().split("</head>")[0] for p in res.pages)
    build(BuildConfig(runs=root, out=out, quiet=True))  # without it (the serve snippet is dev-only)
    assert not any(snippet in (out / p).read_text() for p in res.pages)


def test_site_links_are_posix_relpaths_without_getcwd():
    """urls.rel computes plain site paths itself (many19: relpath's getcwd cost ~1 ms per run page);
    every path, plain or not, gives what posixpath.relpath gives."""
    import posixpath
    import random

    from reportgen.site.urls import _relpath

    segs = ["a", "b", "runs", "x", "index.html", "assets", ".", "..", "", "a.b", "x y"]
    rng = random.Random(0)
    checked = 0
    for _ in range(20000):
        target = "/".join(rng.choice(segs) for _ in range(rng.randint(1, 4))) + ("/" if rng.random() < 0.2 else "")
        base = "." if rng.random() < 0.3 else "/".join(rng.choice(segs) for _ in range(rng.randint(1, 4)))
        if not target or not base:
            continue
        try:
            want = posixpath.relpath(target, base)
        except ValueError:
            continue
        assert _relpath(target, base) == want, (target, base)
        checked += 1
    assert checked > 15000
    assert _relpath("assets/x.css", "runs/r1") == "../../assets/x.css" and _relpath("runs/r1", "runs/r1") == "."


def test_templates_read_dict_keys_and_dict_methods_as_jinja_does():
    """The site's Jinja environment looks a dict's key up first (many19), except for dict methods:
    ``d.items`` stays the method even when the dict has an "items" key (galleries do)."""
    from reportgen.site.render import make_env

    env = make_env()
    tpl = env.from_string("{{ d.x }}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{{ o.real }}|"
                          "{{ d.missing is defined }}|{{ d['items'] }}")
    assert tpl.render(d={"x": 1, "items": [1, 2]}, o=3) == "1|x=1;items=[1, 2];|3|False|[1, 2]"
