#!/usr/bin/env python3
"""Writes conformance/vectors/generated_*.json: vectors drawn from seeded generators, with the
expected trace computed by dotnet_model.py (the documented .NET rules) and checked against Mono by
the oracle test. Every vector records its family and seed; `generate.py --check` regenerates all
of them and fails if a file differs (the check_vectors test runs it), so the files stay exactly
what their seeds say.

The generators draw what the RapidCheck properties of proptests/ draw: 0..8 inputs with mixed
outcomes (result, one or two exceptions, canceled), some complete before the combinator is made,
the rest completed in a random order; continuation graphs over every continuation option and body;
async methods and continuations awaiting shared tasks;
registration / unregistration / cancel interleavings with throwing callbacks.

Usage: generate.py [--check]
"""
import argparse
import json
import pathlib
import random
import sys

from dotnet_model import expected_trace

VECTORS = pathlib.Path(__file__).resolve().parent / "vectors"

OPTIONS = ["none", "not_on_ran_to_completion", "not_on_faulted", "not_on_canceled",
           "only_on_ran_to_completion", "only_on_faulted", "only_on_canceled"]
ERROR_TYPES = ["error_a", "error_b", "error_c"]


def completion(source, outcome, rng_or_label):
    """The step that completes `source` with `outcome` (result / faulted / canceled)."""
    if outcome == "result":
        value = rng_or_label.randrange(100) if isinstance(rng_or_label, random.Random) else 5
        return {"op": "set_result", "source": source, "value": value}
    if outcome == "faulted":
        if isinstance(rng_or_label, random.Random):
            count = rng_or_label.choice([1, 1, 2])
            errors = [{"type": rng_or_label.choice(ERROR_TYPES), "message": f"{source}.{index}"} for index in range(count)]
        else:
            errors = [{"type": "error_a", "message": "boom"}]
        return {"op": "set_exception", "source": source, "errors": errors}
    return {"op": "set_canceled", "source": source}


def vector(family, ident, rule, steps, generator):
    return {"id": f"generated.{family}.{ident}", "rule": rule, "flags": ["required"],
            "generator": dict(family=family, **generator), "steps": steps, "expect": expected_trace(steps)}


def one_continuation(continuation, outcome, timing):
    """Steps: a source `a`, completed with `outcome` before or after `continuation` (on `a`, named
    `c`) is registered; `c` observed after each."""
    completes = [completion("a", outcome, "fixed")]
    steps = [{"op": "source", "name": "a"}] + (completes if timing == "before" else [])
    steps += [continuation, {"op": "observe", "task": "c"}]
    if timing == "after":
        steps += completes + [{"op": "observe", "task": "c"}]
    return steps


def continue_with_options():
    rule = ("ContinueWith with TaskContinuationOptions: a continuation whose Not*/Only* options exclude the "
            "antecedent's final state is canceled without running; otherwise it runs once")
    vectors = []
    for option in OPTIONS:
        for outcome in ["result", "faulted", "canceled"]:
            for timing in ["before", "after"]:
                continuation = {"op": "continue_with", "name": "c", "antecedent": "a", "options": [option],
                                "body": {"kind": "value", "value": 10}}
                vectors.append(vector("continue_with_options", f"{option}.{outcome}.completed_{timing}", rule,
                                      one_continuation(continuation, outcome, timing),
                                      {"option": option, "outcome": outcome, "antecedent_completed": timing}))
    return vectors


def continue_with_bodies():
    rule = ("ContinueWith: the continuation's task takes its body's outcome (a value, or faulted with what it "
            "threw); reading a faulted or canceled antecedent's Result throws AggregateException")
    vectors = []
    bodies = {"value": {"kind": "value", "value": 3}, "throw": {"kind": "throw", "error": {"type": "error_b", "message": "body"}},
              "antecedent_result": {"kind": "antecedent_result"}}
    for body_name, body in bodies.items():
        for outcome in ["result", "faulted", "canceled"]:
            for timing in ["before", "after"]:
                continuation = {"op": "continue_with", "name": "c", "antecedent": "a", "body": body}
                vectors.append(vector("continue_with_bodies", f"{body_name}.{outcome}.completed_{timing}", rule,
                                      one_continuation(continuation, outcome, timing),
                                      {"body": body_name, "outcome": outcome, "antecedent_completed": timing}))
    return vectors


def when_all_any(seed):
    rng = random.Random(seed)
    count = seed % 9
    rule = ("Task.WhenAll / Task.WhenAny over inputs with mixed outcomes and completion orders: WhenAll completes "
            "when the last input does (faulted with every input's exceptions in input order, else canceled, else "
            "the results); WhenAny with the first input to complete")
    steps, pending = [], []
    names = [f"t{index}" for index in range(count)]
    for name in names:
        outcome = rng.choice(["result", "result", "faulted", "canceled"])
        steps.append({"op": "source", "name": name})
        if rng.random() < 0.3:
            steps.append(completion(name, outcome, rng))
        else:
            pending.append((name, outcome))
    steps.append({"op": "when_all", "name": "all", "tasks": names})
    steps.append({"op": "when_any", "name": "any", "tasks": names})
    steps.append({"op": "observe", "task": "all"})
    if count:
        steps.append({"op": "observe", "task": "any"})
    rng.shuffle(pending)
    for name, outcome in pending:
        steps.append(completion(name, outcome, rng))
        if rng.random() < 0.2:
            steps.append({"op": "try_set_result", "source": name, "value": 99})
        steps.append({"op": "observe", "task": "all"})
        steps.append({"op": "observe", "task": "any"})
    return vector("when_all_any", f"n{count}.seed{seed}", rule, steps, {"seed": seed, "inputs": count})


def continuation_graph(seed):
    rng = random.Random(seed)
    rule = ("ContinueWith graphs: synchronous continuations run inline when their antecedent completes, in "
            "registration order, and a canceled or faulted continuation propagates to its own continuations")
    steps = [{"op": "source", "name": "root"}]
    tasks = ["root"]
    links = rng.randint(1, 5)
    complete_at = rng.randint(0, links)
    outcome = rng.choice(["result", "faulted", "canceled"])
    for index in range(links):
        if index == complete_at:
            steps.append(completion("root", outcome, rng))
        body_kind = rng.choice(["value", "throw", "antecedent_result"])
        body = {"kind": body_kind}
        if body_kind == "value":
            body["value"] = rng.randrange(100)
        elif body_kind == "throw":
            body["error"] = {"type": rng.choice(ERROR_TYPES), "message": f"c{index}"}
        step = {"op": "continue_with", "name": f"c{index}", "antecedent": rng.choice(tasks), "body": body}
        option = rng.choice(OPTIONS)
        if option != "none":
            step["options"] = [option]
        steps.append(step)
        tasks.append(f"c{index}")
        if rng.random() < 0.3:
            steps.append({"op": "observe", "task": rng.choice(tasks)})
    if complete_at == links:
        steps.append(completion("root", outcome, rng))
    for name in tasks[1:]:
        steps.append({"op": "observe", "task": name})
    return vector("continuation_graphs", f"seed{seed}", rule, steps, {"seed": seed, "links": links})


def async_graph(seed):
    rng = random.Random(seed)
    rule = ("async methods and synchronous continuations over shared tasks: each async method runs on its caller "
            "until its await, resumes inline in await order with the other continuations, and ends with the awaited "
            "outcome (a fault's first exception, or canceled)")
    sources = [f"s{index}" for index in range(rng.randint(1, 3))]
    steps = [{"op": "source", "name": name} for name in sources]
    tasks, pending = list(sources), list(sources)
    for index in range(rng.randint(2, 6)):
        if pending and rng.random() < 0.35:
            steps.append(completion(pending.pop(rng.randrange(len(pending))), rng.choice(["result", "result", "faulted", "canceled"]), rng))
        name = f"n{index}"
        if rng.random() < 0.6:
            steps.append({"op": "async", "name": name, "awaits": rng.choice(tasks), "add": rng.randrange(10)})
        else:
            steps.append({"op": "continue_with", "name": name, "antecedent": rng.choice(tasks),
                          "body": rng.choice([{"kind": "antecedent_result"}, {"kind": "value", "value": rng.randrange(10)}])})
        tasks.append(name)
    rng.shuffle(pending)
    for name in pending:
        steps.append(completion(name, rng.choice(["result", "result", "faulted", "canceled"]), rng))
    steps += [{"op": "observe", "task": name} for name in tasks[len(sources):]]
    return vector("async_graphs", f"seed{seed}", rule, steps, {"seed": seed})


def registrations(seed):
    rng = random.Random(seed)
    rule = ("CancellationToken.Register / Unregister / Dispose interleaved with Cancel: callbacks run once, most "
            "recent first, on the canceling thread; registering on a canceled token runs the callback at once; "
            "Unregister returns true only if the callback had not run; Cancel aggregates the callbacks' exceptions")
    sources = ["s"] if rng.random() < 0.5 else ["s", "u"]
    steps = [{"op": "cts", "name": name} for name in sources]
    canceled, live, counter = set(), [], 0
    for _ in range(rng.randint(4, 10)):
        action = rng.choice(["register", "register", "register", "unregister", "dispose", "cancel", "observe"])
        if action == "register":
            source = rng.choice(sources)
            step = {"op": "register", "name": f"r{counter}", "token": source}
            counter += 1
            if rng.random() < 0.25:
                step["throws"] = {"type": rng.choice(ERROR_TYPES), "message": step["name"]}
            steps.append(step)
            if not (source in canceled and "throws" in step):  # a throwing Register returns nothing
                live.append(step["name"])
        elif action in ("unregister", "dispose") and live:
            op = "unregister" if action == "unregister" else "dispose_registration"
            steps.append({"op": op, "registration": rng.choice(live)})
        elif action == "cancel":
            source = rng.choice(sources)
            steps.append({"op": "cancel", "source": source})
            canceled.add(source)
        else:
            steps.append({"op": "observe_token", "source": rng.choice(sources)})
    for source in sources:
        if source not in canceled:
            steps.append({"op": "cancel", "source": source})
    for name in live:
        steps.append({"op": "unregister", "registration": name})
    return vector("registrations", f"seed{seed}", rule, steps, {"seed": seed})


def documents():
    def document(vectors):
        return "{\"vectors\": [\n" + ",\n".join(json.dumps(each, sort_keys=True) for each in vectors) + "\n]}\n"

    return {
        "generated_continue_with_options.json": document(continue_with_options()),
        "generated_continue_with_bodies.json": document(continue_with_bodies()),
        "generated_when_all_any.json": document([when_all_any(seed) for seed in range(108)]),
        "generated_continuation_graphs.json": document([continuation_graph(seed) for seed in range(60)]),
        "generated_registrations.json": document([registrations(seed) for seed in range(70)]),
        "generated_async_graphs.json": document([async_graph(seed) for seed in range(40)]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if a generated file differs from its seeds")
    arguments = parser.parse_args()
    stale = []
    for name, text in documents().items():
        path = VECTORS / name
        if arguments.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("stale generated vectors (run conformance/generate.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
