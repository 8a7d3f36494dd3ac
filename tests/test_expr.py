"""Tests for plugingen.expr and plugingen/include/plugingen/expr.h."""
from __future__ import annotations

import ast
import itertools
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plugingen.expr as ex
from plugingen.errors import ExprError, Location
from plugingen.expr import (BinOp, BoolOp, Call, Compare, DimSizeRule, IfElse, Name, Neg, Not, Num, OutputPattern,
                            ShapeRule, TensorPattern, dim_bindings, emit_dim_expr, emit_int64, emit_range, evaluate,
                            names, parse_expr, parse_rule, render, render_rule, value_range)

INCLUDE_DIR = Path(ex.__file__).resolve().parent / "include"
CXX = shutil.which("g++")
needs_cxx = pytest.mark.skipif(CXX is None, reason="g++ not on PATH")

a, b, c, k, m, n = (Name(x) for x in "abckmn")


def fdiv(x, y):
    return BinOp("//", x, y)


def pw(x, y):
    return BinOp("**", x, y)


def lt(x, y):
    return Compare("<", x, y)


one, two = Num(1), Num(2)


# --------------------------------------------------------------------------- parsing expressions

PRECEDENCE = [
    ("k-m-n*m", BinOp("-", BinOp("-", k, m), BinOp("*", n, m))),
    ("a/b*c", BinOp("*", fdiv(a, b), c)),
    ("a//b", fdiv(a, b)),
    ("a///b", BinOp("cdiv", a, b)),
    ("a*b///c%k", BinOp("%", BinOp("cdiv", BinOp("*", a, b), c), k)),
    ("-a*b", BinOp("*", Neg(a), b)),
    ("-a/b", fdiv(Neg(a), b)),
    ("a*-b", BinOp("*", a, Neg(b))),
    ("a--b", BinOp("-", a, Neg(b))),
    ("--a", Neg(Neg(a))),
    ("-(a+b)", Neg(BinOp("+", a, b))),
    ("a+b*c", BinOp("+", a, BinOp("*", b, c))),
    ("(a+b)*c", BinOp("*", BinOp("+", a, b), c)),
    ("a-(b-c)", BinOp("-", a, BinOp("-", b, c))),
    ("a - b + c", BinOp("+", BinOp("-", a, b), c)),
    ("((a))", a),
    ("cdiv(a, b+1)", BinOp("cdiv", a, BinOp("+", b, Num(1)))),
    ("min(a, b)", Call("min", (a, b))),
    ("max(a, b, c*2)", Call("max", (a, b, BinOp("*", c, Num(2))))),
    ("2*min(a,b)-1", BinOp("-", BinOp("*", Num(2), Call("min", (a, b))), Num(1))),
    (" ( seq_len + 127 ) / 128 ", fdiv(BinOp("+", Name("seq_len"), Num(127)), Num(128))),
    ("007", Num(7)),
    ("-2**2", Neg(pw(two, two))),
    ("2**-1", pw(two, Neg(one))),
    ("a**b**c", pw(a, pw(b, c))),
    ("(a**b)**c", pw(pw(a, b), c)),
    ("(-a)**2", pw(Neg(a), two)),
    ("-a**-b**c", Neg(pw(a, Neg(pw(b, c))))),
    ("a*b**2", BinOp("*", a, pw(b, two))),
    ("a**2*b", BinOp("*", pw(a, two), b)),
    ("min(a, b)**2", pw(Call("min", (a, b)), two)),
    ("a+1 < b*2", lt(BinOp("+", a, one), BinOp("*", b, two))),
    ("a<-b", lt(a, Neg(b))),
    ("a < b < c", BoolOp("and", (lt(a, b), lt(b, c)))),
    ("a == b != c >= k", BoolOp("and", (Compare("==", a, b), Compare("!=", b, c), Compare(">=", c, k)))),
    ("(a < b) < c", lt(lt(a, b), c)),
    ("(a < b) + (b > c)", BinOp("+", lt(a, b), Compare(">", b, c))),
    ("a <= b or a > c and not b == c",
     BoolOp("or", (Compare("<=", a, b), BoolOp("and", (Compare(">", a, c), Not(Compare("==", b, c))))))),
    ("a < b and b < c and c < k", BoolOp("and", (lt(a, b), lt(b, c), lt(c, k)))),
    ("(a < b or b < c) and c < k", BoolOp("and", (BoolOp("or", (lt(a, b), lt(b, c))), lt(c, k)))),
    ("not not a < b", Not(Not(lt(a, b)))),
    ("a if b < c else k", IfElse(lt(b, c), a, k)),
    ("a if b < c else k if m < n else n", IfElse(lt(b, c), a, IfElse(lt(m, n), k, n))),
    ("(a if b < c else k) if m < n else n", IfElse(lt(m, n), IfElse(lt(b, c), a, k), n)),
    ("a if (b if m < n else c) < k else c", IfElse(lt(IfElse(lt(m, n), b, c), k), a, c)),
    ("(a if b < c else k) * 2", BinOp("*", IfElse(lt(b, c), a, k), two)),
    ("a + 1 if not a > b or c == 0 else -a",
     IfElse(BoolOp("or", (Not(Compare(">", a, b)), Compare("==", c, Num(0)))), BinOp("+", a, one), Neg(a))),
    ("not a < b if c < k else a < b", IfElse(lt(c, k), Not(lt(a, b)), lt(a, b))),
    ("max(a if a > b else b, 3)", Call("max", (IfElse(Compare(">", a, b), a, b), Num(3)))),
    ("cdiv(a, b) ** 2 if a < 0 else 0", IfElse(lt(a, Num(0)), pw(BinOp("cdiv", a, b), two), Num(0))),
]


@pytest.mark.parametrize("text, tree", PRECEDENCE, ids=[t for t, _ in PRECEDENCE])
def test_precedence_and_associativity(text, tree):
    assert parse_expr(text) == tree
    assert parse_expr(render(tree)) == tree


@pytest.mark.parametrize("text, want", [
    ("7 / 2", 3), ("-7 / 2", -4), ("7 / -2", -4), ("-7 // -2", 3),
    ("7 /// 2", 4), ("-7 /// 2", -3), ("cdiv(7, -2)", -3), ("cdiv(6, 3)", 2),
    ("-7 % 3", 2), ("7 % -3", -2), ("-a * b", -6), ("-a / b", -2), ("-(a / b)", -1),
    ("min(a, b, 1)", -3), ("max(a, b)", -2), ("k - m - n * m", -8),
    ("2 ** 3 ** 2", 512), ("-2 ** 2", -4), ("(-2) ** 3", -8), ("a ** n", 9), ("0 ** 0", 1), ("-m ** n * k", -9),
    ("m if a < b else n", 3), ("m if a > b else n", 2), ("k < m < n", 0), ("a < b < k", 1), ("not a < b", 0),
    ("a < b and b < k", 1), ("a > b or m == 3", 1), ("(a < b) + (b < k) * 2", 3), ("-(m != n)", -1),
])
def test_evaluate_python_semantics(text, want):
    env = {"a": -3, "b": -2, "k": 1, "m": 3, "n": 2}
    assert evaluate(parse_expr(text), env) == want
    if "/" not in text and "cdiv" not in text:
        assert int(eval(text, {}, env)) == want  # the grammar is Python's


def test_evaluate_errors_are_runtime_errors():
    with pytest.raises(ZeroDivisionError):
        evaluate(parse_expr("a / b"), {"a": 1, "b": 0})
    with pytest.raises(ZeroDivisionError):
        evaluate(parse_expr("cdiv(a, b)"), {"a": 1, "b": 0})
    with pytest.raises(KeyError):
        evaluate(parse_expr("a + zz"), {"a": 1})
    with pytest.raises(ValueError, match="negative exponent"):
        evaluate(parse_expr("2 ** -a"), {"a": 1})
    with pytest.raises(OverflowError):
        evaluate(parse_expr("2 ** 63"), {})
    with pytest.raises(OverflowError):
        evaluate(parse_expr("3 ** a"), {"a": 10**18})  # at once: no huge power is computed
    assert evaluate(parse_expr("(-2) ** 63"), {}) == -(2**63)
    assert evaluate(parse_expr("(-1) ** a + 0 ** a"), {"a": 10**18}) == 1
    assert evaluate(parse_expr("a if a < b else 1 // (a - 1)"), {"a": 1, "b": 2}) == 1  # untaken branches do not run
    assert evaluate(parse_expr("a > 0 and 1 // a > 0"), {"a": 0}) == 0


@pytest.mark.parametrize("text, canonical", [
    ("k-m-n*m", "k - m - n * m"),
    ("k-(m-n)", "k - (m - n)"),
    ("(a*b)*c", "a * b * c"),
    ("a*(b*c)", "a * (b * c)"),
    ("a/(b/c)", "a // (b // c)"),
    ("(-a)*b", "-a * b"),
    ("-(a*b)", "-(a * b)"),
    ("-(-a)", "-(-a)"),
    ("a - -3", "a - -3"),
    ("a /// b", "cdiv(a, b)"),
    ("(a+1) % 4", "(a + 1) % 4"),
    ("max( a,b ,c)", "max(a, b, c)"),
    ("-(2**2)", "-2 ** 2"),
    ("(-2)**2", "(-2) ** 2"),
    ("(a**b)**c", "(a ** b) ** c"),
    ("a**(b**c)", "a ** b ** c"),
    ("a**(-b)", "a ** -b"),
    ("a**(b*c)", "a ** (b * c)"),
    ("(a*b)**c", "(a * b) ** c"),
    ("(a<b)==(b<c)", "(a < b) == (b < c)"),
    ("a<b<c", "a < b and b < c"),
    ("-(a<b)", "-(a < b)"),
    ("(a if b<c else k)*2", "(a if b < c else k) * 2"),
    ("a if b<c else (k if m<n else n)", "a if b < c else k if m < n else n"),
    ("(a if b<c else k) if m<n else n", "(a if b < c else k) if m < n else n"),
    ("a if (m<n if b<c else k<c) else n", "a if (m < n if b < c else k < c) else n"),
    ("not (a<b and b<c)", "not (a < b and b < c)"),
    ("(not a<b) and b<c", "not a < b and b < c"),
    ("(a<b or b<c) and c<k", "(a < b or b < c) and c < k"),
    ("a<b or (b<c and c<k)", "a < b or b < c and c < k"),
    ("(a<b or b<c) or c<k", "(a < b or b < c) or c < k"),
])
def test_render_minimal_parentheses(text, canonical):
    assert render(parse_expr(text)) == canonical


def test_names():
    assert names(parse_expr("min(a, b) * cdiv(a, 4) - -c")) == frozenset("abc")
    assert names(parse_expr("3")) == frozenset()


def test_nodes_are_hashable_and_checked():
    assert len({parse_expr("a+1"), parse_expr("(a)+(1)")}) == 1
    for bad in (lambda: Num(-1), lambda: Name("1x"), lambda: BinOp("/", a, b), lambda: Call("min", (a,)),
                lambda: Call("cdiv", (a, b)), lambda: OutputPattern("X", (a,), False, True),
                lambda: OutputPattern("X", (), True, False)):
        with pytest.raises(ValueError):
            bad()


def test_from_python_agrees_with_the_text_grammar():
    def fail(node, why):
        raise AssertionError(why)

    for text in ("a ** b ** -c", "-a ** 2", "a if b < c <= k else -m ** 2", "not a < b or b == c and c != 0",
                 "(a if a > b else b) * 2 ** n"):
        tree = ast.parse(text, mode="eval").body
        assert ex.from_python(tree, lambda node: Name(node.id) if isinstance(node, ast.Name) else None, fail) == \
            parse_expr(text)


# --------------------------------------------------------------------------- random ASTs

NAME_POOL = ("a", "b", "c", "m", "n")


def _truth_value(e):
    """``e`` where a condition is needed: as it is when it is a truth value, else ``e != 0``."""
    return e if ex.is_bool(e) else Compare("!=", e, Num(0))


def _binop(op, lhs, rhs):
    """A BinOp the parser accepts: no literal-zero divisor."""
    if op in ("//", "cdiv", "%") and (rhs == Num(0) or rhs == Neg(Num(0))):
        rhs = Num(1)
    return BinOp(op, lhs, rhs)


exprs = st.recursive(
    st.builds(Num, st.integers(0, 300)) | st.builds(Name, st.sampled_from(NAME_POOL)),
    lambda kids: st.one_of(
        st.builds(_binop, st.sampled_from(ex.BINARY_OPS), kids, kids),
        st.builds(Neg, kids),
        st.builds(Call, st.sampled_from(["min", "max"]), st.lists(kids, min_size=2, max_size=3).map(tuple)),
        st.builds(Compare, st.sampled_from(ex.COMPARISONS), kids, kids),
        st.builds(BoolOp, st.sampled_from(["and", "or"]),
                  st.lists(kids.map(_truth_value), min_size=2, max_size=3).map(tuple)),
        st.builds(Not, kids.map(_truth_value)),
        st.builds(IfElse, kids.map(_truth_value), kids, kids),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(exprs)
def test_render_parse_round_trip(e):
    assert parse_expr(render(e)) == e


ARITHMETIC = [op for op in ex.BINARY_OPS if op != "**"]


def random_expr(rng: random.Random, depth: int, builder: bool = False) -> ex.Expr:
    """A random AST over NAME_POOL; divisors and exponents are often non-literal so they can be zero or negative at
    run time. ``builder``: only what emit_dim_expr takes (literal exponents, no next_power_of_2)."""
    if depth == 0 or rng.random() < 0.2:
        return Name(rng.choice(NAME_POOL)) if rng.random() < 0.7 else Num(rng.randint(0, 9))

    def sub():
        return random_expr(rng, depth - 1, builder)

    kind = rng.random()
    if kind < 0.08:
        return Neg(sub())
    if kind < 0.16:
        return Call(rng.choice(["min", "max"]), tuple(sub() for _ in range(rng.randint(2, 3))))
    if kind < 0.2 and not builder:
        return Call("next_power_of_2", (sub(),))
    if kind < 0.3:
        return Compare(rng.choice(ex.COMPARISONS), sub(), sub())
    if kind < 0.36:
        return BoolOp(rng.choice(["and", "or"]), tuple(_truth_value(sub()) for _ in range(rng.randint(2, 3))))
    if kind < 0.4:
        return Not(_truth_value(sub()))
    if kind < 0.5:
        return IfElse(_truth_value(sub()), sub(), sub())
    if kind < 0.58:
        return BinOp("**", sub(), Num(rng.randint(0, 3)) if builder or rng.random() < 0.5 else sub())
    return BinOp(rng.choice(ARITHMETIC), sub(), sub())


def _subtrees(e):
    yield e
    for child in ex._children(e):
        yield from _subtrees(child)


def built_value(e, env) -> int:
    """What emit_dim_expr's code computes: evaluate's value, but every operand is computed (no short circuit) except
    the base of ``x ** 0``."""
    if isinstance(e, BinOp) and e.op == "**" and e.rhs == Num(0):
        return 1
    kids = ex._children(e)
    values = {f"_{i}": built_value(kid, env) for i, kid in enumerate(kids)}
    slots = tuple(Name(f"_{i}") for i in range(len(kids)))
    if isinstance(e, (BinOp, Compare)):
        e = type(e)(e.op, *slots)
    elif isinstance(e, (Neg, Not, IfElse)):
        e = type(e)(*slots)
    elif isinstance(e, (Call, BoolOp)):
        e = type(e)(e.func if isinstance(e, Call) else e.op, slots)
    return evaluate(e, {**env, **values})


def outcome(e, env, run=evaluate) -> str:
    """``run``'s value, or what C++ throws instead: 'domain' (zero divisor, negative exponent) or 'overflow'."""
    try:
        return str(run(e, env))
    except (ZeroDivisionError, ValueError):
        return "domain"
    except OverflowError:
        return "overflow"


def _small_enough(e, env) -> bool:
    """No intermediate value anywhere near int64 overflow."""
    for sub in _subtrees(e):
        try:
            if abs(evaluate(sub, env)) > 2**40:
                return False
        except (ZeroDivisionError, ValueError):
            pass
        except OverflowError:
            return False
    return True


def random_cases(count: int, seed: int, builder: bool = False):
    """(expr, env, expected) with expected = value or 'domain'; values span negatives to test floor semantics.
    ``builder``: expressions for emit_dim_expr, which fails when any subtree it builds does."""
    rng = random.Random(seed)
    cases = []
    while len(cases) < count:
        e = random_expr(rng, rng.randint(1, 4), builder)
        env = {x: rng.randint(-12, 12) for x in NAME_POOL}
        if not _small_enough(e, env):
            continue
        cases.append((e, env, outcome(e, env, built_value if builder else evaluate)))
    return cases


# --------------------------------------------------------------------------- C++ agreement

FAKE_TRT = """
namespace nvinfer1 {
enum class DimensionOperation : int32_t { kSUM, kPROD, kMAX, kMIN, kSUB, kEQUAL, kLESS, kFLOOR_DIV, kCEIL_DIV };
class IDimensionExpr {
public:
    explicit IDimensionExpr(int64_t v) : value(v) {}
    int64_t value;
};
class IExprBuilder {  // constant-folding stand-in for TensorRT's builder
public:
    IDimensionExpr const* constant(int64_t v) { mPool.emplace_back(v); return &mPool.back(); }
    IDimensionExpr const* operation(DimensionOperation op, IDimensionExpr const& x, IDimensionExpr const& y) {
        int64_t const p = x.value, q = y.value;
        switch (op) {
        case DimensionOperation::kSUM: return constant(p + q);
        case DimensionOperation::kSUB: return constant(p - q);
        case DimensionOperation::kPROD: return constant(p * q);
        case DimensionOperation::kMIN: return constant(std::min(p, q));
        case DimensionOperation::kMAX: return constant(std::max(p, q));
        case DimensionOperation::kEQUAL: return constant(p == q);
        case DimensionOperation::kLESS: return constant(p < q);
        case DimensionOperation::kFLOOR_DIV: return constant(plugingen::floordiv(p, q));
        case DimensionOperation::kCEIL_DIV: return constant(plugingen::ceildiv(p, q));
        default: throw std::logic_error("operation not expected");
        }
    }
private:
    std::deque<IDimensionExpr> mPool;
};
}  // namespace nvinfer1
"""


def run_cxx(tmp_path: Path, source: str) -> list[str]:
    src, exe = tmp_path / "prog.cpp", tmp_path / "prog"
    src.write_text(source)
    cmd = [CXX, "-std=c++17", "-O0", "-Wall", "-Werror", "-Wno-tautological-compare",  # random ASTs compare a < a
           f"-I{INCLUDE_DIR}", str(src), "-o", str(exe)]
    built = subprocess.run(cmd, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-4000:]
    ran = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.splitlines()


def cxx_program(rows, bodies, arg_type="int64_t", result_type="int64_t", prelude="") -> str:
    """One program that prints, in order, what each function body in ``bodies`` returns for its row of ``rows`` (C++
    initializers of ``arg_type`` values, read as ``v``): an int64 or a Range as "lo hi", or 'domain' / 'overflow'
    for what it throws."""
    funcs = "\n".join(f"static {result_type} case{i}({arg_type} const* v) {{ {body} }}"
                      for i, body in enumerate(bodies))
    return f"""#include "plugingen/expr.h"
#include <cstdio>
#include <deque>
{prelude}
static {arg_type} const kRows[][{len(NAME_POOL)}] = {{
{", ".join(rows)}}};

{funcs}

static {result_type} (*const kCases[])({arg_type} const*) = {{{", ".join(f"case{i}" for i in range(len(bodies)))}}};

inline void show(int64_t x) {{ std::printf("%lld\\n", static_cast<long long>(x)); }}
inline void show(plugingen::Range r) {{
    std::printf("%lld %lld\\n", static_cast<long long>(r.lo), static_cast<long long>(r.hi));
}}

int main() {{
    for (int i = 0; i < {len(bodies)}; ++i) {{
        try {{
            show(kCases[i](kRows[i]));
        }} catch (std::domain_error const&) {{
            std::puts("domain");
        }} catch (std::overflow_error const&) {{
            std::puts("overflow");
        }}
    }}
    return 0;
}}
"""


SLOT = {x: i for i, x in enumerate(NAME_POOL)}


def check_against_cxx(tmp_path, count, seed, use_builder):
    cases = random_cases(count, seed, use_builder)
    assert sum(want == "domain" for _, _, want in cases) > count // 50  # the zero-divisor path is exercised
    rows = ["{" + ", ".join(str(env[x]) for x in NAME_POOL) + "}" for _, env, _ in cases]
    if use_builder:
        built = (emit_dim_expr(e, lambda x: f"eb.constant(v[{SLOT[x]}])", "eb") for e, _, _ in cases)
        bodies = [f"nvinfer1::IExprBuilder eb; return ({code})->value;" for code in built]
    else:
        bodies = [f"return {emit_int64(e, lambda x: f'v[{SLOT[x]}]')};" for e, _, _ in cases]
    got = run_cxx(tmp_path, cxx_program(rows, bodies, prelude=FAKE_TRT if use_builder else ""))
    assert len(got) == len(cases)
    for (e, env, want), value in zip(cases, got):
        assert value == want, f"{render(e)} with {env}"


@needs_cxx
@pytest.mark.parametrize("use_builder", [False, True], ids=["int64", "dim_expr"])
def test_cxx_agrees_with_evaluate(tmp_path, use_builder):
    check_against_cxx(tmp_path, 300, seed=1234, use_builder=use_builder)


@needs_cxx
@pytest.mark.slow
@pytest.mark.parametrize("use_builder", [False, True], ids=["int64", "dim_expr"])
def test_cxx_agrees_with_evaluate_10000(tmp_path, use_builder):
    check_against_cxx(tmp_path, 10_000, seed=99, use_builder=use_builder)


@needs_cxx
def test_header_edge_cases(tmp_path):
    out = run_cxx(tmp_path, """#include "plugingen/expr.h"
#include <cstdio>
template <class F> void show(F f) {
    try { std::printf("%lld\\n", static_cast<long long>(f())); }
    catch (std::exception const& e) { std::printf("%s\\n", e.what()); }
}
int main() {
    int64_t const lo = std::numeric_limits<int64_t>::min();
    show([] { return plugingen::floordiv(1, 0); });
    show([] { return plugingen::ceildiv(1, 0); });
    show([] { return plugingen::mod(1, 0); });
    show([&] { return plugingen::floordiv(lo, -1); });
    show([&] { return plugingen::ceildiv(lo, -1); });
    show([&] { return plugingen::mod(lo, -1); });
    show([&] { return plugingen::floordiv(lo, 2); });
    show([&] { return plugingen::mod(lo + 1, 2); });
}
""")
    assert out == [
        "division by zero in plugingen::floordiv",
        "division by zero in plugingen::ceildiv",
        "division by zero in plugingen::mod",
        "int64 overflow in plugingen::floordiv",
        "int64 overflow in plugingen::ceildiv",
        "0",
        str(-(2**62)),
        "1",
    ]


INT64_MIN = ex.INT64_MIN
POWERS = [(2, 62), (2, 63), (-2, 63), (-2, 64), (3, 39), (3, 40), (-3, 40), (0, 0), (0, 5), (-1, ex.INT64_MAX),
          (1, ex.INT64_MAX), (2, ex.INT64_MAX), (INT64_MIN, 1), (INT64_MIN, 2), (ex.INT64_MAX, 1), (5, -1), (0, -1),
          (-8, 21), (-128, 9), (3037000499, 2), (3037000500, 2), (7, 0)]


def cxx_int(value: int) -> str:
    return "INT64_MIN" if value == INT64_MIN else str(value)


@needs_cxx
def test_ipow_agrees_with_evaluate(tmp_path):
    """Values, negative exponents and int64 overflow (including the squares ipow computes but does not need)."""
    rows = [f"{{{cxx_int(x)}, {cxx_int(y)}}}" for x, y in POWERS]
    got = run_cxx(tmp_path, cxx_program(rows, ["return plugingen::ipow(v[0], v[1]);"] * len(POWERS)))
    assert got == [outcome(pw(a, b), {"a": x, "b": y}) for x, y in POWERS]
    assert {"domain", "overflow", str(INT64_MIN)} <= set(got)


def test_emitted_code_shape():
    e = parse_expr("(seq_len + 127) / 128 - -n % 3")
    bind = {"seq_len": "s", "n": "d[1]"}.get
    assert emit_int64(e, bind) == (
        "plugingen::floordiv(s + int64_t{127}, int64_t{128}) - plugingen::mod(-d[1], int64_t{3})")
    assert emit_int64(parse_expr("min(a, b, 2)"), str) == "std::min<int64_t>({a, b, int64_t{2}})"
    assert emit_int64(parse_expr("-(-a)"), str) == "-(-a)"
    assert emit_dim_expr(parse_expr("m * 2"), lambda x: f"in[0].d[0]") == (
        "exprBuilder.operation(nvinfer1::DimensionOperation::kPROD, *(in[0].d[0]), *(exprBuilder.constant(2)))")
    assert emit_int64(parse_expr("a ** 2"), str) == "plugingen::ipow(a, int64_t{2})"
    assert emit_range(parse_expr("a ** b"), str) == "plugingen::range::pow(a, b)"
    assert emit_dim_expr(parse_expr("m ** 0"), str, "eb") == "eb.constant(1)"
    assert emit_dim_expr(parse_expr("m <= n"), str, "eb") == (
        "eb.operation(nvinfer1::DimensionOperation::kSUB, *(eb.constant(1)), "
        "*(eb.operation(nvinfer1::DimensionOperation::kLESS, *(n), *(m))))")


@pytest.mark.parametrize("text", ["2 ** m", "m ** -1", "m ** (1 + 1)", "next_power_of_2(m)",
                                  "m ** 2 + next_power_of_2(m)"])
def test_emit_dim_expr_unsupported(text):
    with pytest.raises(ValueError, match="has no IExprBuilder form"):
        emit_dim_expr(parse_expr(text), str)


# --------------------------------------------------------------------------- value_range

def random_boxes(count: int, seed: int):
    """(expr, box): each name ranges over up to 3 values around 0, so signs and zero divisors mix."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        box = {}
        for x in NAME_POOL:
            lo = rng.randint(-8, 8)
            box[x] = (lo, lo + rng.choice([0, 0, 1, 2]))
        cases.append((random_expr(rng, rng.randint(1, 4)), box))
    return cases


def range_outcome(e, box) -> str:
    """value_range's "lo hi", or 'domain' / 'overflow' (what the C++ helper throws instead)."""
    try:
        return "%d %d" % value_range(e, box)
    except ValueError as err:
        return "overflow" if "overflow" in str(err) else "domain"


def test_value_range_is_sound():
    bounded = 0
    for e, box in random_boxes(400, seed=7):
        try:
            lo, hi = value_range(e, box)
        except ValueError:
            continue
        bounded += 1
        used = sorted(names(e))
        for values in itertools.product(*(range(box[x][0], box[x][1] + 1) for x in used)):
            got = outcome(e, dict(zip(used, values)))
            assert got == "domain" or lo <= int(got) <= hi, f"{render(e)} with {dict(zip(used, values))}"
    assert bounded > 200


def test_value_range_of_a_point_is_the_value():
    """Exact on a point; it fails where any operand fails (even one Python would skip), as the C++ does."""
    for e, env, want in random_cases(300, seed=5):
        if any(outcome(sub, env) == "domain" for sub in _subtrees(e)):
            want = "domain"
        point = {x: (v, v) for x, v in env.items()}
        assert range_outcome(e, point) == (want if want == "domain" else f"{want} {want}"), render(e)


RANGES = [
    ("a % 8", {"a": (9, 14)}, "1 6"),
    ("a % 8", {"a": (5, 9)}, "0 7"),
    ("a % 8", {"a": (-3, -1)}, "5 7"),
    ("a % -8", {"a": (9, 14)}, "-7 -2"),
    ("a % -8", {"a": (-7, -6)}, "-7 -6"),
    ("a % -8", {"a": (-8, -7)}, "-7 0"),
    ("a % b", {"a": (0, 3), "b": (5, 9)}, "0 3"),
    ("a % b", {"a": (0, 30), "b": (-5, -2)}, "-4 0"),
    ("a // b", {"a": (-7, 7), "b": (-1, 1)}, "domain"),
    ("next_power_of_2(a)", {"a": (3, 9)}, "4 16"),
    ("next_power_of_2(a)", {"a": (1, 2**62 + 1)}, "overflow"),
    ("a ** 2", {"a": (-3, 2)}, "0 9"),
    ("a ** 3", {"a": (-3, 2)}, "-27 8"),
    ("a ** b", {"a": (-3, 2), "b": (0, 3)}, "-27 9"),
    ("a ** b", {"a": (-2, -2), "b": (2, 5)}, "-32 16"),
    ("a ** b", {"a": (-1, 0), "b": (0, 2**62)}, "-1 1"),
    ("a ** b", {"a": (0, 1), "b": (0, 5)}, "0 1"),
    ("a ** b", {"a": (2, 3), "b": (-1, 2)}, "domain"),
    ("a ** b", {"a": (2, 3), "b": (0, 40)}, "overflow"),
    ("a * a", {"a": (0, 2**62)}, "overflow"),
    ("a > 0", {"a": (-1, 5)}, "0 1"),
    ("a < b < c", {"a": (0, 1), "b": (2, 3), "c": (4, 5)}, "1 1"),
    ("a < b or b > c", {"a": (2, 3), "b": (0, 1), "c": (4, 5)}, "0 0"),
    ("not a == b", {"a": (2, 2), "b": (2, 2)}, "0 0"),
    ("a if a > 0 else -a", {"a": (1, 5)}, "1 5"),
    ("a if a > 0 else -a", {"a": (-2, 5)}, "-5 5"),
    ("a if a > 0 else 1 // (a - 1)", {"a": (1, 5)}, "domain"),  # both branches are bounded, as in C++
]


@pytest.mark.parametrize("text, box, want", RANGES, ids=[f"{t} {b}" for t, b, _ in RANGES])
def test_value_range_cases(text, box, want):
    assert range_outcome(parse_expr(text), box) == want


def range_row(box) -> str:
    return "{" + ", ".join(f"plugingen::Range{{{box[x][0]}, {box[x][1]}}}" for x in NAME_POOL) + "}"


@needs_cxx
def test_value_range_agrees_with_emit_range(tmp_path):
    zeros = {x: (0, 0) for x in NAME_POOL}
    cases = [(parse_expr(text), {**zeros, **box}) for text, box, _ in RANGES] + random_boxes(300, seed=11)
    bodies = [f"return {emit_range(e, lambda x: f'v[{SLOT[x]}]')};" for e, _ in cases]
    got = run_cxx(tmp_path, cxx_program([range_row(box) for _, box in cases], bodies, "plugingen::Range",
                                        "plugingen::Range"))
    want = [range_outcome(e, box) for e, box in cases]
    assert got[:len(RANGES)] == want[:len(RANGES)]
    assert {"domain", "overflow"} < set(want)

    def failed(result):  # which of two failing operands throws first depends on C++'s order of evaluation
        return "error" if result in ("domain", "overflow") else result

    assert list(map(failed, got)) == list(map(failed, want))


# --------------------------------------------------------------------------- rules

RULES = [
    ("Q[*] -> Out[*]",
     ShapeRule((TensorPattern("Q", (), True),), (OutputPattern("Out", (), False, True),))),
    ("Q[m,n,k,*] -> L[m,n,k]",
     ShapeRule((TensorPattern("Q", ("m", "n", "k"), True),), (OutputPattern("L", (m, n, k), False, False),))),
    ("Q[m,n,k,*] : m -> batch_size",
     DimSizeRule((TensorPattern("Q", ("m", "n", "k"), True),), m, "batch_size")),
    ("A[m,k], B[k,n] -> C[m,n]",
     ShapeRule((TensorPattern("A", ("m", "k"), False), TensorPattern("B", ("k", "n"), False)),
               (OutputPattern("C", (m, n), False, False),))),
    ("X[b,*] -> Y[b*2,*]",
     ShapeRule((TensorPattern("X", ("b",), True),),
               (OutputPattern("Y", (BinOp("*", b, Num(2)),), True, False),))),
    ("A[m, n, k, *] : m * n -> batch_size",
     DimSizeRule((TensorPattern("A", ("m", "n", "k"), True),), BinOp("*", m, n), "batch_size")),
    ("A[m,k],B[k,n]->C[m,n],D[m],E[*]",
     ShapeRule((TensorPattern("A", ("m", "k"), False), TensorPattern("B", ("k", "n"), False)),
               (OutputPattern("C", (m, n), False, False), OutputPattern("D", (m,), False, False),
                OutputPattern("E", (), False, True)))),
    ("S[] -> T[1, 2]", ShapeRule((TensorPattern("S", (), False),), (OutputPattern("T", (Num(1), Num(2)), False, False),))),
    ("A[*] -> B[cdiv(1, 2), *]",
     ShapeRule((TensorPattern("A", (), True),), (OutputPattern("B", (BinOp("cdiv", Num(1), Num(2)),), True, False),))),
    ("x[n] -> y[n if n > 1 else 1]",
     ShapeRule((TensorPattern("x", ("n",), False),),
               (OutputPattern("y", (IfElse(Compare(">", n, one), n, one),), False, False),))),
    ("A[m,n]->B[m-1,m>-1,n**2]",
     ShapeRule((TensorPattern("A", ("m", "n"), False),),
               (OutputPattern("B", (BinOp("-", m, one), Compare(">", m, Neg(one)), pw(n, two)), False, False),))),
    ("A[m, n, *] : m ** 2 if m < n and not n == 3 else n -> t",
     DimSizeRule((TensorPattern("A", ("m", "n"), True),),
                 IfElse(BoolOp("and", (lt(m, n), Not(Compare("==", n, Num(3))))), pw(m, two), n), "t")),
]


@pytest.mark.parametrize("text, rule", RULES, ids=[t for t, _ in RULES])
def test_parse_rule(text, rule):
    assert parse_rule(text) == rule
    assert parse_rule(render_rule(rule)) == rule
    assert parse_rule(re.sub(r"(\*\*|[\[\],:*]|->)", " \n\\1\t ", text)) == rule  # whitespace-insensitive


def test_render_rule_is_canonical():
    assert render_rule(parse_rule("A[m,k],B[k,n]->C[m,n],D[(m)],E[*]")) == "A[m, k], B[k, n] -> C[m, n], D[m], E[*]"
    assert render_rule(parse_rule("Q[m,n,k,*]:m*n->bs")) == "Q[m, n, k, *] : m * n -> bs"


def test_dim_bindings_first_occurrence():
    rule = parse_rule("A[m, k, *], B[k, n, m] -> C[m, n]")
    assert dim_bindings(rule.inputs) == {"m": (0, 0), "k": (0, 1), "n": (1, 1)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_rule_round_trip(data):
    dim_lists = data.draw(st.lists(st.lists(st.sampled_from(NAME_POOL), max_size=3), min_size=1, max_size=3))
    rests = data.draw(st.lists(st.booleans(), min_size=len(dim_lists), max_size=len(dim_lists)))
    inputs = tuple(TensorPattern(f"In{i}", tuple(d), r) for i, (d, r) in enumerate(zip(dim_lists, rests)))
    bound = set(dim_bindings(inputs))
    bound_exprs = exprs.filter(lambda e: names(e) <= bound)
    if data.draw(st.booleans()):
        rule = DimSizeRule(inputs, data.draw(bound_exprs), "target")
    else:
        outputs = []
        for i in range(data.draw(st.integers(1, 3))):
            if data.draw(st.booleans()):
                outputs.append(OutputPattern(f"Out{i}", (), False, True))
            else:
                dims = tuple(data.draw(st.lists(bound_exprs, max_size=3)))
                rest = bool(dims) and any(rests) and data.draw(st.booleans())
                outputs.append(OutputPattern(f"Out{i}", dims, rest, False))
        rule = ShapeRule(inputs, tuple(outputs))
    assert parse_rule(render_rule(rule)) == rule


# --------------------------------------------------------------------------- errors: exact text and column

EXPR_ERRORS = [
    ("", "empty text at column 1"),
    ("   ", "empty text at column 4"),
    ("(a + b", "unclosed '(' at column 1"),
    ("(a + b]", "expected ')' at column 7"),
    ("a + b)", "unmatched ')' at column 6"),
    ("a + * b", "expected a number, a name or '(' at column 5"),
    ("a +", "expected a number, a name or '(' at column 4"),
    ("a b", "unexpected 'b' at column 3"),
    ("a, b", "unexpected ',' at column 2"),
    ("foo(a)", "unknown function 'foo' (expected cdiv, max, min, next_power_of_2, numel) at column 1"),
    ("1 + cdiv(a)", "cdiv() takes 2 arguments but got 1 at column 5"),
    ("max(a)", "max() takes at least 2 arguments but got 1 at column 1"),
    ("min(a, b", "unclosed '(' at column 4"),
    ("min(a b)", "expected ',' or ')' at column 7"),
    ("a $ b", "unexpected character '$' at column 3"),
    ("a é", "unexpected character 'é' at column 3"),
    ("a / 0", "division by literal zero at column 3"),
    ("a // (0)", "division by literal zero at column 3"),
    ("b + a % -(0)", "division by literal zero at column 7"),
    ("a /// 0", "division by literal zero at column 3"),
    ("cdiv(a, 0)", "division by literal zero at column 1"),
    ("9223372036854775808", "integer literal 9223372036854775808 does not fit in int64 at column 1"),
    ("a ** ", "expected a number, a name or '(' at column 6"),
    ("a *** b", "expected a number, a name or '(' at column 5"),
    ("a < < b", "expected a number, a name or '(' at column 5"),
    ("a = b", "unexpected character '=' at column 3"),
    ("a =< b", "unexpected character '=' at column 3"),
    ("a ! b", "unexpected character '!' at column 3"),
    ("!a", "unexpected character '!' at column 1"),
    ("if + 1", "'if' is a reserved word at column 1"),
    ("a + else", "'else' is a reserved word at column 5"),
    ("max(a, or)", "'or' is a reserved word at column 8"),
    ("a if b < c", "expected 'else' at column 11"),
    ("(a if b < c) else k", "expected 'else' at column 12"),
    ("a if b < c else", "expected a number, a name or '(' at column 16"),
    ("a if n else b", "'n' is used as a truth value but is an integer; compare it (e.g. '!= 0') at column 6"),
    ("a if b < c else k if m + 1 else n",
     "'m + 1' is used as a truth value but is an integer; compare it (e.g. '!= 0') at column 22"),
    ("not a", "'a' is used as a truth value but is an integer; compare it (e.g. '!= 0') at column 5"),
    ("a < b and c", "'c' is used as a truth value but is an integer; compare it (e.g. '!= 0') at column 11"),
    ("a + 1 or b < c", "'a + 1' is used as a truth value but is an integer; compare it (e.g. '!= 0') at column 1"),
]


@pytest.mark.parametrize("text, problem", EXPR_ERRORS, ids=[t for t, _ in EXPR_ERRORS])
def test_expr_errors(text, problem):
    with pytest.raises(ExprError) as info:
        parse_expr(text)
    assert info.value.message == f"expression '{text}': {problem}"


RULE_ERRORS = [
    ("Q[m,n -> L[m]", "expected ',' or ']' at column 7"),
    ("", "empty text at column 1"),
    ("A[m+1] -> B[m]", "dims left of '->' or ':' must be bare names or integers at column 3"),
    ("A[2*m] -> B[1]", "dims left of '->' or ':' must be bare names or integers at column 3"),
    ("A[m,] -> B[m]", "expected a dim after ',' at column 5"),
    ("A[m] -> B[m,]", "expected a dim after ',' at column 13"),
    ("A[m, +] -> B[m]", "expected a dim name or '*' at column 6"),
    ("A[*, m] -> B[m]", "'*' must be the last dim at column 3"),
    ("A[m, *] -> B[*, m]", "'*' must be the last dim at column 14"),
    ("A[m] -> B[n]", "'n' is not a dim name of the patterns left of '->' at column 11"),
    ("A[m] : m * x -> t", "'x' is not a dim name of the patterns left of ':' at column 12"),
    ("A[m] -> B[m, *]", "a trailing '*' on the right needs an input pattern that ends in '*' at column 14"),
    ("A[m]", "expected ',', '->' or ':' at column 5"),
    ("A[m] B[m]", "expected ',', '->' or ':' at column 6"),
    ("A[m] : m", "expected '->' at column 9"),
    ("A[m] : -> t", "expected an expression after ':' at column 8"),
    ("A[m] : m -> 3", "expected the name of a dim-size argument at column 13"),
    ("A[m] : m -> t u", "unexpected 'u' at column 15"),
    ("A[m] -> B[m] C", "unexpected 'C' at column 14"),
    ("A[m] -> ", "expected an output tensor name at column 9"),
    ("[m] -> B[m]", "expected an input tensor name at column 1"),
    ("A -> B[m]", "expected '[' after 'A' at column 3"),
    ("A[m -> B[m]", "expected ',' or ']' at column 5"),
    ("A[m", "unclosed '[' at column 2"),
    ("A[m] -> B[m", "unclosed '[' at column 10"),
    ("A[m] -> B[(m]", "expected ')' at column 13"),
    ("A[m] -> B[m)]", "unmatched ')' at column 12"),
    ("A[m], A[n] -> B[m]", "input 'A' appears twice at column 7"),
    ("A[m] -> B[m], B[m]", "output 'B' appears twice at column 15"),
    ("A[m] -> B[m / 0]", "division by literal zero at column 13"),
    ("A[m] -> B[foo(m)]", "unknown function 'foo' (expected cdiv, max, min, next_power_of_2, numel) at column 11"),
    ("A[m] -> B[m @ 2]", "unexpected character '@' at column 13"),
    ("A[if] -> B[1]", "'if' is a reserved word at column 3"),
    ("if[m] -> B[m]", "'if' is a reserved word at column 1"),
    ("A[m] -> or[m]", "'or' is a reserved word at column 9"),
    ("A[m] : m -> not", "'not' is a reserved word at column 13"),
    ("A[m] -> B[else]", "'else' is a reserved word at column 11"),
    ("A[m < 2] -> B[m]", "dims left of '->' or ':' must be bare names or integers at column 3"),
    ("A[not m] -> B[m]", "dims left of '->' or ':' must be bare names or integers at column 3"),
    ("A[m ** 2] -> B[m]", "dims left of '->' or ':' must be bare names or integers at column 3"),
    ("A[m if m else 1] -> B[m]", "dims left of '->' or ':' must be bare names or integers at column 3"),
    ("A[m] -> B[m if m else 1]",
     "'m' is used as a truth value but is an integer; compare it (e.g. '!= 0') at column 16"),
    ("A[m] -> B[m if m > 1]", "expected 'else' at column 21"),
    ("A[m] -> B[m - > 1]", "expected a number, a name or '(' at column 15"),
    ("A[m] = B[m]", "unexpected character '=' at column 6"),
]


@pytest.mark.parametrize("text, problem", RULE_ERRORS, ids=[t for t, _ in RULE_ERRORS])
def test_rule_errors(text, problem):
    with pytest.raises(ExprError) as info:
        parse_rule(text)
    assert info.value.message == f"shape rule '{text}': {problem}"


def test_error_keeps_loc_and_stays_one_line():
    loc = Location("kernel_config.py", 14)
    with pytest.raises(ExprError) as info:
        parse_rule("A[m] ->\n  B[m +]", loc)
    assert info.value.loc is loc
    assert str(info.value) == (
        "kernel_config.py:14: error: shape rule 'A[m] ->   B[m +]': expected a number, a name or '(' at column 16")


def test_error_names_what_and_rejects_non_strings():
    with pytest.raises(ExprError) as info:
        parse_expr("x +", what="grid dim y")
    assert info.value.message == "grid dim y 'x +': expected a number, a name or '(' at column 4"
    with pytest.raises(ExprError) as info:
        parse_expr(3)
    assert info.value.message == "expression must be a string, got int 3"


# --------------------------------------------------------------------------- fuzz

TOKENS = ["A", "B", "m", "n", "0", "1", "12", "+", "-", "*", "/", "//", "///", "%", "(", ")", "[", "]",
          ",", ":", "->", "min", "max", "cdiv", "foo", " ", "\n", "@", ">", "é", "**", "<", "<=", "==", "!=", "=", "!",
          " if ", " else ", " and ", " or ", " not "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_fuzz_only_expr_errors(text):
    for parse in (parse_expr, parse_rule):
        try:
            parse(text)
        except ExprError as err:
            assert "\n" not in str(err) and " at column " in err.message
