// tpl::diagnostics: the registry behind snapshots (live tasks, pools, cancellation sources), the
// tracer dispatch, and the deadlock report. Everything here runs only when a program turned
// recording on or installed a tracer (diagnostics_hooks::mode), except the pool list and the
// stalled-wait check, which run at pool construction and when a whole pool blocks.
#include "tpl/diagnostics.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <pthread.h>
#include <unistd.h>

#include "tpl/deadlock_report.hpp"
#include "tpl/detail/cancellation_state.hpp"
#include "tpl/detail/diagnostics_hooks.hpp"
#include "tpl/detail/pool_worker.hpp"
#include "tpl/detail/task_core.hpp"
#include "tpl/diagnostics_tracer.hpp"
#include "tpl/exceptions.hpp"
#include "tpl/sync/sync.hpp"
#include "tpl/thread_pool.hpp"
#include "tpl/unobserved_exceptions.hpp"

namespace tpl::detail {

// What a snapshot reads of a pool (thread_pool befriends this struct).
struct pool_diagnostics_access {
  static std::size_t slot_count(const thread_pool& pool) { return pool.slot_count(); }
  static pool_worker& worker(thread_pool& pool, std::size_t slot) { return pool.worker(slot); }
  static std::int64_t global_queue_length(thread_pool& pool) { return pool.intake().queue().size_hint(); }
};

}  // namespace tpl::detail

namespace tpl::diagnostics {

namespace {

using detail::cancellation_state;
using detail::task_core;
using detail::task_state;

task_id id_of(const task_state& state) noexcept { return reinterpret_cast<task_id>(&state); }

struct task_record {
  std::uint64_t sequence = 0;
  task_origin origin = task_origin::coroutine;
  std::source_location created_at;
  task_core* core = nullptr;
  const void* frame = nullptr;  // a coroutine task's frame: its queued resumptions name it
  const task_state* waits_on = nullptr;  // what it awaits or continues (may be gone: check the sequence)
  std::uint64_t waits_on_sequence = 0;   // 0: waits_on was not recorded
  std::size_t awaiters = 0;
  std::size_t continuations = 0;
};

struct registry {
  std::mutex mutex;
  bool recording = false;
  std::unordered_map<const task_state*, task_record> tasks;
  std::uint64_t next_sequence = 1;
  std::vector<thread_pool*> pools;
  std::unordered_set<const cancellation_state*> sources;
  deadlock_handler on_deadlock;
  // The tracer and the calls into it in flight. A caller counts itself in, then loads the
  // tracer; set_tracer stores the new one, then waits until no call is in flight, so the old
  // tracer may be destroyed as soon as set_tracer returns. seq_cst on both sides (a store-load
  // pattern, as Dekker's): either the setter sees the caller counted in (and waits), or the
  // caller sees the new tracer.
  sync::atomic<tracer*> active_tracer{nullptr};
  sync::atomic<int> calls_in_flight{0};
};

// Never destroyed (pools and tasks may report to it during static destruction), and not on the
// heap: the first pool registers from a noexcept hook, where a failed allocation would terminate
// (sanitizers/allocation_failure_sweep caught that).
registry& the_registry() {
  alignas(registry) static unsigned char storage[sizeof(registry)];
  static registry* instance = new (storage) registry();
  return *instance;
}

// Set while this thread runs a tracer method: set_tracer from inside one would wait for itself.
thread_local bool inside_tracer_call = false;

// Calls `event` on the installed tracer, if any, counted in registry::calls_in_flight.
template <class Event>
void notify_tracer(Event event) noexcept {
  registry& reg = the_registry();
  // seq_cst (both): the caller's half of the store-load pattern with set_tracer() (see registry).
  reg.calls_in_flight.fetch_add(1, std::memory_order_seq_cst);
  // seq_cst: the caller's load in the same pattern: after counting in, it sees the new tracer
  // if set_tracer's store came first, or set_tracer sees the count and waits.
  if (tracer* observer = reg.active_tracer.load(std::memory_order_seq_cst)) {
    // A tracer method may make tasks (a nested call): restore the outer value, not false.
    const bool outer = std::exchange(inside_tracer_call, true);
    event(*observer);
    inside_tracer_call = outer;
  }
  // release: pairs with set_tracer()'s acquire load: the call happens before the setter returns.
  reg.calls_in_flight.fetch_sub(1, std::memory_order_release);
}

void publish_mode(registry& reg) {
#if TPL_DIAGNOSTICS_HOOKS
  unsigned bits = 0;
  if (reg.recording) bits |= detail::diagnostics_hooks::tracking_bit;
  // relaxed: written only under reg.mutex, which the caller holds.
  if (reg.active_tracer.load(std::memory_order_relaxed) != nullptr) bits |= detail::diagnostics_hooks::tracing_bit;
  // relaxed: a switch; what a hook then reads is under reg.mutex or behind active_tracer's acquire.
  detail::diagnostics_hooks::mode.store(bits, std::memory_order_relaxed);
#else
  (void)reg;
#endif
}

task_info describe(const task_state* key, const task_record& record, const registry& reg) {
  task_info info;
  info.id = id_of(*key);
  info.sequence = record.sequence;
  info.origin = record.origin;
  info.status = record.core->state().status();
  info.created_at = record.created_at;
  if (!is_final(info.status)) {
    info.awaiters = record.awaiters;
    info.continuations = record.continuations;
    if (record.waits_on != nullptr) {
      const auto found = reg.tasks.find(record.waits_on);
      if (found != reg.tasks.end() && found->second.sequence == record.waits_on_sequence &&
          !is_final(found->second.core->state().status())) {
        info.waiting_for = id_of(*record.waits_on);
      }
    }
  }
  return info;
}

// The length of the well-formed UTF-8 sequence at `text` (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 if the bytes there are not one.
std::size_t utf8_sequence_length(const unsigned char* text) {
  const unsigned char lead = text[0];
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;   // the allowed range of the second byte, narrower for some leads
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (text[1] < low || text[1] > high) return 0;  // also stops at the terminating NUL
  for (std::size_t index = 2; index < length; ++index) {
    if (text[index] < 0x80 || text[index] > 0xBF) return 0;
  }
  return length;
}

// A JSON string of `text`: quotes, backslashes and control characters escaped, well-formed UTF-8
// copied, and every byte that is not part of a well-formed sequence (a Latin-1 file name, say)
// replaced by U+FFFD, so that the output is valid UTF-8 for strict parsers (RFC 8259 section 8.1).
void append_escaped(std::string& out, const char* text) {
  out += '"';
  const auto* c = reinterpret_cast<const unsigned char*>(text);
  while (*c != '\0') {
    const unsigned char byte = *c;
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += static_cast<char>(byte);
      ++c;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
      ++c;
    } else if (const std::size_t length = utf8_sequence_length(c); length != 0) {
      out.append(reinterpret_cast<const char*>(c), length);
      c += length;
    } else {
      out += "\\ufffd";  // one replacement per ill-formed byte
      ++c;
    }
  }
  out += '"';
}

std::string address_text(const void* address) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", address);
  return text;
}

// As a JSON string.
std::string hex(const void* address) { return '"' + address_text(address) + '"'; }

[[maybe_unused]] std::string describe_site(const task_info& task) {  // unused when the hooks are compiled out
  std::string text = "task #" + std::to_string(task.sequence) + " (" + to_string(task.origin) + ", " +
                     to_string(task.status) + ", made at " + task.created_at.file_name() + ":" +
                     std::to_string(task.created_at.line()) + " in " + task.created_at.function_name() + ")";
  return text;
}

}  // namespace

const char* to_string(task_status status) noexcept {
  switch (status) {
    case task_status::created: return "created";
    case task_status::waiting_for_activation: return "waiting_for_activation";
    case task_status::waiting_to_run: return "waiting_to_run";
    case task_status::running: return "running";
    case task_status::ran_to_completion: return "ran_to_completion";
    case task_status::faulted: return "faulted";
    case task_status::canceled: return "canceled";
  }
  return "unknown";
}

const char* to_string(worker_activity activity) noexcept {
  switch (activity) {
    case worker_activity::searching: return "searching";
    case worker_activity::running: return "running";
    case worker_activity::asleep: return "asleep";
    case worker_activity::blocked: return "blocked";
  }
  return "unknown";
}

const char* to_string(task_origin origin) noexcept {
  switch (origin) {
    case task_origin::coroutine: return "coroutine";
    case task_origin::run: return "run";
    case task_origin::continuation: return "continuation";
    case task_origin::completion_source: return "completion_source";
  }
  return "unknown";
}

void enable() {
#if TPL_DIAGNOSTICS_HOOKS
  registry& reg = the_registry();
  std::lock_guard lock(reg.mutex);
  reg.recording = true;
  publish_mode(reg);
  detail::print_unobserved_without_handler(true);
#else
  throw invalid_operation("tpl::diagnostics::enable: tpl was built with TPL_DIAGNOSTICS=OFF");
#endif
}

void disable() noexcept {
  registry& reg = the_registry();
  std::lock_guard lock(reg.mutex);
  reg.recording = false;
  publish_mode(reg);
  detail::print_unobserved_without_handler(false);
}

bool is_enabled() noexcept {
  registry& reg = the_registry();
  std::lock_guard lock(reg.mutex);
  return reg.recording;
}

void set_tracer(tracer* observer) {
#if !TPL_DIAGNOSTICS_HOOKS
  if (observer != nullptr) throw invalid_operation("tpl::diagnostics::set_tracer: tpl was built with TPL_DIAGNOSTICS=OFF");
#endif
  if (inside_tracer_call) {
    throw invalid_operation("tpl::diagnostics::set_tracer: called from a tracer method (it would wait for itself)");
  }
  registry& reg = the_registry();
  // Two steps: remove the previous tracer and wait for the calls into it to drain, then install
  // the new one. Installing it at once would make the wait count the new tracer's calls too,
  // which on a busy pool may never all be out at the same moment.
  const auto install = [&reg](tracer* which) {
    std::lock_guard lock(reg.mutex);
    // seq_cst: the setter's half of the store-load pattern with notify_tracer() (see registry).
    reg.active_tracer.store(which, std::memory_order_seq_cst);
    publish_mode(reg);
  };
  install(nullptr);
  // Calls that may still use the previous tracer end before this returns. seq_cst: the
  // setter's load in the store-load pattern; it also acquires, pairing with notify_tracer()'s
  // release decrement (the call happens before the return). With no tracer installed a call
  // only counts itself in and out: the count reaches zero.
  while (reg.calls_in_flight.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  if (observer != nullptr) install(observer);
}

void set_deadlock_handler(deadlock_handler handler) {
  registry& reg = the_registry();
  deadlock_handler previous;  // destroyed after the unlock: what it holds may record a task's end
  std::lock_guard lock(reg.mutex);
  previous = std::exchange(reg.on_deadlock, std::move(handler));
}

program_snapshot snapshot() {
  registry& reg = the_registry();
  program_snapshot result;
  std::lock_guard lock(reg.mutex);
  result.recording = reg.recording;
  result.tasks.reserve(reg.tasks.size());
  for (const auto& [key, record] : reg.tasks) result.tasks.push_back(describe(key, record, reg));
  std::sort(result.tasks.begin(), result.tasks.end(),
            [](const task_info& a, const task_info& b) { return a.sequence < b.sequence; });
  for (thread_pool* pool : reg.pools) {
    pool_info info;
    info.pool = pool;
    info.worker_count = pool->worker_count();
    info.global_queue_length = detail::pool_diagnostics_access::global_queue_length(*pool);
    const std::size_t slots = detail::pool_diagnostics_access::slot_count(*pool);
    for (std::size_t slot = 0; slot < slots; ++slot) {
      const detail::pool_worker& worker = detail::pool_diagnostics_access::worker(*pool, slot);
      info.workers.push_back({slot, worker.activity(), worker.reported_help_depth(), worker.queue_length()});
    }
    result.pools.push_back(std::move(info));
  }
  for (const cancellation_state* source : reg.sources) {
    result.cancellation_sources.push_back({source, source->is_cancellation_requested(), source->live_registrations()});
  }
  return result;
}

const task_info* program_snapshot::find(task_id id) const {
  for (const task_info& task : tasks) {
    if (task.id == id) return &task;
  }
  return nullptr;
}

std::string program_snapshot::to_json() const {
  std::string out = "{\"recording\":";
  out += recording ? "true" : "false";
  out += ",\"tasks\":[";
  for (std::size_t index = 0; index < tasks.size(); ++index) {
    const task_info& task = tasks[index];
    if (index != 0) out += ',';
    out += "{\"id\":" + hex(reinterpret_cast<const void*>(task.id)) + ",\"sequence\":" + std::to_string(task.sequence);
    out += ",\"origin\":\"" + std::string(to_string(task.origin)) + "\",\"status\":\"" + to_string(task.status) + "\"";
    out += ",\"file\":";
    append_escaped(out, task.created_at.file_name());
    out += ",\"line\":" + std::to_string(task.created_at.line()) + ",\"function\":";
    append_escaped(out, task.created_at.function_name());
    out += ",\"awaiters\":" + std::to_string(task.awaiters) + ",\"continuations\":" + std::to_string(task.continuations);
    out += ",\"waiting_for\":";
    out += task.waiting_for ? hex(reinterpret_cast<const void*>(*task.waiting_for)) : std::string("null");
    out += '}';
  }
  out += "],\"pools\":[";
  for (std::size_t index = 0; index < pools.size(); ++index) {
    const pool_info& pool = pools[index];
    if (index != 0) out += ',';
    out += "{\"pool\":" + hex(pool.pool) + ",\"worker_count\":" + std::to_string(pool.worker_count) +
           ",\"global_queue_length\":" + std::to_string(pool.global_queue_length) + ",\"workers\":[";
    for (std::size_t w = 0; w < pool.workers.size(); ++w) {
      const worker_info& worker = pool.workers[w];
      if (w != 0) out += ',';
      out += "{\"index\":" + std::to_string(worker.index) + ",\"activity\":\"" + to_string(worker.activity) +
             "\",\"help_depth\":" + std::to_string(worker.help_depth) +
             ",\"queue_length\":" + std::to_string(worker.queue_length) + "}";
    }
    out += "]}";
  }
  out += "],\"cancellation_sources\":[";
  for (std::size_t index = 0; index < cancellation_sources.size(); ++index) {
    const cancellation_source_info& source = cancellation_sources[index];
    if (index != 0) out += ',';
    out += "{\"source\":" + hex(source.source) + ",\"cancellation_requested\":" +
           (source.cancellation_requested ? "true" : "false") +
           ",\"registrations\":" + std::to_string(source.registrations) + "}";
  }
  out += "]}";
  return out;
}

}  // namespace tpl::diagnostics

namespace tpl::detail::diagnostics_hooks {

using tpl::diagnostics::registry;
using tpl::diagnostics::task_record;

#if TPL_DIAGNOSTICS_HOOKS
void record_created(task_core& core, diagnostics::task_origin origin, const std::source_location& where,
                    const void* frame) noexcept {
  registry& reg = diagnostics::the_registry();
  if ((current_mode() & tracking_bit) != 0) {  // a tracer alone needs no registry (nor its lock)
    std::lock_guard lock(reg.mutex);
    if (reg.recording) {
      try {
        task_record record;
        record.sequence = reg.next_sequence++;
        record.origin = origin;
        record.created_at = where;
        record.core = &core;
        record.frame = frame;
        reg.tasks.emplace(&core.state(), record);
        core.mark_tracked();
      } catch (...) {
        // Out of memory: the task goes unrecorded (a diagnostic may miss it; the program runs on).
      }
    }
  }
  if ((current_mode() & tracing_bit) != 0) {
    diagnostics::notify_tracer([&](diagnostics::tracer& observer) {
      observer.task_created(diagnostics::id_of(core.state()), origin, where);
    });
  }
}

void record_destroyed(task_core& core) noexcept {
  registry& reg = diagnostics::the_registry();
  std::lock_guard lock(reg.mutex);
  reg.tasks.erase(&core.state());
}

void record_started(const task_state& state) noexcept {
  diagnostics::notify_tracer([&](diagnostics::tracer& observer) { observer.task_started(diagnostics::id_of(state)); });
}

void record_completed(const task_state& state, task_status status) noexcept {
  // Called from publish(): the continuations, if any, run right after (or are queued).
  const bool has_continuations = state.has_pending_continuations();
  diagnostics::notify_tracer([&](diagnostics::tracer& observer) {
    observer.task_completed(diagnostics::id_of(state), status);
    if (has_continuations) observer.task_continued(diagnostics::id_of(state));
  });
}

namespace {
// Under reg.mutex: the record of `state`, if it is recorded.
task_record* find_record(registry& reg, const task_state& state) {
  const auto found = reg.tasks.find(&state);
  return found == reg.tasks.end() ? nullptr : &found->second;
}

// Under reg.mutex: `from` now waits for `to` (`to` may be unrecorded: the sequence says so).
void record_edge(registry& reg, task_core& from, const task_state& to) {
  task_record* record = find_record(reg, from.state());
  if (record == nullptr) return;
  const task_record* target = find_record(reg, to);
  record->waits_on = &to;
  record->waits_on_sequence = target == nullptr ? 0 : target->sequence;
}
}  // namespace

// Counts only go up while a task is incomplete; a snapshot shows them for incomplete tasks only,
// so they need no reset when the task completes.
void record_continuation_registering(const task_state& state) noexcept {
  registry& reg = diagnostics::the_registry();
  std::lock_guard lock(reg.mutex);
  if (task_record* record = find_record(reg, state)) ++record->continuations;
}

void record_continuation_withdrawn(const task_state& state, std::size_t newer_passed) noexcept {
  const unsigned mode_now = current_mode();
  if ((mode_now & tracing_bit) != 0) {
    diagnostics::notify_tracer(
        [&](diagnostics::tracer& observer) { observer.continuation_withdrawn(diagnostics::id_of(state), newer_passed); });
  }
  if ((mode_now & tracking_bit) == 0) return;
  registry& reg = diagnostics::the_registry();
  std::lock_guard lock(reg.mutex);
  task_record* record = find_record(reg, state);
  if (record != nullptr && record->continuations > 0) --record->continuations;
}

void record_awaits(task_core* awaiting, const task_state& awaited) noexcept {
  registry& reg = diagnostics::the_registry();
  std::lock_guard lock(reg.mutex);
  if (task_record* record = find_record(reg, awaited)) ++record->awaiters;
  if (awaiting != nullptr) record_edge(reg, *awaiting, awaited);
}

void record_waits_for(task_core& dependent, const task_state& antecedent) noexcept {
  registry& reg = diagnostics::the_registry();
  std::lock_guard lock(reg.mutex);
  if (task_record* record = find_record(reg, antecedent)) ++record->continuations;
  record_edge(reg, dependent, antecedent);
}

void record_item_started(const thread_pool& pool, std::size_t worker, work_source source) noexcept {
  diagnostics::notify_tracer([&](diagnostics::tracer& observer) { observer.item_started(pool, worker, source); });
}
void record_item_finished(const thread_pool& pool, std::size_t worker) noexcept {
  diagnostics::notify_tracer([&](diagnostics::tracer& observer) { observer.item_finished(pool, worker); });
}
void record_parked(const thread_pool& pool, std::size_t worker, diagnostics::park_reason reason) noexcept {
  diagnostics::notify_tracer([&](diagnostics::tracer& observer) { observer.worker_parked(pool, worker, reason); });
}
void record_unparked(const thread_pool& pool, std::size_t worker) noexcept {
  diagnostics::notify_tracer([&](diagnostics::tracer& observer) { observer.worker_unparked(pool, worker); });
}

void record_pool_created(thread_pool& pool) noexcept {
  registry& reg = diagnostics::the_registry();
  std::lock_guard lock(reg.mutex);
  try {
    reg.pools.push_back(&pool);
  } catch (...) {
    // Out of memory: the pool goes unlisted in snapshots.
  }
}

void record_pool_destroyed(thread_pool& pool) noexcept {
  registry& reg = diagnostics::the_registry();
  std::lock_guard lock(reg.mutex);
  reg.pools.erase(std::remove(reg.pools.begin(), reg.pools.end(), &pool), reg.pools.end());
}

bool record_cancellation_source_created(const cancellation_state& state) noexcept {
  registry& reg = diagnostics::the_registry();
  std::lock_guard lock(reg.mutex);
  if (!reg.recording) return false;
  try {
    return reg.sources.insert(&state).second;
  } catch (...) {
    return false;  // out of memory: unlisted
  }
}

void record_cancellation_source_destroyed(const cancellation_state& state) noexcept {
  registry& reg = diagnostics::the_registry();
  std::lock_guard lock(reg.mutex);
  reg.sources.erase(&state);
}

namespace {

// Builds the report of a stalled wait and hands it to the handler (default: stderr). Runs on a
// thread of its own (report_stalled_wait), with the blocked worker waiting for it.
void describe_and_deliver_stalled_wait(pool_worker& worker, task_core* awaited) noexcept {
  registry& reg = diagnostics::the_registry();
  diagnostics::deadlock_report report;
  diagnostics::deadlock_handler handler;
  try {
    std::lock_guard lock(reg.mutex);
    // Follow what the awaited task waits for (recorded edges) to a task that can go on only
    // through this worker's deque: queued there itself, or (a coroutine) with its resumption
    // queued there by a yield or a pool switch. The worker already ran what its wait may run
    // (run_own_subtree) and now parks: with the pool stalled, no thread can take anything left
    // there. Without recording, only the awaited task itself can be checked.
    task_core* current = awaited;
    task_core* stuck = nullptr;
    for (int step = 0; step < 64 && current != nullptr; ++step) {
      work_item* item = current->queued_item();
      const task_status status = current->state().status();
      if (item != nullptr && (status == task_status::created || status == task_status::waiting_to_run) &&
          worker.holds(item)) {
        stuck = current;
        break;
      }
      const auto found = reg.tasks.find(&current->state());
      if (found == reg.tasks.end()) break;
      if (found->second.frame != nullptr && !current->state().is_completed() &&
          worker.holds_resumption_of(found->second.frame)) {
        stuck = current;
        break;
      }
      if (found->second.waits_on == nullptr) break;
      const auto next = reg.tasks.find(found->second.waits_on);
      if (next == reg.tasks.end() || next->second.sequence != found->second.waits_on_sequence) break;
      current = next->second.core;
    }
    const std::int64_t queued = worker.queue_length();
    // Nothing found queued behind this wait: with recording on, the wait may still end from
    // outside. With recording off the graph is unknown, so a stalled pool whose blocked worker
    // still holds queued work is reported, naming the worker only.
    if (stuck == nullptr && (reg.recording || queued == 0)) return;
    report.pool = &worker.pool();
    report.worker = worker.index();
    const std::string where = "worker " + std::to_string(report.worker) + " of pool " + diagnostics::address_text(report.pool);
    if (stuck != nullptr) {
      const auto awaited_record = reg.tasks.find(&awaited->state());
      if (awaited_record != reg.tasks.end()) report.awaited = diagnostics::describe(awaited_record->first, awaited_record->second, reg);
      const auto stuck_record = reg.tasks.find(&stuck->state());
      if (stuck_record != reg.tasks.end()) report.stuck = diagnostics::describe(stuck_record->first, stuck_record->second, reg);
      const std::string needs = report.awaited && report.stuck ? diagnostics::describe_site(*report.awaited) +
                                                                     ", which needs " +
                                                                     diagnostics::describe_site(*report.stuck)
                                                               : std::string("a task that needs itself or another task");
      report.message = "tpl: probable deadlock: " + where + " blocks in a wait for " + needs +
                       "; that task (or the rest of its coroutine) is queued in this worker's own deque, every thread of "
                       "the pool is blocked and no spare thread can start, so only this worker could run it, after the "
                       "wait (unless another thread's wait ends from outside the pool, or a token cancels the queued task)";
    } else {
      report.message = "tpl: probable deadlock: " + where + " blocks in a wait while " + std::to_string(queued) +
                       " item(s) wait in its own deque; every thread of the pool is blocked and no spare thread can "
                       "start, so only this worker could run them, after the wait (unless the awaited task completes "
                       "from outside the pool)";
    }
    if (!reg.recording) report.message += " (call tpl::diagnostics::enable() to name the tasks)";
    handler = reg.on_deadlock;
  } catch (...) {
    return;  // out of memory while describing: say nothing rather than fail the wait
  }
  try {
    if (handler) {
      handler(report);
    } else {
      std::fprintf(stderr, "%s\n", report.message.c_str());
    }
  } catch (...) {
    // A handler that throws: documented as dropped (the wait must go on).
  }
}

}  // namespace

void report_stalled_wait(pool_worker& worker, task_core* awaited) noexcept {
  if (awaited == nullptr) return;  // a fork-join join: no task to name
  // The stack guard parks a worker whose stack is nearly used up, so this may run with a few
  // KiB left: stdio on an unbuffered stderr alone takes ~8 KiB, and a handler may take any
  // amount. The report is built and delivered on a thread of its own (a rare event: the pool is
  // stalled), which the worker waits for. Its stack size is set here, not inherited: a program
  // that makes small stacks the default (pthread_setattr_default_np, ulimit -s) would give the
  // reporter the same few KiB.
  struct job {
    pool_worker* worker;
    task_core* awaited;
    static void* run(void* self) {
      auto* the_job = static_cast<job*>(self);
      describe_and_deliver_stalled_wait(*the_job->worker, the_job->awaited);
      return nullptr;
    }
  } the_job{&worker, awaited};
  constexpr std::size_t reporter_stack_bytes = 1024 * 1024;
  pthread_attr_t attributes;
  bool started = false;
  pthread_t reporter{};
  if (::pthread_attr_init(&attributes) == 0) {
    if (::pthread_attr_setstacksize(&attributes, reporter_stack_bytes) == 0) {
      started = ::pthread_create(&reporter, &attributes, &job::run, &the_job) == 0;
    }
    ::pthread_attr_destroy(&attributes);
  }
  if (started) {
    ::pthread_join(reporter, nullptr);
    return;
  }
  // No thread could start: a fixed line through write(2), which needs almost no stack.
  static constexpr char line[] =
      "tpl: probable deadlock: a pool worker blocks in a wait while every thread of its pool is blocked (no thread "
      "could be started to describe it)\n";
  [[maybe_unused]] const ssize_t written = ::write(2, line, sizeof line - 1);
}
#endif

}  // namespace tpl::detail::diagnostics_hooks
