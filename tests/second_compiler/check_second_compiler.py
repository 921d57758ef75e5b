#!/usr/bin/env python3
"""The sources only the g++ release build compiles, checked by the second compiler (clang 19).

`make test` builds three presets: release (g++ 12), tsan and asan (both clang 19). Tests,
property tests, stress, scenarios and the library are therefore compiled by both compilers with
-Wall -Wextra -Werror. What the sanitizer presets leave out (the Relacy models, the examples, the co_await
temporaries program) is compiled here by clang with the release build's
own flags and -fsyntax-only: clang issues every diagnostic from its front end (template
instantiation and the flow-sensitive warnings included), so syntax-only sees every warning a full
clang build would, at a few seconds a file instead of minutes (issue 28: `make test` in 20
minutes). The full clang build and run stays available as `make clang`.

    check_second_compiler.py --compile-commands build/release/compile_commands.json
                             --source-dir <repo> --compiler clang++-19 [--shard i --shards n]

Fails when a source does not compile, or when no source at all was selected (a wrong path or an
emptied compile database would otherwise pass silently).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

# Directories (relative to the source tree) that no sanitizer preset compiles. The benchmarks are
# g++-only, as they always were: their OpenMP peer needs clang's libomp and Asio's coroutine peer
# does not detect clang's coroutine support in this Asio.
ONLY_IN_RELEASE = ("models/", "examples/", "tests/coawait_temporaries/")

# g++ options clang does not know (or that only steer g++'s optimiser).
GCC_ONLY_OPTIONS = {"-fno-lifetime-dse"}


def clang_command(entry, compiler):
    """The entry's compile line for the second compiler, front end only."""
    arguments = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    result = [compiler]
    skip_next = False
    for argument in arguments[1:]:
        if skip_next:
            skip_next = False
            continue
        if argument in ("-o", "-MF", "-MT", "-MQ"):
            skip_next = True
            continue
        if argument in ("-c", "-MD", "-MMD") or argument in GCC_ONLY_OPTIONS:
            continue
        result.append(argument)
    result.append("-fsyntax-only")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--compile-commands", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--shard", type=int, default=0)
    parser.add_argument("--shards", type=int, default=1)
    options = parser.parse_args()

    with open(options.compile_commands) as database:
        entries = json.load(database)
    source_dir = os.path.realpath(options.source_dir) + os.sep
    selected = []
    for entry in entries:
        path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
        relative = path[len(source_dir):] if path.startswith(source_dir) else None
        if relative is not None and relative.startswith(ONLY_IN_RELEASE):
            selected.append((relative, entry))
    selected.sort(key=lambda item: (item[0], item[1].get("output", "")))
    if not selected:
        print(f"no release-only sources found in {options.compile_commands}", file=sys.stderr)
        return 1
    shard = selected[options.shard::options.shards]

    failed = []
    for relative, entry in shard:
        command = clang_command(entry, options.compiler)
        run = subprocess.run(command, cwd=entry["directory"], capture_output=True, text=True)
        if run.returncode != 0:
            failed.append(relative)
            print(f"{relative} does not compile with {options.compiler}:\n"
                  f"  {shlex.join(command)}\n{run.stdout}{run.stderr}")
    if failed:
        print(f"{len(failed)} of {len(shard)} sources fail with {options.compiler}: {failed}")
        return 1
    print(f"{options.compiler} compiles all {len(shard)} sources of this shard "
          f"({len(selected)} release-only compile lines in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
