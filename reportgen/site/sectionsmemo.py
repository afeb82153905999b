"""The chart sections' markup of run pages (``partials/sections.html``), rendered once per shape.

Runs logged alike (the same metrics, notes, specs) have the same sections on their pages but for
the run each chart draws (``data-runs``). A run page's sections are rendered with a stand-in run, a
random token no input can hold, and every other run page of that shape gets that markup with the
stand-in's ``data-runs`` text replaced by its own (made by the same filters, so the page is the
same byte for byte). Anything else (a chart drawing other runs, a context that cannot be pickled,
the stand-in not found once per chart) is rendered as before (perf34: ~0.35 ms of a run page's
~0.5 ms of rendering).
"""
from __future__ import annotations

import hashlib
import io
import pickle
import secrets
from typing import Any

from markupsafe import Markup

TEMPLATE = "partials/sections.html"
RUNS = "{{ runs | tojson | forceescape }}"  # what partials/chart.html writes in data-runs


class SectionsMemo:
    def __init__(self) -> None:
        self.token = "rg" + secrets.token_hex(16)
        self.done: dict[bytes, str | None] = {}  # key of the shape -> its markup with the stand-in (None: not memoised)
        self._runs: tuple[Any, Any, str] | None = None  # (env, the data-runs template, the stand-in's text)

    def html(self, env, sections: list[dict[str, Any]], spec_base: Any, run_file: str) -> Markup | None:
        """The markup of ``sections`` (each chart drawing ``run_file`` alone), or None: render them."""
        charts = [c for sec in sections for c in sec["charts"]]
        if not charts or any(c.get("runs") != [run_file] for c in charts):
            return None
        shape = [{**sec, "charts": [{**c, "runs": None} for c in sec["charts"]]} for sec in sections]
        buf = io.BytesIO()
        pickler = pickle.Pickler(buf, protocol=4)
        pickler.fast = True  # no memo: equal shapes give equal bytes (render.py's page keys do the same)
        try:
            pickler.dump((shape, spec_base))
        except Exception:
            return None
        key = hashlib.sha1(buf.getvalue()).digest()
        if self._runs is None or self._runs[0] is not env:
            tpl = env.from_string(RUNS)
            self._runs = (env, tpl, tpl.render(runs=[self.token]))
        _env, runs_of, stand_in = self._runs
        if key not in self.done:
            stand = [{**sec, "charts": [{**c, "runs": [self.token]} for c in sec["charts"]]} for sec in sections]
            text = env.get_template(TEMPLATE).render(sections=stand, spec_base=spec_base)
            self.done[key] = text if text.count(stand_in) == len(charts) and text.count(self.token) == len(charts) \
                else None
        text = self.done[key]
        return None if text is None else Markup(text.replace(stand_in, runs_of.render(runs=[run_file])))
