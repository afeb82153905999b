"""The three bugs of the restructuring issue (#13), each checked through public entry points
(the CLI, ``reportgen.build``), so the tests ran against the old layout too and failed there."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import REPO, run_cli
from site_runs import rows, wavy, write_run


def test_a_helper_named_type_is_unsupported_not_a_crash(tmp_path):
    # bug 1: handlers were looked up by method name, so `_type: "mask"` (a helper) was called
    # and failed with "could not show mask: AttributeError" instead of "unsupported"
    root = tmp_path / "runs"
    write_run(root, "r", rows(3, loss=wavy) + [{"_step": 3, "seg": {"_type": "mask", "path": "media/m.png"},
                                                "other": {"_type": "json", "path": "x.json"}}])
    proc = run_cli("build", str(root), "-o", str(tmp_path / "site"))
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert any("unsupported media type 'mask'" in w for w in warnings), warnings
    assert any("unsupported media type 'json'" in w for w in warnings), warnings
    assert not any("could not show" in w for w in warnings), warnings
    page = (tmp_path / "site/runs/r/index.html").read_text()
    assert '"t": "unsupported"' in page or '"t":"unsupported"' in page


def test_public_build_api_survives_importing_every_submodule(tmp_path):
    # bug 3: `reportgen.build` was both a lazy function and a subpackage; once any builder
    # submodule was imported, reportgen.build(...) raised "'module' object is not callable"
    root = tmp_path / "runs"
    write_run(root, "r", rows(5, loss=wavy))
    code = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        import reportgen
        for m in pkgutil.walk_packages(reportgen.__path__, "reportgen."):
            if m.name.endswith("__main__"):
                continue
            try:
                importlib.import_module(m.name)
            except ImportError:
                pass  # an optional extra that is not installed
        res = reportgen.build(reportgen.BuildConfig(runs={str(root)!r}, out={str(tmp_path / 'site')!r}, quiet=True))
        print(res.runs, res.pages[0])
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "index.html"]


def test_reports_draw_custom_charts_with_the_presets_dir(tmp_path):
    # bug 6: run pages honoured --presets DIR, reports resolved the chart again without it
    runs = tmp_path / "runs"
    code = textwrap.dedent(f"""
        import reportgen
        reportgen.init(dir={str(runs)!r}, project="p", id="r1")
        t = reportgen.Table(columns=["a", "b"], data=[[1, 2.0], [2, 3.0], [3, 1.0]])
        reportgen.log({{"curve": reportgen.plot.line(t, "a", "b", title="curve")}})
        reportgen.finish()
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path,
                   env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    from reportgen.media.presets import BUILTIN_DIR

    presets = tmp_path / "presets"
    presets.mkdir()
    line = json.loads((BUILTIN_DIR / "line.json").read_text())
    (presets / "line.json").write_text(json.dumps({**line, "description": "team-preset-marker"}))
    (runs / "reports").mkdir()
    (runs / "reports" / "r.md").write_text('# Chart\n\n{{< custom key="curve" >}}\n')
    run_cli("build", str(runs), "-o", str(tmp_path / "site"), "--presets", str(presets))
    run_page = "".join(p.read_text() for p in (tmp_path / "site/media/r1/data").glob("*.js"))
    report = (tmp_path / "site/reports/r.html").read_text()
    assert "team-preset-marker" in run_page
    assert "team-preset-marker" in report
