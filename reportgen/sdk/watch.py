"""``run.watch(model)``: gradient and parameter histograms through torch hooks, as wandb.

- ``log="gradients"`` (default): a hook on every parameter that requires grad; every
  ``log_freq``-th backward pass through it logs ``gradients/<name>``.
- ``log="parameters"``: a forward hook on the model; every ``log_freq``-th forward pass
  logs ``parameters/<name>`` for all its parameters.
- ``log="all"``: both; ``log=None``: nothing (wandb would draw the graph only).

The histograms join the pending row (``commit=False``), so they land in the next row
the training loop logs, next to its loss. ``run.unwatch(model)`` removes the hooks.
Histograms are binned from the tensor on the CPU; a failure warns once and training goes on.
"""
from __future__ import annotations

from typing import Any

from .values import user_warn

LOG_MODES = ("gradients", "parameters", "all", None)


def _as_models(models: Any) -> list[Any]:
    import torch

    items = list(models) if isinstance(models, (list, tuple)) else [models]
    for m in items:
        if not isinstance(m, torch.nn.Module):
            raise ValueError(f"watch(): expected a torch.nn.Module (or a list of them), got {type(m).__name__}")
    return items


class Watcher:
    """The hooks of one watched model."""

    def __init__(self, run: Any, model: Any, log: str | None, log_freq: int, prefix: str):
        self.run, self.model, self.log_freq, self.prefix = run, model, log_freq, prefix
        self.handles: list[Any] = []
        self._warned = False
        if log in ("parameters", "all"):
            self._forward_calls = 0
            self.handles.append(model.register_forward_hook(self._on_forward))
        if log in ("gradients", "all"):
            for name, param in model.named_parameters():
                if param.requires_grad:
                    self.handles.append(param.register_hook(self._grad_hook(name)))

    def _send(self, data: dict[str, Any]) -> None:
        try:
            if not self.run._finished:
                self.run.log(data, commit=False)
        except Exception as exc:  # noqa: BLE001 - never break the training step
            if not self._warned:
                self._warned = True
                user_warn(f"watch(): could not log histograms ({type(exc).__name__}: {exc}); skipped")

    @staticmethod
    def _hist(tensor: Any) -> Any:
        from ..media.histogram import Histogram

        return Histogram(tensor.detach().float().cpu().numpy().ravel())

    def _on_forward(self, module: Any, inputs: Any, output: Any) -> None:
        self._forward_calls += 1
        if (self._forward_calls - 1) % self.log_freq:
            return
        try:
            data = {f"{self.prefix}parameters/{n}": self._hist(p) for n, p in module.named_parameters()}
        except Exception as exc:  # noqa: BLE001
            self._send_error(exc)
            return
        self._send(data)

    def _grad_hook(self, name: str):
        calls = [0]

        def hook(grad: Any) -> None:
            calls[0] += 1
            if (calls[0] - 1) % self.log_freq:
                return None
            try:
                data = {f"{self.prefix}gradients/{name}": self._hist(grad)}
            except Exception as exc:  # noqa: BLE001
                self._send_error(exc)
                return None
            self._send(data)
            return None

        return hook

    def _send_error(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            user_warn(f"watch(): could not bin a tensor ({type(exc).__name__}: {exc}); skipped")

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []


def watch(run: Any, models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
          idx: int | None = None, log_graph: bool = False) -> None:
    if log not in LOG_MODES:
        raise ValueError(f"watch(): log: expected 'gradients', 'parameters', 'all' or None, got {log!r}")
    if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
        raise ValueError(f"watch(): log_freq: expected a positive integer, got {log_freq!r}")
    try:
        items = _as_models(models)
    except ImportError:
        raise ValueError("watch(): needs PyTorch (torch.nn.Module models); `pip install torch`") from None
    watchers = run.__dict__.setdefault("_watchers", [])
    for i, model in enumerate(items):
        if any(w.model is model for w in watchers):
            continue  # wandb ignores a second watch() of the same model
        n = len(watchers) if idx is None else idx + i
        prefix = "" if n == 0 else f"graph_{n}/"
        watchers.append(Watcher(run, model, log, log_freq, prefix))


def unwatch(run: Any, models: Any = None) -> None:
    watchers = run.__dict__.get("_watchers", [])
    if models is None:
        targets = list(watchers)
    else:
        wanted = models if isinstance(models, (list, tuple)) else [models]
        targets = [w for w in watchers if any(w.model is m for m in wanted)]
    for w in targets:
        w.remove()
        watchers.remove(w)
