"""Where each field of a ``KernelMetaData(...)`` call is written in the user's file, so that config errors point
at the line (and column) of the mistake rather than at the call."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Optional

from . import dsl
from .errors import Location


class SourceMap:
    """Where each field of a ``KernelMetaData(...)`` call is written, so errors point at the line of the mistake.

    Found from the syntax tree of the file that made the call (the config, or a helper it imports); anything
    computed rather than written out falls back to the nearest thing that is: the field, then the call.
    """

    def __init__(self) -> None:
        self._trees: Dict[str, Optional[ast.AST]] = {}

    def _tree(self, file: str) -> Optional[ast.AST]:
        if file not in self._trees:
            try:
                self._trees[file] = ast.parse(Path(file).read_text())
            except (OSError, SyntaxError, ValueError):
                self._trees[file] = None
        return self._trees[file]

    def _field(self, loc: Location, name: str) -> Optional[ast.AST]:
        """The syntax node that gives field ``name`` in the KernelMetaData call at ``loc``."""
        tree = self._tree(loc.file)
        for call in ast.walk(tree) if tree is not None else ():
            if isinstance(call, ast.Call) and call.lineno == loc.line and \
                    getattr(call.func, "id", getattr(call.func, "attr", "")) == "KernelMetaData":
                for argument in call.keywords:
                    if argument.arg == name:
                        return argument
                position = dsl.FIELDS.index(name) if name in dsl.FIELDS else len(call.args)
                if position < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
                    return call.args[position]
        return None

    def field(self, loc: Location, name: str) -> Location:
        node = self._field(loc, name)
        return Location(loc.file, node.lineno, node.col_offset + 1) if node is not None else loc

    def item(self, loc: Location, name: str, index: int, text: object = None) -> Location:
        """Where element ``index`` of a list/tuple field is written (a string's column is its first character).

        ``text`` finds a string built elsewhere (``rules = [...]``; ``shape_infer_rules=rules``) by its value.
        """
        node = self._field(loc, name)
        value = node.value if isinstance(node, ast.keyword) else node
        items = getattr(value, "elts", [])
        if index < len(items) and not any(isinstance(e, ast.Starred) for e in items):
            node = items[index]
        elif isinstance(text, str) and self._tree(loc.file) is not None:
            node = next((n for n in ast.walk(self._tree(loc.file))
                         if isinstance(n, ast.Constant) and n.value == text), node)
        if node is None:
            return loc
        quoted = isinstance(node, ast.Constant) and isinstance(node.value, str)
        return Location(loc.file, node.lineno, node.col_offset + (2 if quoted else 1))

    def assignment(self, file: str, name: str) -> Location:
        """The last top-level ``name = ...`` of ``file``."""
        tree = self._tree(file)
        line = 0
        for node in getattr(tree, "body", []):
            targets = getattr(node, "targets", [getattr(node, "target", None)])
            if any(getattr(t, "id", None) == name for t in targets):
                line = node.lineno
        return Location(file, line)
