// tpl's conformance replayer: executes the language-neutral vectors of conformance/vectors with
// tpl's API and compares the observed trace with the expected one (conformance/SCHEMA.md).
//
//   tpl_conformance_replay PATH...   replay every vector of every file (a directory: its *.json); one FAIL line per vector
//                                    that differs, naming it and its first differing
//                                    observation; exit 1 if any failed
//   tpl_conformance_replay --serve   the port protocol's step server (conformance/PORTING.md):
//                                    one JSON step per input line, one JSON array of the
//                                    observations it produced per output line; {"op":"reset"}
//                                    starts a new vector
//
// The driver is one thread and every continuation is execute_synchronously, so a vector has
// exactly one trace.
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "tpl/tpl.hpp"

#include "trace_compare.hpp"

namespace {

using json = nlohmann::json;

// The vectors' three test-defined exception types (every port defines its own three).
struct error_a : std::runtime_error { using std::runtime_error::runtime_error; };
struct error_b : std::runtime_error { using std::runtime_error::runtime_error; };
struct error_c : std::runtime_error { using std::runtime_error::runtime_error; };

// A vector that asks for something the format does not allow (not a tpl failure).
struct vector_error : std::runtime_error { using std::runtime_error::runtime_error; };

std::exception_ptr make_error(const json& spec) {
  const std::string type = spec.at("type").get<std::string>();
  const std::string message = spec.value("message", "");
  if (type == "error_a") return std::make_exception_ptr(error_a(message));
  if (type == "error_b") return std::make_exception_ptr(error_b(message));
  if (type == "error_c") return std::make_exception_ptr(error_c(message));
  throw vector_error("an error's type must be error_a, error_b or error_c, not " + type);
}

// The neutral description of an exception (SCHEMA.md, "Exceptions"): most specific type first.
json describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const tpl::aggregate_exception& aggregate) {
    json inner = json::array();
    for (const std::exception_ptr& each : aggregate.inner_exceptions()) inner.push_back(describe(each));
    return {{"type", "aggregate"}, {"inner", inner}};
  } catch (const error_a& e) {
    return {{"type", "error_a"}, {"message", e.what()}};
  } catch (const error_b& e) {
    return {{"type", "error_b"}, {"message", e.what()}};
  } catch (const error_c& e) {
    return {{"type", "error_c"}, {"message", e.what()}};
  } catch (const tpl::task_canceled&) {
    return {{"type", "task_canceled"}};
  } catch (const tpl::operation_canceled&) {
    return {{"type", "operation_canceled"}};
  } catch (const tpl::invalid_operation&) {
    return {{"type", "invalid_operation"}};
  } catch (const std::invalid_argument&) {
    return {{"type", "argument"}};
  } catch (const std::exception& e) {
    return {{"type", "other"}, {"message", e.what()}};
  }
}

std::string status_name(tpl::task_status status) {
  switch (status) {
    case tpl::task_status::created: return "created";
    case tpl::task_status::waiting_for_activation: return "waiting_for_activation";
    case tpl::task_status::waiting_to_run: return "waiting_to_run";
    case tpl::task_status::running: return "running";
    case tpl::task_status::ran_to_completion: return "ran_to_completion";
    case tpl::task_status::faulted: return "faulted";
    case tpl::task_status::canceled: return "canceled";
  }
  return "unknown";
}

tpl::continuation_options option_named(const std::string& name) {
  using o = tpl::continuation_options;
  static const std::map<std::string, o> options = {
      {"none", o::none},
      {"not_on_ran_to_completion", o::not_on_ran_to_completion},
      {"not_on_faulted", o::not_on_faulted},
      {"not_on_canceled", o::not_on_canceled},
      {"only_on_ran_to_completion", o::only_on_ran_to_completion},
      {"only_on_faulted", o::only_on_faulted},
      {"only_on_canceled", o::only_on_canceled},
  };
  const auto found = options.find(name);
  if (found == options.end()) throw vector_error("unknown continuation option " + name);
  return found->second;
}

using int_task = tpl::task<int>;
using all_task = tpl::task<std::vector<int>>;
using any_task = tpl::task<tpl::when_any_result<tpl::task<int>>>;

struct named_task {
  std::variant<int_task, all_task, any_task> handle;
  std::vector<std::string> inputs;  // a when_any's inputs, to name its winner
};

// One vector's world: the named objects its steps create, and the trace they produce.
class interpreter {
 public:
  // Executes one step; returns the observations it produced (callbacks and continuations
  // that ran during it included).
  json execute(const json& step) {
    const std::size_t first = trace_.size();
    try {
      dispatch(step);
    } catch (const vector_error&) {
      throw;
    } catch (...) {
      record({{"threw", describe(std::current_exception())}});
    }
    ++at_;
    return json(std::vector<json>(trace_.begin() + static_cast<std::ptrdiff_t>(first), trace_.end()));
  }

  ~interpreter() {
    registrations_.clear();  // before the sources their callbacks observe
  }

 private:
  void record(json observation) {
    observation["at"] = at_;
    trace_.push_back(std::move(observation));
  }

  template <class Map>
  auto& lookup(Map& map, const json& step, const char* key, const char* what) {
    const std::string name = step.at(key).get<std::string>();
    const auto found = map.find(name);
    if (found == map.end()) throw vector_error(std::string("no ") + what + " named " + name);
    return found->second;
  }

  int_task& int_task_named(const std::string& name) {
    const auto found = tasks_.find(name);
    if (found == tasks_.end()) throw vector_error("no task named " + name);
    if (auto* handle = std::get_if<int_task>(&found->second.handle)) return *handle;
    throw vector_error("task " + name + " does not have an integer result");
  }

  void define_task(const json& step, named_task task) {
    tasks_.insert_or_assign(step.at("name").get<std::string>(), std::move(task));
  }

  tpl::cancellation_token token_of(const json& step) {
    if (!step.contains("token")) return {};
    return lookup(sources_, step, "token", "cancellation source").token();
  }

  std::vector<std::exception_ptr> errors_of(const json& step) {
    std::vector<std::exception_ptr> errors;
    for (const json& each : step.at("errors")) errors.push_back(make_error(each));
    return errors;
  }

  void dispatch(const json& step) {
    const std::string op = step.at("op").get<std::string>();
    if (op == "source") {
      const std::string name = step.at("name").get<std::string>();
      auto source = std::make_unique<tpl::task_completion_source<int>>();
      tasks_.insert_or_assign(name, named_task{source->task(), {}});
      completion_sources_.insert_or_assign(name, std::move(source));
    } else if (op == "from_result") {
      define_task(step, {int_task::from_result(step.at("value").get<int>()), {}});
    } else if (op == "from_exception") {
      define_task(step, {int_task::from_exception(make_error(step.at("error"))), {}});
    } else if (op == "from_canceled") {
      // Without a token: tpl's extension (a canceled task carrying none()), where .NET's
      // FromCanceled(CancellationToken.None) throws.
      define_task(step, {step.contains("token") ? int_task::from_canceled(token_of(step)) : int_task::from_canceled(), {}});
    } else if (op == "set_result" || op == "try_set_result") {
      auto& source = *lookup(completion_sources_, step, "source", "completion source");
      const int value = step.at("value").get<int>();
      if (op == "set_result") source.set_result(value);
      else record({{"returned", source.try_set_result(value)}});
    } else if (op == "set_exception" || op == "try_set_exception") {
      auto& source = *lookup(completion_sources_, step, "source", "completion source");
      if (op == "set_exception") source.set_exception(errors_of(step));
      else record({{"returned", source.try_set_exception(errors_of(step))}});
    } else if (op == "set_canceled" || op == "try_set_canceled") {
      auto& source = *lookup(completion_sources_, step, "source", "completion source");
      const tpl::cancellation_token token = token_of(step);
      if (op == "set_canceled") source.set_canceled(token);
      else record({{"returned", source.try_set_canceled(token)}});
    } else if (op == "continue_with") {
      continue_with(step);
    } else if (op == "when_all" || op == "when_any") {
      std::vector<int_task> inputs;
      std::vector<std::string> names;
      for (const json& name : step.at("tasks")) {
        names.push_back(name.get<std::string>());
        inputs.push_back(int_task_named(names.back()));
      }
      if (op == "when_all") define_task(step, {tpl::when_all(inputs), {}});
      else define_task(step, {tpl::when_any(inputs), names});
    } else if (op == "async") {
      define_task(step, {async_method(this, step.at("name").get<std::string>(), int_task_named(step.at("awaits").get<std::string>()),
                                      step.value("add", 0)),
                         {}});
    } else if (op == "observe") {
      observe(lookup(tasks_, step, "task", "task"));
    } else if (op == "get") {
      int_task& task = int_task_named(step.at("task").get<std::string>());
      if (!task.is_completed()) record({{"would_block", true}});
      else record({{"result", task.get()}});
    } else if (op == "await") {
      int_task& task = int_task_named(step.at("task").get<std::string>());
      if (!task.is_completed()) {
        record({{"would_block", true}});
      } else {
        json outcome;
        (void)await_into(task, outcome);  // completed input: the coroutine finishes inside this call
        record(std::move(outcome));
      }
    } else if (op == "cts") {
      const std::string name = step.at("name").get<std::string>();
      if (step.contains("delay_ms")) {
        sources_.insert_or_assign(name, tpl::cancellation_token_source(std::chrono::milliseconds(step.at("delay_ms").get<int>())));
      } else {
        sources_.insert_or_assign(name, tpl::cancellation_token_source());
      }
    } else if (op == "linked_cts") {
      const std::string name = step.at("name").get<std::string>();
      std::vector<tpl::cancellation_token> parents;
      for (const json& parent : step.at("parents")) {
        const auto found = sources_.find(parent.get<std::string>());
        if (found == sources_.end()) throw vector_error("no cancellation source named " + parent.get<std::string>());
        parents.push_back(found->second.token());
      }
      sources_.insert_or_assign(name, tpl::cancellation_token_source::create_linked(parents));
    } else if (op == "cancel") {
      lookup(sources_, step, "source", "cancellation source").cancel();
    } else if (op == "cancel_after") {
      lookup(sources_, step, "source", "cancellation source").cancel_after(std::chrono::milliseconds(step.at("delay_ms").get<int>()));
    } else if (op == "observe_token") {
      record({{"canceled", lookup(sources_, step, "source", "cancellation source").token().is_cancellation_requested()}});
    } else if (op == "register") {
      register_callback(step);
    } else if (op == "unregister") {
      record({{"returned", lookup(registrations_, step, "registration", "registration").unregister()}});
    } else if (op == "dispose_registration") {
      lookup(registrations_, step, "registration", "registration") = tpl::cancellation_registration();  // .NET's Dispose()
    } else {
      throw vector_error("unknown op " + op);
    }
  }

  // .NET: async Task<int> M() { started; int v = await t; resumed; return v + add; }. The body runs
  // on the caller until the await, and resumes on the thread (here: inside the step) that
  // completes `awaited`.
  static int_task async_method(interpreter* self, std::string name, int_task awaited, int add) {
    self->record({{"started", name}});
    const int value = co_await awaited;
    self->record({{"resumed", name}});
    co_return value + add;
  }

  static int_task await_into(int_task task, json& outcome) {
    try {
      const int value = co_await task;
      outcome = json{{"result", value}};
    } catch (...) {
      outcome = {{"threw", describe(std::current_exception())}};
    }
    co_return 0;
  }

  void continue_with(const json& step) {
    const std::string name = step.at("name").get<std::string>();
    auto options = tpl::continuation_options::execute_synchronously;
    for (const json& option : step.value("options", json::array())) options = options | option_named(option.get<std::string>());
    const json body = step.at("body");
    const std::string kind = body.at("kind").get<std::string>();
    if (kind != "value" && kind != "throw" && kind != "antecedent_result") throw vector_error("unknown body kind " + kind);
    const std::string antecedent_name = step.at("antecedent").get<std::string>();
    named_task& antecedent = lookup(tasks_, step, "antecedent", "task");
    if (kind == "antecedent_result" && !std::holds_alternative<int_task>(antecedent.handle)) {
      throw vector_error("antecedent_result needs an antecedent with an integer result");
    }
    int_task continuation = std::visit(
        [&](auto& handle) -> int_task {
          return tpl::continue_with(
              handle,
              [this, name, body, kind](const auto& finished) -> int {
                record({{"ran", name}, {"antecedent_status", status_name(finished.status())}});
                if (kind == "throw") std::rethrow_exception(make_error(body.at("error")));
                if (kind == "antecedent_result") {
                  if constexpr (std::is_same_v<std::decay_t<decltype(finished)>, int_task>) return finished.get();
                }
                return body.value("value", 0);
              },
              options);
        },
        antecedent.handle);
    tasks_.insert_or_assign(name, named_task{std::move(continuation), {}});
  }

  void register_callback(const json& step) {
    const std::string name = step.at("name").get<std::string>();
    std::optional<json> throws;
    if (step.contains("throws")) {
      throws = step.at("throws");
      (void)make_error(*throws);  // a bad spec is the vector's error, reported at this step
    }
    tpl::cancellation_token token = lookup(sources_, step, "token", "cancellation source").token();
    tpl::cancellation_registration registration = token.register_callback([this, name, throws] {
      record({{"callback", name}});
      if (throws) std::rethrow_exception(make_error(*throws));
    });
    registrations_.insert_or_assign(name, std::move(registration));
  }

  void observe(named_task& task) {
    std::visit(
        [&](auto& handle) {
          json observation = {{"status", status_name(handle.status())}};
          if (handle.status() == tpl::task_status::ran_to_completion) {
            using handle_type = std::decay_t<decltype(handle)>;
            if constexpr (std::is_same_v<handle_type, any_task>) {
              observation["winner"] = task.inputs.at(handle.get().index);
            } else {
              observation["result"] = handle.get();
            }
          } else if (handle.status() == tpl::task_status::faulted) {
            observation["errors"] = describe(std::make_exception_ptr(*handle.exception())).at("inner");
          }
          record(std::move(observation));
        },
        task.handle);
  }

  std::size_t at_ = 0;
  std::vector<json> trace_;
  std::map<std::string, named_task> tasks_;
  std::map<std::string, std::unique_ptr<tpl::task_completion_source<int>>> completion_sources_;
  std::map<std::string, tpl::cancellation_token_source> sources_;
  std::map<std::string, tpl::cancellation_registration> registrations_;
};

json replay(const json& vector) {
  interpreter world;
  json trace = json::array();
  for (const json& step : vector.at("steps")) {
    for (json& observation : world.execute(step)) trace.push_back(std::move(observation));
  }
  return trace;
}

int serve() {
  std::unique_ptr<interpreter> world = std::make_unique<interpreter>();
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    json reply;
    try {
      const json step = json::parse(line);
      if (step.at("op") == "reset") {
        world = std::make_unique<interpreter>();
        reply = json::array();
      } else {
        reply = world->execute(step);
      }
    } catch (const std::exception& e) {
      reply = {{"error", e.what()}};
    }
    std::cout << reply.dump() << std::endl;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Vectors leave faulted tasks unobserved on purpose; .NET's UnobservedTaskException is not part
  // of a trace, so the report tpl prints by default would only be noise here.
  tpl::set_unobserved_exception_handler([](const tpl::aggregate_exception&) {});
  if (argc == 2 && std::string(argv[1]) == "--serve") return serve();
  if (argc < 2) {
    std::cerr << "usage: tpl_conformance_replay PATH... | --serve\n";
    return 2;
  }
  conformance::tally tally;
  for (const std::filesystem::path& path : conformance::vector_files(argv + 1, argv + argc)) {
    std::ifstream file(path);
    if (!file) {
      std::cerr << "cannot read " << path << "\n";
      return 2;
    }
    const json document = json::parse(file);
    for (const json& vector : document.at("vectors")) {
      const std::string id = vector.at("id").get<std::string>();
      try {
        tally.check("tpl", vector, replay(vector), "divergence");
      } catch (const std::exception& e) {
        tally.error(id, e.what());
      }
    }
  }
  return tally.report("tpl", "divergence");
}
