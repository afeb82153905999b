"""The typed configuration that ``reportgen build`` and ``reportgen serve`` both pass to ``build()``."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..storage.remote import cache_home

# Limits shared by the builder, the templates and the page scripts: defined here once; the
# pages get them through the site JSON (``pages.site_json`` -> ``RG.site.limits``).
DEFAULT_SAMPLES = 1000  # points per line after downsampling (--samples)
LITE_SAMPLES = 100  # points per run in the per-metric overview files
MAX_COLUMNS = 500  # runs-table columns shown at once
MAX_METRICS = 10_000  # metrics charted per run (wandb advises fewer than 10,000 in a project); the keys first
# logged after them are left out with a warning: each costs every page and build (50,000 took 30 s, 1.7 GB)
MAX_SITE_METRICS = 10_000  # metrics charted on the all-runs pages (index, projects, compare): those logged
# by the most runs (50 runs x 5,000 metrics of their own made a 2.2 GB site of 500,000 overview files, 4.6 GB, 3 min)
MAX_FULL_RUNS = 10  # with more runs in a chart, it draws the overview files
DEFAULT_CHART_RUNS = 10  # runs the index's charts draw until the user picks others (--chart-runs)
PICKER_ROWS = 1000  # column-picker entries listed at once (the search box finds the rest)
MEDIA_PER_KEY = 2000  # media files one run page shows of one key: steps past it are thinned evenly (first
# and last kept; 20,000 images under one key made a 2.7 MB run page and 20,000 copies, 11 s; 100,000, 5x that)
MEDIA_PER_STEP = 100  # media files of one key shown at one step (the SDK's Audio takes 100 a step, as wandb)


def user_cache() -> Path:
    """The per-user cache folder (also holds the Vega bundle): :func:`storage.remote.cache_home`."""
    return cache_home()


def default_cache_dir(site: Path) -> Path:
    """The build cache of the site folder ``site`` when no ``--cache-dir`` is given."""
    key = hashlib.sha1(str(Path(site).resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return user_cache() / "builds" / key


@dataclass
class BuildConfig:
    runs: Path
    out: Path
    samples: int = DEFAULT_SAMPLES  # points per line after downsampling
    strict: bool = False  # exit non-zero when a run folder had problems
    quiet: bool = False
    title: str = "reportgen"
    presets: Path | None = None  # extra custom-chart presets (Vega-Lite templates)
    reports: Path | None = None  # markdown reports folder (default: RUNS/reports)
    cache: bool = True  # incremental builds
    cache_dir: Path | None = None  # where the cache lives (default: the user cache, keyed by the site path)
    extra_head: list[str] = field(default_factory=list)  # dev-only snippets (serve); never written by build
    scheduler: str | None = None  # Dask scheduler address: parse runs on that cluster (executor.py)
    workers: int | None = None  # local process pool size (default: CPUs, at most 4)
    force_pool: bool = False  # use the process pool even for small histories (benchmarks)
    chart_runs: int = DEFAULT_CHART_RUNS  # runs drawn by default in the index's charts (most recent first)
    publish_url: str | None = None  # set from ``out`` when it is a URL: built into a staging folder, then synced
    storage_options: dict | None = None  # fsspec options of the publish URL
    # RUNS was not checked for runs in the segmented layout (``storage.remote.resolve_runs(...,
    # segmented=False)``, as ``reportgen build`` does): the build's own scan tells, and then it builds
    # from their joined local copy (incr20: the check was 20,000 stat calls at 10,000 runs)
    join_segmented: bool = False
    join_dir: Path | None = None  # where that joined copy lives (default: the user cache, keyed by RUNS)

    def __post_init__(self) -> None:
        self.runs = Path(self.runs)
        from .publish_url import is_url, staging_dir

        if is_url(self.out):  # -o s3://bucket/prefix: build into a local staging folder, then upload
            self.publish_url = str(self.out).rstrip("/")
            self.out = staging_dir(self.publish_url)
        self.out = Path(self.out)
        if self.presets is not None:
            self.presets = Path(self.presets)
        if self.reports is not None:
            self.reports = Path(self.reports)
        if self.cache_dir is None:
            self.cache_dir = default_cache_dir(self.out)
        self.cache_dir = Path(self.cache_dir)
        if not isinstance(self.chart_runs, int) or self.chart_runs < 1:
            raise ValueError(f"chart_runs: expected an integer >= 1, got {self.chart_runs!r}")
        if not isinstance(self.samples, int) or self.samples < 10:
            raise ValueError(f"samples: expected an integer >= 10, got {self.samples!r}")
