"""The Markdown summary for CI: real runs, real vl-convert images, relative links, escaping."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
from PIL import Image

from conftest import REPO, run_cli
from reportgen.export.summary_md import SummaryOptions, md_escape, rank_keys, write_summary

IMG_RE = re.compile(r"!\[([^\]]*)\]\(([^)]+)\)")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("summary") / "runs"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, str(REPO / "examples" / "train_example.py"), "--dir", str(root),
                    "--epochs", "6"], check=True, env=env, capture_output=True, timeout=120)
    return root


def _images(md: str) -> list[tuple[str, str]]:
    return IMG_RE.findall(md)


def test_summary_png_images_exist_and_are_relative(runs, tmp_path):
    out = tmp_path / "ci" / "summary.md"
    proc = run_cli("summary", str(runs), "-o", str(out))
    assert "Wrote" in proc.stdout
    md = out.read_text(encoding="utf-8")
    refs = _images(md)
    # 6 logged metrics minus the epoch counter
    assert sorted(alt for alt, _ in refs) == sorted(["train/accuracy", "train/loss", "val/accuracy", "val/loss",
                                                    "learning\\_rate"])
    for _, ref in refs:
        assert not ref.startswith(("/", "http:", "https:", "file:")) and ".." not in ref
        assert ref.startswith("summary_files/") and ref.endswith(".png")
        target = out.parent / ref
        assert target.is_file()
        with Image.open(target) as im:
            assert im.format == "PNG" and im.width >= 1200 and im.height > 300
    assert sorted(p.name for p in (out.parent / "summary_files").iterdir()) == sorted(Path(r).name for _, r in refs)
    # the metrics table: header, alignment row, one row per run; metric-like keys first, counters last
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 4
    header = [c.strip() for c in table[0].strip("|").split("|")]
    assert header[:3] == ["Run", "State", "best\\_val\\_accuracy"] and header[-1] == "epoch"
    assert "mlp-h16-lr0.3" in table[2] and "finished" in table[2]


def test_summary_is_deterministic(runs, tmp_path):
    a, b = tmp_path / "a" / "s.md", tmp_path / "b" / "s.md"
    write_summary(SummaryOptions(runs=runs, out=a, metrics=["val/loss"]))
    write_summary(SummaryOptions(runs=runs, out=b, metrics=["val/loss"]))
    assert a.read_text() == b.read_text()
    (ref,) = [r for _, r in _images(a.read_text())]
    assert (a.parent / ref).read_bytes() == (b.parent / ref).read_bytes()


def test_summary_svg_metrics_filter_and_stale_images(runs, tmp_path):
    out = tmp_path / "summary.md"
    write_summary(SummaryOptions(runs=runs, out=out, metrics=["*/loss"]))
    result = write_summary(SummaryOptions(runs=runs, out=out, image_format="svg", metrics=["val/*", "nope*"]))
    assert result.warnings == ["metrics: 'nope*' matches no summary key or logged metric"]
    md = out.read_text()
    refs = [r for _, r in _images(md)]
    assert len(refs) == 2 and all(r.endswith(".svg") for r in refs)
    for r in refs:
        text = (out.parent / r).read_text()
        assert text.startswith("<svg") and "val/" in text
    # the PNGs of the previous summary are gone
    assert sorted(p.name for p in (out.parent / "summary_files").iterdir()) == sorted(Path(r).name for r in refs)
    header = md.splitlines()[[i for i, line in enumerate(md.splitlines()) if line.startswith("|")][0]]
    assert "val/accuracy" in header and "train/loss" not in header


def test_summary_image_base_and_table_only(runs, tmp_path):
    out = tmp_path / "s.md"
    write_summary(SummaryOptions(runs=runs, out=out, image_base="https://me.github.io/repo", max_charts=1))
    refs = [r for _, r in _images(out.read_text())]
    assert len(refs) == 1 and refs[0].startswith("https://me.github.io/repo/s_files/")
    assert (tmp_path / refs[0].split("/repo/", 1)[1]).is_file()
    assert "more metrics not drawn" in out.read_text()
    write_summary(SummaryOptions(runs=runs, out=out, max_charts=0))
    assert _images(out.read_text()) == [] and "| Run |" in out.read_text()
    bad = run_cli("summary", str(runs), "-o", str(out), "--image-base", "javascript:x", check=False)
    assert bad.returncode == 2 and "image_base: expected an http(s) URL" in bad.stderr


def test_build_format_markdown(runs, tmp_path):
    only = tmp_path / "only"
    run_cli("build", str(runs), "-o", str(only), "--format", "markdown", "-q")
    assert (only / "summary.md").is_file() and not (only / "index.html").exists()
    refs = [r for _, r in _images((only / "summary.md").read_text())]
    assert refs and all((only / r).is_file() for r in refs)
    both = tmp_path / "both"
    run_cli("build", str(runs), "-o", str(both), "--format", "html", "--format", "markdown", "-q")
    assert (both / "summary.md").is_file() and (both / "index.html").is_file()


def test_hostile_run_names_are_escaped(tmp_path):
    import reportgen

    name = "evil|<img src=x onerror=alert(1)>*bold* [link](http://x)"
    reportgen.init(project="p", name=name, dir=tmp_path / "runs", id="evil")
    for i in range(3):
        reportgen.log({"loss": 1.0 / (i + 1)})
    reportgen.finish()
    out = tmp_path / "s.md"
    write_summary(SummaryOptions(runs=tmp_path / "runs", out=out))
    html = markdown.markdown(out.read_text(), extensions=["tables"])
    assert html.count("<img") == 1 and '<img alt="loss"' in html  # only the chart is an image
    assert "<em>" not in html and "<a " not in html
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", html, re.S).group(1)
    assert row.count("<td") == 3  # Run, State, loss: the | in the name did not split the row
    assert "evil|&lt;img" in row and "*bold*" in row



def test_hostile_names_cannot_mention_link_or_typeset_in_a_pr_comment(tmp_path):
    """GitHub turns @user and @org/team into notifications, bare https:// and www. text into links and
    $...$ into LaTeX even when the Markdown is escaped: a run folder named '@acme/security-team please
    approve https://evil.example' pinged the team from the CI bot's comment with a clickable link."""
    folder = tmp_path / "runs" / "a"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({
        "format": 1, "id": "a", "project": "p @octocat", "state": "finished",
        "name": "@acme/security-team approve https://evil.example/x WWW.evil.example me@evil.example $\\Huge{OK}$"}))
    (folder / "history.jsonl").write_text('{"_step": 0, "@admin http://x.example": 1.0}\n')
    (folder / "summary.json").write_text('{"@admin http://x.example": 1.0}')
    out = tmp_path / "s.md"
    write_summary(SummaryOptions(runs=tmp_path / "runs", out=out))
    text = out.read_text()
    assert not re.search(r"@[A-Za-z0-9]", text)  # no mention, no mail link
    assert not re.search(r"https?://|(?i:\bwww\.)", text.replace("](s_files/", ""))  # no autolink
    assert not re.search(r"(?<!\\)\$", text)  # no math
    html = markdown.markdown(text, extensions=["tables"])
    assert "acme/security-team approve https:\u200b//evil.example/x" in html.replace("&#8203;", "\u200b")


def test_issue_references_are_inert_and_long_shared_names_keep_their_ids(tmp_path):
    """'#123' (and 'GH-42', 'acme/widgets#7') in a run name or key still linked to an issue or pull request
    in a PR comment (and put a "mentioned this" event on it); and two runs sharing a name longer than
    the 120 characters shown were both cut to the same 120 characters: the " (id)" that tells them apart
    was cut off. Now a zero-width space follows the # or GH- before a digit, and the name is cut so
    that its "(id)" stays within the 120 characters (plus the name's hash, as the site cuts keys)."""
    import reportgen

    long = "L" * 200
    for rid, name in (("a1", "fixes #123 and GH-42, see acme/widgets#7 and gh-9"), ("dup1", long), ("dup2", long)):
        run = reportgen.init(project="p #8", name=name, dir=tmp_path / "runs", id=rid)
        for i in range(3):
            run.log({"loss #5": 1.0 / (i + 1)})
        run.finish()
    out = tmp_path / "s.md"
    run_cli("summary", str(tmp_path / "runs"), "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"(?<!&)#[0-9]|(?i:\bgh-[0-9])", text), text  # (&#8203; is the zero-width space)
    html = markdown.markdown(text, extensions=["tables"]).replace("&#8203;", "\u200b")
    assert "fixes #\u200b123 and GH-\u200b42, see acme/widgets#\u200b7 and gh-\u200b9" in html
    assert "loss #\u200b5" in html and "p #\u200b8" in html
    cells = [line.split(" | ")[0][2:] for line in text.splitlines() if line.startswith("| LL")]
    assert [c[-7:] for c in cells] == [" (dup1)", " (dup2)"], cells
    assert all(len(c) == 120 + 9 and c.startswith("L" * 100) for c in cells), cells


def test_huge_names_and_keys_keep_the_summary_postable(tmp_path):
    """A run folder named with 200,000 characters and keys of 50,000 made a 1 MB summary: beyond a PR
    comment (65,536 characters) and a GitHub job summary (1 MiB), so posting it failed the CI job."""
    for i in range(3):
        folder = tmp_path / "runs" / f"r{i}"
        folder.mkdir(parents=True)
        (folder / "run.json").write_text(json.dumps({"format": 1, "id": f"r{i}", "name": "N" * 200_000,
                                                     "project": "P" * 100_000, "state": "finished"}))
        keys = {"k" * 50_000 + str(j): 1.0 for j in range(8)}
        (folder / "history.jsonl").write_text(json.dumps({"_step": 0, **keys}) + "\n")
        (folder / "summary.json").write_text(json.dumps(keys))
    out = tmp_path / "s.md"
    write_summary(SummaryOptions(runs=tmp_path / "runs", out=out, max_charts=1))
    text = out.read_text()
    assert len(text) < 10_000
    assert "N" * 100 + "…" in text and text.count("|\n") == 5  # header, rule, three runs


def test_control_characters_and_builtin_names_cannot_stop_the_summary(tmp_path):
    """A run named with a terminal escape made vl-convert's SVG text parser panic, and the panic
    aborted `reportgen summary` (exit 134, no file); a metric named toString or valueOf made Vega fail
    to compile the chart ('Operator not defined') and the whole summary exit 2. Every chart is drawn,
    the escape is not in the Markdown."""
    import reportgen

    run = reportgen.init(project="p", name="\x1b]0;pwned\x07\x1b[31mred", dir=tmp_path / "runs", id="esc")
    for i in range(3):
        run.log({"toString": 1.0 / (i + 1), "valueOf": float(i), "hasOwnProperty": 2.0 - i, "loss\x1b[2J": 0.5})
    run.finish()
    out = tmp_path / "s.md"
    proc = run_cli("summary", str(tmp_path / "runs"), "-o", str(out), check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    md = out.read_text(encoding="utf-8")
    assert "\x1b" not in md and "\x07" not in md
    refs = _images(md)
    assert len(refs) == 4, md
    for _alt, ref in refs:
        with Image.open(out.parent / ref) as im:
            assert im.width > 100

def test_runs_whose_start_times_are_of_different_types_are_summarised(tmp_path):
    """run.json "created" is a number the SDK writes; a shared folder's may be a date string in one run
    and a number in another (or an object): sorting the runs raised TypeError and `reportgen summary`
    wrote nothing (fuzz seed 17). They are ordered as the site orders them, the odd ones first."""
    for i, created in enumerate(["2026-01-01", 1_700_000_000.5, {"t": 1}, None]):
        d = tmp_path / "runs" / f"r{i}"
        d.mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"id": f"r{i}", "name": f"run {i}", "created": created}))
        (d / "history.jsonl").write_text("".join(json.dumps({"_step": s, "loss": 1.0 / (s + 1 + i)}) + "\n"
                                                 for s in range(3)))
    out = tmp_path / "s.md"
    proc = run_cli("summary", str(tmp_path / "runs"), "-o", str(out), check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    md = out.read_text(encoding="utf-8")
    assert all(f"run {i}" in md for i in range(4)) and len(_images(md)) == 1


def test_md_escape_and_ranking():
    assert md_escape("a|b\n<c> *d* _e_ [f]") == "a\\|b &lt;c&gt; \\*d\\* \\_e\\_ \\[f\\]"
    assert rank_keys(["epoch", "zeta", "val/loss", "global_step", "acc"]) == \
        ["acc", "val/loss", "zeta", "epoch", "global_step"]


def test_summary_options_validate():
    with pytest.raises(ValueError, match="image_format"):
        SummaryOptions(runs=Path("r"), out=Path("o.md"), image_format="gif")
    with pytest.raises(ValueError, match="max_charts"):
        SummaryOptions(runs=Path("r"), out=Path("o.md"), max_charts=-1)


def test_chart_rows_use_the_site_downsampling_and_mark_non_finite():
    import numpy as np

    from reportgen.export.static_charts import Series, chart_rows, static_spec

    values = np.sin(np.arange(3000) / 50.0)
    values[1234] = float("nan")
    values[2000] = 50.0  # a one-step spike survives downsampling
    rows = chart_rows([("a", Series(np.arange(3000, dtype=float), values))], 300)
    assert 100 < len(rows) <= 320
    assert max(r["y"] for r in rows if r["y"] is not None) == 50.0
    assert [r["bad"] for r in rows if r["bad"]] == ["NaN"]
    assert all(r["lo"] is not None and r["lo"] <= r["hi"] for r in rows if r["y"] is not None)
    spec = static_spec("k", ["a"], ["#123456"], rows)
    assert [layer["name"] for layer in spec["layer"]] == ["band", "main", "nonfinite"]
    assert spec["encoding"]["color"]["scale"] == {"domain": ["a"], "range": ["#123456"]}
    assert "params" not in spec and all("params" not in layer for layer in spec["layer"])


def test_underscore_metrics_are_summarised_system_keys_are_not(tmp_path):
    """The site charts a logged ``_lr`` (only _step, _runtime, _timestamp, _wandb are system keys);
    the Markdown summary's table and charts left it out."""
    import reportgen

    run = reportgen.init(project="p", dir=tmp_path / "runs", id="u")
    for i in range(3):
        run.log({"_lr": 0.1 / (i + 1), "loss": 1.0 / (i + 1)})
    run.finish()
    out = tmp_path / "s.md"
    write_summary(SummaryOptions(runs=tmp_path / "runs", out=out))
    md = out.read_text()
    assert sorted(alt for alt, _ in _images(md)) == ["\\_lr", "loss"]
    header = next(line for line in md.splitlines() if line.startswith("| Run"))
    assert "\\_lr" in header and "\\_step" not in header and "\\_runtime" not in header


def _table_cells(md: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in md.splitlines()
            if line.startswith("|")]


def _legend(svg: str) -> list[tuple[str, str]]:
    """(label, colour) of each legend entry of a chart drawn as SVG, in legend order."""
    return [(label, color) for color, label in re.findall(
        r'role-legend-symbol.*?stroke="(#[0-9a-f]+)".*?role-legend-label.*?>([^<]*)</text>', svg, re.S)]


def test_keys_and_names_that_differ_past_the_shown_characters_stay_apart(tmp_path):
    """Two metric keys (and two run names) of 200 characters that differ only at the end were both cut
    to the same 120 characters: the table had two columns (two rows) of one name and the charts two
    titles alike. Keys are cut as the site cuts them (clip.clip_key: with a hash of the whole key)."""
    stem, name = "k" * 199, "n" * 199
    for rid, end in (("r1", "a"), ("r2", "b")):
        d = tmp_path / "runs" / rid
        d.mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"format": 1, "id": rid, "name": name + end, "state": "finished"}))
        (d / "history.jsonl").write_text("".join(
            json.dumps({"_step": s, stem + "a": 1.0 / (s + 1), stem + "b": 2.0 + s}) + "\n" for s in range(3)))
        (d / "summary.json").write_text(json.dumps({stem + "a": 1.0, stem + "b": 4.0}))
    out = tmp_path / "s.md"
    write_summary(SummaryOptions(runs=tmp_path / "runs", out=out, image_format="svg"))
    md = out.read_text()
    header, _rule, *rows = _table_cells(md)
    assert len(header) == 4 and header[2] != header[3] and all(len(h) < 140 for h in header), header
    assert [r[2:] for r in rows] == [["1", "4"], ["1", "4"]], rows  # each column its own key's values
    labels = [r[0] for r in rows]
    assert labels[0] != labels[1] and all(len(x) < 140 and "(r" not in x for x in labels), labels
    refs = _images(md)
    assert len(refs) == 2 and refs[0][0] != refs[1][0] and refs[0][1] != refs[1][1], refs


def test_chart_titles_of_keys_that_differ_past_what_a_title_shows_stay_apart(tmp_path):
    """Vega cuts a chart's title at 420 px (~52 characters) at its end: two metric keys of 73
    characters that differ only in their last three had titles alike, in the summary's images (its
    clip_key at 120 characters kept the hash out of sight) and on the site's pages. Titles keep their
    head and tail around a short hash of the whole key (clip.clip_title), on both."""
    from reportgen.site.builder import build
    from reportgen.site.clip import METRIC_TITLE_CHARS
    from reportgen.site.config import BuildConfig

    stem = "train/encoder/layers/attention/heads/" + "x" * 30 + "/loss_"
    keys = [stem + "ema", stem + "raw", "loss"]
    d = tmp_path / "runs" / "r1"
    d.mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"format": 1, "id": "r1", "name": "r1", "state": "finished"}))
    (d / "history.jsonl").write_text("".join(json.dumps({"_step": s, **{k: i + 1.0 / (s + 1) for i, k in enumerate(keys)}})
                                             + "\n" for s in range(3)))
    out = tmp_path / "s.md"
    write_summary(SummaryOptions(runs=tmp_path / "runs", out=out, image_format="svg"))
    drawn = {}
    for _alt, ref in _images(out.read_text()):  # the title as vl-convert drew it (after Vega's own cut)
        svg = (out.parent / ref).read_text()
        title = re.search(r'role-title-text.*?<text[^>]*>(.*?)</text>', svg, re.S).group(1)
        drawn[title] = ref
    assert len(drawn) == 3 and "loss" in drawn, drawn
    long_titles = sorted((t for t in drawn if t != "loss"), key=lambda t: t[-8:])
    assert [t[-8:] for t in long_titles] == ["loss_ema", "loss_raw"] and long_titles[0].startswith("train/encoder/")
    assert all(len(t) <= METRIC_TITLE_CHARS for t in long_titles), long_titles

    build(BuildConfig(tmp_path / "runs", tmp_path / "site", quiet=True, cache_dir=tmp_path / "cache"))
    page = (tmp_path / "site" / "runs" / "r1" / "index.html").read_text()
    specs = [json.loads(m) for m in re.findall(r'<script type="application/json" class="rg-spec">(.*?)</script>', page, re.S)]
    assert sorted((s["title"]["text"] for s in specs), key=lambda t: t[-8:]) == long_titles  # ("loss": the page's shared spec)


def test_runs_are_ordered_named_and_coloured_as_the_site_does(tmp_path):
    """The summary sorted and labelled the runs with its own copy of the site's code, and coloured them
    by their place in the table: a run of another project started earlier had the site's colour of
    another run, and two runs of one id (a copied folder) came in folder order, not the site's. Now the
    site's own functions order, name and colour them."""
    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    runs = [("a b", "same", "p", None, "copy one"), ("a-a", "same", "p", None, "copy two"),
            ("late", "late", "p", 50.0, "late run"), ("odd", "odd", "p", "2026-01-01", "odd start"),
            ("q1", "q1", "q", 1.0, "early other project"), ("q2", "q2", "q", 2.0, "copy one")]
    root = tmp_path / "runs"
    for folder, rid, project, created, name in runs:
        d = root / folder
        d.mkdir(parents=True)
        meta = {"format": 1, "id": rid, "name": name, "project": project, "state": "finished"}
        (d / "run.json").write_text(json.dumps({**meta, **({"created": created} if created is not None else {})}))
        (d / "history.jsonl").write_text("".join(json.dumps({"_step": s, "loss": 1.0 / (s + 1 + len(name))}) + "\n"
                                                 for s in range(3)))
    build(BuildConfig(root, tmp_path / "site", quiet=True, cache_dir=tmp_path / "cache"))
    site = json.loads(re.search(r'id="rg-site">(.*?)</script>', (tmp_path / "site" / "index.html").read_text(),
                                re.S).group(1))
    expected = [(r["label"], r["color"]) for r in site["runs"]]
    assert len(expected) == 6 and len({c for _l, c in expected}) == 6
    out = tmp_path / "s.md"
    write_summary(SummaryOptions(runs=root, out=out, image_format="svg"))
    md = out.read_text()
    assert [r[0] for r in _table_cells(md)[2:]] == [md_escape(label) for label, _c in expected]
    (ref,) = [ref for _alt, ref in _images(md)]
    assert _legend((out.parent / ref).read_text()) == expected
