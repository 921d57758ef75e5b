// The .NET oracle: executes every conformance vector against System.Threading.Tasks (Mono's,
// from Debian) and compares the observed trace with the vector's expectation, by the rules of
// conformance/SCHEMA.md. Build: mcs -out:oracle.exe Oracle.cs Json.cs; run: mono oracle.exe PATH...
// (a directory stands for its *.json). Exit 1 if any vector differs.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

class ErrorA : Exception { public ErrorA(string message) : base(message) {} }
class ErrorB : Exception { public ErrorB(string message) : base(message) {} }
class ErrorC : Exception { public ErrorC(string message) : base(message) {} }

// A vector that asks for something the format does not allow (not a .NET failure).
class VectorError : Exception { public VectorError(string message) : base(message) {} }

class World
{
    readonly List<SortedDictionary<string, object>> trace = new List<SortedDictionary<string, object>>();
    readonly Dictionary<string, Task> tasks = new Dictionary<string, Task>();
    readonly Dictionary<string, List<string>> whenAnyInputs = new Dictionary<string, List<string>>();
    readonly Dictionary<string, TaskCompletionSource<int>> completionSources = new Dictionary<string, TaskCompletionSource<int>>();
    readonly Dictionary<string, CancellationTokenSource> sources = new Dictionary<string, CancellationTokenSource>();
    readonly Dictionary<string, CancellationTokenRegistration> registrations = new Dictionary<string, CancellationTokenRegistration>();
    long at;

    public List<SortedDictionary<string, object>> Trace { get { return trace; } }

    static SortedDictionary<string, object> Obs(params object[] pairs)
    {
        var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
        for (int i = 0; i < pairs.Length; i += 2) result[(string)pairs[i]] = pairs[i + 1];
        return result;
    }

    void Record(SortedDictionary<string, object> observation)
    {
        observation["at"] = at;
        trace.Add(observation);
    }

    public static Exception MakeError(object specObject)
    {
        var spec = (IDictionary<string, object>)specObject;
        string type = (string)spec["type"];
        string message = spec.ContainsKey("message") ? (string)spec["message"] : "";
        if (type == "error_a") return new ErrorA(message);
        if (type == "error_b") return new ErrorB(message);
        if (type == "error_c") return new ErrorC(message);
        throw new VectorError("an error's type must be error_a, error_b or error_c, not " + type);
    }

    public static SortedDictionary<string, object> Describe(Exception error)
    {
        var aggregate = error as AggregateException;
        if (aggregate != null) return Obs("type", "aggregate", "inner", aggregate.InnerExceptions.Select(e => (object)Describe(e)).ToList());
        if (error is ErrorA) return Obs("type", "error_a", "message", error.Message);
        if (error is ErrorB) return Obs("type", "error_b", "message", error.Message);
        if (error is ErrorC) return Obs("type", "error_c", "message", error.Message);
        if (error is TaskCanceledException) return Obs("type", "task_canceled");
        if (error is OperationCanceledException) return Obs("type", "operation_canceled");
        if (error is ObjectDisposedException) return Obs("type", "object_disposed");
        if (error is InvalidOperationException) return Obs("type", "invalid_operation");
        if (error is ArgumentException) return Obs("type", "argument");
        return Obs("type", "other", "message", error.GetType().Name + ": " + error.Message);
    }

    static string StatusName(TaskStatus status)
    {
        switch (status)
        {
            case TaskStatus.Created: return "created";
            case TaskStatus.WaitingForActivation: return "waiting_for_activation";
            case TaskStatus.WaitingToRun: return "waiting_to_run";
            case TaskStatus.Running: return "running";
            case TaskStatus.WaitingForChildrenToComplete: return "waiting_for_children_to_complete";
            case TaskStatus.RanToCompletion: return "ran_to_completion";
            case TaskStatus.Faulted: return "faulted";
            case TaskStatus.Canceled: return "canceled";
        }
        return "unknown";
    }

    static TaskContinuationOptions OptionNamed(string name)
    {
        switch (name)
        {
            case "none": return TaskContinuationOptions.None;
            case "not_on_ran_to_completion": return TaskContinuationOptions.NotOnRanToCompletion;
            case "not_on_faulted": return TaskContinuationOptions.NotOnFaulted;
            case "not_on_canceled": return TaskContinuationOptions.NotOnCanceled;
            case "only_on_ran_to_completion": return TaskContinuationOptions.OnlyOnRanToCompletion;
            case "only_on_faulted": return TaskContinuationOptions.OnlyOnFaulted;
            case "only_on_canceled": return TaskContinuationOptions.OnlyOnCanceled;
        }
        throw new VectorError("unknown continuation option " + name);
    }

    static string Name(IDictionary<string, object> step, string key) { return (string)step[key]; }

    T Lookup<T>(Dictionary<string, T> map, IDictionary<string, object> step, string key, string what)
    {
        string name = Name(step, key);
        T found;
        if (!map.TryGetValue(name, out found)) throw new VectorError("no " + what + " named " + name);
        return found;
    }

    Task<int> IntTask(string name)
    {
        Task task;
        if (!tasks.TryGetValue(name, out task)) throw new VectorError("no task named " + name);
        var typed = task as Task<int>;
        if (typed == null) throw new VectorError("task " + name + " does not have an integer result");
        return typed;
    }

    CancellationToken TokenOf(IDictionary<string, object> step)
    {
        if (!step.ContainsKey("token")) return CancellationToken.None;
        return Lookup(sources, step, "token", "cancellation source").Token;
    }

    static List<Exception> ErrorsOf(IDictionary<string, object> step)
    {
        return ((List<object>)step["errors"]).Select(MakeError).ToList();
    }

    public List<SortedDictionary<string, object>> Execute(IDictionary<string, object> step)
    {
        int first = trace.Count;
        try
        {
            Dispatch(step);
        }
        catch (VectorError)
        {
            throw;
        }
        catch (Exception error)
        {
            Record(Obs("threw", Describe(error)));
        }
        at++;
        return trace.GetRange(first, trace.Count - first);
    }

    void Dispatch(IDictionary<string, object> step)
    {
        string op = (string)step["op"];
        switch (op)
        {
            case "source":
            {
                var source = new TaskCompletionSource<int>();
                completionSources[Name(step, "name")] = source;
                tasks[Name(step, "name")] = source.Task;
                return;
            }
            case "from_result": tasks[Name(step, "name")] = Task.FromResult((int)(long)step["value"]); return;
            case "from_exception": tasks[Name(step, "name")] = Task.FromException<int>(MakeError(step["error"])); return;
            case "from_canceled": tasks[Name(step, "name")] = Task.FromCanceled<int>(TokenOf(step)); return;
            case "set_result": Lookup(completionSources, step, "source", "completion source").SetResult((int)(long)step["value"]); return;
            case "try_set_result": Record(Obs("returned", Lookup(completionSources, step, "source", "completion source").TrySetResult((int)(long)step["value"]))); return;
            case "set_exception": Lookup(completionSources, step, "source", "completion source").SetException(ErrorsOf(step)); return;
            case "try_set_exception": Record(Obs("returned", Lookup(completionSources, step, "source", "completion source").TrySetException(ErrorsOf(step)))); return;
            case "set_canceled":
            case "try_set_canceled":
            {
                var source = Lookup(completionSources, step, "source", "completion source");
                bool done = step.ContainsKey("token") ? source.TrySetCanceled(TokenOf(step)) : source.TrySetCanceled();
                if (op == "try_set_canceled") Record(Obs("returned", done));
                else if (!done) throw new InvalidOperationException("An attempt was made to transition a task to a final state when it had already completed.");
                return;
            }
            case "continue_with": ContinueWith(step); return;
            case "when_all":
            case "when_any":
            {
                var names = ((List<object>)step["tasks"]).Cast<string>().ToList();
                var inputs = names.Select(IntTask).ToArray();
                if (op == "when_all") tasks[Name(step, "name")] = Task.WhenAll(inputs);
                else { tasks[Name(step, "name")] = Task.WhenAny(inputs); whenAnyInputs[Name(step, "name")] = names; }
                return;
            }
            case "async":
                tasks[Name(step, "name")] = AsyncMethod(Name(step, "name"), IntTask(Name(step, "awaits")),
                                                        step.ContainsKey("add") ? (int)(long)step["add"] : 0);
                return;
            case "observe": Observe(Name(step, "task"), Lookup(tasks, step, "task", "task")); return;
            case "get":
            {
                var task = IntTask(Name(step, "task"));
                if (!task.IsCompleted) Record(Obs("would_block", true));
                else Record(Obs("result", (long)task.Result));
                return;
            }
            case "await":
            {
                var task = IntTask(Name(step, "task"));
                if (!task.IsCompleted) Record(Obs("would_block", true));
                else Record(Obs("result", (long)task.GetAwaiter().GetResult()));
                return;
            }
            case "cts":
                sources[Name(step, "name")] = step.ContainsKey("delay_ms")
                    ? new CancellationTokenSource((int)(long)step["delay_ms"]) : new CancellationTokenSource();
                return;
            case "linked_cts":
            {
                var parents = ((List<object>)step["parents"]).Cast<string>().Select(name =>
                {
                    CancellationTokenSource parent;
                    if (!sources.TryGetValue(name, out parent)) throw new VectorError("no cancellation source named " + name);
                    return parent.Token;
                }).ToArray();
                sources[Name(step, "name")] = CancellationTokenSource.CreateLinkedTokenSource(parents);
                return;
            }
            case "cancel": Lookup(sources, step, "source", "cancellation source").Cancel(); return;
            case "cancel_after": Lookup(sources, step, "source", "cancellation source").CancelAfter((int)(long)step["delay_ms"]); return;
            case "observe_token": Record(Obs("canceled", Lookup(sources, step, "source", "cancellation source").IsCancellationRequested)); return;
            case "register": Register(step); return;
            case "unregister": Record(Obs("returned", Lookup(registrations, step, "registration", "registration").Unregister())); return;
            case "dispose_registration": Lookup(registrations, step, "registration", "registration").Dispose(); return;
        }
        throw new VectorError("unknown op " + op);
    }

    // Runs on the caller until the await; resumes inline on the thread that completes `awaited`
    // (no synchronization context, default scheduler).
    async Task<int> AsyncMethod(string name, Task<int> awaited, int add)
    {
        Record(Obs("started", name));
        int value = await awaited;
        Record(Obs("resumed", name));
        return value + add;
    }

    void ContinueWith(IDictionary<string, object> step)
    {
        string name = Name(step, "name");
        var options = TaskContinuationOptions.ExecuteSynchronously;
        if (step.ContainsKey("options")) foreach (object option in (List<object>)step["options"]) options |= OptionNamed((string)option);
        var body = (IDictionary<string, object>)step["body"];
        string kind = (string)body["kind"];
        if (kind != "value" && kind != "throw" && kind != "antecedent_result") throw new VectorError("unknown body kind " + kind);
        Task antecedent = Lookup(tasks, step, "antecedent", "task");
        if (kind == "antecedent_result" && !(antecedent is Task<int>)) throw new VectorError("antecedent_result needs an antecedent with an integer result");
        Func<Task, int> run = finished =>
        {
            Record(Obs("ran", name, "antecedent_status", StatusName(finished.Status)));
            if (kind == "throw") throw MakeError(body["error"]);
            if (kind == "antecedent_result") return ((Task<int>)finished).Result;
            return body.ContainsKey("value") ? (int)(long)body["value"] : 0;
        };
        tasks[name] = antecedent.ContinueWith(run, options);
    }

    void Register(IDictionary<string, object> step)
    {
        string name = Name(step, "name");
        object throws = step.ContainsKey("throws") ? step["throws"] : null;
        if (throws != null) MakeError(throws);
        var token = Lookup(sources, step, "token", "cancellation source").Token;
        registrations[name] = token.Register(() =>
        {
            Record(Obs("callback", name));
            if (throws != null) throw MakeError(throws);
        });
    }

    void Observe(string name, Task task)
    {
        var observation = Obs("status", StatusName(task.Status));
        if (task.Status == TaskStatus.RanToCompletion)
        {
            if (task is Task<int>) observation["result"] = (long)((Task<int>)task).Result;
            else if (task is Task<int[]>) observation["result"] = ((Task<int[]>)task).Result.Select(v => (object)(long)v).ToList();
            else if (task is Task<Task<int>>)
            {
                var winner = ((Task<Task<int>>)task).Result;
                var names = whenAnyInputs[name];
                observation["winner"] = names.First(input => ReferenceEquals(tasks[input], winner));
            }
        }
        else if (task.Status == TaskStatus.Faulted)
        {
            observation["errors"] = task.Exception.InnerExceptions.Select(e => (object)Describe(e)).ToList();
        }
        Record(observation);
    }
}

static class Oracle
{
    static int vectors, failed, flagged;

    static string FirstDifference(List<object> expected, List<SortedDictionary<string, object>> observed)
    {
        int longest = Math.Max(expected.Count, observed.Count);
        for (int index = 0; index < longest; index++)
        {
            string want = index < expected.Count ? Json.Write(expected[index]) : null;
            string got = index < observed.Count ? Json.Write(observed[index]) : null;
            if (want != null && want == got) continue;
            return "observation #" + index + ": expected " + (want ?? "nothing") + ", observed " + (got ?? "nothing");
        }
        return null;
    }

    static void Fail(string id, string message)
    {
        failed++;
        Console.WriteLine("FAIL " + id + ": " + message);
    }

    static void Check(IDictionary<string, object> vector, List<SortedDictionary<string, object>> observed)
    {
        vectors++;
        string id = (string)vector["id"];
        var dotnet = (List<object>)vector["expect"];
        if (vector.ContainsKey("mono"))
        {
            var own = (List<object>)((IDictionary<string, object>)vector["mono"])["trace"];
            string difference = FirstDifference(own, observed);
            if (FirstDifference(dotnet, observed) == null) Fail(id, "flagged `mono` but Mono now matches .NET's trace: remove the flag");
            else if (difference != null) Fail(id, "(flagged `mono`) " + difference);
            else flagged++;
            return;
        }
        string differs = FirstDifference(dotnet, observed);
        if (differs == null) return;
        // Where .NET allows several traces the vector lists the others under "acceptable".
        if (vector.ContainsKey("acceptable"))
        {
            foreach (object alternative in (List<object>)vector["acceptable"])
            {
                if (FirstDifference((List<object>)alternative, observed) == null) return;
            }
        }
        Fail(id, differs);
    }

    static IEnumerable<string> VectorFiles(string[] paths)
    {
        foreach (string path in paths)
        {
            if (!Directory.Exists(path)) { yield return path; continue; }
            var inside = Directory.GetFiles(path, "*.json").ToList();
            inside.Sort(StringComparer.Ordinal);
            foreach (string file in inside) yield return file;
        }
    }

    static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: mono oracle.exe PATH...");
            return 2;
        }
        foreach (string file in VectorFiles(args))
        {
            var document = (IDictionary<string, object>)Json.Parse(File.ReadAllText(file));
            foreach (object item in (List<object>)document["vectors"])
            {
                var vector = (IDictionary<string, object>)item;
                var world = new World();
                try
                {
                    foreach (object step in (List<object>)vector["steps"]) world.Execute((IDictionary<string, object>)step);
                    Check(vector, world.Trace);
                }
                catch (Exception error)
                {
                    vectors++;
                    Fail((string)vector["id"], "could not be replayed: " + error.Message);
                }
            }
        }
        Console.WriteLine(".NET (Mono " + Environment.Version + "): " + vectors + " vectors, " + (vectors - failed) +
                          " passed (" + flagged + " of them as flagged `mono`), " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
