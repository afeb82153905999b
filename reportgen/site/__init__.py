"""The site builder: run folders in, static site out (docs/site.md, docs/api.md).

Entry point: :func:`reportgen.site.builder.build` (public as ``reportgen.build``), in named
phases (``phases.py``: gather, write_data; ``builder.py``: write_pages, cleanup). What each
stored ``_type`` looks like is decided in one place, the ``kinds/`` registry (docs/kinds.md);
run-page media panels are in ``panels/``, markdown reports in ``reports/``. Templates and
page scripts are package data (``reportgen/templates``, ``reportgen/assets``).
"""
