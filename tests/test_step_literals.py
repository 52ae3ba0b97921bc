"""No step number outside the SOP table: services, pages, UI and queries ask the table.

A step number written into code (``current_step == 11``, ``step in (8, 9, 10)``,
``current_step >= 6``, ``e.step == 4``) silently breaks when a step is added or renumbered;
this test reads every module of ``services/``, ``ui/``, ``pages/`` and ``db/`` and fails
on any integer literal compared with something named like a step.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("services", "ui", "pages", "db")


def _names(node: ast.AST) -> str:
    """The identifiers in an expression, lower-cased and joined (``e.step`` -> "e step")."""
    parts = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            parts.append(sub.id)
        elif isinstance(sub, ast.Attribute):
            parts.append(sub.attr)
        elif isinstance(sub, ast.arg):
            parts.append(sub.arg)
    return " ".join(parts).lower()


def _int_literals(node: ast.AST) -> list[int]:
    """Integer literals of a constant, or of a tuple/list/set of constants (0 is no step
    number: steps count from 1, and ``count > 0`` is common)."""
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value != 0:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for elt in node.elts for v in _int_literals(elt)]
    return []


def _is_literal_call(node: ast.AST) -> bool:
    """``literal(4)``: SQLAlchemy's bound literal, as passed to a step query."""
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) == "literal"
        and len(node.args) == 1
    )


def step_literals(source: str) -> list[tuple[int, str]]:
    """(line, code) of each comparison of a step-like expression with an int literal,
    and of each int literal passed to a step lookup (``sop.step(5)``, ``literal(4)``
    in a step query)."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            literal = any(_int_literals(s) for s in sides)
            steppy = any("step" in _names(s) for s in sides if not _int_literals(s))
            if literal and steppy:
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call):
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            args = [*node.args, *(a.args[0] for a in node.args if _is_literal_call(a))]
            if "step" in callee.lower() and any(_int_literals(a) for a in args):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            steppy = any("step" in _names(t) for t in targets)
            if steppy and isinstance(value, ast.Tuple | ast.List) and _int_literals(value):
                found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_the_detector_finds_the_shapes_it_is_meant_to_find():
    source = "\n".join(
        (
            "a = complaint.current_step == 11",
            "b = step in (8, 9, 10)",
            "c = complaint.current_step >= 6",
            "d = sop.step(5)",
            "CLOCK_STEPS = (4, 5, 7, 11)",
            "f = done_at_step(literal(4))",
            "e = page_size == 25",  # not a step: not found
        )
    )
    assert [line for line, _ in step_literals(source)] == [1, 2, 3, 4, 5, 6]


def test_no_module_outside_the_table_compares_a_step_with_a_number():
    offenders = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # released migrations are frozen history, not workflow code
            for line, code in step_literals(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {code}")
    assert offenders == []
