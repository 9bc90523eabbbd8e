"""Every diagnostic code the source can emit, found by reading the source (AST), not by running it.

A code reaches a ``Diagnostic`` through a chain of helpers (``Findings.add``, ``Report.error``,
``_warning``, ``_Target(code=...)`` ...). The scan finds every function, ``__init__`` and
dataclass with a parameter or field named ``code`` (an *emitter*), then every call of one, and
reads the argument bound to ``code`` there (or the parameter's default when the call leaves it
out):

- a string literal is a code; an f-string is a family, named by its literal prefix
  (``f"ace:{rule}"`` -> ``ace:``);
- ``a if c else b`` and ``a or b`` give both sides; a local name gives what is assigned to it;
- a name that is the enclosing emitter's own ``code`` parameter passes the code through (its
  callers are scanned);
- anything else (an attribute, a call) is *opaque*: the completeness test lists every opaque
  site it accepts, by file and source text, so a new one fails until it is looked at.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "handbook_build"

# Functions with a parameter called ``code`` that is not a diagnostic code (source code, an exit
# status): ``(module relative to src/handbook_build, function)``.
NOT_DIAGNOSTIC = frozenset({
    ("html/code_blocks.py", "_split_lines"),      # a listing's text
    ("sources/markdown_fix/heading_repair.py", "_is_wrapped_heading"),  # lines inside code blocks
    ("checks/ace.py", "_NoReport"),               # Ace's exit status
})

# The catalogue itself names codes (``find(code)``, ``CodeInfo(code, ...)``) but emits none.
NOT_SCANNED = frozenset({"diagnostic_codes/entries.py", "diagnostic_codes/catalogue.py",
                         "diagnostic_codes/lookup.py"})


@dataclass(frozen=True, slots=True)
class Site:
    """One place a code (or a family, ``family=True``: the code's literal prefix) is emitted."""

    code: str
    family: bool
    module: str  # relative to src/handbook_build, e.g. "sources/links/rewrite.py"
    line: int
    severity: str | None  # the literal severity at that call, None when not a literal
    via: str = ""  # the emitter called there (``Diagnostic``, ``error``, ``_warning`` ...)
    message: str = ""  # the message and hint at that call, formatted parts shown as {...}
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Opaque:
    """A code the scan cannot read statically: the expression's source text at its place."""

    module: str
    line: int
    expression: str


@dataclass(frozen=True, slots=True)
class _Emitter:
    module: str
    name: str
    params: tuple[str, ...]  # positional order, ``self`` left out
    defaults: tuple[tuple[str, ast.expr], ...]


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        module = path.relative_to(SOURCE).as_posix()
        if module not in NOT_SCANNED:
            yield module, _parsed(path)


_PARSED: dict[tuple[Path, float], ast.Module] = {}


def _parsed(path: Path) -> ast.Module:
    """The module's tree, parsed once per run (the scan reads every module three times)."""
    key = (path, path.stat().st_mtime)
    if key not in _PARSED:
        _PARSED[key] = ast.parse(path.read_text("utf-8"))
    return _PARSED[key]


def _function_emitter(module: str, name: str, function: ast.FunctionDef, method: bool
                      ) -> _Emitter | None:
    arguments = function.args
    positional = [a.arg for a in arguments.posonlyargs + arguments.args]
    if method and positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    every = positional + [a.arg for a in arguments.kwonlyargs]
    if "code" not in every or (module, name) in NOT_DIAGNOSTIC:
        return None
    defaults: list[tuple[str, ast.expr]] = []
    plain = arguments.posonlyargs + arguments.args
    for arg, default in zip(plain[len(plain) - len(arguments.defaults):], arguments.defaults,
                            strict=True):
        defaults.append((arg.arg, default))
    for arg, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if kw_default is not None:
            defaults.append((arg.arg, kw_default))
    return _Emitter(module, name, tuple(positional), tuple(defaults))


def _dataclass_emitter(module: str, node: ast.ClassDef) -> _Emitter | None:
    fields = [(b.target.id, b.value) for b in node.body
              if isinstance(b, ast.AnnAssign) and isinstance(b.target, ast.Name)]
    if "code" not in [name for name, _ in fields] or (module, node.name) in NOT_DIAGNOSTIC:
        return None
    return _Emitter(module, node.name, tuple(name for name, _ in fields),
                    tuple((name, value) for name, value in fields if value is not None))


def defined_names() -> dict[str, frozenset[str]]:
    """The names of every function and class each module defines (a local definition hides
    another module's emitter of the same name)."""
    return {module: frozenset(node.name for node in ast.walk(tree)
                              if isinstance(node, ast.FunctionDef | ast.ClassDef))
            for module, tree in _modules()}


def emitters() -> dict[str, list[_Emitter]]:
    found: dict[str, list[_Emitter]] = {}
    for module, tree in _modules():
        for node in ast.walk(tree):
            emitter: _Emitter | None = None
            if isinstance(node, ast.ClassDef):
                init = next((b for b in node.body
                             if isinstance(b, ast.FunctionDef) and b.name == "__init__"), None)
                if init is not None:
                    emitter = _function_emitter(module, node.name, init, method=True)
                else:
                    emitter = _dataclass_emitter(module, node)
                if emitter is not None:
                    found.setdefault(node.name, []).append(emitter)
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name != "__init__":
                        method = _function_emitter(module, item.name, item, method=True)
                        if method is not None:
                            found.setdefault(item.name, []).append(method)
        for node in tree.body:  # module-level functions (methods were taken above)
            if isinstance(node, ast.FunctionDef):
                function = _function_emitter(module, node.name, node, method=False)
                if function is not None:
                    found.setdefault(node.name, []).append(function)
        for node in ast.walk(tree):  # nested functions
            if isinstance(node, ast.FunctionDef):
                for inner in node.body:
                    if isinstance(inner, ast.FunctionDef):
                        nested = _function_emitter(module, inner.name, inner, method=False)
                        if nested is not None:
                            found.setdefault(inner.name, []).append(nested)
    return found


def _bound(call: ast.Call, emitter: _Emitter, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if name in emitter.params:
        index = emitter.params.index(name)
        if index < len(call.args) and not any(isinstance(a, ast.Starred)
                                              for a in call.args[:index + 1]):
            return call.args[index]
    return dict(emitter.defaults).get(name)


class _Scanner(ast.NodeVisitor):
    def __init__(self, module: str, tree: ast.Module, table: dict[str, list[_Emitter]],
                 local_names: frozenset[str]) -> None:
        self.module = module
        self.table = table
        self.local_names = local_names
        self.functions = {node.name: node for node in ast.walk(tree)
                          if isinstance(node, ast.FunctionDef)}
        self.scopes: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.sites: list[Site] = []
        self.texts = ("", "", "")
        self.opaque: list[Opaque] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.scopes.append(node)
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        if name == "replace":  # dataclasses.replace(diagnostic, code=...)
            for keyword_arg in node.keywords:
                if keyword_arg.arg == "code":
                    self.texts = ("replace", "", "")
                    self._read(keyword_arg.value, node.lineno, None)
        candidates = self.table.get(name or "", [])
        local = [e for e in candidates if e.module == self.module]
        package = _nearest(candidates, self.module)
        if local or (name in self.local_names and not isinstance(func, ast.Attribute)):
            chosen = local  # a local definition (an emitter or not) is the one called
        else:
            chosen = package or candidates
        keyword = any(k.arg == "code" for k in node.keywords)
        positions = {e.params.index("code") for e in chosen if "code" in e.params}
        if len(chosen) > 1 and not keyword and len(positions) > 1:
            chosen = []  # foreign and ambiguous (``seen.add(key)`` on a set): not read
        for emitter in chosen[:1] if keyword or len(positions) == 1 else chosen:
            if isinstance(func, ast.Attribute) and len(node.args) + len(node.keywords) < (
                    len(emitter.params) - len(emitter.defaults)):
                continue  # too few arguments for it: another object's method (``set.add``)
            expression = _bound(node, emitter, "code")
            if expression is None:
                continue
            severity = _bound(node, emitter, "severity")
            literal = _severity(severity)
            self.texts = (emitter.name, _text(_bound(node, emitter, "message")),
                          _text(_bound(node, emitter, "hint")))
            self._read(expression, node.lineno, literal)
        self.generic_visit(node)

    def _read(self, expression: ast.expr, line: int, severity: str | None) -> None:
        if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
            self.sites.append(Site(expression.value, False, self.module, line, severity,
                                   *self.texts))
        elif isinstance(expression, ast.JoinedStr):
            first = expression.values[0] if expression.values else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.sites.append(Site(first.value, True, self.module, line, severity,
                                       *self.texts))
            else:
                self.opaque.append(Opaque(self.module, line, ast.unparse(expression)))
        elif isinstance(expression, ast.IfExp):
            self._read(expression.body, line, severity)
            self._read(expression.orelse, line, severity)
        elif isinstance(expression, ast.BoolOp):
            for value in expression.values:
                self._read(value, line, severity)
        elif isinstance(expression, ast.Name) and self._is_parameter(expression.id):
            return  # passed through: the enclosing emitter's callers are scanned
        elif isinstance(expression, ast.Name) and self._assigned(expression.id):
            for value in self._assigned(expression.id):
                self._read(value, line, severity)
        else:
            self.opaque.append(Opaque(self.module, line, ast.unparse(expression)))

    def _is_parameter(self, name: str) -> bool:
        if not self.scopes:
            return False
        arguments = self.scopes[-1].args
        every = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
        return name in [a.arg for a in every]

    def _assigned(self, name: str) -> list[ast.expr]:
        if not self.scopes:
            return []
        return self._assigned_in(self.scopes[-1], name)

    def _assigned_in(self, scope: ast.FunctionDef | ast.AsyncFunctionDef, name: str
                     ) -> list[ast.expr]:
        values: list[ast.expr] = []
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == name:
                        values.append(node.value)
                    elif isinstance(target, ast.Tuple):  # code, message, hint = found
                        names = [t.id if isinstance(t, ast.Name) else "" for t in target.elts]
                        if name in names:
                            values += self._unpacked(scope, node.value, names.index(name), 0)
            elif (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                  and node.target.id == name and node.value is not None):
                values.append(node.value)
        return values

    def _unpacked(self, scope: ast.FunctionDef | ast.AsyncFunctionDef, value: ast.expr,
                  index: int, depth: int) -> list[ast.expr]:
        """Element ``index`` of the tuples ``value`` can be: a tuple, a name assigned one, or
        what a function of this module returns."""
        if depth > 5:
            return [value]
        if isinstance(value, ast.Tuple):
            return [value.elts[index]] if index < len(value.elts) else []
        if isinstance(value, ast.Constant) and value.value is None:
            return []
        if isinstance(value, ast.IfExp):
            return (self._unpacked(scope, value.body, index, depth + 1)
                    + self._unpacked(scope, value.orelse, index, depth + 1))
        if isinstance(value, ast.Name):
            return [element for assigned in self._assigned_in(scope, value.id)
                    for element in self._unpacked(scope, assigned, index, depth + 1)]
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id in self.functions):
            function = self.functions[value.func.id]
            return [element for returned in _returns(function)
                    for element in self._unpacked(function, returned, index, depth + 1)]
        return [value]


def _severity(expression: ast.expr | None) -> str | None:
    """A literal severity, or ``"error/warning"`` for ``"error" if ... else "warning"``."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return expression.value
    if isinstance(expression, ast.IfExp):
        sides = (_severity(expression.body), _severity(expression.orelse))
        if None not in sides:
            return "/".join(sorted({part for side in sides if side
                                    for part in side.split("/")}))
    return None


def _text(expression: ast.expr | None) -> str:
    """A message or hint as written: literal parts kept, formatted parts as ``{...}``."""
    if expression is None:
        return ""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return expression.value
    if isinstance(expression, ast.JoinedStr):
        return "".join(_text(v) if isinstance(v, ast.Constant) else "{...}"
                       for v in expression.values)
    if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Add):
        return _text(expression.left) + _text(expression.right)
    return "{...}"


def _returns(function: ast.FunctionDef) -> list[ast.expr]:
    return [node.value for node in ast.walk(function)
            if isinstance(node, ast.Return) and node.value is not None]


def logged_warning_modules() -> set[str]:
    """The last name of every module that logs a plain warning or error through its own
    ``logging.getLogger(__name__)`` logger: ``check`` reports each under that name as its code.
    (A logged ``Diagnostic`` keeps its own code.)"""
    found: set[str] = set()
    for module, tree in _modules():
        loggers = {target.id for node in tree.body if isinstance(node, ast.Assign)
                   for target in node.targets if isinstance(target, ast.Name)
                   and isinstance(node.value, ast.Call) and ast.unparse(node.value)
                   == "logging.getLogger(__name__)"}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in loggers
                    and node.func.attr in ("warning", "error", "exception", "critical")
                    and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr)):
                found.add(module.removesuffix(".py").rsplit("/", 1)[-1])
    return found


def _folders_shared(module: str, other: str) -> int:
    """How many leading folders two module paths share (``sources/links/a.py`` and
    ``sources/images/b.py``: 1)."""
    shared = 0
    for mine, theirs in zip(module.split("/")[:-1], other.split("/")[:-1], strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


def _nearest(candidates: list[_Emitter], module: str) -> list[_Emitter]:
    """The candidates nearest the calling module in the tree: those sharing the most leading
    folders with it (its own package before its stage package), none when none shares one."""
    best = max((_folders_shared(module, e.module) for e in candidates), default=0)
    return [e for e in candidates if best and _folders_shared(module, e.module) == best]


def scan() -> tuple[list[Site], list[Opaque]]:
    """Every code and family emitted in the source, and every site the scan cannot read."""
    table = emitters()
    names = defined_names()
    sites: list[Site] = []
    opaque: list[Opaque] = []
    for module, tree in _modules():
        scanner = _Scanner(module, tree, table, names[module])
        scanner.visit(tree)
        sites += scanner.sites
        opaque += scanner.opaque
    return sites, opaque
