#!/usr/bin/env python3
"""Checks the conformance vectors themselves (conformance/SCHEMA.md): every file matches
vector.schema.json; ids are unique; the `divergence` / `mono` flags and their objects go together;
every observation's `at` names a step, in order; every verb of the protocol and every
continue_with option x outcome is exercised; there are at least 300 vectors; and the generated
files are exactly what their seeds give (generate.py --check).

Usage: check_vectors.py CONFORMANCE_DIR
"""
import json
import pathlib
import subprocess
import sys

import jsonschema

MINIMUM_VECTORS = 300


def main():
    root = pathlib.Path(sys.argv[1])
    schema = json.loads((root / "vector.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems, ids, ops, option_outcomes = [], set(), set(), set()
    every_op = {op for step in schema["$defs"]["step"]["oneOf"]
                for op in (step["properties"]["op"].get("enum") or [step["properties"]["op"]["const"]])}
    files = sorted((root / "vectors").glob("*.json"))
    for path in files:
        document = json.loads(path.read_text())
        for error in validator.iter_errors(document):
            problems.append(f"{path.name}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
        for vector in document.get("vectors", []):
            ident = vector.get("id", "?")
            if ident in ids:
                problems.append(f"{ident}: duplicate id")
            ids.add(ident)
            for flag in ("divergence", "mono"):
                if (flag in vector.get("flags", [])) != (flag in vector):
                    problems.append(f"{ident}: the `{flag}` flag and the `{flag}` object must come together")
            if len([flag for flag in vector.get("flags", []) if flag in ("required", "optional")]) != 1:
                problems.append(f"{ident}: exactly one of `required` / `optional`")
            steps = vector.get("steps", [])
            ops.update(step.get("op") for step in steps)
            traces = [vector.get("expect", [])] + vector.get("acceptable", []) + \
                     [vector[flag]["trace"] for flag in ("divergence", "mono") if flag in vector]
            for trace in traces:
                ats = [observation.get("at", -1) for observation in trace]
                if ats != sorted(ats) or any(at >= len(steps) for at in ats):
                    problems.append(f"{ident}: observations must be in step order and name a step ({ats})")
            generator = vector.get("generator", {})
            if generator.get("family") == "continue_with_options":
                option_outcomes.add((generator["option"], generator["outcome"]))
    if len(ids) < MINIMUM_VECTORS:
        problems.append(f"only {len(ids)} vectors, at least {MINIMUM_VECTORS} wanted")
    if every_op - ops:
        problems.append(f"verbs no vector exercises: {sorted(every_op - ops)}")
    options = schema["$defs"]["option"]["enum"]
    missing = {(option, outcome) for option in options for outcome in ("result", "faulted", "canceled")} - option_outcomes
    if missing:
        problems.append(f"continue_with option x outcome pairs without a vector: {sorted(missing)}")
    regenerated = subprocess.run([sys.executable, str(root / "generate.py"), "--check"], capture_output=True, text=True)
    if regenerated.returncode != 0:
        problems.append(regenerated.stdout.strip() or regenerated.stderr.strip())
    for problem in problems:
        print("PROBLEM", problem)
    print(f"vectors: {len(ids)} in {len(files)} files, {len(ops)} verbs, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
