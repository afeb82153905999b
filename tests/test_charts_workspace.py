"""Saved views (workspace.json / workspace.yaml) and the order of a page's charts: validation of the
untrusted file, warnings naming the file and key, sections and panels on the built pages, step
counters last (docs/panels.md "Saved views")."""
from __future__ import annotations

import json
import re

from reportgen.site import workspace
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from site_runs import rows, wavy, write_run


def _warns(data):
    got = []
    ws = workspace.parse(data, "workspace.json", got.append)
    return ws, got


def test_a_valid_workspace_is_read():
    ws, warns = _warns({"defaults": {"smooth": 0.9, "outliers": True},
                        "sections": [{"name": "Losses", "panels": [
                            {"keys": ["train/loss", "val/loss"], "title": "Loss", "ymin": 0, "ymax": 2, "log": False},
                            {"key": "acc", "x": "epoch", "smooth": 0}]}]})
    assert warns == []
    assert ws.defaults == {"smooth": 0.9, "outliers": True}
    p0, p1 = ws.sections[0].panels
    assert (p0.keys, p0.title, p0.settings, p0.name) == (["train/loss", "val/loss"], "Loss",
                                                          {"ymin": 0, "ymax": 2, "log": False}, "train/loss+val/loss")
    assert (p1.keys, p1.settings) == (["acc"], {"x": "epoch", "smooth": 0})


def test_bad_entries_are_warnings_naming_the_key_never_a_crash():
    ws, warns = _warns({"sections": [
        {"name": "A", "panels": [{"key": "loss", "ymin": "low", "log": "yes", "smooth": 1.5, "colour": 1},
                                 5, {"keys": []}, {"keys": ["acc"], "ymin": 3, "ymax": 1}]},
        {"panels": []}, "nope"], "extra": 1, "defaults": {"ymin": 0}})
    text = "\n".join(warns)
    for want in ("sections[0].panels[0].ymin: expected a number, got 'low'",
                 "sections[0].panels[0].log: expected true or false",
                 "sections[0].panels[0].smooth: expected a number from 0",
                 "sections[0].panels[0].colour: unknown setting",
                 "sections[0].panels[1]: expected a mapping",
                 "sections[0].panels[2].keys: expected a metric key",
                 "sections[0].panels[3]: ymin (3) must be below ymax (1)",
                 "sections[1].name: expected a section name",
                 "sections[2].name", "extra: unknown key", "defaults.ymin"):
        assert want in text, want
    assert [p.keys for p in ws.sections[0].panels] == [["loss"], ["acc"]]
    assert ws.sections[0].panels[0].settings == {}
    for junk in (None, [1, 2], "text", {"sections": {"a": 1}}):
        _warns(junk)  # never raises


def _site(tmp_path, ws_text=None, name="workspace.json", where="runs"):
    root = tmp_path / "runs"
    for i in range(2):
        data = rows(40, **{"train/loss": wavy, "val/loss": lambda s: 2 * wavy(s), "acc": lambda s: s / 40})
        for r in data:
            r["epoch"] = r["_step"] // 10
            r["global_step"] = r["_step"] * 8
        write_run(root, f"r{i}", data)
    if ws_text is not None:
        folder = root if where == "runs" else root / "reports"
        folder.mkdir(exist_ok=True)
        (folder / name).write_text(ws_text)
    out = tmp_path / "site"
    return build(BuildConfig(runs=root, out=out, quiet=True)), out


def _sections(html: str) -> list[tuple[str, list[str]]]:
    out = []
    for sec in html.split('<section class="rg-section">')[1:]:
        title = re.search(r'rg-section-title">([^<]+?) <span', sec).group(1)
        out.append((title, re.findall(r'data-key="([^"]+)"', sec)))
    return out


def test_step_counters_go_last_in_their_own_section(tmp_path):
    _, out = _site(tmp_path)
    secs = _sections((out / "index.html").read_text())
    assert secs[-1] == ("Step counters", ["epoch", "global_step"])
    assert ("Charts", ["acc"]) in secs and secs[0][0] == "Charts"


def test_workspace_sections_panels_and_defaults_reach_the_page(tmp_path):
    ws = {"defaults": {"smooth": 0.9},
          "sections": [{"name": "Losses", "panels": [
              {"keys": ["train/loss", "val/loss", "missing"], "title": "Loss", "ymin": 0, "ymax": 1},
              {"key": "acc", "log": True}]}]}
    result, out = _site(tmp_path, json.dumps(ws), where="reports")
    assert result.warnings == []
    html = (out / "index.html").read_text()
    secs = _sections(html)
    assert secs[0] == ("Losses", ["train/loss+val/loss", "acc"])
    assert all("acc" not in keys for _, keys in secs[1:])  # a panel placed by the workspace is not repeated
    assert any("train/loss" in keys for _, keys in secs[1:])  # overlaid keys keep their own charts
    site = json.loads(re.search(r'id="rg-site">(.*?)</script>', html, re.S).group(1))
    assert site["chartDefaults"] == {"smooth": 0.9}
    assert 'data-panel="train/loss+val/loss"' in html and "data-keys=" in html
    assert 'data-settings="{&#34;log&#34;: true}"' in html
    run_html = (out / "runs" / "r0" / "index.html").read_text()
    assert _sections(run_html)[0][0] == "Losses"


def test_a_broken_workspace_file_is_a_warning_naming_it(tmp_path):
    result, out = _site(tmp_path, "sections: [ {name: A, panels: [", name="workspace.yaml")
    assert len(result.warnings) == 1 and "workspace.yaml" in result.warnings[0]
    assert "could not be parsed" in result.warnings[0]
    assert (out / "index.html").exists()
    result, _ = _site(tmp_path, json.dumps({"sections": [{"name": "A", "panels": [{"key": "acc", "ymax": "x"}]}]}))
    assert any("workspace.json" in w and "sections[0].panels[0].ymax" in w for w in result.warnings)
