"""Warnings on the terminal (reportgen/tell.py): the one way `build`, `summary`, `import`, `export` and
`serve` print them (they were five copies of the same line, and serve's alone was counted), and what
else a command writes to the terminal from a run folder: the build's progress line, its errors, the
sweep agent's command lines. A name from a run folder holding ESC, BEL, CR or U+202E reaches the
terminal escaped (``\\x1b``), never as the byte that rewrites the terminal."""
from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reportgen.site.progress import Progress
from reportgen.tell import say, tell, tell_all

REPO = Path(__file__).resolve().parent.parent
BAD = "\x1b]0;pwn\x07\x1b[2J\r\u202e"  # a window title, clear screen, carriage return, right-to-left
SHOWN = "\\x1b]0;pwn\\x07\\x1b[2J\\r\\u202e"  # the same, escaped
#: what must not reach the terminal raw (line ends and the progress line's own "\r\x1b[2K" taken out first)
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_tell_escapes_control_characters(capsys):
    tell("run \x1b]0;owned\x07: bad line")
    tell("from the source", "note")
    assert capsys.readouterr().err.splitlines() == ["warning: run \\x1b]0;owned\\x07: bad line",
                                                    "note: from the source"]


def test_say_escapes_a_line_or_each_of_its_lines(capsys):
    say("Published to s3://b/" + BAD)
    say("Traceback:\n  x" + BAD + "\nValueError: \x07", err=True, end="", lines=True)
    said = capsys.readouterr()
    assert said.out == f"Published to s3://b/{SHOWN}\n"
    assert said.err == f"Traceback:\n  x{SHOWN}\nValueError: \\x07"
    say("a\nfake log line")  # (one line: a name cannot make a second one)
    assert capsys.readouterr().out == "a\\nfake log line\n"


def test_tell_all_tells_each_once_and_counts_past_most(capsys):
    told: set[str] = set()
    tell_all(["a", "b", "a", "c", "d"], told, most=2, more=" (listed on the site's pages)")
    assert capsys.readouterr().err.splitlines() == [
        "warning: a", "warning: b", "warning: … and 2 more (listed on the site's pages)"]
    tell_all(["a", "e"], told, most=2)  # (a rebuild: only what is new)
    assert capsys.readouterr().err.splitlines() == ["warning: e"]
    tell_all(["x\n", "x\n", "y"])  # (a command's own list: every one, once)
    assert capsys.readouterr().err.splitlines() == ["warning: x\\n", "warning: y"]


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """``python -m reportgen ARGS`` with a pty as its stdout and stderr (as a user's terminal): its
    exit status and all it wrote (the pty's "\\r\\n" line ends made "\\n")."""
    import pty

    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    pid, fd = pty.fork()
    if pid == 0:  # (the child: nothing but exec)
        os.execve(sys.executable, [sys.executable, "-m", "reportgen", *args], env)
    out = bytearray()
    try:
        while select.select([fd], [], [], 300)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # (EIO: the child closed the terminal)
                break
            if not chunk:
                break
            out += chunk
        else:
            os.kill(pid, signal.SIGKILL)  # (a guard against a hung child, not a timing)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace").replace("\r\n", "\n")


def _hostile_runs(root: Path) -> Path:
    """Run folders whose folder names, run names, project, metric keys, a media file name and a saved
    file name hold :data:`BAD`; each has a line that is no JSON and names a media file that is missing."""
    runs = root / "runs"
    for folder in ("ok", "r" + BAD):
        d = runs / folder
        d.mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"id": folder, "name": "n" + BAD, "project": "p" + BAD,
                                                "state": "finished"}))
        (d / "history.jsonl").write_text(
            json.dumps({"_step": 0, "k" + BAD: 1.0, "img" + BAD: {"_type": "image", "path": f"media/x{BAD}.png"}})
            + "\n" + json.dumps({"_step": 1, "k" + BAD: 0.5}) + "\nnot json" + BAD + "\n")
        (d / "files").mkdir()
        (d / "files" / ("f" + BAD)).write_text("x")
    return runs


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a pty: POSIX")
def test_build_on_a_terminal_writes_no_control_character_from_a_run_folder(tmp_path):
    """`reportgen build` on a terminal: the progress line, the warnings and the summary line carry the
    names from the run folders escaped. A site folder holding a link named with terminal escapes (a CI
    artifact's) was named raw in the build's one-line error (cli.main printed a ClickException as it was)."""
    runs = _hostile_runs(tmp_path)
    code, said = _on_a_terminal("build", str(runs), "-o", str(tmp_path / "site"), "--no-cache")
    assert code == 0, said
    assert "\r\x1b[2K" in said  # the progress line, rewritten in place
    plain = said.replace("\r\x1b[2K", "")
    assert not RAW.search(plain), repr(plain)
    assert f"warning: run ok: media img{SHOWN} (step 0): missing file media/x{SHOWN}.png" in plain
    assert "history.jsonl: skipped a line that is not valid JSON" in plain and "built 2 runs" in plain

    site = tmp_path / "site2"
    site.mkdir()
    (site / ("l" + BAD)).symlink_to(tmp_path, target_is_directory=True)
    code, said = _on_a_terminal("build", str(runs), "-o", str(site), "--no-cache")
    assert code == 1 and not RAW.search(said.replace("\r\x1b[2K", "")), repr(said)
    assert "reportgen: error: " in said and f"the site folder holds links to folders (l{SHOWN})" in said


def test_the_progress_line_escapes_what_it_is_given():
    """Progress wrote its texts as they were: anything but its own "\\r\\x1b[2K" that reached it (a
    URL, a folder name) moved the cursor or retitled the window. Written to a real terminal (a pty)."""
    master, slave = os.openpty()
    try:
        with open(slave, "w", closefd=False) as stream:
            progress = Progress(stream=stream)
            assert progress.tty
            progress.update("publishing to s3://b/" + BAD)
            progress.done()
            progress.line("built into site" + BAD)
        got = b""
        while not got.endswith(b"\n") and select.select([master], [], [], 30)[0]:  # (the pty hands it over
            got += os.read(master, 65536)                                           # in pieces)
        said = got.decode("utf-8").replace("\r\n", "\n")
    finally:
        os.close(master)
        os.close(slave)
    assert said == f"\r\x1b[2Kpublishing to s3://b/{SHOWN}\r\x1b[2Kbuilt into site{SHOWN}\n"


def test_the_sweep_agent_names_the_command_it_runs_escaped(tmp_path):
    """`reportgen agent` printed the command line of each run as it was: a sweep folder (shared, a
    colleague's) whose config holds a value or a program name with terminal escapes rewrote the
    terminal of whoever ran an agent on it."""
    import subprocess

    import reportgen

    program = "q" + BAD + ".py"
    (tmp_path / program).write_text("")  # (writes no run folder: the agent says so too)
    sweep_id = reportgen.sweep({"method": "grid", "program": program, "parameters": {"msg": {"value": "hi" + BAD}}},
                               project="p", dir=tmp_path / "runs")
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("REPORTGEN_DIR", None)
    ran = subprocess.run([sys.executable, "-m", "reportgen", "agent", sweep_id, "--count", "1", "--dir", "runs"],
                         cwd=tmp_path, env=env, capture_output=True, timeout=240)
    said = (ran.stdout + ran.stderr).decode()  # (bytes: text=True would make a raw "\\r" a line end)
    assert ran.returncode == 0, said
    assert not RAW.search(said.replace("\n", "")), repr(said)
    assert "reportgen agent: run " in said and f"q{SHOWN}.py --msg=hi{SHOWN}" in said


def said_by(*args: str, cwd: Path, env: dict | None = None, code: int = 0) -> str:
    """All ``python -m reportgen ARGS`` (or ``python -c``, args starting with "-c") wrote, stdout then
    stderr, from its bytes (text=True would make a raw "\\r" a line end); asserts its exit status."""
    full = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {})}
    full.pop("REPORTGEN_DIR", None)
    argv = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "reportgen", *args]
    ran = subprocess.run(argv, cwd=cwd, env=full, capture_output=True, timeout=300)
    said = (ran.stdout + ran.stderr).decode()
    assert ran.returncode == code, said
    return said


def test_the_published_url_and_the_summary_file_are_named_escaped(tmp_path):
    """'Published to URL/index.html' (the URL from the user or a CI config) and 'Wrote FILE' (--format
    markdown) were printed with click.echo as they were."""
    runs = _hostile_runs(tmp_path)
    env = {"REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}
    said = said_by("build", str(runs), "-o", "memory://b/s" + BAD, "--no-cache", cwd=tmp_path, env=env)
    assert not RAW.search(said.replace("\n", "")), repr(said)
    assert f"Published to memory://b/s{SHOWN}/index.html" in said

    said = said_by("build", str(runs), "-o", str(tmp_path / ("m" + BAD)), "--format", "markdown", cwd=tmp_path, env=env)
    assert not RAW.search(said.replace("\n", "")), repr(said)
    assert f"Wrote {tmp_path}/m{SHOWN}/summary.md" in said


def test_the_sweep_and_agent_commands_name_the_runs_root_escaped(tmp_path):
    """`reportgen sweep` said 'created sweep ID in DIR' and 'Run agents with: reportgen agent --dir DIR ID', and
    the agent 'the program wrote no run folder in DIR', the folder's name as it was (a runs root named by
    a shared config or a script)."""
    (tmp_path / "q.py").write_text("")  # (writes no run folder)
    (tmp_path / "sweep.yaml").write_text("method: grid\nprogram: q.py\nparameters:\n  lr:\n    value: 0.1\n")
    root = "runs" + BAD
    said = said_by("sweep", "sweep.yaml", "--project", "p", "--dir", root, cwd=tmp_path)
    assert not RAW.search(said.replace("\n", "")), repr(said)
    sweep_id = said.split("\n")[0].strip()
    assert f"reportgen: created sweep {sweep_id} in runs{SHOWN}" in said
    assert f"Run agents with: reportgen agent --dir runs{SHOWN} {sweep_id}" in said
    said = said_by("agent", sweep_id, "--count", "1", "--dir", root, cwd=tmp_path)
    assert not RAW.search(said.replace("\n", "")), repr(said)
    assert f"the program wrote no run folder in runs{SHOWN} (does" in said


def test_serve_says_what_waitress_logs_escaped(tmp_path):
    """waitress logs 'Exception while serving PATH' with the request's path, a client's bytes: serve's
    handler wrote it to the terminal as it was (logging.StreamHandler)."""
    said = said_by("-c", "import logging\nfrom reportgen.serve.httpd import quiet_logs\nquiet_logs()\n"
                   f"logging.getLogger('waitress.channel').error('Exception while serving /' + {BAD!r})",
                   cwd=tmp_path)
    assert said == f"reportgen serve: Exception while serving /{SHOWN}\n"
