"""Custom-chart presets, for the SDK side: the definitions live in :mod:`reportgen.storage.presets`
(shared with the site builder, which never imports the SDK). Kept so ``reportgen.media.presets``
imports keep working."""
from ..storage.presets import *  # noqa: F401,F403
from ..storage.presets import BUILTIN_DIR, PresetError, builtin_names, canonical_name, check_fields, find_preset, load_preset, load_template, render_custom_chart, table_values  # noqa: F401,E501
