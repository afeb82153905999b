"""What the SDK says on the terminal of the user's training process (reportgen/tell.py, issue 12): its
warnings and lines name keys, run folders, alert texts and exception texts, which come from the user's
program, a config or a resumed, shared run. Each reaches the terminal with its control characters
escaped, never as the bytes that retitle the window or clear the screen. Real training scripts run
in a subprocess; the bytes it wrote are checked."""
from __future__ import annotations

from test_tell import BAD, RAW, SHOWN, said_by

PRELUDE = f"import os\nimport reportgen\nBAD = {BAD!r}\nroot = os.path.abspath('runs' + BAD)\n"


def test_sdk_warnings_and_lines_escape_what_they_name(tmp_path):
    """A key that cannot be logged (user_warn: escaped before), an alert, termwarn, a resumed run's torn
    last line (storage.writer's warning) and a history file deleted under the writer (storage.health's)
    were written as they were, but the first."""
    said = said_by("-c", PRELUDE + """
run = reportgen.init(project="p" + BAD, name="n" + BAD, dir=root, id="r1")
run.log({"k" + BAD: object(), "ok": 1})
run.alert(title="t" + BAD, text="x" + BAD)
reportgen.termwarn("w" + BAD)
run.finish()
with open(os.path.join(root, "r1", "history.jsonl"), "ab") as f:
    f.write(b'{"_step": 1, "a"')  # (a writer killed mid-line)
run = reportgen.init(project="p", dir=root, id="r1", resume="must")
run.log({"a": 2})
os.unlink(os.path.join(root, "r1", "history.jsonl"))
run.log({"a": 3})
run.finish()
""", cwd=tmp_path)
    assert not RAW.search(said.replace("\n", "")), repr(said)
    assert f"log(): key 'k{SHOWN}': values of type object cannot be logged" in said
    assert f"reportgen: alert [INFO] t{SHOWN}: x{SHOWN}\n" in said
    assert f"reportgen: WARNING w{SHOWN}\n" in said
    assert f"/runs{SHOWN}/r1/history.jsonl: removed an incomplete last line (16 bytes)" in said
    assert f"/runs{SHOWN}/r1/history.jsonl was deleted while the run wrote it" in said


def test_a_function_agent_says_a_failing_run_s_traceback_escaped(tmp_path):
    """reportgen.agent(function=...) printed the traceback of a run that raised as it was
    (traceback.print_exc): the exception's text holds the sweep's values (a shared sweep config)."""
    said = said_by("-c", PRELUDE + """
sweep_id = reportgen.sweep({"method": "grid", "parameters": {"msg": {"value": "hi" + BAD}}}, project="p", dir=root)
def train():
    run = reportgen.init()
    raise ValueError("no " + run.config["msg"])
reportgen.agent(sweep_id, function=train, count=1, dir=root)
""", cwd=tmp_path)
    assert not RAW.search(said.replace("\n", "")), repr(said)
    assert "Traceback (most recent call last):\n" in said and f"\nValueError: no hi{SHOWN}\n" in said
    assert f"/runs{SHOWN}/sweeps/" in said  # (reportgen: created sweep ID in DIR)
