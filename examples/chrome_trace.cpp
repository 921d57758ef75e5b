// `make demo-trace`: the fork-join demo's recursion (Parallel.Invoke-style fib) and a few
// coroutine tasks, traced through tpl::diagnostics::tracer into Chrome trace-event JSON: open
// the file in chrome://tracing or https://ui.perfetto.dev. Each worker is a row; each item it
// ran is a slice (named by where it came from: local, global, stolen), parks are slices too,
// and tasks appear as instant events when they are made and complete.
//
// Usage: tpl_chrome_trace [output.json]   (default: tpl_trace.json)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fork_join_fib.hpp"
#include "tpl/diagnostics_tracer.hpp"
#include "tpl/parallel.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/when_all.hpp"

namespace {

// One trace event, stored as it happens and written out at the end (formatting while the pool
// runs would distort what is traced).
struct trace_event {
  char phase;             // 'B' begin, 'E' end, 'i' instant
  const char* name;       // a string literal
  std::size_t worker;     // the row (thread id in the trace); external threads use row 1000
  std::int64_t micros;    // since the tracer started
  std::uintptr_t task;    // for task events, else 0
  const char* file;       // for task_created, else nullptr
  unsigned line;
};

class chrome_tracer final : public tpl::diagnostics::tracer {
 public:
  void task_created(tpl::diagnostics::task_id id, tpl::diagnostics::task_origin origin,
                    const std::source_location& where) noexcept override {
    add({'i', tpl::diagnostics::to_string(origin), row(), now(), id, where.file_name(), where.line()});
  }
  void task_completed(tpl::diagnostics::task_id id, tpl::task_status status) noexcept override {
    add({'i', tpl::diagnostics::to_string(status), row(), now(), id, nullptr, 0});
  }
  void item_started(const tpl::thread_pool&, std::size_t worker, tpl::work_source source) noexcept override {
    current_row = worker;
    const char* name = source == tpl::work_source::stolen ? "item (stolen)"
                       : source == tpl::work_source::global ? "item (global queue)"
                                                            : "item (own deque)";
    add({'B', name, worker, now(), 0, nullptr, 0});
  }
  void item_finished(const tpl::thread_pool&, std::size_t worker) noexcept override {
    add({'E', "", worker, now(), 0, nullptr, 0});
  }
  void worker_parked(const tpl::thread_pool&, std::size_t worker, tpl::diagnostics::park_reason reason) noexcept override {
    current_row = worker;
    add({'B', reason == tpl::diagnostics::park_reason::idle ? "asleep" : "blocked in a wait", worker, now(), 0, nullptr, 0});
  }
  void worker_unparked(const tpl::thread_pool&, std::size_t worker) noexcept override {
    add({'E', "", worker, now(), 0, nullptr, 0});
  }

  [[nodiscard]] std::size_t size() {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

  // Chrome's trace-event format: {"traceEvents": [{"name", "ph", "ts", "pid", "tid", ...}]}.
  bool write(const char* path) {
    std::lock_guard lock(mutex_);
    std::FILE* out = std::fopen(path, "w");
    if (out == nullptr) return false;
    std::fputs("{\"traceEvents\":[\n", out);
    bool first = true;
    for (const trace_event& event : events_) {
      std::fprintf(out, "%s{\"name\":\"%s\",\"ph\":\"%c\",\"ts\":%lld,\"pid\":1,\"tid\":%zu", first ? "" : ",\n",
                   event.name, event.phase, static_cast<long long>(event.micros), event.worker);
      if (event.phase == 'i') std::fputs(",\"s\":\"t\"", out);
      if (event.task != 0) {
        std::fprintf(out, ",\"args\":{\"task\":\"0x%llx\"", static_cast<unsigned long long>(event.task));
        if (event.file != nullptr) {
          std::string file = event.file;
          for (char& c : file) {
            if (c == '"' || c == '\\') c = '/';
          }
          std::fprintf(out, ",\"made_at\":\"%s:%u\"", file.c_str(), event.line);
        }
        std::fputc('}', out);
      }
      std::fputc('}', out);
      first = false;
    }
    std::fputs("\n],\"displayTimeUnit\":\"ms\"}\n", out);
    return std::fclose(out) == 0;
  }

 private:
  static constexpr std::size_t outside_pool = 1000;
  static thread_local std::size_t current_row;

  static std::size_t row() noexcept { return current_row; }
  std::int64_t now() const noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count();
  }
  void add(const trace_event& event) noexcept {
    try {
      std::lock_guard lock(mutex_);
      events_.push_back(event);
    } catch (...) {
      // Out of memory: the event is dropped (tracer methods must not throw).
    }
  }

  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::vector<trace_event> events_;
};
thread_local std::size_t chrome_tracer::current_row = chrome_tracer::outside_pool;

using tpl_examples::fork_join_fib;

tpl::task<std::int64_t> coroutine_sum(tpl::thread_pool& pool, int parts) {
  std::vector<tpl::task<std::int64_t>> pieces;
  for (int part = 0; part < parts; ++part) pieces.push_back(tpl::run(pool, [part] { return fork_join_fib(12 + part % 4); }));
  std::int64_t total = 0;
  for (const std::int64_t piece : co_await tpl::when_all(pieces)) total += piece;
  co_return total;
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "tpl_trace.json";
  chrome_tracer tracer;
  std::int64_t fork_join = 0;
  std::int64_t coroutines = 0;
  // Installed before the pool exists, so every park the trace shows has its start too.
  tpl::diagnostics::set_tracer(&tracer);
  {
    tpl::thread_pool pool(std::max(2u, std::thread::hardware_concurrency()));
    fork_join = tpl::run(pool, [] { return fork_join_fib(22); }).get();
    coroutines = tpl::run(pool, [&pool] { return coroutine_sum(pool, 16); }).get();
    pool.shutdown();  // every worker's last park has ended: the rows' slices balance
  }
  tpl::diagnostics::set_tracer(nullptr);
  std::printf("fib(22) = %lld by fork-join, %lld from 16 coroutine-awaited tasks\n", static_cast<long long>(fork_join),
              static_cast<long long>(coroutines));
  if (!tracer.write(path)) {
    std::fprintf(stderr, "cannot write %s\n", path);
    return 1;
  }
  std::printf("%zu trace events written to %s: open it in chrome://tracing or https://ui.perfetto.dev\n", tracer.size(),
              path);
  return fork_join == 17711 && coroutines == 5456 ? 0 : 1;
}
