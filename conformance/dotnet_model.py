"""A small executable model of .NET's documented TPL rules, used by generate.py to compute the
expected trace of a generated vector (conformance/SCHEMA.md). It is a third implementation,
independent of tpl and of Mono: a generated vector is only kept in the repository if Mono's
System.Threading.Tasks agrees with it (the oracle test), and tpl's replay is checked against it.

Rules encoded here, each with its .NET source of truth:
- TaskCompletionSource<T>.Set*: the first completion wins; Set* on a completed task throws
  InvalidOperationException, TrySet* returns false. Completion runs the task's synchronous
  continuations inline, in registration order.
- ContinueWith(..., options | ExecuteSynchronously): a continuation whose options exclude the
  antecedent's final state is canceled without running; otherwise it runs once, inline, when the
  antecedent completes (at once if it already has). `.Result` of a faulted antecedent throws
  AggregateException(its inner exceptions); of a canceled one AggregateException(TaskCanceled).
- async methods: run on the caller until the first await of an incomplete task, and resume
  inline on the thread that completes it; an exception from `await` faults the method's task
  with it (OperationCanceledException: Canceled).
- Task.WhenAll: ran to completion with the results in input order, once every input completed;
  faulted with every faulted input's inner exceptions (input order) if any faulted; else canceled
  if any was canceled. No inputs: a completed task with an empty result.
- Task.WhenAny: completes (ran to completion) with the first input to complete; inputs already
  complete at the call: the first of them in input order. No inputs: ArgumentException.
- CancellationTokenSource.Cancel(): first call only; runs the registered callbacks synchronously,
  most recently registered first, then throws AggregateException of the callbacks' exceptions (in
  the order they were thrown) if any threw. Register on a canceled token runs the callback at once
  on the caller; its exception propagates as is. Unregister() returns true only if it removed a
  callback that had not run.
"""


def error_description(spec):
    return {"type": spec["type"], "message": spec.get("message", "")}


class Task:
    def __init__(self, world):
        self.world = world
        self.state = "waiting_for_activation"
        self.result = None
        self.errors = None
        self.continuations = []

    def completed(self):
        return self.state in ("ran_to_completion", "faulted", "canceled")

    def complete(self, state, result=None, errors=None):
        if self.completed():
            return False
        self.state, self.result, self.errors = state, result, errors
        continuations, self.continuations = self.continuations, []
        for continuation in continuations:
            continuation(self)
        return True

    def on_completed(self, continuation):
        if self.completed():
            continuation(self)
        else:
            self.continuations.append(continuation)


class Thrown(Exception):
    """An exception a step throws, carried as its neutral description."""

    def __init__(self, description):
        super().__init__(str(description))
        self.description = description


def aggregate(inner):
    return {"type": "aggregate", "inner": inner}


class Source:
    def __init__(self):
        self.canceled = False
        self.callbacks = []  # [name, throws] of live registrations, in registration order


EXCLUDES = {
    "none": set(),
    "not_on_ran_to_completion": {"ran_to_completion"},
    "not_on_faulted": {"faulted"},
    "not_on_canceled": {"canceled"},
    "only_on_ran_to_completion": {"faulted", "canceled"},
    "only_on_faulted": {"ran_to_completion", "canceled"},
    "only_on_canceled": {"ran_to_completion", "faulted"},
}


class World:
    def __init__(self):
        self.at = 0
        self.trace = []
        self.tasks = {}
        self.when_any_names = set()  # an observation of these names the winner, not a result
        self.sources = {}
        self.registrations = {}

    def record(self, observation):
        observation["at"] = self.at
        self.trace.append(observation)

    def run(self, steps):
        for step in steps:
            try:
                getattr(self, "op_" + step["op"])(step)
            except Thrown as thrown:
                self.record({"threw": thrown.description})
            self.at += 1
        return self.trace

    # Tasks and completion sources.
    def op_source(self, step):
        self.tasks[step["name"]] = Task(self)

    def op_from_result(self, step):
        self.tasks[step["name"]] = task = Task(self)
        task.complete("ran_to_completion", result=step["value"])

    def op_from_exception(self, step):
        self.tasks[step["name"]] = task = Task(self)
        task.complete("faulted", errors=[error_description(step["error"])])

    def op_from_canceled(self, step):
        if "token" not in step or not self.sources[step["token"]].canceled:
            raise Thrown({"type": "argument"})
        self.tasks[step["name"]] = task = Task(self)
        task.complete("canceled")

    def _set(self, step, state, **outcome):
        done = self.tasks[step["source"]].complete(state, **outcome)
        if step["op"].startswith("try_"):
            self.record({"returned": done})
        elif not done:
            raise Thrown({"type": "invalid_operation"})

    def op_set_result(self, step):
        self._set(step, "ran_to_completion", result=step["value"])

    op_try_set_result = op_set_result

    def op_set_exception(self, step):
        self._set(step, "faulted", errors=[error_description(each) for each in step["errors"]])

    op_try_set_exception = op_set_exception

    def op_set_canceled(self, step):
        self._set(step, "canceled")

    op_try_set_canceled = op_set_canceled

    def op_continue_with(self, step):
        name, body = step["name"], step["body"]
        excluded = set()
        for option in step.get("options", []):
            excluded |= EXCLUDES[option]
        continuation = Task(self)
        self.tasks[name] = continuation

        def run(antecedent):
            if antecedent.state in excluded:
                continuation.complete("canceled")
                return
            self.record({"ran": name, "antecedent_status": antecedent.state})
            if body["kind"] == "throw":
                continuation.complete("faulted", errors=[error_description(body["error"])])
            elif body["kind"] == "antecedent_result" and antecedent.state == "faulted":
                continuation.complete("faulted", errors=[aggregate(antecedent.errors)])
            elif body["kind"] == "antecedent_result" and antecedent.state == "canceled":
                continuation.complete("faulted", errors=[aggregate([{"type": "task_canceled"}])])
            elif body["kind"] == "antecedent_result":
                continuation.complete("ran_to_completion", result=antecedent.result)
            else:
                continuation.complete("ran_to_completion", result=body.get("value", 0))

        self.tasks[step["antecedent"]].on_completed(run)

    def op_when_all(self, step):
        inputs = [self.tasks[name] for name in step["tasks"]]
        combined = Task(self)
        self.tasks[step["name"]] = combined

        def settle(_):
            if not all(each.completed() for each in inputs) or combined.completed():
                return
            errors = [error for each in inputs if each.state == "faulted" for error in each.errors]
            if errors:
                combined.complete("faulted", errors=errors)
            elif any(each.state == "canceled" for each in inputs):
                combined.complete("canceled")
            else:
                combined.complete("ran_to_completion", result=[each.result for each in inputs])

        if not inputs:
            combined.complete("ran_to_completion", result=[])
        for each in inputs:
            each.on_completed(settle)

    def op_when_any(self, step):
        names = step["tasks"]
        if not names:
            raise Thrown({"type": "argument"})
        combined = Task(self)
        self.tasks[step["name"]] = combined
        self.when_any_names.add(step["name"])
        already = [name for name in names if self.tasks[name].completed()]
        if already:
            combined.complete("ran_to_completion", result=already[0])
            return
        for name in names:
            self.tasks[name].on_completed(lambda _, name=name: combined.complete("ran_to_completion", result=name))

    def op_async(self, step):
        """async Task<int> M() { started; int v = await t; resumed; return v + add; }"""
        name, add = step["name"], step.get("add", 0)
        method = Task(self)
        self.tasks[name] = method
        self.record({"started": name})

        def resume(awaited):
            if awaited.state == "faulted":  # await rethrows the first exception, which faults M
                method.complete("faulted", errors=awaited.errors[:1])
            elif awaited.state == "canceled":  # TaskCanceledException ends M canceled
                method.complete("canceled")
            else:
                self.record({"resumed": name})
                method.complete("ran_to_completion", result=awaited.result + add)

        self.tasks[step["awaits"]].on_completed(resume)

    def op_observe(self, step):
        task = self.tasks[step["task"]]
        observation = {"status": task.state}
        if task.state == "ran_to_completion":
            observation["winner" if step["task"] in self.when_any_names else "result"] = task.result
        elif task.state == "faulted":
            observation["errors"] = task.errors
        self.record(observation)

    # Cancellation.
    def op_cts(self, step):
        self.sources[step["name"]] = Source()

    def op_observe_token(self, step):
        self.record({"canceled": self.sources[step["source"]].canceled})

    def op_register(self, step):
        source = self.sources[step["token"]]
        entry = [step["name"], step.get("throws")]
        if source.canceled:
            self.record({"callback": step["name"]})
            if entry[1]:
                raise Thrown(error_description(entry[1]))
            self.registrations[step["name"]] = (source, None)
            return
        source.callbacks.append(entry)
        self.registrations[step["name"]] = (source, entry)

    def op_cancel(self, step):
        source = self.sources[step["source"]]
        if source.canceled:
            return
        source.canceled = True
        callbacks, source.callbacks = source.callbacks, []
        thrown = []
        for name, throws in reversed(callbacks):
            self.record({"callback": name})
            if throws:
                thrown.append(error_description(throws))
        if thrown:
            raise Thrown(aggregate(thrown))

    def _unregister(self, step):
        source, entry = self.registrations[step["registration"]]
        if entry is not None and entry in source.callbacks:
            source.callbacks.remove(entry)
            return True
        return False

    def op_unregister(self, step):
        self.record({"returned": self._unregister(step)})

    def op_dispose_registration(self, step):
        self._unregister(step)


def expected_trace(steps):
    return World().run(steps)
