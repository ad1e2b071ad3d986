"""Rendering scored results: the terminal table and the grader's own JSON.

Other formats (GitHub Classroom, Gradescope, CSV) register themselves in
:data:`FORMATS` from their own modules.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable

Renderer = Callable[[dict[str, Any]], str]

_COLOURS = {"passed": "32", "failed": "31", "error": "31", "timeout": "35", "crash": "35",
            "not started": "33", "no tests": "31"}


def _use_colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _paint(text: str, state: str, colour: bool) -> str:
    code = _COLOURS.get(state)
    return f"\033[{code}m{text}\033[0m" if colour and code else text


def fmt_points(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.2f}"


def _reason(task: dict[str, Any], width: int = 118) -> list[str]:
    lines = [ln.rstrip() for ln in task["reason"].splitlines() if ln.strip()]
    keep = lines[:1] + [ln for ln in lines[1:] if ln.strip().startswith(("hint:", "at ", "worst at"))][:3]
    return [ln if len(ln) <= width else ln[: width - 1] + "…" for ln in keep]


def table(result: dict[str, Any], colour: bool | None = None) -> str:
    """One row per task (id, title, state, points), a total, and one reason per task that lost points."""
    colour = _use_colour() if colour is None else colour
    tasks = result["tasks"]
    tw = max([len("title")] + [len(t["title"]) for t in tasks])
    head = f"Assignment {result['assignment']} · {result['title']} · {result['impl']}"
    lines = [head, ""]
    lines.append(f"  {'task':<5} {'title':<{tw}}  {'state':<11}  {'tests':>7}  {'points':>13}")
    lines.append("  " + "-" * (5 + tw + 11 + 7 + 13 + 8))
    for t in tasks:
        pts = f"{fmt_points(t['earned'])} / {fmt_points(t['points'])}"
        tests = f"{t['passed']}/{t['total']}"
        state = _paint(f"{t['state']:<11}", t["state"], colour)
        lines.append(f"  {t['id']:<5} {t['title']:<{tw}}  {state}  {tests:>7}  {pts:>13}")
    lines.append("  " + "-" * (5 + tw + 11 + 7 + 13 + 8))
    total = f"{fmt_points(result['score'])} / {fmt_points(result['max_score'])}"
    lines.append(f"  {'':<5} {'total':<{tw}}  {'':<11}  {'':>7}  {total:>13}")
    lost = [t for t in tasks if t["state"] != "passed"]
    if lost:
        lines += ["", "What to look at:"]
        for t in lost:
            reason = _reason(t)
            if not reason:
                continue
            lines.append(f"  {t['id']}  {reason[0]}")
            lines += [f"        {ln.strip()}" for ln in reason[1:]]
    return "\n".join(lines)


def render_json(results: dict[str, Any]) -> str:
    return json.dumps(results, indent=2)


def render_table(results: dict[str, Any]) -> str:
    parts = [table(r) for r in results["assignments"]]
    if results.get("problems"):
        parts.append("Problems with the tests themselves:\n" + "\n".join(f"  {p}" for p in results["problems"]))
    return "\n\n".join(parts)


FORMATS: dict[str, Renderer] = {"table": render_table, "json": render_json}
