#!/usr/bin/env python3
"""Proves a wrong expectation cannot pass: on a copy of the vectors, changes one expected
observation of one vector and drops the last expected observation of another, then requires the
.NET oracle, tpl's replayer and the reference runner each to exit 1 with exactly two FAIL lines,
naming those vectors and their first differing observation.

Usage: wrong_expectation_fails.py --replayer BINARY --mono MONO --oracle ORACLE.exe --vectors DIR
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

CHANGED = "cancellation.callbacks_newest_first"   # expects r3 first: the copy says r1
SHORTENED = "tasks.source.set_result"             # the copy forgets the `get` observation


def corrupt(directory):
    for path in directory.glob("*.json"):
        document = json.loads(path.read_text())
        touched = False
        for vector in document["vectors"]:
            if vector["id"] == CHANGED:
                assert vector["expect"][0]["callback"] == "r3"
                vector["expect"][0]["callback"] = "r1"
                touched = True
            elif vector["id"] == SHORTENED:
                vector["expect"].pop()
                touched = True
        if touched:
            path.write_text(json.dumps(document))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--replayer", required=True)
    parser.add_argument("--mono", required=True)
    parser.add_argument("--oracle", required=True)
    parser.add_argument("--vectors", required=True)
    arguments = parser.parse_args()
    runner = pathlib.Path(__file__).resolve().parent.parent / "reference_runner.py"
    wanted = {
        f"FAIL {CHANGED}: observation #0: expected {{\"at\":4,\"callback\":\"r1\"}}, observed {{\"at\":4,\"callback\":\"r3\"}}",
        f"FAIL {SHORTENED}: observation #1: expected nothing, observed {{\"at\":3,\"result\":7}}",
    }
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        copy = pathlib.Path(scratch) / "vectors"
        shutil.copytree(arguments.vectors, copy)
        corrupt(copy)
        commands = {
            ".NET oracle": [arguments.mono, arguments.oracle, str(copy)],
            "tpl replay": [arguments.replayer, str(copy)],
            "reference runner": [sys.executable, str(runner), "--replayer", arguments.replayer, str(copy)],
        }
        for name, command in commands.items():
            result = subprocess.run(command, capture_output=True, text=True)
            fails = {line for line in result.stdout.splitlines() if line.startswith("FAIL")}
            ok = result.returncode == 1 and fails == wanted
            failures += not ok
            print(f"{'ok' if ok else 'WRONG'}: {name} exited {result.returncode} with {len(fails)} FAIL lines")
            for line in sorted(fails ^ wanted):
                print(f"  {'unexpected' if line in fails else 'missing'}: {line}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
