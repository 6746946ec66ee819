"""Keyword arguments made from the settings tables (docs/SETTINGS.md): the signature and help of
sanity.faithfulness() and sanity.report() list the tables' settings, and the tables check their values,
as they check the CLI's flags and a study configuration's fields."""
import inspect

from . import _sanity


def with_settings(*tables):
    """Adds the settings of `tables` to the function's signature and docstring, keyword-only with
    default None (the table's default)."""
    def decorate(function):
        entries = [e for t in tables for e in _sanity.settings(t)]
        signature = inspect.signature(function)
        params = list(signature.parameters.values())
        fixed = [p for p in params if p.kind is not p.VAR_KEYWORD]
        rest = [p for p in params if p.kind is p.VAR_KEYWORD]
        added = [inspect.Parameter(e["name"], inspect.Parameter.KEYWORD_ONLY, default=None) for e in entries]
        function.__signature__ = signature.replace(parameters=fixed + added + rest)
        lines = ["    %s: %s (default %s): %s" % (e["name"], e["type"], e["default"], e["help"]) for e in entries]
        function.__doc__ = (function.__doc__ or "") + "\n\n    Settings:\n" + "\n".join(lines)
        function.settings = tuple(e["name"] for e in entries)
        return function
    return decorate


def take(options, function):
    """The function's settings among `options`, removed from it (the rest are other keyword arguments)."""
    return {k: options.pop(k) for k in list(options) if k in function.settings}
