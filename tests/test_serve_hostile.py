"""``reportgen serve --watch`` as a real process while a shared runs folder is changed in hostile ways.

Found by probing a running server: it must stay up, keep serving the last good site, publish
nothing from outside the runs root and follow the runs again once the folder is sane. The
timeouts here are hang guards only, never timing assertions.
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from reportgen.sdk.run import Run
from serveproc import ServeProcess, http_get

GUARD = 180  # seconds: a hang guard, far above what any step takes


def _run(root: Path, run_id: str, steps: int = 5) -> None:
    run = Run(id=run_id, name=run_id, project="p", dir=root, save_code_info=False)
    for s in range(steps):
        run.log({"loss": 1.0 / (s + 1)})
    run.finish()


def _get(srv: ServeProcess, path: str) -> tuple[int, bytes]:
    resp = http_get(srv.port, path)
    return resp.status, resp.read()


def _status(srv: ServeProcess, path: str) -> int:
    return _get(srv, path)[0]


def _wait_served(srv: ServeProcess, path: str) -> bool:
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            return False
        if _status(srv, path) == 200:
            return True
        time.sleep(0.2)
    return False


def test_a_terabyte_sparse_history_or_system_file_does_not_stall_live_updates(tmp_path):
    """A run folder's history.jsonl (or system.jsonl) grown to 1 TiB of holes (`truncate -s 1T`: no
    disk used) was read byte by byte by the rebuild, ~50 minutes in which no change of any run
    reached the served site. Holes hold no newline: the readers skipping an over-long line now jump
    them, so the rebuild takes what the file's data takes, and the rows after the hole are kept."""
    runs = tmp_path / "runs"
    _run(runs, "a")
    _run(runs, "b")
    with ServeProcess(str(runs), "--watch", "--port", "0") as srv:
        with open(runs / "a" / "history.jsonl", "r+b") as fh:  # a row, a 1 TiB hole, a row after it
            fh.seek(0, os.SEEK_END)
            fh.write(b'{"_step": 5, "loss": 0.5, "junk": "')
            fh.seek(1 << 40, os.SEEK_CUR)
            fh.write(b'"}\n{"_step": 6, "loss": 0.25}\n')
        with open(runs / "b" / "system.jsonl", "ab") as fh:
            fh.truncate(1 << 40)
        _run(runs, "fresh")  # a change elsewhere: it must reach the site
        assert _wait_served(srv, "/runs/fresh/index.html"), srv.stderr()
        assert _status(srv, "/runs/a/index.html") == 200 and _status(srv, "/runs/b/index.html") == 200
        assert _status(srv, "/data/runs/a.js") == 200
    assert "Traceback" not in srv.stderr()
    import warnings

    import reportgen

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = [r for r in reportgen.Api(runs).runs() if r.id == "a"][0]
        assert [r["_step"] for r in run.scan_history()] == [0, 1, 2, 3, 4, 6]  # the row after the hole kept
    assert any("is longer than 64 MiB; skipped" in str(w.message) for w in caught)


def test_folder_names_with_terminal_escapes_are_printed_escaped(tmp_path):
    """The server printed the runs folder's name as it is (`Built ...`, `Watching ...`, `Serving ...`):
    a folder named with terminal escapes (`ESC ] 0 ; title BEL`, `ESC [ 2 J`) retitled and cleared the
    terminal of whoever served it, and a newline in it printed a fake log line. Now every log line
    shows control characters escaped (`\\x1b`, `\\n`), also the banner line of a failed rebuild."""
    import re
    import shutil

    runs = tmp_path / "x\x1b]0;PWNED\x07\x1b[2J\nrebuilt in 0.01s: fake" / "runs"
    _run(runs, "a")
    with ServeProcess(str(runs), "--watch", "--port", "0") as srv:
        assert _status(srv, "/runs/a/index.html") == 200
        shutil.rmtree(runs)  # a failed rebuild: its line names the folder too
        deadline = time.monotonic() + GUARD
        while "rebuild failed" not in srv.stderr() and time.monotonic() < deadline:
            time.sleep(0.2)
    out, err = "".join(srv.lines), srv.stderr()
    assert "rebuild failed" in err and "Built " in err and "Serving " in out
    for text in (out, err):
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text), repr(text)
        assert "\\x1b]0;PWNED\\x07" in text
    assert not any(line.startswith("rebuilt in 0.01s: fake") for line in err.splitlines())


def test_build_warnings_are_printed_once_escaped(tmp_path):
    """`reportgen serve` printed none of its builds' warnings (a run folder that is a link out of the
    root, a bad history line): they were on the pages alone, while `reportgen build` prints them.
    Each is printed once (not again at every rebuild), control characters escaped."""
    runs = tmp_path / "runs"
    _run(runs, "a")
    outside = tmp_path / "outside"
    _run(outside, "secret")
    (runs / "linked\x1b[2J").symlink_to(outside / "secret")
    with open(runs / "a" / "history.jsonl", "ab") as fh:
        fh.write(b"{not json}\n")
    with ServeProcess(str(runs), "--watch", "--port", "0") as srv:
        assert _wait_served(srv, "/runs/a/index.html")
        _run(runs, "b")  # a rebuild
        deadline = time.monotonic() + GUARD
        while "rebuilt in" not in srv.stderr() and time.monotonic() < deadline:
            time.sleep(0.2)
        err = srv.stderr()
    assert "rebuilt in" in err
    linked = [line for line in err.splitlines() if "is a link to a folder outside the runs root" in line]
    assert linked == ["warning: run folder 'linked\\x1b[2J' is a link to a folder outside the runs root (skipped)"], err
    assert len([line for line in err.splitlines() if line.startswith("warning: ") and "not valid JSON" in line]) == 1
    assert "\x1b" not in err


def test_a_range_of_thousands_of_digits_is_ignored_not_a_traceback(tmp_path):
    """`Range: bytes=0-<5,000 digits>` (or `bytes=-<digits>`, any client can send it) made int() raise
    ValueError past Python's 4,300-digit limit: a 500 and a traceback on the developer's terminal for
    every such request. A number that long is no range: the header is ignored (the whole file, 200)."""
    runs = tmp_path / "runs"
    _run(runs, "a")
    digits = "9" * 5000
    with ServeProcess(str(runs), "--port", "0") as srv:
        whole = _get(srv, "/index.html")
        for header in (f"bytes=0-{digits}", f"bytes={digits}-", f"bytes=-{digits}", f"bytes={digits}-{digits}"):
            resp = http_get(srv.port, "/index.html", {"Range": header})
            assert (resp.status, resp.read()) == whole, header
        assert _status(srv, "/index.html") == 200
        err = srv.stderr()
    assert "Traceback" not in err and "Exception" not in err, err


def test_a_runs_root_swapped_for_a_link_is_not_followed(tmp_path):
    """``serve --watch runs`` followed the path it was given: the runs folder replaced by a link to
    another folder after start (``mv runs runs.old; ln -s ~/other-project/runs runs``, as a sync
    tool or a colleague's script may) had the next rebuild publish the other folder's runs. The
    server keeps serving what it was started on: the rebuild is refused with a warning naming the
    link and its target (shown on the open pages), and the last good site stays; with the folder
    back in place the runs are followed again."""
    runs, other = tmp_path / "runs", tmp_path / "other"
    _run(runs, "mine")
    _run(other, "secret")
    with ServeProcess(str(runs), "--watch", "--port", "0") as srv:
        assert _status(srv, "/runs/mine/index.html") == 200
        runs.rename(tmp_path / "runs.old")
        runs.symlink_to(other, target_is_directory=True)
        deadline = time.monotonic() + GUARD
        while time.monotonic() < deadline and "not followed" not in srv.stderr() and \
                _status(srv, "/runs/secret/index.html") != 200:
            _run(other, f"poke{int(time.monotonic() * 1000)}", steps=1)  # (events in the link's target)
            os.utime(runs, follow_symlinks=False)
            time.sleep(0.5)
        err = srv.stderr()
        assert "not followed" in err and str(other) in err, err
        assert _status(srv, "/runs/secret/index.html") == 404 and _status(srv, "/runs/mine/index.html") == 200
        status, index = _get(srv, "/")
        assert status == 200 and b"secret" not in index and b"poke" not in index
        runs.unlink()
        (tmp_path / "runs.old").rename(runs)
        _run(runs, "back")
        assert _wait_served(srv, "/runs/back/index.html")
        assert _status(srv, "/runs/secret/index.html") == 404


def test_serve_reads_a_logdirs_link_out_of_it_only_with_follow_links(tmp_path):
    """``serve LOGDIR`` of a TensorBoard logdir holding a link out of it (logs/c -> another folder):
    without --follow-links the link is not read (one warning naming it, its target and the flag; c's
    page 404, a's served); with it, c is imported and served too, and followed under --watch as it
    grows (a step written through the link's target is served)."""
    pytest.importorskip("tensorboardX")
    from tensorboardX import SummaryWriter

    def write(folder: Path, steps: range) -> None:
        w = SummaryWriter(str(folder))
        for s in steps:
            w.add_scalar("loss", 1.0 / (s + 1), s)
        w.close()

    logs, outside = tmp_path / "logs", tmp_path / "elsewhere" / "c"
    write(logs / "a", range(5))
    write(outside, range(5))
    (logs / "c").symlink_to(outside, target_is_directory=True)
    env = {"REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}

    def pages(srv: ServeProcess) -> dict[str, str]:
        """run name -> (its page's path, its last loss), from the served index's runs"""
        _, index = _get(srv, "/")
        site = re.search(r'<script type="application/json" id="rg-site">(.*?)</script>', index.decode(), re.S)
        return {r["name"]: ("/" + r["url"], r["s"].get("loss")) for r in json.loads(site.group(1))["runs"]}

    with ServeProcess(str(logs), "--port", "0", env=env) as srv:
        err = srv.stderr()
        assert f"c: a link to {outside}" in err and "--follow-links" in err, err
        served = pages(srv)
        assert sorted(served) == ["a"] and _status(srv, served["a"][0]) == 200
    with ServeProcess(str(logs), "--watch", "--follow-links", "--port", "0", env=env) as srv:
        assert "a link to" not in srv.stderr(), srv.stderr()
        served = pages(srv)
        assert sorted(served) == ["a", "c"] and _status(srv, served["c"][0]) == 200 and served["c"][1] == pytest.approx(0.2)
        write(outside, range(5, 9))  # (the training goes on, through the link's target)
        deadline = time.monotonic() + GUARD
        while time.monotonic() < deadline and pages(srv)["c"][1] == pytest.approx(0.2):
            time.sleep(0.3)
        assert pages(srv)["c"][1] == pytest.approx(1 / 9)
        gone = served["c"][0]
    with ServeProcess(str(logs), "--port", "0", env=env) as srv:  # (without the flag again: c leaves)
        served = pages(srv)
        assert sorted(served) == ["a"] and _status(srv, gone) == 404
