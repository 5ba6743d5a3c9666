"""The plugin manager: built-in and third-party plugins register through the hooks in hookspecs.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pluggy

from genloop import hookspecs

__all__ = ["collect", "get_plugin_manager", "register_builtin"]

_lock = threading.Lock()
_pm: pluggy.PluginManager | None = None
_builtins: list[str] = []


def register_builtin(module_name: str) -> None:
    """Declare a built-in plugin module (imported lazily when the manager is first built)."""
    global _pm
    with _lock:
        if module_name not in _builtins:
            _builtins.append(module_name)
            if _pm is not None:
                import importlib

                _pm.register(importlib.import_module(module_name), name=module_name)


# Built-in plugins. Each module holds @hookimpl functions, exactly like a third-party plugin.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "genloop.providers._plugin",
    "genloop.evals._plugin",
    "genloop.guardrails._plugin",
    "genloop.governance._plugin",
)


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager with built-ins and ``genloop`` entry points loaded."""
    global _pm
    with _lock:
        if _pm is None:
            import importlib

            pm = pluggy.PluginManager("genloop")
            pm.add_hookspecs(hookspecs)
            for name in (*DEFAULT_PLUGINS, *_builtins):
                pm.register(importlib.import_module(name), name=name)
            pm.load_setuptools_entrypoints("genloop")
            _pm = pm
        return _pm


def collect(hook_name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Call ``register_<hook_name>`` on every plugin and return what each registered."""
    registered: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def register(*args: Any, **kwargs: Any) -> None:
        registered.append((args, kwargs))

    hook: Callable[..., Any] = getattr(get_plugin_manager().hook, f"register_{hook_name}")
    hook(register=register)
    return registered
