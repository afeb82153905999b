"""The ``reportgen`` command line: a thin click group.

Each command turns its options into a config and calls one function; heavy
imports happen inside the commands so ``--help`` answers instantly. Usage errors
are one line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import click

from ._version import __version__
from .site.config import DEFAULT_CHART_RUNS, DEFAULT_SAMPLES
from .storage.safety import FileTooBig, NotRegularFile, OutsideRunFolder
from .tell import say, tell, tell_all, waiting_line

_DIR = click.Path(file_okay=False, path_type=Path)
_EXISTING_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
FOLLOW_LINKS_HELP = ("A TensorBoard logdir's links to folders or event files outside it (a wandb or mlruns "
                     "folder's links to run folders outside it) are read too (your own 'ln -s /data/exp1 "
                     "logs/exp1'); by default they are not, with a warning naming each: a downloaded folder "
                     "could link to your other projects' files.")


class _RunsRoot(click.ParamType):
    """RUNS: an existing folder, or a URL root (s3://, gs://, az://...; storage20, docs/format.md)."""

    name = "RUNS"

    def convert(self, value, param, ctx):
        from .storage.remote import is_url

        if isinstance(value, str) and is_url(value):
            return value
        return _EXISTING_DIR.convert(value, param, ctx)


_RUNS = _RunsRoot()


class _RunsRootOrNew(_RunsRoot):
    """A runs root to write to: a URL, or a folder that may not exist yet."""

    def convert(self, value, param, ctx):
        from .storage.remote import is_url

        return value if isinstance(value, str) and is_url(value) else _DIR.convert(value, param, ctx)


_RUNS_OR_NEW = _RunsRootOrNew()


def _local_runs(runs, quiet: bool = True, segmented: bool = True) -> Path:
    """A URL root (or a local root holding shared/segmented runs) as a local, incrementally synced copy.
    ``segmented`` False: a local root is taken as it is (the build's scan checks it: ``join_segmented``)."""
    from .storage.remote import resolve_runs

    warnings: list[str] = []
    try:
        local = resolve_runs(runs, warnings=warnings, segmented=segmented, waiting=None if quiet else waiting_line)
    except (ImportError, OSError, ValueError) as exc:
        raise click.ClickException(f"RUNS {runs}: {exc}") from None
    tell_all(warnings)
    return local


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="reportgen", message="%(prog)s %(version)s")
def cli() -> None:
    """reportgen: turn run folders written by the wandb-style SDK into a static site."""


@cli.command()
@click.argument("runs", type=_RUNS)
@click.option("-o", "--out", "out", default="site", show_default=True,
              help="Folder to write the site into, or a URL to publish it to (s3://bucket/prefix, any fsspec "
                   "URL: built in a local staging folder, then only changed files are uploaded).")
@click.option("--samples", type=click.IntRange(min=10), default=DEFAULT_SAMPLES, show_default=True,
              help="Points per line after downsampling (first, last, minima and maxima are kept).")
@click.option("--strict", is_flag=True, help="Exit with status 1 when a run folder had problems.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--presets", type=_EXISTING_DIR, default=None,
              help="Folder of custom-chart presets (<name>.json) that add to or override the built-ins.")
@click.option("--reports", type=_EXISTING_DIR, default=None,
              help="Folder of markdown reports (default: RUNS/reports).")
@click.option("--format", "formats", type=click.Choice(["html", "markdown"]), multiple=True,
              help="html: the static site (default); markdown: OUT/summary.md with PNG charts "
                   "(see 'reportgen summary'). Repeat to write both.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Do not read or write the incremental-build cache.")
@click.option("--cache-dir", "cache_dir", type=_DIR, default=None,
              help="Folder of the incremental-build cache (default: ~/.cache/reportgen/builds/<hash of OUT>; "
                   "never inside the site).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Parse the runs on an existing Dask cluster (tcp://host:8786); its workers must read "
                   "RUNS at the same path (shared file system), or RUNS is a URL the workers read "
                   "themselves. Needs reportgen[dask].")
@click.option("--chart-runs", "chart_runs", type=click.IntRange(min=1), default=DEFAULT_CHART_RUNS,
              show_default=True, help="Runs the index's charts draw until others are selected (most recent first).")
@click.option("--follow-links", "follow_links", is_flag=True, help=FOLLOW_LINKS_HELP)
def build(runs: Path, out: str, samples: int, strict: bool, quiet: bool, presets: Path | None,
          reports: Path | None, formats: tuple[str, ...], no_cache: bool, cache_dir: Path | None,
          scheduler: str | None, chart_runs: int, follow_links: bool) -> None:
    """Build a static site from the run folders in RUNS."""
    from .site.config import BuildConfig
    from .site.publish_url import PublishError, is_url

    formats = formats or ("html",)
    url = out if is_url(out) else None
    if url and "markdown" in formats:
        raise click.UsageError("--format markdown writes a local file: use a folder for -o")
    out = Path(out[len("file://"):] if out.startswith("file://") else out)
    if not url and out.is_file():
        raise click.BadParameter(f"{str(out)!r} is a file, not a folder", param_hint="'-o' / '--out'")
    if not url and out.is_symlink() and not out.exists():
        raise click.BadParameter(f"{str(out)!r} is a symbolic link to {os.readlink(out)!r}, which does not exist",
                                 param_hint="'-o' / '--out'")
    warnings: list[str] = []
    # a site only: the build's own scan tells whether a local root holds segmented runs (join_segmented)
    site_only = "markdown" not in formats
    from .storage.remote import is_db_url

    from .storage.reader import list_run_dirs

    # another tracker's runs (a TensorBoard logdir, a wandb folder, an mlruns/ tree: no run folder in
    # it; an MLflow tracking server's database) are imported into their cache runs root first, as serve
    # (the importers, and the SDK's value checks they use, are imported only then)
    runs = runs if is_db_url(runs) else _local_runs(runs, quiet, segmented=not site_only)
    if is_db_url(runs) or not list_run_dirs(runs):  # (listed once: import_tracker, not follow_for_serve)
        from .importers.follow import import_tracker

        runs = import_tracker(runs, quiet=quiet, follow_links=follow_links) or Path(runs)
    if "html" in formats:
        cfg = BuildConfig(runs=runs, out=url or out, samples=samples, strict=strict, quiet=quiet,
                          presets=presets, reports=reports, cache=not no_cache, cache_dir=cache_dir,
                          scheduler=scheduler, chart_runs=chart_runs, join_segmented=site_only)
        from .site import listings

        listings.start(cfg)  # the folders are listed in forked children while the builder is imported
        from .site.builder import build as do_build
        from .site.executor import BuildError

        try:
            res = do_build(cfg)
            warnings += res.warnings
        except (BuildError, PublishError) as e:
            raise click.ClickException(str(e)) from None
        if not quiet:
            say(f"Published to {url}/index.html" if url else f"Open {(out / 'index.html').resolve().as_uri()}")
    if "markdown" in formats:
        from .export import SummaryOptions

        warnings += _write_summary(SummaryOptions(runs=runs, out=out / "summary.md"), quiet,
                                   show_warnings="html" not in formats)
    _done_exit(1 if strict and warnings else 0, local=scheduler is None and not url)
    if strict and warnings:
        sys.exit(1)


_EXIT: list[int] = []  # the exit status of a command whose process may end at once (_done_exit)


def _done_exit(code: int, local: bool) -> None:
    """A build's last step: when nothing else runs (no thread, no Dask client, nothing published),
    the process may end without freeing the build's objects one by one (a rebuild of 10,000 runs
    holds ~1.5 million: their teardown took ~0.08 s of every rebuild). Only :func:`main` as the
    program's entry point acts on it (``argv`` None), never a caller in the same process."""
    if local and threading.active_count() == 1:
        _EXIT.append(code)


def _write_summary(opts, quiet: bool, show_warnings: bool = True) -> list[str]:
    from .export import write_summary

    result = write_summary(opts)
    if show_warnings:
        tell_all(result.warnings)
    if not quiet:
        say(f"Wrote {opts.out} ({result.runs} runs, {len(result.images)} charts in "
            f"{opts.out.stem}_files/)")
    return result.warnings


@cli.command()
@click.argument("runs", type=_RUNS, default=Path("runs"))
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("summary.md"), show_default=True,
              help="Markdown file to write; chart images go into <name>_files/ next to it.")
@click.option("--images", "image_format", type=click.Choice(["png", "svg"]), default="png",
              show_default=True, help="Chart image format.")
@click.option("--metrics", default=None, metavar="KEYS",
              help="Comma-separated keys or globs (e.g. 'val/*,best_accuracy') for the table and charts "
                   "[default: every numeric summary key and logged metric, most metric-like first].")
@click.option("--max-charts", type=click.IntRange(min=0), default=12, show_default=True,
              help="At most this many charts.")
@click.option("--max-runs", type=click.IntRange(min=1), default=50, show_default=True,
              help="At most this many rows in the table.")
@click.option("--title", default="Experiment summary", show_default=True, help="Heading of the summary.")
@click.option("--image-base", default=None, metavar="URL",
              help="Prefix image links with this URL (where the images will be published, e.g. a GitHub "
                   "Pages site) instead of relative paths; needed for GitHub job summaries.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when there were warnings.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def summary(runs: Path, out: Path, image_format: str, metrics: str | None, max_charts: int, max_runs: int,
            title: str, image_base: str | None, strict: bool, quiet: bool) -> None:
    """Write a Markdown summary of RUNS (key metrics table + charts) for CI job summaries and PR comments."""
    from .export import SummaryOptions

    keys = [k.strip() for k in metrics.split(",") if k.strip()] if metrics else None
    runs = _local_runs(runs)
    opts = SummaryOptions(runs=runs, out=out, image_format=image_format, metrics=keys, max_charts=max_charts,
                          max_runs=max_runs, title=title, image_base=image_base)
    warnings = _write_summary(opts, quiet)
    if strict and warnings:
        sys.exit(1)


@cli.command()
@click.argument("runs", type=_RUNS, default=Path("runs"))
@click.option("--watch", is_flag=True, help="Rebuild when run folders change; open pages update themselves.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0 picks a free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
@click.option("--samples", type=click.IntRange(min=10), default=DEFAULT_SAMPLES, show_default=True,
              help="Points per line after downsampling.")
@click.option("--presets", type=_EXISTING_DIR, default=None,
              help="Folder of custom-chart presets (<name>.json); watched with --watch.")
@click.option("--reports", type=_EXISTING_DIR, default=None,
              help="Folder of markdown reports (default: RUNS/reports); watched with --watch.")
@click.option("--idle-timeout", type=click.IntRange(min=1), default=10, show_default=True,
              help="Seconds before an idle or slow connection is closed.")
@click.option("--max-connections", type=click.IntRange(min=4), default=None,
              help="Open connections kept at most; the longest idle is closed for a new one "
                   "[default: 1000, less under a low open-file limit].")
@click.option("--follow-links", "follow_links", is_flag=True, help=FOLLOW_LINKS_HELP)
def serve(runs: Path, watch: bool, host: str, port: int, open_browser: bool, samples: int,
          presets: Path | None, reports: Path | None, idle_timeout: int, max_connections: int | None,
          follow_links: bool) -> None:
    """Build RUNS into a temporary folder and serve it over HTTP (never touches your -o site).

    RUNS may also be a TensorBoard logdir, a wandb folder or an MLflow store: it is imported
    (and with --watch followed as it grows) into a cache runs root, see docs/import-export.md."""
    # Before the slow imports: started in the background (`reportgen serve &` in a script), the
    # process inherits SIGINT as ignored, and a Ctrl-C or SIGTERM must stop it even while starting.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    from .importers.follow import follow_for_serve

    from .storage.remote import is_db_url

    if isinstance(runs, str) and not is_db_url(runs):  # a URL root: served as synced once (storage20)
        if watch:
            raise click.ClickException(f"RUNS {runs}: --watch needs a local folder; serve a URL root without "
                                       "--watch (a snapshot), or rebuild with 'reportgen build' (incremental)")
        runs = _local_runs(runs)
    runs = follow_for_serve(runs, watch, follow_links)
    from .serve import serve as do_serve

    do_serve(runs, host=host, port=port, watch=watch, open_browser=open_browser, samples=samples,
             presets=presets, reports=reports, idle_timeout=idle_timeout, max_connections=max_connections)
    # Stopped cleanly (temp folder gone, threads joined): skip the interpreter's teardown of
    # pandas/altair & co., which alone takes 1-2 s, so that Ctrl-C ends the process at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class _SourcePath(click.Path):
    """An existing path; MLflow's tracking URI ``sqlite:///mlflow.db`` names its database file, and a
    tracking server's database URI (``postgresql://...``, ``mysql://...``) is taken as it is."""

    def convert(self, value, param, ctx):
        from .storage.remote import is_db_url

        if is_db_url(value):
            return value
        if isinstance(value, str) and value.startswith("sqlite:///"):
            value = value[len("sqlite:///"):]
        return super().convert(value, param, ctx)


@cli.command("import")
@click.argument("source", type=click.Choice(["tensorboard", "wandb", "mlflow", "csv", "parquet"]))
@click.argument("path", type=_SourcePath(exists=True, path_type=Path))
@click.option("-o", "--out", "out", type=_RUNS_OR_NEW, default=Path("runs"), show_default=True,
              help="Runs root to write run folders into (a folder, or a URL: s3://bucket/prefix).")
@click.option("--project", default=None, help="Project of the imported runs [default: from the source].")
@click.option("--name", "name", default=None, metavar="TEMPLATE",
              help="Run names, e.g. '{project}-{path}': {path} (relative source path), {name} (the source's "
                   "own run name), {id} (the run id), {project}.")
@click.option("--run-col", default=None, help="csv/parquet: column naming the run (one long table).")
@click.option("--step-col", default=None, help="csv/parquet: step column [default: _step, step or the row number].")
@click.option("--time-col", default=None, help="csv/parquet: wall-time column (Unix seconds or dates).")
@click.option("--max-media", "max_media", type=click.IntRange(min=1), default=2048, show_default=True, metavar="MIB",
              help="Media (images, audio, video...) one run may import, in MiB; an import takes 4 times that in all.")
@click.option("--follow-links", "follow_links", is_flag=True, help=FOLLOW_LINKS_HELP)
@click.option("--strict", is_flag=True, help="Exit with status 1 when the source had problems (warnings; "
              "notes are no problems).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but warnings and errors.")
def import_(source: str, path: Path, out: Path, project: str | None, name: str | None, run_col: str | None,
            step_col: str | None, time_col: str | None, max_media: int, follow_links: bool, strict: bool,
            quiet: bool) -> None:
    """Import runs from TensorBoard, wandb, MLflow, CSV or Parquet into run folders (again: only what is new)."""
    from .importers import ImportOptions, import_source

    opts = ImportOptions(source=source, path=path, out=out, project=project, name=name, run_col=run_col,
                         step_col=step_col, time_col=time_col, quiet=quiet, max_media=max_media << 20,
                         follow_links=follow_links, warn=tell, note=lambda m: tell(m, "note"))
    try:
        result = import_source(opts)
    except (ImportError, OSError) as exc:  # OSError: the URL root could not be written (after the import)
        raise click.ClickException(str(exc)) from None
    if not quiet:
        left = [f"{n} {what}" for n, what in ((len(result.refused), "refused"), (result.skipped, "skipped")) if n]
        say(f"Imported {len(result.runs)} runs ({result.rows} new rows) into {out}"
            + (f"; {' and '.join(left)} (see the warnings)" if left else ""))
    if strict and result.warnings:
        sys.exit(1)


@cli.command()
@click.argument("runs", type=_RUNS)
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True,
              help="File format of the tables.")
@click.option("-o", "--out", "out", type=_DIR, required=True, help="Folder to write the tables into.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but warnings and errors.")
def export(runs: Path, fmt: str, out: Path, quiet: bool) -> None:
    """Export histories, configs and summaries of RUNS as open tables (see docs/import-export.md)."""
    from .export.tabular import export_runs

    runs = _local_runs(runs)
    try:
        result = export_runs(runs, out, fmt)
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    tell_all(result.warnings)
    if not quiet:
        say(f"Exported {result.runs} runs ({result.rows} history rows) to {out}")


@cli.command()
@click.option("-o", "--out", "out", type=_DIR, default=Path("site"), show_default=True,
              help="Folder to write the demo site into.")
@click.option("--runs", "runs", type=_DIR, default=None,
              help="Folder for the example runs [default: <out>-runs next to the site].")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but the path to open.")
def demo(out: Path, runs: Path | None, quiet: bool) -> None:
    """Train a few small numpy models on a vega_datasets data set, log them, and build the site."""
    from .site.config import BuildConfig
    from .site.builder import build as do_build
    from .demo import make_demo_runs

    runs = runs or out.with_name(out.name + "-runs")
    make_demo_runs(runs, quiet=quiet)
    do_build(BuildConfig(runs=runs, out=out, quiet=quiet))
    say(f"Demo runs written to {runs}")
    say(f"Open {(out / 'index.html').resolve().as_uri()}")


@cli.command("sweep")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", default=None, help="Project of the sweep's runs [default: the config's project].")
@click.option("--dir", "runs_dir", type=_DIR, default=None,
              help="Runs root [default: $REPORTGEN_DIR or ./runs]; the sweep lives in DIR/sweeps/<id>/.")
def sweep_cmd(config: Path, project: str | None, runs_dir: Path | None) -> None:
    """Create a sweep from a wandb sweep config (YAML) and print its id."""
    try:
        from .sweeps import sweep as make_sweep
        sweep_id = make_sweep(str(config), project=project, dir=runs_dir)
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    say(sweep_id)
    hint = f" --dir {runs_dir}" if runs_dir is not None else ""
    say(f"Run agents with: reportgen agent{hint} {sweep_id}", err=True)


@cli.command("agent")
@click.argument("sweep_id")
@click.option("--count", type=click.IntRange(min=1), default=None,
              help="Run at most this many runs [default: until the sweep is done].")
@click.option("--dir", "runs_dir", type=_DIR, default=None,
              help="Runs root holding the sweep [default: $REPORTGEN_DIR or ./runs].")
def agent_cmd(sweep_id: str, count: int | None, runs_dir: Path | None) -> None:
    """Run the sweep's program once per sampled parameter set (several agents may share a sweep)."""
    try:
        from .sweeps import agent as run_agent
        n = run_agent(sweep_id, count=count, dir=runs_dir)
    except ImportError as exc:
        raise click.ClickException(str(exc)) from None
    say(f"reportgen agent: ran {n} run(s)", err=True)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--dir", "runs_dir", type=_RUNS_OR_NEW, default=None,
              help="Runs root (a folder or a URL such as s3://bucket/runs) for every run the program starts "
                   "(sets $REPORTGEN_DIR; default: the "
                   "program's own choice, else ./runs).")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(runs_dir: Path | None, command: tuple[str, ...]) -> None:
    """Run COMMAND with `import wandb` meaning reportgen (also in its child processes).

    \b
    reportgen run -- python train.py --lr 0.1
    reportgen run --dir runs/ -- accelerate launch train.py
    The program's exit code is passed through. See docs/coming-from-wandb.md.
    """
    from .compat.launcher import launch

    sys.exit(launch(command, runs_dir))


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="reportgen", standalone_mode=False)
        if argv is None and _EXIT:  # the program itself, after a build: end now (see _done_exit)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(_EXIT[0])
    except click.UsageError as exc:
        if type(exc).__name__.startswith("NoArgsIsHelp"):  # bare group: show the help
            say(exc.ctx.get_help() if exc.ctx else "", err=True, lines=True)
            sys.exit(2)
        msg = exc.format_message().replace("\n", " ")
        cmd = exc.ctx.command_path if exc.ctx else "reportgen"
        tell(f"{msg} (see '{cmd} --help')", f"{cmd}: error")
        sys.exit(2)
    except click.Abort:
        say("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:  # (a BuildError names the site folder's links, a RUNS URL's objects)
        tell(exc.format_message(), "reportgen: error")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except (NotRegularFile, FileTooBig, OutsideRunFolder) as exc:  # a link, a pipe or a folder where a file
        tell(exc, "reportgen: error")  # should be (storage.safety): any command
        sys.exit(1)
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        tell(exc, "reportgen: error")
        sys.exit(2)
    except SystemExit:
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
