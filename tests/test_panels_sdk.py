"""Real run folders from the real SDK (``import reportgen as wandb``) through ``reportgen build``
(a real subprocess, with ``--presets``) into headless Chromium."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser

PDB = """ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N
ATOM      2  CA  ALA A   1      11.639   6.071  -5.147  1.00  0.00           C
ATOM      3  C   ALA A   1      13.140   6.234  -5.102  1.00  0.00           C
ATOM      4  O   ALA A   1      13.760   5.518  -4.301  1.00  0.00           O
ATOM      5  CB  ALA A   1      11.046   7.206  -4.301  1.00  0.00           C
END
"""
CUBE = [[0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]]


def log_everything(root: Path, run_id: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go
    import trimesh

    import reportgen as wandb

    rng = np.random.default_rng(1)
    wandb.init(project="sdk", name=f"run {run_id}", id=run_id, dir=root)
    mask = np.zeros((48, 64), np.uint8)
    mask[:24, :32] = 1
    mask[24:, 32:] = 2
    boxes = {"predictions": {"class_labels": {1: "car", 2: "road"}, "box_data": [
        {"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": 0.6}, "class_id": 1, "box_caption": "car", "scores": {"acc": 0.9}},
        {"position": {"middle": [20, 20], "width": 10, "height": 8}, "domain": "pixel", "class_id": 2, "scores": {"acc": 0.2}}]}}
    for step in range(3):
        img = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
        wandb.log({
            "examples": [wandb.Image(img, caption=f"<s>{step}</s> {i}") for i in range(2)],
            "seg": wandb.Image(img, masks={"pred": {"mask_data": mask, "class_labels": {1: "tree", 2: "car"}}}, boxes=boxes),
            "grads": wandb.Histogram(rng.normal(size=500) * (step + 1)),
            "sound": wandb.Audio(np.sin(np.linspace(0, 900, 4000)) * 0.5, sample_rate=8000, caption="tone"),
            "loss": 1 / (step + 1),
        })
    frames = (rng.random((6, 3, 32, 32)) * 255).astype(np.uint8)
    table = wandb.Table(columns=["i", "img", "txt"])
    for i in range(30):
        table.add_data(i, wandb.Image((rng.random((16, 16, 3)) * 255).astype(np.uint8)) if i < 2 else None, f"<b>{i}</b>")
    pts = np.c_[rng.normal(size=(200, 3)), rng.integers(1, 15, 200)]
    fig = plt.figure()
    plt.plot([1, 3, 2])
    mesh_path = root / "sphere.obj"
    trimesh.creation.icosphere(subdivisions=1).export(mesh_path)
    wandb.log({
        "gif": wandb.Video(frames, fps=4, format="gif"),
        "mp4": wandb.Video(frames, fps=4, format="mp4"),
        "table": table,
        "html": wandb.Html("<h1 id='h'>hi</h1>"),
        "cloud": wandb.Object3D(pts),
        "lidar": wandb.Object3D({"type": "lidar/beta", "points": pts[:, :3],
                                 "boxes": np.array([{"corners": CUBE, "label": "Box", "color": [123, 255, 111]}]),
                                 "vectors": [{"start": [0, 0, 0], "end": [1, 2, 1]}]}),
        "bar": wandb.plot.bar(wandb.Table(data=[["a", 1], ["b", 3]], columns=["label", "value"]), "label", "value", title="Bars"),
        "line": wandb.plot.line(wandb.Table(data=[[i, i * i] for i in range(10)], columns=["x", "y"]), "x", "y", title="Line"),
        "mpl": fig,
        "plotly": go.Figure(go.Bar(x=["a", "b"], y=[1, 3])),
        "mol": wandb.Molecule(io.StringIO(PDB), file_type="pdb"),
        "mesh": wandb.Object3D(open(mesh_path)),
    })
    plt.close(fig)
    wandb.run.summary["final_hist"] = wandb.Histogram(rng.normal(size=100))
    wandb.run.summary["tensor"] = np.arange(12.0).reshape(3, 4)
    wandb.finish()


@pytest.fixture(scope="session")
def sdk_site(tmp_path_factory):
    from conftest import run_cli

    root = tmp_path_factory.mktemp("sdkpanels")
    runs = root / "runs"
    log_everything(runs, "one")
    log_everything(runs, "two")
    presets = root / "presets"
    presets.mkdir()
    line = json.loads(Path(__import__("reportgen.media.presets", fromlist=["x"]).BUILTIN_DIR / "line.json").read_text())
    text = json.dumps(line).replace('"line"', '"point"')  # user override of the built-in line preset
    (presets / "line.json").write_text(text)
    proc = run_cli("build", str(runs), "-o", str(root / "site"), "--presets", str(presets))
    return root / "site", proc


def test_build_has_no_media_warnings(sdk_site):
    site, proc = sdk_site
    assert "warning" not in proc.stderr, proc.stderr
    assert (site / "assets/plotly.min.js").exists()
    assert len(list((site / "compare").glob("*.html"))) == 18  # every media key is in both runs


def test_presets_dir_overrides_a_builtin_at_build_time(sdk_site):
    site, _ = sdk_site
    scripts = [p.read_text() for p in (site / "media/one/data").glob("line_*.js")]
    assert len(scripts) == 1 and '"mark":"point"' in scripts[0].replace(" ", "") or '"type":"point"' in scripts[0]
    bar = next((site / "media/one/data").glob("bar_*.js")).read_text()
    assert "point" not in bar


def test_every_panel_renders_from_real_runs(site_browser, sdk_site):
    site, _ = sdk_site
    page = site_browser.open(site / "runs/one/index.html")
    page.wait_for_selector(".rgp-root[data-ready='1']")
    assert page.locator(".rgp-panel").count() == 18
    assert page.locator(".rgp-missing, .rgp-unsupported").count() == 0
    for p in page.locator(".rgp-panel").all():
        p.scroll_into_view_if_needed()
    page.wait_for_function("""() => [...document.querySelectorAll('.rgp-vega, .rgp-plotly, .rgp-3d, .rgp-table')]
                                .every(e => e.dataset.rendered === 'done')""", timeout=30_000)
    page.wait_for_function("""() => [...document.querySelectorAll('img')].filter(i => i.checkVisibility())
                                .every(i => i.complete && i.naturalWidth > 0)""",
                           timeout=10_000)
    # masks: tree and car shown, the SDK's default background label listed but off
    seg = page.locator(".rgp-panel:has(.rgp-title:text-is('seg'))")
    assert seg.locator(".rgp-body .rgp-mask-layer").count() == 3
    assert seg.locator(".rgp-body .rgp-mask-layer:visible").count() == 2
    assert not seg.locator(".rgp-class-toggle:has-text('class_0') input").is_checked()
    assert seg.locator(".rgp-body .rgp-box").count() == 2
    # sound and video metadata
    page.wait_for_function("() => [...document.querySelectorAll('audio, video')].every(m => m.readyState >= 1 && m.duration > 0)",
                           timeout=10_000)
    # 3D scenes drew something
    inks = page.eval_on_selector_all(".rgp-3d", "els => els.map(b => b._viewer.ink())")
    assert len(inks) == 4 and min(inks) > 200
    # the table shows its image cells
    tbl = page.locator(".rgp-panel:has(.rgp-title:text-is('table'))")
    assert tbl.locator("tbody .rgp-picture").count() == 2
    assert tbl.locator("tbody tr").first.locator("td").nth(2).text_content() == "<b>0</b>"
    # summary: histogram bars and tensor statistics
    assert page.locator(".rgp-panel:has(.rgp-title:text-is('final_hist')) svg rect").count() == 64
    # histograms logged over time also get the summary's (last) histogram beside the value
    assert page.locator(".rg-run-head dt:text-is('grads') + dd .rgp-inline-bars svg rect").count() == 64
    assert "p95" in page.locator(".rgp-panel:has(.rgp-title:text-is('tensor'))").text_content()
