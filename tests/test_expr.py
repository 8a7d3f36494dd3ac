"""Tests for plugingen.expr and plugingen/include/plugingen/expr.h."""
from __future__ import annotations

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
from plugingen.expr import (BinOp, Call, DimSizeRule, Name, Neg, Num, OutputPattern, ShapeRule, TensorPattern,
                            dim_bindings, emit_dim_expr, emit_int64, evaluate, names, parse_expr, parse_rule,
                            render, render_rule)

INCLUDE_DIR = Path(ex.__file__).resolve().parent / "include"
CXX = shutil.which("g++")
needs_cxx = pytest.mark.skipif(CXX is None, reason="g++ not on PATH")

a, b, c, k, m, n = (Name(x) for x in "abckmn")


def fdiv(x, y):
    return BinOp("//", x, y)


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
])
def test_evaluate_python_semantics(text, want):
    assert evaluate(parse_expr(text), {"a": -3, "b": -2, "k": 1, "m": 3, "n": 2}) == want


def test_evaluate_errors_are_runtime_errors():
    with pytest.raises(ZeroDivisionError):
        evaluate(parse_expr("a / b"), {"a": 1, "b": 0})
    with pytest.raises(ZeroDivisionError):
        evaluate(parse_expr("cdiv(a, b)"), {"a": 1, "b": 0})
    with pytest.raises(KeyError):
        evaluate(parse_expr("a + zz"), {"a": 1})


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


# --------------------------------------------------------------------------- random ASTs

NAME_POOL = ("a", "b", "c", "m", "n")


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
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(exprs)
def test_render_parse_round_trip(e):
    assert parse_expr(render(e)) == e


def random_expr(rng: random.Random, depth: int) -> ex.Expr:
    """A random AST over NAME_POOL; divisors are often non-literal so they can be zero at run time."""
    if depth == 0 or rng.random() < 0.2:
        return Name(rng.choice(NAME_POOL)) if rng.random() < 0.7 else Num(rng.randint(0, 9))
    kind = rng.random()
    if kind < 0.1:
        return Neg(random_expr(rng, depth - 1))
    if kind < 0.2:
        args = tuple(random_expr(rng, depth - 1) for _ in range(rng.randint(2, 3)))
        return Call(rng.choice(["min", "max"]), args)
    return BinOp(rng.choice(ex.BINARY_OPS), random_expr(rng, depth - 1), random_expr(rng, depth - 1))


def _subtrees(e):
    yield e
    for child in ex._children(e):
        yield from _subtrees(child)


def _small_enough(e, env) -> bool:
    """No intermediate value anywhere near int64 overflow."""
    for sub in _subtrees(e):
        try:
            if abs(evaluate(sub, env)) > 2**40:
                return False
        except ZeroDivisionError:
            pass
    return True


def random_cases(count: int, seed: int):
    """(expr, env, expected) with expected = value or 'div0'; values span negatives to test floor semantics."""
    rng = random.Random(seed)
    cases = []
    while len(cases) < count:
        e = random_expr(rng, rng.randint(1, 4))
        env = {x: rng.randint(-12, 12) for x in NAME_POOL}
        if not _small_enough(e, env):
            continue
        try:
            want = str(evaluate(e, env))
        except ZeroDivisionError:
            want = "div0"
        cases.append((e, env, want))
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
    cmd = [CXX, "-std=c++17", "-O0", "-Wall", "-Werror", f"-I{INCLUDE_DIR}", str(src), "-o", str(exe)]
    built = subprocess.run(cmd, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-4000:]
    ran = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.splitlines()


def cxx_program(cases, use_builder: bool) -> str:
    """One program that prints each case's value (or 'div0') in order; one small function per case."""
    slot = {x: i for i, x in enumerate(NAME_POOL)}
    env_rows = ",\n".join("{" + ", ".join(str(env[x]) for x in NAME_POOL) + "}" for _, env, _ in cases)
    funcs = []
    for i, (e, _, _) in enumerate(cases):
        if use_builder:
            code = f"({emit_dim_expr(e, lambda x: f'eb.constant(v[{slot[x]}])', 'eb')})->value"
            funcs.append(f"static int64_t case{i}(int64_t const* v) {{ nvinfer1::IExprBuilder eb; return {code}; }}")
        else:
            funcs.append(f"static int64_t case{i}(int64_t const* v) {{ return {emit_int64(e, lambda x: f'v[{slot[x]}]')}; }}")
    return f"""#include "plugingen/expr.h"
#include <cstdio>
#include <deque>
{FAKE_TRT if use_builder else ""}
static int64_t const kEnv[][{len(slot)}] = {{
{env_rows}}};

{chr(10).join(funcs)}

static int64_t (*const kCases[])(int64_t const*) = {{{", ".join(f"case{i}" for i in range(len(cases)))}}};

int main() {{
    for (int i = 0; i < {len(cases)}; ++i) {{
        try {{
            std::printf("%lld\\n", static_cast<long long>(kCases[i](kEnv[i])));
        }} catch (std::domain_error const&) {{
            std::puts("div0");
        }}
    }}
    return 0;
}}
"""


def check_against_cxx(tmp_path, count, seed, use_builder):
    cases = random_cases(count, seed)
    assert sum(want == "div0" for _, _, want in cases) > count // 50  # the zero-divisor path is exercised
    got = run_cxx(tmp_path, cxx_program(cases, use_builder))
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


def test_emitted_code_shape():
    e = parse_expr("(seq_len + 127) / 128 - -n % 3")
    bind = {"seq_len": "s", "n": "d[1]"}.get
    assert emit_int64(e, bind) == (
        "plugingen::floordiv(s + int64_t{127}, int64_t{128}) - plugingen::mod(-d[1], int64_t{3})")
    assert emit_int64(parse_expr("min(a, b, 2)"), str) == "std::min<int64_t>({a, b, int64_t{2}})"
    assert emit_int64(parse_expr("-(-a)"), str) == "-(-a)"
    assert emit_dim_expr(parse_expr("m * 2"), lambda x: f"in[0].d[0]") == (
        "exprBuilder.operation(nvinfer1::DimensionOperation::kPROD, *(in[0].d[0]), *(exprBuilder.constant(2)))")


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
]


@pytest.mark.parametrize("text, rule", RULES, ids=[t for t, _ in RULES])
def test_parse_rule(text, rule):
    assert parse_rule(text) == rule
    assert parse_rule(render_rule(rule)) == rule
    assert parse_rule(re.sub(r"([\[\],:*]|->)", " \n\\1\t ", text)) == rule  # whitespace-insensitive


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
          ",", ":", "->", "min", "max", "cdiv", "foo", " ", "\n", "@", ">", "é"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_fuzz_only_expr_errors(text):
    for parse in (parse_expr, parse_rule):
        try:
            parse(text)
        except ExprError as err:
            assert "\n" not in str(err) and " at column " in err.message
