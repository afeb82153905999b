"""``reportgen.build()`` / ``reportgen.BuildConfig``: the documented public API (docs/api.md)."""
from __future__ import annotations

import pytest

from site_runs import rows, wavy, write_run


def test_build_from_python(tmp_path):
    import reportgen

    runs = tmp_path / "runs"
    write_run(runs, "a", rows(30, loss=wavy))
    write_run(runs, "b", rows(30, loss=wavy) + [{"_step": 30, "x": {"_type": "hologram"}}])
    cfg = reportgen.BuildConfig(runs=str(runs), out=str(tmp_path / "site"), quiet=True, strict=True,
                                cache_dir=tmp_path / "cache", title="My sweep")
    result = reportgen.build(cfg)
    assert isinstance(result, reportgen.BuildResult) and result.out == tmp_path / "site"
    assert (result.runs, result.metrics) == (2, 1)
    assert {"index.html", "compare.html", "runs/a/index.html", "runs/b/index.html"} <= set(result.pages)
    assert result.warnings and all(w.startswith("run b: ") for w in result.warnings)
    assert result.exit_code == 1  # strict, with warnings
    assert sorted(result.reparsed) == ["a", "b"] and result.appended == []
    assert "My sweep" in (tmp_path / "site" / "index.html").read_text()
    assert (tmp_path / "cache" / "pages.pkl").is_file()
    again = reportgen.build(cfg)
    assert again.reparsed == [] and set(again.pages) == set(result.pages)


def test_build_config_checks_its_arguments(tmp_path):
    import reportgen

    with pytest.raises(ValueError, match="samples"):
        reportgen.BuildConfig(runs=tmp_path, out=tmp_path / "s", samples=3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        reportgen.build(reportgen.BuildConfig(runs=tmp_path / "nope", out=tmp_path / "s", quiet=True))


def test_every_config_field_and_result_attribute_is_documented():
    import dataclasses

    from conftest import REPO
    from reportgen.site.builder import BuildResult
    from reportgen.site.config import BuildConfig

    doc = (REPO / "docs" / "api.md").read_text()
    for f in dataclasses.fields(BuildConfig):
        assert f"| `{f.name}` |" in doc, f.name
    for f in [*dataclasses.fields(BuildResult), "exit_code"]:
        name = getattr(f, "name", f)
        assert f"`{name}`" in doc, name
