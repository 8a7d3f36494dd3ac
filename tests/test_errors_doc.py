"""docs/ERRORS.md against the code, both ways (issue 24).

- Every message a row lists is one the code can produce: it matches a message string in plugingen/.
- Every message the code raises as a PluginGenError (or reports through a checker's ``error``/``warn``, a parser's
  ``fail``) is listed.

Matching: a message is cut into tokens (words, numbers, single punctuation). In a code string each f-string
placeholder (``{name}``) matches any text; in a row ``...`` does, and the row's example values (``'add_kernel'``,
``line 5``) stand where the code has placeholders. A row's location (``file:line: error:``) and hint
(``(hint: ...)``) are not part of the message; a code message may be part of a row (``also ...`` fragments). A row
and a code string match when they align: the code's literal tokens appear in the row in order (at least 60% of
them; the rest may fall in the row's ``...``), and the code explains at least half of the row's tokens (its
literals and its placeholders' example values). Two frames compose messages at run time (``FRAMES``): the parser's
``{what} '{text}': {problem} at column {col}`` and the loader's ``{what} raised {exception}``.

Only the plugingen rows are read: the first cell of each table row in the sections before "Run time" (the plugin's
C++ log lines), where that cell starts with a backquoted message; each backquoted message in it is a row pattern.
"""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ERRORS_MD = ROOT / "docs" / "ERRORS.md"
STAR = None  # a wildcard token
LOCATION = re.compile(r"^(?:[^\s:`]+(?::\d+)*: )?(?:error|warning): (?:argument [-\w]+: )?")
TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")
ERROR_TYPES = {"PluginGenError"}  # grown by the subclasses plugingen defines
REPORTERS = {"error", "warn", "fail", "_fail"}  # helpers whose string argument becomes a PluginGenError's message
MIN_WORDS = 3  # a raised message with fewer literal words is too generic to look up
MIN_STRING_WORDS = 1  # a code string with fewer literal words explains no row
ROW_SHARE = 0.5  # the share of a row's tokens its code message must explain


# ------------------------------------------------------------------------------------------------ the code's side
def _pattern(node: ast.AST):
    """A string expression as tokens with STAR for what is computed; None if it is not a string expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return TOKEN.findall(node.value)
    if isinstance(node, ast.JoinedStr):
        tokens = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                tokens += TOKEN.findall(part.value)
            elif not tokens or tokens[-1] is not STAR:
                tokens.append(STAR)
        return tokens
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _pattern(node.left), _pattern(node.right)
        if left is not None or right is not None:
            return (left if left is not None else [STAR]) + (right if right is not None else [STAR])
    return None


def _words(tokens) -> int:
    return sum(1 for t in tokens if t is not STAR and t.isalpha())


def _callee(call: ast.Call) -> str:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


def _trees():
    return [(path, ast.parse(path.read_text())) for path in sorted((ROOT / "plugingen").glob("*.py"))]


@functools.lru_cache(maxsize=None)
def code_messages():
    """(every string pattern in plugingen/, the messages raised as errors: {pattern: ('file.py:line', source)})."""
    trees = _trees()
    types = set(ERROR_TYPES)
    for _ in range(3):  # subclasses of subclasses
        for _, tree in trees:
            types |= {c.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
                      and any(getattr(b, "id", getattr(b, "attr", "")) in types for b in c.bases)}
    strings, raised = set(), {}
    texts = {path: path.read_text() for path, _ in trees}
    for path, tree in trees:
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, (ast.JoinedStr, ast.BinOp))
                 for v in ast.walk(n) if v is not n}  # pieces of a longer string are not strings of their own
        for node in ast.walk(tree):
            tokens = None if id(node) in parts else _pattern(node)
            if tokens is not None and _words(tokens) >= MIN_STRING_WORDS:
                strings.add(tuple(tokens))
            if isinstance(node, ast.Call) and (_callee(node) in types or _callee(node) in REPORTERS):
                for arg in node.args[:2]:
                    tokens = _pattern(arg)
                    if tokens is not None:
                        if _words(tokens) >= MIN_WORDS:
                            raised.setdefault(tuple(tokens), (f"plugingen/{path.name}:{node.lineno}",
                                                              ast.get_source_segment(texts[path], arg)))
                        break
    return strings, raised


# ------------------------------------------------------------------------------------------------ the doc's side
# Messages composed at run time of a frame and text from elsewhere: a row of that shape is matched by the frame's
# code string (which must exist) and, where the inside is plugingen's, by the inside too.
FRAMES = [
    (re.compile(r"^.*?'.*': (?P<inner>.*) at column \d+$"),  # expr.py: {what} '{text}': {problem} at column {col}
     'f"{self.what} \'{shown}\': {problem} at column {col}"'),
    (re.compile(r"^.* raised \w+: .*$"),  # loader.py: {what} raised {type}: {the exception's own text}
     'f"{what} raised {cause}"'),
]


def _unframed(example: str):
    """(the row's text to match, or None where the frame alone produces it; the frame's code string or None)."""
    for frame, code in FRAMES:
        found = frame.match(example)
        if found:
            inner = found.groupdict().get("inner")
            return (f"... {inner} ..." if inner else None), code
    return example, None


def doc_rows():
    """(row pattern tokens or None, the row's text, its frame's code string or None) of every plugingen message
    ERRORS.md lists."""
    text = ERRORS_MD.read_text().split("\n## Run time", 1)[0]
    rows = []
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = re.split(r"(?<!\\)\|", line)[1]
        for example in re.findall(r"`([^`]+)`", first_cell):
            # the location and argparse's 'argument --x: ' are not the message; the hint is another string
            text, frame = _unframed(LOCATION.sub("", example.split(" (hint: ")[0], count=1))
            tokens = []
            for piece in re.split(r"(\.\.\.|…)", text or ""):
                if piece in ("...", "…"):
                    tokens.append(STAR)
                else:
                    tokens += TOKEN.findall(piece)
            if frame or _words(tokens) >= MIN_WORDS:  # an example may be a part of its message: open ends
                rows.append(((STAR, *tokens, STAR) if text else None, example, frame))
    return rows


# ------------------------------------------------------------------------------------------------ matching
def matches(row, code) -> bool:
    """Whether some text fits both the row and the code's message (with text around it), where
    - the code's literal tokens are in the row but for what the row's ``...`` (or its open ends) leave out: at
      most 40% of them;
    - the code explains at least half of the row's tokens (its literals, and its placeholders' example values),
      so a few common words ('kernel_config.py', 'but ios lists') explain no row."""
    literal = [t for t in code if t is not STAR]
    have = set(row)
    needed = int(0.6 * len(literal) + 0.999)
    if sum(t in have for t in literal) < needed:
        return False
    explain = int(ROW_SHARE * sum(t is not STAR for t in row) + 0.999)
    code = (STAR, *code, STAR)
    inner = range(1, len(code) - 1)  # the code's own placeholders (not the open ends added around it)

    @functools.lru_cache(maxsize=None)
    def best(i: int, j: int):
        """(code literals matched, row tokens explained, words matched) aligning row[i:] with code[j:]; None: no
        alignment."""
        if i == len(row) and j == len(code):
            return (0, 0, 0)
        options = []

        def take(result, matched=0, explained=0, words=0):
            if result is not None:
                options.append((result[0] + matched, result[1] + explained, result[2] + words))

        if i < len(row) and row[i] is STAR:
            take(best(i + 1, j))
            if j < len(code):
                take(best(i, j + 1))  # the row's '...' stands for code[j]
        if j < len(code) and code[j] is STAR:
            take(best(i, j + 1))
            if i < len(row) and row[i] is not STAR:
                take(best(i + 1, j), explained=int(j in inner))  # a placeholder's example value
        if i < len(row) and j < len(code) and row[i] is not STAR and code[j] is not STAR and row[i] == code[j]:
            take(best(i + 1, j + 1), 1, 1, int(row[i].isalpha()))
        return max(options) if options else None

    result = best(0, 0)
    return result is not None and result[0] >= needed and result[1] >= explain and \
        result[2] >= min(_words(code), MIN_STRING_WORDS)


# ------------------------------------------------------------------------------------------------ the tests
def test_every_listed_message_is_produced_by_the_code():
    strings, _ = code_messages()
    code_text = "\n".join(path.read_text() for path in (ROOT / "plugingen").glob("*.py"))
    stale = [example for row, example, frame in doc_rows()
             if (frame and frame not in code_text) or (row and not any(matches(row, code) for code in strings))]
    assert not stale, ("docs/ERRORS.md lists messages no string in plugingen/ produces (reword the row to the "
                       "message the code gives, or remove it):\n  " + "\n  ".join(stale))


def test_every_raised_message_is_listed():
    _, raised = code_messages()
    rows = [row for row, _, _ in doc_rows() if row]
    missing = sorted(place for code, place in raised.items() if not any(matches(row, code) for row in rows))
    assert not missing, ("messages the code raises that docs/ERRORS.md does not list (add a row with an example "
                         "message of each, placeholders filled in):\n  " +
                         "\n  ".join(f"{where}: {source}" for where, source in missing))


def test_the_matching_tells_messages_apart():
    """The scheme itself: a row with example values and '...' matches its message, and not another one."""
    code = tuple(_pattern(ast.parse('f"kernel \'{n}\' takes {k} parameters from ios ({names})"', mode="eval").body))
    row = tuple(TOKEN.findall("kernel 'add_kernel' takes 5 parameters from ios (x, y, out, n, BLOCK) but ios "
                              "lists 4 entries"))
    assert matches(row, code)
    stale = tuple(TOKEN.findall("kernel 'add_kernel' has 5 parameters (x, y, out, n, BLOCK) but ios lists 4"))
    assert not matches(stale, code)
    elided = tuple(TOKEN.findall("kernel 'k' takes 5 parameters from ios")) + (STAR,)
    assert matches(elided, code)
    assert not matches((STAR,), code)  # '...' alone stands for nothing in particular


def test_a_made_up_row_matches_no_code_string():
    strings, _ = code_messages()
    made_up = (STAR, *TOKEN.findall("kernel 'add_kernel' frobnicates 3 widgets but ios lists 4 entries"), STAR)
    assert not any(matches(made_up, code) for code in strings)
    real = (STAR, *TOKEN.findall("hint '8' of 'y' is not one of '16', '1', ''"), STAR)
    assert any(matches(real, code) for code in strings)
