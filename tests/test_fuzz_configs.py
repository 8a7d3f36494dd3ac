"""Fuzzing ``plugingen check`` with mutants of the shipped configs: a mistake is a one-line error and exit 2, never a
traceback (issue 23).

Each mutant is a shipped config (``conftest.all_configs()``) with one change in the right-hand side of a module-level
assignment (``KERNELS = [...]`` and its helpers): a value replaced by an ordinary one (a nearby int, a string of
the file, a rule/grid/constraint text with a name swapped or an operation appended: ``// (1 - 1)``, ``** 70``...)
or a wrong-kind one (None, negative, huge, float, string, list, dict...), two strings swapped, an entry or a keyword
deleted or duplicated. It runs through the CLI's entry, in-process, and must exit 0 or 2 with every error line
located (``file[:line[:col]]: error: ...``) and no traceback; a failure prints the mutant. Seeded: the same mutants
every run (500 take about 7 s on an idle 2-core machine).
"""
from __future__ import annotations

import ast
import contextlib
import copy
import io
import os
import random
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from conftest import all_configs, config_archs
from plugingen.cli import main

SEED = 23
MUTANTS = 500
BUDGET_S = 60  # on the 2-core CPU machine, under load
WRONG_KIND = ["None", "-1", "0", "-(2 ** 31)", "2 ** 63", "10 ** 40", "1e300", "float('nan')", "0.5", "True", "''",
              "'x'", "'fp17'", "'x[d] -> out[d]'", "[]", "[1, 2]", "['']", "{}", "{'T': 1}", "()", "(1, 2, 3)",
              "object()", "InputArg('x', Type('tensor[fp32]'))", "Constexpr(None)", "Type('tensor[T]')"]
LOCATED_LINE = re.compile(r"[^:\s][^:]*(:\d+){0,2}: (error|warning): \S")


def _slots(tree: ast.Module):
    """(parent, field, index) of every expression in the right-hand side of a module-level assignment."""
    found = []
    for statement in tree.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            for node in ast.walk(statement.value):
                for field, value in ast.iter_fields(node):
                    if isinstance(value, list):
                        found += [(node, field, i) for i, item in enumerate(value)
                                  if isinstance(item, (ast.expr, ast.keyword)) and not _assigned(item)]
                    elif isinstance(value, ast.expr) and field != "func" and not _assigned(value):
                        found.append((node, field, None))
    return found


def _assigned(node: ast.AST) -> bool:
    """A name being bound (a comprehension's target): replacing it would make no Python."""
    return isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del))


def _get(slot):
    node, field, index = slot
    value = getattr(node, field)
    return value if index is None else value[index]


def _set(slot, new):
    node, field, index = slot
    if index is None:
        setattr(node, field, new)
    else:
        getattr(node, field)[index] = new


EXPRESSION_EDITS = [" // (1 - 1)", " ** 70", " ** (0 - 1)", " % 0", " - 2 ** 62 * 4", " * 0", " < 0", " + "]


def _ordinary(rng: random.Random, old: ast.AST, strings: list) -> ast.expr:
    """A value of the kind the config had there: a nearby integer, another name of the file, a rule, grid or
    constraint text with a name swapped or an operation added."""
    if isinstance(old, ast.Constant) and isinstance(old.value, int) and not isinstance(old.value, bool):
        return ast.Constant(rng.choice([old.value + 1, old.value - 1, old.value * 2, old.value // 2, 1, 3, 1000]))
    if isinstance(old, ast.Constant) and isinstance(old.value, str) and old.value and rng.random() < 0.6:
        names = re.findall(r"[A-Za-z_]\w*", old.value)
        if names and rng.random() < 0.5:
            others = sorted({n for s in strings for n in re.findall(r"[A-Za-z_]\w*", s)})
            return ast.Constant(old.value.replace(rng.choice(names), rng.choice(others), 1))
        return ast.Constant(old.value + rng.choice(EXPRESSION_EDITS))
    return ast.Constant(rng.choice(strings)) if strings else ast.Constant(None)


def mutate(source: str, rng: random.Random) -> str:
    tree = ast.parse(source)
    slots = _slots(tree)
    if not slots:
        return source
    strings = sorted({n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)})
    operation = rng.choice(["wrong_kind", "wrong_kind", "ordinary", "swap", "delete", "duplicate"])
    slot = rng.choice(slots)
    target = _get(slot)
    if isinstance(target, ast.keyword):  # a keyword argument: change its value, drop it, or repeat it
        if operation in ("delete", "duplicate"):
            keywords = getattr(slot[0], slot[1])
            if operation == "delete":
                del keywords[slot[2]]
            else:
                keywords.insert(slot[2], copy.deepcopy(target))  # a SyntaxError: reported as one
            return ast.unparse(tree)
        slot, target = (target, "value", None), target.value
    if operation == "wrong_kind":
        _set(slot, ast.parse(rng.choice(WRONG_KIND), mode="eval").body)
    elif operation == "ordinary":
        _set(slot, _ordinary(rng, target, strings))
    elif operation == "swap":
        names = [s for s in _slots(tree) if isinstance(_get(s), ast.Constant) and isinstance(_get(s).value, str)]
        if len(names) >= 2:
            first, second = rng.sample(names, 2)
            a, b = _get(first), _get(second)
            _set(first, b)
            _set(second, a)
    elif slot[2] is not None:  # delete or duplicate an entry of a list, tuple, dict or call
        entries = getattr(slot[0], slot[1])
        if operation == "delete":
            del entries[slot[2]]
            if isinstance(slot[0], ast.Dict):
                del getattr(slot[0], "values" if slot[1] == "keys" else "keys")[slot[2]]
        else:
            entries.insert(slot[2], copy.deepcopy(target))
            if isinstance(slot[0], ast.Dict):
                other = getattr(slot[0], "values" if slot[1] == "keys" else "keys")
                other.insert(slot[2], copy.deepcopy(other[slot[2]]))
    else:
        _set(slot, ast.Constant(None))
    return ast.unparse(tree)


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """Each config's folder's Python files copied, so a mutant beside them finds its kernel files and imports."""
    root = tmp_path_factory.mktemp("fuzz")
    found = []
    for config in all_configs():
        folder = root / f"{config.parent.parent.name}-{config.parent.name}"
        if not folder.exists():
            folder.mkdir()
            for path in config.parent.glob("*.py"):
                shutil.copy(path, folder / path.name)
        found.append((config, folder))
    return found


def check(config: Path, archs: str) -> tuple[object, str]:
    """``plugingen check`` in-process -> (exit status or the exception that escaped, stdout + stderr)."""
    environ, bytecode = dict(os.environ), sys.dont_write_bytecode
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                status = main(["check", "--kernel_config", str(config), "--arch", archs])
            except SystemExit as exc:
                status = exc.code
            except BaseException as exc:  # noqa: B902 — what the test is looking for
                import traceback

                traceback.print_exc(file=out)
                status = exc
    finally:
        os.environ.clear()
        os.environ.update(environ)
        sys.dont_write_bytecode = bytecode
    return status, out.getvalue()


def test_mutated_configs_fail_cleanly(copies):
    rng = random.Random(SEED)
    start = time.perf_counter()
    outcomes = {0: 0, 2: 0}
    for number in range(MUTANTS):
        original, folder = copies[number % len(copies)]
        source = mutate(original.read_text(), rng)
        mutant = folder / "fuzz_mutant.py"
        mutant.write_text(source)
        status, output = check(mutant, config_archs(original))
        errors = [line for line in output.splitlines() if re.search(r"\b(error|warning): ", line)]
        problem = ("a traceback" if "Traceback" in output else
                   f"exit status {status!r}" if status not in (0, 2) else
                   "exit 2 without an error line" if status == 2 and not errors else
                   f"an error line without file:line: {next(e for e in errors if not LOCATED_LINE.match(e))}"
                   if any(not LOCATED_LINE.match(e) for e in errors) else None)
        assert problem is None, (f"mutant {number} of {original} gave {problem}:\n{output}\n"
                                 f"--- the mutant ({mutant}):\n{source}")
        outcomes[status] += 1
    elapsed = time.perf_counter() - start
    print(f"{MUTANTS} mutants in {elapsed:.1f}s: {outcomes[0]} pass check, {outcomes[2]} refused")
    assert outcomes[2] >= MUTANTS // 2, outcomes  # the mutations do reach the checks
    assert elapsed < BUDGET_S


def test_mutants_are_deterministic():
    config = all_configs()[0]
    first = [mutate(config.read_text(), random.Random(SEED)) for _ in range(3)]
    again = [mutate(config.read_text(), random.Random(SEED)) for _ in range(3)]
    assert first == again and first[0] != ast.unparse(ast.parse(config.read_text()))
