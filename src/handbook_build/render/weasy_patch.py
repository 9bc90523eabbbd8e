"""What every WeasyPrint correction (weasy_line_end, weasy_note_pages) looks up first: the
function it replaces, if this WeasyPrint has it and it is not replaced already."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Target", "find_target"]

Target = tuple[Any, Any]  # (the module, its function to replace): WeasyPrint is untyped


def find_target(module_name: str, function_name: str, marker: str) -> Target | bool:
    """``(module, function)`` to patch; True when ``marker`` says it is patched already; False
    when this WeasyPrint has no such module or function (the correction changes nothing)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return False
    function = getattr(module, function_name, None)
    if function is None:
        return False
    if getattr(function, marker, False):
        return True
    return module, function
