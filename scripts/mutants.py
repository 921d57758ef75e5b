#!/usr/bin/env python3
"""Memory-order mutation testing of tpl's lock-free code against its Relacy models.

For every explicit memory order in the lock-free headers (core/include/tpl, outside the sync/
facade itself), build one mutant per weaker order that is still legal for that operation,
rebuild the Relacy models against it, run them, and report whether a model caught it:

    seq_cst -> acq_rel / acquire / release      (read-modify-write and fence)
    seq_cst -> acquire (load), release (store)
    acq_rel -> acquire / release                (read-modify-write and fence)
    acquire / release -> relaxed

A compare-exchange's failure order is mutated on its own (acquire/seq_cst -> weaker), and a
success order is never weakened below its failure order (the facade rejects that pairing).

A survivor must be justified in docs/memory-orders.md: a row of its "Survivors" table that
quotes the operation's code and the weakening (e.g. `seq_cst -> acq_rel`). The script prints the
table and exits non-zero if any survivor lacks a justification (or if a mutant fails to build).

The mutants are built in a copy of the tree (build/mutants/src), so an interrupted run never
leaves a weakened header in the working tree.

A model's scenarios run as separate processes, --jobs at a time (default: the CPU count), and a
model stops at its first failing scenario: a killed mutant names the scenario that failed first,
not every scenario that would have failed.

Usage: scripts/mutants.py [--list] [--only CODE_SUBSTRING] [--file PATH_SUBSTRING] [--models A,B] [--jobs N]
                          [--from N] [--tier long|ci]

--tier picks the models' search budgets (models/support/model_runner.hpp): `long` (default) runs
each scenario's full search, as `make models-long` does; `ci` runs the smaller searches `make
test` runs, to show which mutants the CI budget still kills.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutants"
COPY = WORK / "src"
BUILD = WORK / "build"
DOC = ROOT / "docs" / "memory-orders.md"
# Lock-free headers: everything under core/include/tpl except the facade that maps orders.
SCAN_ROOT = ROOT / "core" / "include" / "tpl"
EXCLUDED_DIRS = {"sync"}
MODEL_TIMEOUT_S = 900

ORDER = re.compile(r"std::memory_order_(relaxed|consume|acquire|release|acq_rel|seq_cst)")
RMW_WEAKER = {"seq_cst": ["acq_rel", "acquire", "release"], "acq_rel": ["acquire", "release"],
              "acquire": ["relaxed"], "release": ["relaxed"]}
LOAD_WEAKER = {"seq_cst": ["acquire"], "acquire": ["relaxed"]}
STORE_WEAKER = {"seq_cst": ["release"], "release": ["relaxed"]}
FAILURE_WEAKER = {"seq_cst": ["acquire"], "acquire": ["relaxed"]}
STRENGTH = {"relaxed": 0, "consume": 1, "acquire": 1, "release": 1, "acq_rel": 2, "seq_cst": 3}


@dataclasses.dataclass
class Mutant:
    path: Path            # relative to ROOT
    line: int             # 1-based
    column: int           # where the order token starts
    code: str             # the statement, whitespace-normalised (the key docs quote)
    kind: str             # load / store / rmw / cas-success / cas-failure / fence
    original: str
    weakened: str
    result: str = ""      # killed / survived / build-failed / timeout
    killed_by: str = ""
    justified: bool = False

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def statement_at(lines: list[str], index: int) -> tuple[str, int]:
    """The statement containing line `index`: from the line where it starts to the `;`."""
    start = index
    # A previous line ends a statement if its code (before any trailing comment) does: a line
    # like `x.load(std::memory_order_relaxed);  // why` must not merge into the next statement
    # (it did, and hid the next line's store from the mutants as part of a "load").
    while start > 0 and not lines[start - 1].split("//", 1)[0].rstrip().endswith((";", "{", "}")) \
            and not lines[start - 1].lstrip().startswith("//"):
        start -= 1
    end = index
    while end < len(lines) - 1 and ";" not in lines[end] and not lines[end].rstrip().endswith("{"):
        end += 1
    text = " ".join(part.strip() for part in lines[start:end + 1])
    return re.sub(r"\s+", " ", text), start


def classify(statement: str, order_index_in_statement: int, orders_in_statement: int) -> str:
    if "atomic_thread_fence" in statement:
        return "fence"
    if "compare_exchange" in statement:
        return "cas-success" if order_index_in_statement == 0 else "cas-failure"
    if re.search(r"\.load\(", statement):
        return "load"
    if re.search(r"\.store\(", statement) or re.search(r"\bput\(", statement):
        return "store"
    return "rmw"


def find_mutants() -> list[Mutant]:
    mutants: list[Mutant] = []
    for path in sorted(SCAN_ROOT.rglob("*.hpp")):
        relative = path.relative_to(SCAN_ROOT)
        if relative.parts[0] in EXCLUDED_DIRS:
            continue
        lines = path.read_text().splitlines()
        for index, line in enumerate(lines):
            code_part = line.split("//", 1)[0]
            matches = list(ORDER.finditer(code_part))
            if not matches:
                continue
            statement, start = statement_at(lines, index)
            all_orders = ORDER.findall(statement)
            preceding = " ".join(l.split("//", 1)[0] for l in lines[start:index])
            for match in matches:
                original = match.group(1)
                # Which of the statement's orders this is (a CAS has success, then failure).
                position = len(ORDER.findall(preceding + " " + code_part[:match.start()]))
                kind = classify(statement, position, len(all_orders))
                table = {"load": LOAD_WEAKER, "store": STORE_WEAKER, "cas-failure": FAILURE_WEAKER}.get(kind, RMW_WEAKER)
                for weaker in table.get(original, []):
                    if kind == "cas-success" and len(all_orders) == 2:
                        failure = all_orders[1]
                        if STRENGTH[weaker] < STRENGTH[failure] or (weaker == "release" and failure != "relaxed"):
                            continue  # would pair a success order weaker than its failure order
                    mutants.append(Mutant(path.relative_to(ROOT), index + 1, match.start(), statement, kind,
                                          original, weaker))
    return mutants


def justified(mutant: Mutant, doc_text: str) -> bool:
    """A Survivors-table row of docs/memory-orders.md quoting the code and the weakening."""
    in_survivors = doc_text.split("## Survivors", 1)[-1] if "## Survivors" in doc_text else ""
    key = mutant.code.split("//")[0].strip().rstrip(";")
    for row in in_survivors.splitlines():
        if not row.startswith("|"):
            continue
        normalised = re.sub(r"\s+", " ", row.replace("`", ""))
        if key in normalised and f"{mutant.original} → {mutant.weakened}" in normalised:
            return True
    return False


def run(command: list[str], cwd: Path, timeout: int | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)


@dataclasses.dataclass
class ModelOutcome:
    failed: bool
    timed_out: bool = False
    report: str = ""   # "model:scenario (what Relacy reported)" for a failure
    output: str = ""


# How long each scenario took on the unmutated code (the baseline run): later runs start the
# quickest scenarios first, so a mutant that a quick scenario kills costs seconds, not the
# slowest scenario's minutes.
BASELINE_SECONDS: dict[tuple[str, str], float] = {}


def run_model(model: Path, jobs: int) -> ModelOutcome:
    """Runs each scenario of `model` in its own process, `jobs` at once; stops at the first failure."""
    listing = run([str(model), "--list"], ROOT)
    scenarios = [line.split()[0] for line in listing.stdout.splitlines() if line.strip()]
    if listing.returncode != 0 or not scenarios:
        return ModelOutcome(True, report=f"{model.name}:? (--list failed)", output=listing.stdout)
    pending = sorted(scenarios, key=lambda name: BASELINE_SECONDS.get((model.name, name), 0.0))
    # Output goes to a file, not a pipe: a failing scenario's history can outgrow a pipe's buffer.
    running: dict[str, tuple[subprocess.Popen, float, typing.IO[str]]] = {}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                name = pending.pop(0)
                log = tempfile.TemporaryFile("w+")
                process = subprocess.Popen([str(model), name], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                running[name] = (process, time.monotonic(), log)
            time.sleep(0.2)
            for name, (process, began, log) in list(running.items()):
                if process.poll() is None:
                    if time.monotonic() - began > MODEL_TIMEOUT_S:
                        return ModelOutcome(True, timed_out=True, report=f"{model.name}:{name}")
                    continue
                del running[name]
                BASELINE_SECONDS.setdefault((model.name, name), time.monotonic() - began)
                log.seek(0)
                output = log.read()
                log.close()
                if process.returncode != 0:
                    found = re.search(r"\] \d+: ([A-Z][A-Z ]+[A-Z])", output)
                    what = f" ({found.group(1).lower()})" if found else ""
                    return ModelOutcome(True, report=f"{model.name}:{name}{what}", output=output)
        return ModelOutcome(False)
    finally:
        for process, _, log in running.values():
            process.kill()
            process.wait()
            log.close()


def prepare_copy(only_models: set[str] | None, jobs: int) -> list[Path]:
    if COPY.exists():
        shutil.rmtree(COPY)
    COPY.mkdir(parents=True)
    for item in ["CMakeLists.txt", "cmake", "core", "models"]:
        source = ROOT / item
        # shutil.copy, not copy2: fresh modification times, so the persistent build directory
        # rebuilds everything a previous run's last mutant compiled.
        if source.is_dir():
            shutil.copytree(source, COPY / item, copy_function=shutil.copy)
        else:
            shutil.copy(source, COPY / item)
    configure = run(["cmake", "-S", str(COPY), "-B", str(BUILD), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                     "-DCMAKE_CXX_COMPILER=g++", "-DTPL_BUILD_TESTS=OFF", "-DTPL_BUILD_BENCH=OFF",
                     "-DTPL_BUILD_EXAMPLES=OFF", "-DTPL_BUILD_DIAGRAMS=OFF", "-DTPL_BUILD_MODELS=ON", "-DTPL_MODEL_PLANTED_BUG=OFF"], ROOT)
    if configure.returncode != 0:
        sys.exit("mutants: configuring the model build failed:\n" + configure.stdout)
    build = run(["cmake", "--build", str(BUILD)], ROOT)
    if build.returncode != 0:
        sys.exit("mutants: the unmutated models do not build:\n" + build.stdout)
    models = sorted((BUILD / "models").glob("model_*"))
    models = [m for m in models if m.is_file() and os.access(m, os.X_OK)]
    if only_models is not None:
        unknown = only_models - {m.name for m in models}
        if unknown:
            sys.exit(f"mutants: no such models: {', '.join(sorted(unknown))}")
        models = [m for m in models if m.name in only_models]
    for model in models:
        baseline = run_model(model, jobs)
        if baseline.failed:
            sys.exit(f"mutants: {model.name} fails without any mutation: {baseline.report}\n"
                     f"{baseline.output[-3000:]}")
    return models


def apply(mutant: Mutant, original_text: str) -> str:
    lines = original_text.splitlines(keepends=True)
    line = lines[mutant.line - 1]
    token = f"std::memory_order_{mutant.original}"
    assert line[mutant.column:mutant.column + len(token)] == token, (mutant.where, line)
    lines[mutant.line - 1] = line[:mutant.column] + f"std::memory_order_{mutant.weakened}" + \
        line[mutant.column + len(token):]
    return "".join(lines)


# The models that exercise each file most directly run first: a mutant is killed or not
# whatever the order (all models run until one fails), but the model most likely to kill it
# then runs before the slow ones (model_cancellation alone takes minutes).
FIRST_MODELS = {
    "work_stealing_deque": ["model_deque"],
    "cancellation_state": ["model_cancellation"],
    "task_state": ["model_task_state", "model_task"],
    "join_signal": ["model_join_signal", "model_pool"],
    "idle_sleeper": ["model_pool_sleep", "model_pool"],
    "pool_intake": ["model_pool_sleep", "model_pool"],
    "when_all_core": ["model_combinators"],
    "when_any_core": ["model_combinators"],
    "thread_pool": ["model_pool"],
    "value_task_source_state": ["model_value_task_source"],
    "io_operation_slot": ["model_io_operation"],
    "descriptor_lifetime": ["model_io_operation"],
}


def ordered_for(mutant: Mutant, models: list[Path]) -> list[Path]:
    first = FIRST_MODELS.get(mutant.path.stem, [])
    return sorted(models, key=lambda m: (first.index(m.name) if m.name in first else len(first), m.name))


def evaluate(mutant: Mutant, models: list[Path], jobs: int) -> None:
    target = COPY / mutant.path
    pristine = target.read_text()
    try:
        target.write_text(apply(mutant, pristine))
        built_before = {model: model.stat().st_mtime_ns for model in models}
        build = run(["cmake", "--build", str(BUILD)], ROOT)
        if build.returncode != 0:
            mutant.result, mutant.killed_by = "build-failed", build.stdout[-400:]
            return
        # A model the build did not relink does not contain the mutated code and cannot kill it.
        rebuilt = [model for model in models if model.stat().st_mtime_ns != built_before[model]]
        for model in ordered_for(mutant, rebuilt):
            outcome = run_model(model, jobs)
            if outcome.timed_out:
                mutant.result, mutant.killed_by = "timeout", outcome.report
                return
            if outcome.failed:
                mutant.result, mutant.killed_by = "killed", outcome.report
                return
        mutant.result = "survived"
    finally:
        target.write_text(pristine)
        os.utime(target)  # make sure the next build sees the restored file as changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="mutate only lines whose code contains this text")
    parser.add_argument("--file", help="mutate only files whose path contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--models", help="comma-separated model names to run (default: all); a partial run: "
                                         "a survivor then survived only these models")
    parser.add_argument("--from", dest="first", type=int, default=1,
                        help="start at this mutant's number (1-based, as --list numbers them): resumes a run")
    parser.add_argument("--tier", choices=["long", "ci"], default="long",
                        help="the models' search budgets: long (full searches, default) or ci (make test's)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="scenarios run at once (default: the CPU count)")
    args = parser.parse_args()
    os.environ["TPL_MODEL_TIER"] = args.tier  # every model process inherits it
    print(f"models run their {args.tier} tier", flush=True)

    mutants = find_mutants()
    if args.only:
        mutants = [m for m in mutants if args.only in m.code]
    if args.file:
        mutants = [m for m in mutants if args.file in str(m.path)]
    mutants = mutants[args.first - 1:]
    if args.list:
        for m in mutants:
            print(f"{m.where:55} {m.kind:11} {m.original} -> {m.weakened}   {m.code[:70]}")
        return 0
    if not mutants:
        sys.exit("mutants: no memory orders found to mutate")

    WORK.mkdir(parents=True, exist_ok=True)
    lock = open(WORK / "lock", "w")
    try:
        # Two runs would mutate the same copy of the tree under each other.
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit("mutants: another run is using build/mutants; wait for it to finish")
    started = time.monotonic()
    models = prepare_copy(set(args.models.split(",")) if args.models else None, args.jobs)
    print(f"{len(mutants)} mutants; models: {', '.join(m.name for m in models)}", flush=True)
    doc_text = DOC.read_text() if DOC.exists() else ""
    for number, mutant in enumerate(mutants, 1):
        began = time.monotonic()
        evaluate(mutant, models, args.jobs)
        mutant.justified = mutant.result == "survived" and justified(mutant, doc_text)
        print(f"[{number}/{len(mutants)}] {mutant.where} {mutant.original} -> {mutant.weakened}: "
              f"{mutant.result} {mutant.killed_by} ({time.monotonic() - began:.1f} s)", flush=True)

    print()
    print("| file:line | operation | original → weakened | result |")
    print("|---|---|---|---|")
    for m in mutants:
        code = m.code.split("//")[0].strip()
        if len(code) > 80:
            code = code[:77] + "..."
        if m.result == "killed":
            verdict = f"killed by {m.killed_by}"
        elif m.result == "survived":
            verdict = "survived, justified in docs/memory-orders.md" if m.justified else "SURVIVED, NOT JUSTIFIED"
        else:
            verdict = f"{m.result.upper()} {m.killed_by[:60]}"
        print(f"| {m.where} | `{code}` | {m.original} → {m.weakened} | {verdict} |")
    killed = sum(m.result == "killed" for m in mutants)
    survived = [m for m in mutants if m.result == "survived"]
    unjustified = [m for m in survived if not m.justified]
    broken = [m for m in mutants if m.result in ("build-failed", "timeout")]
    print(f"\n{len(mutants)} mutants: {killed} killed, {len(survived)} survived "
          f"({len(survived) - len(unjustified)} justified), {len(broken)} build failures/timeouts; "
          f"{time.monotonic() - started:.0f} s")
    if args.models:
        print(f"partial run: only {', '.join(m.name for m in models)} were run; a survivor here may be "
              f"killed by another model")
    return 1 if unjustified or broken else 0


if __name__ == "__main__":
    sys.exit(main())
