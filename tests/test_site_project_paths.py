"""Site paths of projects: unique per project even under case folding (``Mnist`` and ``mnist``
shared ``projects/<name>/`` but for case, one folder on a case-insensitive file system, where
the last project written overwrote the other's page). Real run folders, a real build."""
from __future__ import annotations

import re

from site_runs import rows, write_run


def _hrefs(page) -> list[str]:
    return re.findall(r'href="([^"]*projects/[^"]*)"', page.read_text())


def test_projects_differing_only_in_case_get_their_own_site_folders(tmp_path, cli):
    runs = tmp_path / "runs"
    projects = {"r0": "Mnist", "r1": "mnist", "r2": "MNIST", "r3": "cifar"}
    for rid, project in projects.items():
        write_run(runs, rid, rows(3, loss=lambda s: 1.0 / (s + 1)), meta={"project": project})
    site = tmp_path / "site"
    cli("build", str(runs), "-o", str(site), "--no-cache", "-q")
    pages = sorted(p.relative_to(site).as_posix() for p in site.glob("projects/*/index.html"))
    assert len(pages) == 4 and len({p.lower() for p in pages}) == 4, pages
    assert "projects/cifar/index.html" in pages  # (a name no other folds to keeps its plain folder)
    for rid, project in projects.items():
        # the run page links to its project's page, which lists that run and no other
        (link,) = {h for h in _hrefs(site / f"runs/{rid}/index.html") if h.endswith("index.html")}
        page = (site / f"runs/{rid}" / link).resolve()
        assert page.is_file() and page.parent.parent.name == "projects", link
        text = page.read_text()
        assert f">{project}<" in text and f"runs/{rid}/" in text, link
        assert all(f"runs/{other}/" not in text for other in projects if other != rid), link
    # the same folders at the next build, whatever the order the runs come in
    write_run(runs, "r4", rows(2, loss=lambda s: 2.0), meta={"project": "mnist"})
    cli("build", str(runs), "-o", str(site), "--no-cache", "-q")
    assert sorted(p.relative_to(site).as_posix() for p in site.glob("projects/*/index.html")) == pages
