"""``run.config``: hyper-parameters, readable as attributes and items, persisted on change.

``init(config=...)`` accepts a dict, an ``argparse.Namespace``, an absl-style
flags object (``flags.FLAGS``: anything with ``flag_values_dict()``) or a plain
object with attributes. Nested dicts are kept; values are stored as JSON
(numpy scalars become Python numbers, arrays become lists).

Changing a value, as wandb has it: a key the sweep set (its parameters) keeps the sweep's
value, and a change of it is ignored with one warning per key ("locked by 'sweep'"), so
``config.update(vars(args))`` after ``init()`` cannot undo the sweep's choice. A change of any
other key is accepted unless ``allow_val_change=False`` is passed (to ``config.update()``, or
to ``init()`` for every change): then it raises :class:`~reportgen.errors.ConfigError`, as wandb
does. Decision: without the argument reportgen accepts the change, where a wandb script outside
a notebook raises (a run is never ended by a changed hyper-parameter; pass False to be told).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Callable


def config_to_dict(source: Any, *, argument: str = "config") -> dict[str, Any]:
    """The key/value pairs of any supported config source; a string or path names a YAML or JSON
    config file (:func:`read_config_file`), as wandb takes it."""
    if source is None:
        return {}
    if isinstance(source, str) or hasattr(source, "__fspath__"):
        return read_config_file(source, argument=argument)
    if isinstance(source, Config):
        return source.as_dict()
    if isinstance(source, Mapping):
        return {str(k): v for k, v in source.items()}
    flag_values = getattr(source, "flag_values_dict", None)
    if callable(flag_values):  # absl.flags.FLAGS / tf.app.flags.FLAGS
        return dict(flag_values())
    if isinstance(source, (bytes, int, float, bool, list, tuple, set)):
        raise TypeError(f"{argument}: expected a dict, argparse.Namespace, absl flags or an object with "
                        f"attributes, got {type(source).__name__}")
    try:
        attrs = vars(source)
    except TypeError:
        attrs = {name: getattr(source, name) for name in dir(source) if not name.startswith("_")}
    return {k: v for k, v in attrs.items() if not k.startswith("_") and not callable(v)}


DEFAULTS_FILE = "config-defaults.yaml"  # read by init() from the working directory, as wandb does


def read_config_file(path: Any, *, argument: str = "config", must_exist: bool = True) -> dict[str, Any]:
    """The parameters of a config file as wandb writes them (``key: {value: v, desc: ...}``, an
    optional ``wandb_version: 1``) or plain (``key: v``); YAML (pyyaml) or JSON."""
    import json
    import os

    from ..errors import ConfigError

    try:
        with open(os.fspath(path), encoding="utf-8") as fh:
            text = fh.read(64 << 20)
    except FileNotFoundError:
        if not must_exist:
            return {}
        raise ConfigError(f"{argument}: config file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{argument}: cannot read config file {str(path)!r}: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError:
        try:
            import yaml
        except ImportError:
            raise ConfigError(f"{argument}: {str(path)!r} is not JSON, and reading YAML needs pyyaml "
                              "(pip install pyyaml)") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{argument}: {str(path)!r} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{argument}: {str(path)!r} must hold a mapping of config keys, got {type(data).__name__}")
    return {str(k): (v["value"] if isinstance(v, dict) and "value" in v and set(v) <= {"value", "desc"} else v)
            for k, v in data.items() if k != "wandb_version"}


def config_defaults() -> dict[str, Any]:
    """wandb's default config: ``$WANDB_CONFIG_PATHS`` (comma-separated files), else
    ``config-defaults.yaml`` in the working directory when there is one."""
    import os

    paths = [p for p in os.environ.get("WANDB_CONFIG_PATHS", "").split(",") if p.strip()]
    out: dict[str, Any] = {}
    if paths:
        for p in paths:
            out.update(read_config_file(p.strip(), argument="$WANDB_CONFIG_PATHS"))
        return out
    return read_config_file(DEFAULTS_FILE, argument=DEFAULTS_FILE, must_exist=False)


def select_keys(items: dict[str, Any], include: Any = None, exclude: Any = None) -> dict[str, Any]:
    """``init(config_include_keys=..., config_exclude_keys=...)``: at most one of them."""
    from ..errors import UsageError

    if include and exclude:
        raise UsageError("config_include_keys (include) and config_exclude_keys (exclude): expected at most one of them")
    if include:
        return {k: v for k, v in items.items() if k in set(include)}
    if exclude:
        return {k: v for k, v in items.items() if k not in set(exclude)}
    return items


def _plain(key: str, value: Any) -> Any:
    """Config values as JSON data: numpy scalars/arrays and tensors become numbers/lists."""
    if value is None or isinstance(value, (bool, int, float, str)) and type(value).__module__ == "builtins":
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(f"{key}.{k}", v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(key, v) for v in value]
    if hasattr(value, "detach") or type(value).__module__ == "numpy":
        from .values import to_numpy
        arr = to_numpy(value)
        return arr.item() if arr.ndim == 0 else arr.tolist()
    if isinstance(value, (bool, int, float, str)):
        for base in (bool, int, float, str):
            if isinstance(value, base):
                return base(value)
    if hasattr(value, "__fspath__"):
        return str(value)
    if isinstance(value, Iterator) and type(value).__module__ == "builtins":
        from .values import Unsupported  # a generator, map, zip...: its repr is no value, and wandb's
        # config refuses it (TypeError: not JSON serializable); listing it would use it up
        raise Unsupported(type(value).__name__)
    # Enums, dataclass instances, classes... keep something readable rather than fail
    try:
        return str(value)
    except Exception as exc:  # a __str__/__repr__ that raises: its type, and one warning naming the key
        from .values import user_warn

        user_warn(f"config key {key!r}: str() of a {type(value).__name__} raised {type(exc).__name__}; "
                  f"stored as '<{type(value).__name__}>'")
        return f"<{type(value).__name__}>"


def _key(key: Any) -> str:
    """A config key as wandb stores it: leading and trailing dashes dropped (``{"--lr": 0.1}``, keys
    taken from command-line flags, is ``lr``)."""
    key = str(key)
    return key.strip("-") or key


def _stored(key: str, value: Any) -> tuple[bool, str, Any]:
    """(True, key, ``_plain(value)``), lone surrogates in either replaced by U+FFFD with a warning naming
    the key (as log() does), or (False, key, None) with a warning naming ``key`` when JSON cannot hold
    it: a value that contains itself, or nested deeper than the readers read (``MAX_DEPTH`` levels,
    config.json being the first; as run.summary), or one of a type that cannot be stored (a generator)."""
    from ..storage.jsonio import dumps
    from ..storage.safety import MAX_DEPTH
    from .values import Unsupported, user_warn, valid_unicode

    try:
        plain = _plain(key, value)
        dumps({key: plain}, max_depth=MAX_DEPTH)
    except Unsupported as exc:
        user_warn(f"config key {key!r}: values of type {exc.type_name} cannot be stored; the key was not changed")
        return False, key, None
    except Exception as exc:  # noqa: BLE001 (user objects: whatever they raise, the run goes on)
        user_warn(f"config key {key!r}: could not store {type(value).__name__} as JSON ({type(exc).__name__}: "
                  f"{str(exc)[:120]}); the key was not changed")
        return False, key, None
    return (True, *valid_unicode("config", key, plain))


class Config:
    """Attribute and item access to the run's config; every change is written at once.

    ``locked``: keys whose value a change leaves as it is (key -> who set it: "sweep");
    ``allow_val_change``: False makes a change of a key's value raise ``ConfigError``."""

    def __init__(self, data: dict[str, Any] | None = None, persist: Callable[[dict[str, Any]], None] | None = None,
                 *, locked: Mapping[str, str] | None = None, allow_val_change: bool = True):
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_persist", None)
        object.__setattr__(self, "_locked", dict(locked or {}))
        object.__setattr__(self, "_told", set())  # locked keys whose ignored change was warned of
        object.__setattr__(self, "_allow_val_change", allow_val_change)
        for k, v in (data or {}).items():
            ok, key, plain = _stored(_key(k), v)
            if ok:
                self._data[key] = plain
        object.__setattr__(self, "_persist", persist)

    def _changes(self, items: Mapping[str, Any], allow_val_change: bool | None) -> dict[str, Any]:
        """The stored form of ``items`` that may be set: a locked key's change left out (one
        warning per key), a changed value raising ``ConfigError`` when changes are not allowed."""
        allow = self._allow_val_change if allow_val_change is None else bool(allow_val_change)
        out: dict[str, Any] = {}
        for k, v in items.items():
            ok, key, plain = _stored(_key(k), v)
            if not ok:
                continue
            changed = key in self._data and self._data[key] != plain
            if key in self._locked:
                if changed and key not in self._told:
                    from .values import user_warn

                    self._told.add(key)
                    user_warn(f"config key {key!r} was locked by {self._locked[key]!r} (its value "
                              f"{self._data[key]!r} is kept; the change to {plain!r} was ignored)")
                continue
            if changed and not allow:
                from ..errors import ConfigError

                raise ConfigError(f'Attempted to change value of key "{key}" from {self._data[key]!r} to '
                                  f"{plain!r}\nIf you really want to do this, pass allow_val_change=True "
                                  "to config.update()")
            out[key] = plain
        return out

    def _save(self) -> None:
        if self._persist is not None:
            self._persist(dict(self._data))

    # mapping access
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        items = self._changes({key: value}, None)
        if items:
            self._data.update(items)
            self._save()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._save()

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def keys(self):
        return self._data.keys()

    def items(self):
        return self._data.items()

    def values(self):
        return self._data.values()

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    # attribute access
    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def update(self, other: Any = None, allow_val_change: bool | None = None, **kwargs: Any) -> None:
        """Merge a dict / Namespace / flags object / plain object (and keyword arguments). With
        ``allow_val_change=False`` a changed value raises ``ConfigError`` and nothing is set."""
        items = config_to_dict(other, argument="config.update()")
        items.update(kwargs)
        self._data.update(self._changes(items, allow_val_change))
        self._save()

    def setdefaults(self, other: Any) -> None:
        for k, v in config_to_dict(other, argument="config.setdefaults()").items():
            if _key(k) not in self._data:
                ok, key, plain = _stored(_key(k), v)
                if ok:
                    self._data[key] = plain
        self._save()

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return self._data == other._data
        return isinstance(other, Mapping) and self._data == dict(other)

    def __repr__(self) -> str:
        return f"Config({self._data!r})"


class ConfigStatic:
    """``run.config_static``: the config as it was when asked for, read-only."""

    def __init__(self, data: dict[str, Any]):
        object.__setattr__(self, "_data", dict(data))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("run.config_static is read-only: change run.config")

    __setitem__ = __setattr__

    def keys(self):
        return self._data.keys()

    def __repr__(self) -> str:
        return f"ConfigStatic({self._data!r})"
