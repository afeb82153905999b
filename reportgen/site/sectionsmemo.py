"""The chart sections' markup of run pages (``partials/sections.html``), rendered once per shape.

Runs logged alike (the same metrics, notes, specs) have the same sections on their pages but for
the run each chart draws (``data-runs``). A run page's sections are rendered with a stand-in run, a
random token no input can hold, and every other run page of that shape gets that markup with the
stand-in's ``data-runs`` text replaced by its own (made by the same filters, so the page is the
same byte for byte). Anything else (a chart drawing other runs, a context that cannot be pickled,
the stand-in not found once per chart) is rendered as before (perf34: ~0.35 ms of a run page's
~0.5 ms of rendering).

:meth:`SectionsMemo.page` goes one step further back (issue 19): the sections themselves, their shared
spec and the key of their shape are made once per *run shape* (what they are made from but the run:
its metrics with their points and non-finite values, its x axes), not once per page (~0.22 ms of a
run page's ~0.8 ms in ``write_pages``).
"""
from __future__ import annotations

import hashlib
import io
import pickle
import secrets
from collections.abc import Callable, Hashable
from typing import Any

from markupsafe import Markup

from .runs_data import share_specs

TEMPLATE = "partials/sections.html"
RUNS = "{{ runs | tojson | forceescape }}"  # what partials/chart.html writes in data-runs


class SectionsMemo:
    def __init__(self) -> None:
        self.token = "rg" + secrets.token_hex(16)
        self.done: dict[bytes, str | None] = {}  # key of the shape -> its markup with the stand-in (None: not memoised)
        self._runs: tuple[Any, Any, str] | None = None  # (env, the data-runs template, the stand-in's text)
        self.shapes: dict[Hashable, str] = {}  # run shape (page()) -> its markup with the stand-in

    def html(self, env, sections: list[dict[str, Any]], spec_base: Any, run_file: str) -> Markup | None:
        """The markup of ``sections`` (each chart drawing ``run_file`` alone), or None: render them."""
        text = self._text(env, sections, spec_base, run_file)
        return None if text is None else self._fill(text, run_file)

    def page(self, env, shape: Hashable, make: Callable[[], list[dict[str, Any]]],
             run_file: str) -> tuple[list[dict[str, Any]], Any, Markup | None]:
        """``(sections, spec_base, markup)`` of a run page whose chart sections ``make()`` gives (each
        chart drawing ``run_file`` alone), ``shape`` being a key of all they are made from but the run.
        Once a shape's markup is known, its other pages take it without making their sections (then
        ``([], None, markup)``); markup None: render the sections."""
        if self._runs is not None and self._runs[0] is not env:
            self.shapes.clear()  # (markup of another environment's templates)
        text = self.shapes.get(shape)
        if text is not None:
            return [], None, self._fill(text, run_file)
        sections = make()
        spec_base = share_specs(sections)
        text = self._text(env, sections, spec_base, run_file)
        if text is None:
            return sections, spec_base, None
        self.shapes[shape] = text
        return sections, spec_base, self._fill(text, run_file)

    def _text(self, env, sections: list[dict[str, Any]], spec_base: Any, run_file: str) -> str | None:
        """The markup of ``sections`` with the stand-in for the run, or None (not memoised)."""
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
        stand_in = self._runs[2]
        if key not in self.done:
            stand = [{**sec, "charts": [{**c, "runs": [self.token]} for c in sec["charts"]]} for sec in sections]
            text = env.get_template(TEMPLATE).render(sections=stand, spec_base=spec_base)
            self.done[key] = text if text.count(stand_in) == len(charts) and text.count(self.token) == len(charts) \
                else None
        return self.done[key]

    def _fill(self, text: str, run_file: str) -> Markup:
        _env, runs_of, stand_in = self._runs
        return Markup(text.replace(stand_in, runs_of.render(runs=[run_file])))
