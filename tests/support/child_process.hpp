// Runs a program in a child process with a deadline, for tests whose scenario ends the process,
// changes its limits, or used to hang it. The deadline is a hang detector, not a timing
// assertion: the waiting thread blocks in waitpid and the test thread waits for it on a
// condition variable; only when the deadline passes is the child killed (then `timed_out`).
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace tpl_test {

struct child_outcome {
  bool timed_out = false;
  bool exited = false;  // exited normally: `exit_code` holds its status
  int exit_code = -1;
  int signal = 0;       // killed by this signal (0: none)
  std::string describe() const {
    if (timed_out) return "hung (killed at the deadline)";
    if (exited) return "exited with " + std::to_string(exit_code);
    return "killed by signal " + std::to_string(signal);
  }
};

// Optional limits applied in the child before exec (setrlimit).
struct child_limits {
  std::optional<rlim_t> stack_bytes;  // RLIMIT_STACK: also the default stack of new threads
};

inline child_outcome run_child(const std::vector<std::string>& command, std::chrono::seconds deadline,
                               child_limits limits = {}) {
  std::vector<char*> argv;
  for (const std::string& each : command) argv.push_back(const_cast<char*>(each.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (limits.stack_bytes) {
    // fork + exec: posix_spawn cannot set limits. Only async-signal-safe calls in the child.
    pid = fork();
    if (pid == 0) {
      rlimit stack{*limits.stack_bytes, *limits.stack_bytes};
      if (setrlimit(RLIMIT_STACK, &stack) != 0) _exit(125);
      execve(argv[0], argv.data(), environ);
      _exit(127);
    }
  } else if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    pid = -1;
  }
  child_outcome outcome;
  if (pid < 0) return outcome;  // exited == false, signal == 0: the caller's assertion reports it
  std::mutex mutex;
  std::condition_variable ended;
  bool reaped = false;
  int status = 0;
  std::thread reaper([&] {
    int result = 0;
    while (waitpid(pid, &result, 0) < 0) {
    }
    std::lock_guard lock(mutex);
    status = result;
    reaped = true;
    ended.notify_one();
  });
  {
    std::unique_lock lock(mutex);
    if (!ended.wait_for(lock, deadline, [&] { return reaped; })) {
      outcome.timed_out = true;
      kill(pid, SIGKILL);
      ended.wait(lock, [&] { return reaped; });
    }
  }
  reaper.join();
  if (!outcome.timed_out) {
    if (WIFEXITED(status)) {
      outcome.exited = true;
      outcome.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      outcome.signal = WTERMSIG(status);
    }
  }
  return outcome;
}

}  // namespace tpl_test
