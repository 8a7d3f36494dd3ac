"""The one expression grammar: shape rules, dim-size rules and grid dims.

Expressions are integers, names, ``( )``, binary ``+ -``, then ``* / // /// %`` (one level),
unary ``-`` (binds tighter than ``*``), ``**`` (right-associative; ``-2 ** 2`` is ``-(2 ** 2)``) and the calls
``cdiv(a, b)``, ``min(a, b, ...)``, ``max(a, b, ...)``, ``next_power_of_2(a)`` and, in rules, ``numel(X)`` (the
element count of the left-hand tensor ``X``). Other binary operators are left-associative. ``/`` and ``//`` are both
floor division; ``///`` and ``cdiv`` are ceil division. Below ``+ -``, as in Python: comparisons
``== != < <= > >=`` (chained ``a < b < c`` is ``a < b and b < c``), ``not``, ``and``, ``or`` and, lowest,
``a if c else b``; conditions must be truth values and ``if else and or not`` are reserved words. Rules follow
PluginGen's syntax::

    A[m, k], B[k, n] -> C[m, n], D[m]      # output-shape rule
    Q[b, h, s, 64] -> O[b, h, s, 64]       # a literal dim: Q's last dim must be 64
    A[m, n, k, *] : m * n -> batch_size    # dim-size rule

Heuristics (``@triton.heuristics`` lambdas) reach the same AST through ``from_python``, which adds
``True``/``False``.

Every user mistake raises ``ExprError(message, loc)`` with ``loc`` exactly as the caller passed it and the
1-based column (characters from the start of the text; newlines count as one) in the one-line message.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import operator
import re
from typing import Any, Callable, Iterator, Mapping, NoReturn, Optional, Union

from plugingen.errors import ExprError, Location

__all__ = [
    "Num", "Bool", "Name", "Neg", "BinOp", "Call", "Numel", "Compare", "BoolOp", "Not", "IfElse", "Expr",
    "is_bool", "from_python",
    "parse_expr", "render", "names", "evaluate", "value_range", "emit_int64", "emit_dim_expr",
    "TensorPattern", "OutputPattern", "ShapeRule", "DimSizeRule",
    "parse_rule", "render_rule", "dim_bindings",
]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
BINARY_OPS = ("+", "-", "*", "//", "cdiv", "%", "**")
FUNCTIONS = ("cdiv", "max", "min", "next_power_of_2", "numel")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# --------------------------------------------------------------------------- AST

@dataclasses.dataclass(frozen=True)
class Num:
    """A non-negative integer literal (negative numbers are ``Neg(Num(n))``)."""

    value: int

    def __post_init__(self) -> None:
        if type(self.value) is not int or not 0 <= self.value <= INT64_MAX:
            raise ValueError(f"Num needs an int in [0, 2**63), got {self.value!r}")


@dataclasses.dataclass(frozen=True)
class Bool:
    """``True`` or ``False`` (heuristics only); 1 or 0 in arithmetic."""

    value: bool


@dataclasses.dataclass(frozen=True)
class Name:
    """A C identifier: a dim name, a dim-size argument or a kernel parameter."""

    id: str

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _IDENT.match(self.id):
            raise ValueError(f"Name needs a C identifier, got {self.id!r}")


@dataclasses.dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: "Expr"


@dataclasses.dataclass(frozen=True)
class BinOp:
    """``lhs op rhs`` with op in ``+ - * // cdiv % **`` (``//`` is floor division, ``cdiv`` ceil division)."""

    op: str
    lhs: "Expr"
    rhs: "Expr"

    def __post_init__(self) -> None:
        if self.op not in BINARY_OPS:
            raise ValueError(f"BinOp op must be one of {BINARY_OPS}, got {self.op!r}")


@dataclasses.dataclass(frozen=True)
class Call:
    """``min(...)`` or ``max(...)`` with two or more arguments, or ``next_power_of_2(a)``."""

    func: str
    args: tuple

    def __post_init__(self) -> None:
        arity_ok = len(self.args) == 1 if self.func == "next_power_of_2" else len(self.args) >= 2
        if self.func not in ("min", "max", "next_power_of_2") or not isinstance(self.args, tuple) or not arity_ok:
            raise ValueError(f"Call needs min/max with 2+ args or next_power_of_2 with 1, got {self.func!r}, "
                             f"{self.args!r}")


@dataclasses.dataclass(frozen=True)
class Numel:
    """``numel(X)``: the element count of the left-hand tensor ``X`` of a rule."""

    tensor: str


@dataclasses.dataclass(frozen=True)
class Compare:
    """``lhs op rhs`` with op in ``== != < <= > >=``; true is 1, false 0."""

    op: str
    lhs: "Expr"
    rhs: "Expr"

    def __post_init__(self) -> None:
        if self.op not in COMPARISONS:
            raise ValueError(f"Compare op must be one of {COMPARISONS}, got {self.op!r}")


@dataclasses.dataclass(frozen=True)
class BoolOp:
    """``a and b and ...`` / ``a or b or ...`` over boolean operands."""

    op: str
    args: tuple

    def __post_init__(self) -> None:
        if self.op not in ("and", "or") or len(self.args) < 2:
            raise ValueError(f"BoolOp needs and/or with 2+ args, got {self.op!r}, {self.args!r}")


@dataclasses.dataclass(frozen=True)
class Not:
    operand: "Expr"


@dataclasses.dataclass(frozen=True)
class IfElse:
    """``then if cond else orelse``."""

    cond: "Expr"
    then: "Expr"
    orelse: "Expr"


Expr = Union[Num, Bool, Name, BinOp, Call, Neg, Numel, Compare, BoolOp, Not, IfElse]


def is_bool(e: "Expr") -> bool:
    """Whether ``e``'s value is a truth value (what a heuristic flag returns)."""
    if isinstance(e, IfElse):
        return is_bool(e.then) and is_bool(e.orelse)
    return isinstance(e, (Bool, Compare, BoolOp, Not))


# --------------------------------------------------------------------------- rules

@dataclasses.dataclass(frozen=True)
class TensorPattern:
    """A left-hand pattern ``A[m, n, 64, *]``: bare dim names or integer literals (a dim that must have that size),
    ``rest`` when it ends with ``*``."""

    name: str
    dims: tuple[Union[str, int], ...]
    rest: bool


@dataclasses.dataclass(frozen=True)
class OutputPattern:
    """A right-hand pattern: dims are expressions; ``rest`` appends the trailing dims matched by the first
    left pattern ending in ``*``; ``whole`` (``X[*]``) copies the full shape of the first left tensor."""

    name: str
    dims: tuple[Expr, ...]
    rest: bool
    whole: bool

    def __post_init__(self) -> None:
        if self.whole and (self.dims or self.rest):
            raise ValueError("a whole-shape OutputPattern has no dims and no rest")
        if self.rest and not self.dims:
            raise ValueError("X[*] on the right is whole=True, not rest=True")


@dataclasses.dataclass(frozen=True)
class ShapeRule:
    """``inputs -> outputs``."""

    inputs: tuple[TensorPattern, ...]
    outputs: tuple[OutputPattern, ...]


@dataclasses.dataclass(frozen=True)
class DimSizeRule:
    """``inputs : expr -> target``: the dim-size argument ``target`` is computed from input dims."""

    inputs: tuple[TensorPattern, ...]
    expr: Expr
    target: str


def dim_bindings(inputs: tuple[TensorPattern, ...]) -> dict[str, tuple[int, int]]:
    """Each dim name -> (pattern index, position) of its first occurrence (literal dims have no name)."""
    found: dict[str, tuple[int, int]] = {}
    for i, pattern in enumerate(inputs):
        for j, dim in enumerate(pattern.dims):
            if isinstance(dim, str):
                found.setdefault(dim, (i, j))
    return found


# --------------------------------------------------------------------------- tokenizer

@dataclasses.dataclass(frozen=True)
class _Tok:
    kind: str  # 'num', 'name', 'end', or the punctuation itself
    text: str
    col: int   # 1-based


_TOKEN = re.compile(r"(?P<num>[0-9]+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>->|///|//|\*\*|[=!<>]=|[-+*/%()\[\],:<>])")
_KEYWORDS = ("if", "else", "and", "or", "not")
_MUL_OPS = {"*": "*", "/": "//", "//": "//", "///": "cdiv", "%": "%"}
_DIV_OPS = ("//", "cdiv", "%")
_OPERATORS = ("+", "-", "(", "**", *_MUL_OPS, *COMPARISONS, "if", "and", "or")  # what can follow an operand


class _Parser:
    def __init__(self, text: object, loc: Optional[Location], what: str) -> None:
        self.loc = loc
        self.what = what
        if not isinstance(text, str):
            raise ExprError(f"{what} must be a string, got {type(text).__name__} {text!r}", loc)
        self.text = text
        self.toks = list(self._tokenize())
        self.i = 0
        self.bound: Optional[frozenset[str]] = None  # names an expression may use; None = any
        self.tensors: Optional[frozenset[str]] = None  # tensors numel() may name; None outside rules
        self.bound_side = ""

    def fail(self, problem: str, col: int) -> NoReturn:
        shown = re.sub(r"[\n\r\t]", " ", self.text)
        raise ExprError(f"{self.what} '{shown}': {problem} at column {col}", self.loc)

    def _tokenize(self) -> Iterator[_Tok]:
        pos, text = 0, self.text
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos == len(text):
                yield _Tok("end", "", pos + 1)
                return
            m = _TOKEN.match(text, pos)
            if not m:
                self.fail(f"unexpected character {text[pos]!r}", pos + 1)
            kind = m.group() if m.lastgroup == "op" or m.group() in _KEYWORDS else m.lastgroup
            yield _Tok(kind, m.group(), pos + 1)
            pos = m.end()

    # -- helpers
    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, *kinds: str) -> bool:
        return self.peek().kind in kinds

    def close(self, closer: str, opener: _Tok, expected: str) -> None:
        """Consume ``closer``; complain about the unclosed ``opener`` at the end of the text."""
        tok = self.peek()
        if tok.kind == closer:
            self.take()
        elif tok.kind == "end":
            self.fail(f"unclosed '{opener.text}'", opener.col)
        elif tok.kind == ")":
            self.fail("unmatched ')'", tok.col)
        else:
            self.fail(f"expected {expected}", tok.col)

    def finish(self) -> None:
        tok = self.peek()
        if tok.kind == ")":
            self.fail("unmatched ')'", tok.col)
        if tok.kind != "end":
            self.fail(f"unexpected '{tok.text}'", tok.col)

    def name(self, what: str) -> _Tok:
        if not self.at("name"):
            self.reserved(self.peek())
            self.fail(f"expected {what}", self.peek().col)
        return self.take()

    def reserved(self, tok: _Tok) -> None:
        if tok.kind in _KEYWORDS:
            self.fail(f"'{tok.text}' is a reserved word", tok.col)

    def truth(self, value: Expr, col: int) -> Expr:
        """``value`` (parsed from column ``col``), which is used as a condition."""
        if not is_bool(value):
            self.fail(f"'{render(value)}' is used as a truth value but is an integer; compare it (e.g. '!= 0')", col)
        return value

    # -- expressions, loosest first
    def expr(self) -> Expr:
        """``then if cond else orelse`` (right-nested) or a disjunction."""
        then = self.disjunction()
        if not self.at("if"):
            return then
        self.take()
        col = self.peek().col
        cond = self.disjunction()
        if not self.at("else"):
            self.fail("expected 'else'", self.peek().col)
        self.take()
        return IfElse(self.truth(cond, col), then, self.expr())

    def disjunction(self) -> Expr:
        return self.boolean("or", self.conjunction)

    def conjunction(self) -> Expr:
        return self.boolean("and", self.negation)

    def boolean(self, op: str, operand: Callable[[], Expr]) -> Expr:
        """``x op y op ...``: one BoolOp over truth values."""
        col = self.peek().col
        first = operand()
        if not self.at(op):
            return first
        args = [self.truth(first, col)]
        while self.at(op):
            self.take()
            col = self.peek().col
            args.append(self.truth(operand(), col))
        return BoolOp(op, tuple(args))

    def negation(self) -> Expr:
        if not self.at("not"):
            return self.comparison()
        self.take()
        col = self.peek().col
        return Not(self.truth(self.negation(), col))

    def comparison(self) -> Expr:
        """``a < b <= c`` is ``a < b and b <= c``, as in Python."""
        operands, ops = [self.additive()], []
        while self.at(*COMPARISONS):
            ops.append(self.take().kind)
            operands.append(self.additive())
        parts = tuple(Compare(op, a, b) for op, a, b in zip(ops, operands, operands[1:]))
        if len(parts) > 1:
            return BoolOp("and", parts)
        return parts[0] if parts else operands[0]

    def additive(self) -> Expr:
        lhs = self.product()
        while self.at("+", "-"):
            op = self.take().kind
            lhs = BinOp(op, lhs, self.product())
        return lhs

    def product(self) -> Expr:
        lhs = self.unary()
        while self.at(*_MUL_OPS):
            tok = self.take()
            rhs = self.unary()
            lhs = self.division(_MUL_OPS[tok.kind], lhs, rhs, tok)
        return lhs

    def division(self, op: str, lhs: Expr, rhs: Expr, tok: _Tok) -> Expr:
        if op in _DIV_OPS and _is_literal_zero(rhs):
            self.fail("division by literal zero", tok.col)
        return BinOp(op, lhs, rhs)

    def unary(self) -> Expr:
        if self.at("-"):
            self.take()
            return Neg(self.unary())
        return self.power()

    def power(self) -> Expr:
        """``a ** b``: right-associative, and the exponent may be negated (``2 ** -1``) but not the base."""
        base = self.primary()
        if not self.at("**"):
            return base
        self.take()
        return BinOp("**", base, self.unary())

    def primary(self) -> Expr:
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            if int(tok.text) > INT64_MAX:
                self.fail(f"integer literal {tok.text} does not fit in int64", tok.col)
            return Num(int(tok.text))
        if tok.kind == "name" and self.peek(1).kind == "(":
            return self.call()
        if tok.kind == "name":
            self.take()
            if self.bound is not None and tok.text not in self.bound:
                self.fail(f"'{tok.text}' is not a dim name of the patterns left of '{self.bound_side}'", tok.col)
            return Name(tok.text)
        if tok.kind == "(":
            self.take()
            inner = self.expr()
            self.close(")", tok, "')'")
            return inner
        self.reserved(tok)
        self.fail("expected a number, a name or '('", tok.col)

    def call(self) -> Expr:
        func = self.take()
        if func.text not in FUNCTIONS:
            self.fail(f"unknown function '{func.text}' (expected {', '.join(FUNCTIONS)})", func.col)
        opener = self.take()
        if func.text == "numel":
            return self.numel(func, opener)
        args = [self.expr()]
        while self.at(","):
            self.take()
            args.append(self.expr())
        self.close(")", opener, "',' or ')'")
        if func.text == "cdiv":
            if len(args) != 2:
                self.fail(f"cdiv() takes 2 arguments but got {len(args)}", func.col)
            return self.division("cdiv", args[0], args[1], func)
        if func.text == "next_power_of_2":
            if len(args) != 1:
                self.fail(f"next_power_of_2() takes 1 argument but got {len(args)}", func.col)
        elif len(args) < 2:
            self.fail(f"{func.text}() takes at least 2 arguments but got {len(args)}", func.col)
        return Call(func.text, tuple(args))

    def numel(self, func: _Tok, opener: _Tok) -> Expr:
        """``numel(X)``: X must be a tensor of the rule's left side."""
        if self.tensors is None:
            self.fail("numel() is only available in rules", func.col)
        tensor = self.name("a tensor name")
        if tensor.text not in self.tensors:
            self.fail(f"numel() takes a tensor of the patterns left of '{self.bound_side}', not "
                      f"'{tensor.text}'", tensor.col)
        self.close(")", opener, "')'")
        return Numel(tensor.text)

    # -- rules
    def rule(self) -> Union[ShapeRule, DimSizeRule]:
        inputs = self.patterns(self.input_pattern, "input")
        self.bound = frozenset(dim_bindings(inputs))
        self.tensors = frozenset(p.name for p in inputs)
        sep = self.peek()
        if sep.kind == "->":
            self.take()
            self.bound_side = "->"
            rest_ok = any(p.rest for p in inputs)
            outputs = self.patterns(lambda: self.output_pattern(rest_ok), "output")
            self.finish()
            return ShapeRule(inputs, outputs)
        if sep.kind == ":":
            self.take()
            self.bound_side = ":"
            if self.at("end", "->"):
                self.fail("expected an expression after ':'", self.peek().col)
            expr = self.expr()
            if not self.at("->"):
                self.fail("expected '->'", self.peek().col)
            self.take()
            target = self.name("the name of a dim-size argument")
            self.finish()
            return DimSizeRule(inputs, expr, target.text)
        self.fail("expected ',', '->' or ':'", sep.col)

    def patterns(self, one: Callable[[], Any], side: str) -> tuple:
        """A comma-separated list of patterns (from ``one``) with distinct tensor names."""
        found: dict[str, Any] = {}
        while True:
            col = self.peek().col
            pattern = one()
            if pattern.name in found:
                self.fail(f"{side} '{pattern.name}' appears twice", col)
            found[pattern.name] = pattern
            if not self.at(","):
                return tuple(found.values())
            self.take()

    def open_pattern(self, what: str) -> tuple[_Tok, _Tok]:
        name = self.name(what)
        if not self.at("["):
            self.fail(f"expected '[' after '{name.text}'", self.peek().col)
        return name, self.take()

    def next_dim(self, opener: _Tok) -> None:
        """After a dim: eat ',' or stop before ']'."""
        if self.at(","):
            self.take()
            if self.at("]"):
                self.fail("expected a dim after ','", self.peek().col)
        elif not self.at("]"):
            self.close("]", opener, "',' or ']'")

    def input_pattern(self) -> TensorPattern:
        name, opener = self.open_pattern("an input tensor name")
        dims: list[str] = []
        rest = False
        while not self.at("]"):
            tok, nxt = self.peek(), self.peek(1)
            if tok.kind == "*":
                self.take()
                rest = True
                if self.at(","):
                    self.fail("'*' must be the last dim", tok.col)
            elif tok.kind == "name" and nxt.kind not in _OPERATORS:
                dims.append(self.take().text)
            elif tok.kind == "num" and nxt.kind not in _OPERATORS:
                if int(tok.text) > INT64_MAX:
                    self.fail(f"integer literal {tok.text} does not fit in int64", tok.col)
                dims.append(int(self.take().text))
            elif tok.kind in ("name", "num", "(", "-", "not"):
                self.fail("dims left of '->' or ':' must be bare names or integers", tok.col)
            elif tok.kind == "end":
                self.fail("unclosed '['", opener.col)
            else:
                self.reserved(tok)
                self.fail("expected a dim name or '*'", tok.col)
            self.next_dim(opener)
        self.take()
        return TensorPattern(name.text, tuple(dims), rest)

    def output_pattern(self, rest_ok: bool) -> OutputPattern:
        name, opener = self.open_pattern("an output tensor name")
        if self.at("*") and self.peek(1).kind == "]":
            self.i += 2
            return OutputPattern(name.text, (), rest=False, whole=True)
        dims: list[Expr] = []
        rest = False
        while not self.at("]"):
            tok = self.peek()
            if tok.kind == "*":
                self.take()
                if self.at(","):
                    self.fail("'*' must be the last dim", tok.col)
                if not rest_ok:
                    self.fail("a trailing '*' on the right needs an input pattern that ends in '*'", tok.col)
                rest = True
            elif tok.kind == "end":
                self.fail("unclosed '['", opener.col)
            else:
                dims.append(self.expr())
            self.next_dim(opener)
        self.take()
        return OutputPattern(name.text, tuple(dims), rest, whole=False)


def _is_literal_zero(e: Expr) -> bool:
    return e == Num(0) or (isinstance(e, Neg) and _is_literal_zero(e.operand))


def parse_expr(text: str, loc: Location | None = None, what: str = "expression") -> Expr:
    """Parse one expression; ``what`` names it in errors (e.g. ``"grid dim x"``)."""
    p = _Parser(text, loc, what)
    if p.at("end"):
        p.fail("empty text", p.peek().col)
    e = p.expr()
    p.finish()
    return e


def parse_rule(text: str, loc: Location | None = None) -> ShapeRule | DimSizeRule:
    """Parse an output-shape rule or a dim-size rule."""
    p = _Parser(text, loc, "shape rule")
    if p.at("end"):
        p.fail("empty text", p.peek().col)
    return p.rule()


# --------------------------------------------------------------------------- render / evaluate

_SYMBOL = {"+": "+", "-": "-", "*": "*", "//": "//", "%": "%"}


def _level(e: Expr) -> int:
    """Binding strength, loosest first: if-else, or, and, not, comparison, + -, * // %, unary -, **, primary."""
    if isinstance(e, IfElse):
        return 0
    if isinstance(e, BoolOp):
        return 1 if e.op == "or" else 2
    if isinstance(e, Not):
        return 3
    if isinstance(e, Compare):
        return 4
    if isinstance(e, BinOp) and e.op != "cdiv":
        return {"+": 5, "-": 5, "**": 8}.get(e.op, 6)
    return 7 if isinstance(e, Neg) else 9


def render(e: Expr) -> str:
    """Canonical text with minimal parentheses, as Python writes it; ``parse_expr(render(e)) == e`` for every node
    but ``Bool`` (and ``Numel``, which only rules parse)."""
    def wrap(x: Expr, level: int) -> str:
        return f"({render(x)})" if _level(x) < level else render(x)

    if isinstance(e, Num):
        return str(e.value)
    if isinstance(e, Bool):
        return str(e.value)
    if isinstance(e, Name):
        return e.id
    if isinstance(e, Numel):
        return f"numel({e.tensor})"
    if isinstance(e, Neg):
        inner = render(e.operand)
        return f"-({inner})" if _level(e.operand) <= 7 else f"-{inner}"
    if isinstance(e, Call):
        return f"{e.func}({', '.join(render(a) for a in e.args)})"
    if isinstance(e, IfElse):
        return f"{wrap(e.then, 1)} if {wrap(e.cond, 1)} else {wrap(e.orelse, 0)}"
    if isinstance(e, BoolOp):
        level = _level(e)
        return f" {e.op} ".join(wrap(a, level + 1) for a in e.args)
    if isinstance(e, Not):
        return f"not {wrap(e.operand, 3)}"
    if isinstance(e, Compare):
        return f"{wrap(e.lhs, 5)} {e.op} {wrap(e.rhs, 5)}"
    if e.op == "cdiv":
        return f"cdiv({render(e.lhs)}, {render(e.rhs)})"
    level = _level(e)
    if e.op == "**":  # right-associative, and the exponent may be a negation (level 7)
        return f"{wrap(e.lhs, level + 1)} ** {wrap(e.rhs, 7)}"
    return f"{wrap(e.lhs, level)} {_SYMBOL[e.op]} {wrap(e.rhs, level + 1)}"


def _children(e: Expr) -> tuple:
    if isinstance(e, (BinOp, Compare)):
        return (e.lhs, e.rhs)
    if isinstance(e, (Neg, Not)):
        return (e.operand,)
    if isinstance(e, (Call, BoolOp)):
        return e.args
    if isinstance(e, IfElse):
        return (e.cond, e.then, e.orelse)
    return ()


def names(e: Expr) -> frozenset[str]:
    """All names used in ``e`` (not the tensors ``numel`` counts)."""
    if isinstance(e, Name):
        return frozenset([e.id])
    return frozenset().union(*(names(c) for c in _children(e)))


def tensors(e: Expr) -> frozenset[str]:
    """The tensors whose element count ``e`` uses."""
    if isinstance(e, Numel):
        return frozenset([e.tensor])
    return frozenset().union(*(tensors(c) for c in _children(e)))


def next_power_of_2(n: int) -> int:
    """Triton's ``next_power_of_2`` on int64: the smallest power of two >= n (0 for n <= 0)."""
    n -= 1
    for shift in (1, 2, 4, 8, 16, 32):
        n |= n >> shift
    return n + 1


def _ipow(base: int, exp: int) -> int:
    """``base ** exp`` as ``plugingen::ipow`` computes it: only on int64, for a non-negative exponent."""
    if exp < 0:
        raise ValueError(f"negative exponent in {base} ** {exp}")
    if (abs(base) >= 2 and exp >= 64) or not INT64_MIN <= base**exp <= INT64_MAX:  # builds no huge power
        raise OverflowError(f"{base} ** {exp} does not fit in int64")
    return base**exp


_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv,
               "cdiv": lambda a, b: -(-a // b), "%": operator.mod, "**": _ipow}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}


def evaluate(e: Expr, env: Mapping[str, int], numel: Callable[[str], int] = None,
             calls: Mapping[str, Callable[..., int]] = None) -> int:
    """Value with Python semantics (truth values as 1/0); raises ZeroDivisionError / KeyError for a zero divisor /
    unknown name, and, like ``plugingen::ipow``, ValueError / OverflowError for a negative exponent / a power beyond
    int64. ``numel(tensor)`` gives the element counts ``numel(X)`` reads; ``calls`` replaces functions by name
    (``min``/``max`` on symbolic sizes: ``plugingen.torch``)."""
    def go(x: Expr) -> int:
        return evaluate(x, env, numel, calls)

    if isinstance(e, Num):
        return e.value
    if isinstance(e, Bool):
        return int(e.value)
    if isinstance(e, Name):
        return env[e.id]
    if isinstance(e, Numel):
        return numel(e.tensor)
    if isinstance(e, Neg):
        return -go(e.operand)
    if isinstance(e, Call):
        values = [go(a) for a in e.args]
        if calls and e.func in calls:
            return calls[e.func](*values)
        if e.func == "next_power_of_2":
            return next_power_of_2(values[0])
        return min(values) if e.func == "min" else max(values)
    if isinstance(e, Compare):
        return int(_COMPARE[e.op](go(e.lhs), go(e.rhs)))
    if isinstance(e, BoolOp):
        values = (bool(go(a)) for a in e.args)  # short-circuits like Python and C++
        return int(all(values) if e.op == "and" else any(values))
    if isinstance(e, Not):
        return int(not go(e.operand))
    if isinstance(e, IfElse):
        return go(e.then) if go(e.cond) else go(e.orelse)
    return _ARITHMETIC[e.op](go(e.lhs), go(e.rhs))


# --------------------------------------------------------------------------- C++ emission

_CXX_FUNC = {"//": "plugingen::floordiv", "cdiv": "plugingen::ceildiv", "%": "plugingen::mod",
             "**": "plugingen::ipow"}


def emit_int64(e: Expr, bind: Callable[[str], str], numel: Callable[[str], str] = None) -> str:
    """A C++ ``int64_t`` expression using ``plugingen/expr.h``.

    ``bind(name)`` must return an int64_t-valued C++ operand (a variable, ``d[i]``, a call or a parenthesized
    expression); ``numel(tensor)`` likewise for ``numel(X)``. Truth values are 1 and 0."""
    return _emit_int64(e, bind, numel)[0]


def _emit_int64(e: Expr, bind: Callable[[str], str], numel: Callable[[str], str]) -> tuple[str, bool]:
    """(code, is_primary): non-primary code gets parentheses when used as an operand."""
    def operand(x: Expr) -> str:
        code, primary = _emit_int64(x, bind, numel)
        return code if primary else f"({code})"

    def whole(x: Expr) -> str:
        return _emit_int64(x, bind, numel)[0]

    if isinstance(e, Num):
        return f"int64_t{{{e.value}}}", True
    if isinstance(e, Bool):
        return f"int64_t{{{int(e.value)}}}", True
    if isinstance(e, Name):
        return bind(e.id), True
    if isinstance(e, Numel):
        return numel(e.tensor), True
    if isinstance(e, Neg):
        return f"-{operand(e.operand)}", False
    if isinstance(e, Call):
        if e.func == "next_power_of_2":
            return f"plugingen::nextPowerOf2({whole(e.args[0])})", True
        args = ", ".join(whole(a) for a in e.args)
        if len(e.args) > 2:
            args = f"{{{args}}}"
        return f"std::{e.func}<int64_t>({args})", True
    if isinstance(e, Compare):
        return f"static_cast<int64_t>({operand(e.lhs)} {e.op} {operand(e.rhs)})", True
    if isinstance(e, BoolOp):
        joined = f" {'&&' if e.op == 'and' else '||'} ".join(f"{operand(a)} != 0" for a in e.args)
        return f"static_cast<int64_t>({joined})", True
    if isinstance(e, Not):
        return f"static_cast<int64_t>({operand(e.operand)} == 0)", True
    if isinstance(e, IfElse):
        return f"({operand(e.cond)} != 0 ? {whole(e.then)} : {whole(e.orelse)})", True
    if e.op in _CXX_FUNC:
        return f"{_CXX_FUNC[e.op]}({whole(e.lhs)}, {whole(e.rhs)})", True
    return f"{operand(e.lhs)} {e.op} {operand(e.rhs)}", False


_DIM_OP = {"+": "kSUM", "-": "kSUB", "*": "kPROD", "//": "kFLOOR_DIV", "cdiv": "kCEIL_DIV",
           "min": "kMIN", "max": "kMAX", "and": "kMIN", "or": "kMAX", "<": "kLESS", "==": "kEQUAL"}
_DIM_COMPLEMENT = {"<=": ">", ">=": "<", "!=": "=="}  # a <= b is 1 - (a > b)


def emit_dim_expr(e: Expr, bind: Callable[[str], str], builder: str = "exprBuilder",
                  numel: Callable[[str], str] = None) -> str:
    """A C++ ``nvinfer1::IDimensionExpr const*`` built through TensorRT's ``IExprBuilder`` named ``builder``.

    ``bind(name)`` (and ``numel(tensor)``) must return an ``IDimensionExpr const*`` expression. Truth values are 0
    and 1. What TensorRT lacks is composed: ``a % b`` is ``a - (a floordiv b) * b``, ``-a`` is ``0 - a``, ``a > b`` is
    ``b < a``, ``a <= b`` is ``1 - (b < a)``, ``not c`` is ``1 - c``, ``and``/``or`` are min/max,
    ``a if c else b`` is ``b + c * (a - b)`` and ``a ** 3`` is ``a * a * a``. ``next_power_of_2`` and a power whose
    exponent is not an integer literal raise ValueError."""
    def op(name: str, a: str, b: str) -> str:
        return f"{builder}.operation(nvinfer1::DimensionOperation::{_DIM_OP[name]}, *({a}), *({b}))"

    def constant(value: int) -> str:
        return f"{builder}.constant({value})"

    def go(x: Expr) -> str:
        if isinstance(x, (Num, Bool)):
            return constant(int(x.value))
        if isinstance(x, Name):
            return bind(x.id)
        if isinstance(x, Numel):
            return numel(x.tensor)
        if isinstance(x, Neg):
            return op("-", constant(0), go(x.operand))
        if isinstance(x, Not):
            return op("-", constant(1), go(x.operand))
        if isinstance(x, IfElse):
            orelse = go(x.orelse)
            return op("+", orelse, op("*", go(x.cond), op("-", go(x.then), orelse)))
        if isinstance(x, Compare) and x.op in _DIM_COMPLEMENT:
            return op("-", constant(1), go(Compare(_DIM_COMPLEMENT[x.op], x.lhs, x.rhs)))
        if isinstance(x, Compare):
            a, b = go(x.lhs), go(x.rhs)
            return op("<", b, a) if x.op == ">" else op(x.op, a, b)
        if isinstance(x, BoolOp) or isinstance(x, Call) and x.func != "next_power_of_2":
            code = go(x.args[0])
            for arg in x.args[1:]:
                code = op(x.op if isinstance(x, BoolOp) else x.func, code, go(arg))
            return code
        if isinstance(x, BinOp) and x.op == "**" and isinstance(x.rhs, Num):
            base = go(x.lhs)
            code = base if x.rhs.value else constant(1)
            for _ in range(x.rhs.value - 1):
                code = op("*", code, base)
            return code
        if isinstance(x, BinOp) and x.op != "**":
            a, b = go(x.lhs), go(x.rhs)
            if x.op == "%":
                return op("-", a, op("*", op("//", a, b), b))
            return op(x.op, a, b)
        raise ValueError(f"{render(x)} has no IExprBuilder form")

    return go(e)


# --------------------------------------------------------------------------- rule rendering

def _render_dims(dims: list, rest: bool) -> str:
    return ", ".join([str(d) for d in dims] + (["*"] if rest else []))


def render_rule(rule: ShapeRule | DimSizeRule) -> str:
    """Canonical text; ``parse_rule(render_rule(r)) == r``."""
    lhs = ", ".join(f"{p.name}[{_render_dims(list(p.dims), p.rest)}]" for p in rule.inputs)
    if isinstance(rule, DimSizeRule):
        return f"{lhs} : {render(rule.expr)} -> {rule.target}"
    outs = []
    for p in rule.outputs:
        dims = "*" if p.whole else _render_dims([render(d) for d in p.dims], p.rest)
        outs.append(f"{p.name}[{dims}]")
    return f"{lhs} -> {', '.join(outs)}"


# --------------------------------------------------------------------------- from Python

_PY_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
_PY_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_PY_CALLS = {"min": "min", "max": "max", "next_power_of_2": "next_power_of_2", "cdiv": "cdiv", "int": "int",
             "bool": "bool"}


def from_python(node: ast.expr, resolve: Callable[[ast.expr], Optional[Expr]],
                fail: Callable[[ast.AST, str], NoReturn]) -> Expr:
    """The expression a Python expression (a heuristic's body) computes, over integers and truth values.

    ``resolve(node)`` turns a leaf it recognises (``args['K']``, a module constant) into an ``Expr``, or returns
    None; ``fail(node, why)`` raises for anything outside the grammar: ``+ - * // % **``, unary ``-``, comparisons
    (chained too), ``and``/``or``/``not`` over truth values, ``a if c else b``, integer and bool constants, and the
    calls ``min``, ``max``, ``cdiv``, ``next_power_of_2`` (also as ``triton.cdiv`` etc.), ``int`` and ``bool``."""
    def go(x: ast.expr) -> Expr:
        resolved = resolve(x)
        if resolved is not None:
            return resolved
        if isinstance(x, ast.Constant):
            if isinstance(x.value, bool):
                return Bool(x.value)
            if isinstance(x.value, int):
                return Num(x.value) if x.value >= 0 else Neg(Num(-x.value))
            fail(x, f"the constant {x.value!r} is not an integer or a bool")
        if isinstance(x, ast.BinOp) and type(x.op) in _PY_BINOPS:
            return BinOp(_PY_BINOPS[type(x.op)], go(x.left), go(x.right))
        if isinstance(x, ast.BinOp) and isinstance(x.op, ast.Div):
            fail(x, "'/' is true division (a float); use '//' or cdiv()")
        if isinstance(x, ast.UnaryOp) and isinstance(x.op, ast.USub):
            return Neg(go(x.operand))
        if isinstance(x, ast.UnaryOp) and isinstance(x.op, ast.Not):
            return Not(truth(x.operand))
        if isinstance(x, ast.Compare) and all(type(op) in _PY_COMPARE for op in x.ops):
            operands = [go(x.left)] + [go(c) for c in x.comparators]
            parts = tuple(Compare(_PY_COMPARE[type(op)], a, b)
                          for op, a, b in zip(x.ops, operands, operands[1:]))
            return parts[0] if len(parts) == 1 else BoolOp("and", parts)
        if isinstance(x, ast.BoolOp):
            return BoolOp("and" if isinstance(x.op, ast.And) else "or", tuple(truth(v) for v in x.values))
        if isinstance(x, ast.IfExp):
            return IfElse(truth(x.test), go(x.body), go(x.orelse))
        if isinstance(x, ast.Call):
            return call(x)
        fail(x, f"'{ast.unparse(x)}' is outside what a plugin can compute (integers and truth values from scalar "
                "arguments and constexprs)")

    def truth(x: ast.expr) -> Expr:
        value = go(x)
        if not is_bool(value):
            fail(x, f"'{ast.unparse(x)}' is used as a truth value but is an integer; compare it (e.g. '!= 0')")
        return value

    def call(x: ast.Call) -> Expr:
        func = x.func.id if isinstance(x.func, ast.Name) else x.func.attr if isinstance(x.func, ast.Attribute) else ""
        if func not in _PY_CALLS or x.keywords:
            fail(x, f"'{ast.unparse(x.func)}()' is not one of {', '.join(_PY_CALLS)}")
        args = tuple(go(a) for a in x.args)
        arity = {"min": None, "max": None, "cdiv": 2}.get(func, 1)
        if (len(args) != arity) if arity else len(args) < 2:
            fail(x, f"{func}() takes {arity or 'at least 2'} argument{'s' if arity != 1 else ''}, got {len(args)}")
        if func == "cdiv":
            return BinOp("cdiv", *args)
        if func == "int":
            return IfElse(args[0], Num(1), Num(0)) if is_bool(args[0]) else args[0]
        if func == "bool":
            return args[0] if is_bool(args[0]) else Compare("!=", args[0], Num(0))
        return Call(_PY_CALLS[func], args)

    return go(node)


# --------------------------------------------------------------------------- ranges (sound bounds)

_RANGE_BINARY = {"+": "add", "-": "sub", "*": "mul", "//": "floordiv", "cdiv": "ceildiv", "%": "mod", "**": "pow"}
_RANGE_COMPARE = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def emit_range(e: Expr, bind: Callable[[str], str], numel: Callable[[str], str] = None) -> str:
    """A C++ ``plugingen::Range`` (``plugingen/expr.h``) holding every value ``e`` takes when each name ranges over
    ``bind(name)`` (a Range expression): interval arithmetic, sound for every operator of the grammar. A divisor
    whose range holds 0, an exponent's that holds negatives or a bound beyond int64 makes the helper throw (the
    bound does not exist). ``value_range`` computes the same in Python."""
    def go(x: Expr) -> str:
        if isinstance(x, (Num, Bool)):
            return f"plugingen::Range::exactly({int(x.value)})"
        if isinstance(x, Name):
            return bind(x.id)
        if isinstance(x, Numel):
            return numel(x.tensor)
        if isinstance(x, Neg):
            return f"plugingen::range::neg({go(x.operand)})"
        if isinstance(x, Call):
            if x.func == "next_power_of_2":
                return f"plugingen::range::nextPowerOf2({go(x.args[0])})"
            code = go(x.args[0])
            for arg in x.args[1:]:
                code = f"plugingen::range::{x.func}({code}, {go(arg)})"
            return code
        if isinstance(x, BinOp):
            return f"plugingen::range::{_RANGE_BINARY[x.op]}({go(x.lhs)}, {go(x.rhs)})"
        if isinstance(x, Compare):
            return f"plugingen::range::{_RANGE_COMPARE[x.op]}({go(x.lhs)}, {go(x.rhs)})"
        if isinstance(x, BoolOp):
            code = go(x.args[0])
            for arg in x.args[1:]:
                code = f"plugingen::range::{'both' if x.op == 'and' else 'either'}({code}, {go(arg)})"
            return code
        if isinstance(x, Not):
            return f"plugingen::range::negation({go(x.operand)})"
        return f"plugingen::range::choose({go(x.cond)}, {go(x.then)}, {go(x.orelse)})"

    return go(e)


Bounds = tuple[int, int]


def _bound(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("int64 overflow in a bound")
    return value


def _corners(f: Callable[[int, int], int], a: Bounds, b: Bounds) -> Bounds:
    values = [_bound(f(x, y)) for x in a for y in b]
    return min(values), max(values)


def _divisor(b: Bounds, what: str) -> None:
    if b[0] <= 0 <= b[1]:
        raise ValueError(f"cannot bound {what}: the divisor's range [{b[0]}, {b[1]}] includes 0")


def _range_division(f: Callable[[int, int], int], what: str) -> Callable[[Bounds, Bounds], Bounds]:
    """Floor and ceiling division are monotone in each operand once the divisor keeps one sign."""
    def divide(a: Bounds, b: Bounds) -> Bounds:
        _divisor(b, what)
        return _corners(f, a, b)
    return divide


def _range_mod(a: Bounds, b: Bounds) -> Bounds:
    _divisor(b, "a modulo")
    if b[0] == b[1] and a[1] % b[0] - a[0] % b[0] == a[1] - a[0]:  # a within one period: a % b grows with a
        return a[0] % b[0], a[1] % b[0]
    if b[0] > 0:
        return 0, min(a[1], b[1] - 1) if a[0] >= 0 else b[1] - 1
    return b[0] + 1, 0


def _range_pow(a: Bounds, b: Bounds) -> Bounds:
    """Over the box, ``x ** y`` is extreme at x in {lo, hi, 0} and, for a fixed x, at the two smallest or the two
    largest y (a negative x alternates the sign)."""
    if b[0] < 0:
        raise ValueError(f"cannot bound a power: the exponent's range [{b[0]}, {b[1]}] includes negative values")
    exponents = (b[0], b[0] + (b[0] < b[1]), b[1] - (b[0] < b[1]), b[1])
    try:
        values = [_ipow(x, y) for x in (a[0], a[1], min(max(0, a[0]), a[1])) for y in exponents]
    except OverflowError as err:
        raise ValueError(f"int64 overflow in a bound: {err}") from None
    return min(values), max(values)


def _range_next_power_of_2(a: Bounds) -> Bounds:
    if a[1] > 2**62:  # plugingen::nextPowerOf2 wraps to INT64_MIN
        raise ValueError("int64 overflow in a bound")
    return next_power_of_2(a[0]), next_power_of_2(a[1])


_RANGE = {
    "+": lambda a, b: (_bound(a[0] + b[0]), _bound(a[1] + b[1])),
    "-": lambda a, b: (_bound(a[0] - b[1]), _bound(a[1] - b[0])),
    "*": lambda a, b: _corners(operator.mul, a, b),
    "//": _range_division(operator.floordiv, "a floor division"),
    "cdiv": _range_division(_ARITHMETIC["cdiv"], "a ceiling division"),
    "%": _range_mod,
    "**": _range_pow,
    "min": lambda a, b: (min(a[0], b[0]), min(a[1], b[1])),
    "max": lambda a, b: (max(a[0], b[0]), max(a[1], b[1])),
}
# Truth values as (always, never).
_RANGE_TRUTH = {
    "<": lambda a, b: (a[1] < b[0], a[0] >= b[1]),
    "<=": lambda a, b: (a[1] <= b[0], a[0] > b[1]),
    ">": lambda a, b: (b[1] < a[0], b[0] >= a[1]),
    ">=": lambda a, b: (b[1] <= a[0], b[0] > a[1]),
    "==": lambda a, b: (a[0] == a[1] == b[0] == b[1], a[1] < b[0] or b[1] < a[0]),
    "!=": lambda a, b: (a[1] < b[0] or b[1] < a[0], a[0] == a[1] == b[0] == b[1]),
    "and": lambda a, b: (a[0] != 0 and b[0] != 0, a[1] == 0 or b[1] == 0),
    "or": lambda a, b: (a[0] != 0 or b[0] != 0, a[1] == 0 and b[1] == 0),
}


def _truth(always: bool, never: bool) -> Bounds:
    return int(always), int(not never)


def value_range(e: Expr, bounds: Mapping[str, Bounds], numel: Callable[[str], Bounds] = None) -> Bounds:
    """``(lo, hi)`` holding every value ``e`` takes when each name ``x`` ranges over ``bounds[x]`` (inclusive):
    exactly what ``emit_range``'s C++ computes. Truth values are (0, 0), (1, 1) or (0, 1). Raises ValueError where
    that code throws: a divisor's range holds 0, an exponent's holds negatives, or a bound is beyond int64 (every
    operand is bounded, even of an untaken branch). ``numel(tensor)`` gives the range of ``numel(X)``."""
    def go(x: Expr) -> Bounds:
        if isinstance(x, (Num, Bool)):
            return int(x.value), int(x.value)
        if isinstance(x, Name):
            return tuple(bounds[x.id])
        if isinstance(x, Numel):
            return tuple(numel(x.tensor))
        if isinstance(x, Neg):
            return _RANGE["-"]((0, 0), go(x.operand))
        if isinstance(x, Not):
            a = go(x.operand)
            return _truth(a[1] == 0, a[0] != 0)
        if isinstance(x, IfElse):
            cond, then, orelse = go(x.cond), go(x.then), go(x.orelse)
            if cond[0] != 0:
                return then
            if cond[1] == 0:
                return orelse
            return min(then[0], orelse[0]), max(then[1], orelse[1])
        if isinstance(x, Call) and x.func == "next_power_of_2":
            return _range_next_power_of_2(go(x.args[0]))
        if isinstance(x, Call):
            return functools.reduce(_RANGE[x.func], map(go, x.args))
        if isinstance(x, BoolOp):
            return functools.reduce(lambda a, b: _truth(*_RANGE_TRUTH[x.op](a, b)), map(go, x.args))
        if isinstance(x, Compare):
            return _truth(*_RANGE_TRUTH[x.op](go(x.lhs), go(x.rhs)))
        return _RANGE[x.op](go(x.lhs), go(x.rhs))

    return go(e)
