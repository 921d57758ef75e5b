#!/usr/bin/env python3
"""The reference runner of the port protocol (conformance/PORTING.md).

A port in another language needs a runner that reads the vectors, executes each step with its
own task API and reports the observations the step produced. This one drives tpl's replayer in
`--serve` mode exactly as a port's runner drives its own step executor: one JSON step per line
in, one JSON array of observations per line out, {"op": "reset"} between vectors. Everything
else (reading the files, the verdict rules, the flags, the report) is here, in ~100 lines of
Python with no dependency, so a port can copy its shape.

Usage: reference_runner.py --replayer BINARY [--flag divergence] PATH...
Exit status: 0 when every vector passed, 1 otherwise.
"""
import argparse
import json
import pathlib
import subprocess
import sys


def vector_files(paths):
    """Each file named, a directory standing for its *.json in name order."""
    for path in map(pathlib.Path, paths):
        yield from sorted(path.glob("*.json")) if path.is_dir() else [path]


def first_difference(expected, observed):
    """'' when the traces are equal; else the first differing observation, as SCHEMA.md words it."""
    for index in range(max(len(expected), len(observed))):
        want = expected[index] if index < len(expected) else None
        got = observed[index] if index < len(observed) else None
        if want is not None and want == got:
            continue
        show = lambda value: "nothing" if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))
        return f"observation #{index}: expected {show(want)}, observed {show(got)}"
    return ""


def verdict(vector, observed, flag):
    """None if the vector passed on this runner; else the reason it failed (SCHEMA.md, "Verdicts")."""
    if flag in vector:
        if observed == vector["expect"]:
            return f"flagged `{flag}` but the runner now matches .NET's trace: remove the flag"
        difference = first_difference(vector[flag]["trace"], observed)
        return f"(flagged `{flag}`) {difference}" if difference else None
    difference = first_difference(vector["expect"], observed)
    if not difference or any(not first_difference(other, observed) for other in vector.get("acceptable", [])):
        return None
    return difference


class StepServer:
    """The port's side of the protocol: here tpl's replayer, spoken to over a pipe."""

    def __init__(self, command):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def execute(self, step):
        self.process.stdin.write(json.dumps(step) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the step server exited")
        reply = json.loads(line)
        if isinstance(reply, dict):  # {"error": ...}: the vector asked for something the server cannot do
            raise RuntimeError(reply.get("error", "malformed reply"))
        return reply

    def close(self):
        self.process.stdin.close()
        return self.process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replayer", required=True, help="tpl_conformance_replay (run with --serve)")
    parser.add_argument("--flag", default="divergence", help="the member holding this runner's own trace")
    parser.add_argument("paths", nargs="+")
    arguments = parser.parse_args()

    server = StepServer([arguments.replayer, "--serve"])
    vectors = failed = flagged = 0
    for path in vector_files(arguments.paths):
        for vector in json.loads(path.read_text())["vectors"]:
            vectors += 1
            try:
                server.execute({"op": "reset"})
                observed = [observation for step in vector["steps"] for observation in server.execute(step)]
                reason = verdict(vector, observed, arguments.flag)
            except (RuntimeError, ValueError) as error:
                reason = f"could not be replayed: {error}"
            if reason:
                failed += 1
                print(f"FAIL {vector['id']}: {reason}")
            elif arguments.flag in vector:
                flagged += 1
    if server.close() != 0:
        print("FAIL the step server exited with an error")
        failed += 1
    print(f"reference runner: {vectors} vectors, {vectors - failed} passed ({flagged} of them as flagged `{arguments.flag}`), {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
