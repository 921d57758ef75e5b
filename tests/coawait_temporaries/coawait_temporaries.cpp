// The lines a user writes inside `co_await`, each in a process of its own, built with
// AddressSanitizer whatever the preset (tests/CMakeLists.txt): g++ before 13 destroys some
// temporaries of a co_await expression twice (GCC PRs 99576, 100611, 101367, 101976; fixed in
// GCC 13.1). tpl shapes what it can (io::endpoint is not an aggregate), and
// check_coawait_temporaries.cmake says which of the other forms this compiler gets wrong.
//
//   coawait_temporaries <form>     exit 0: the form ran and gave the right answer
//
// Forms tpl makes safe on every compiler:
//   braced_endpoint       co_await tpl::io::connect_tcp({"127.0.0.1", port})
//   named_lambda          auto work = [text] {...}; co_await tpl::run(work)   (what to write on g++ 12)
// Forms only a fixed compiler gets right (the capturing closure is the user's own temporary):
//   run_capturing_string  co_await tpl::run([text] {...})
//   when_all_of_runs      co_await tpl::when_all(tpl::run([text] {...}), tpl::run([text] {...}))
//   when_any_with_delay   co_await tpl::when_any(tpl::run([text] {...}), tpl::delay(10s))
//   immediately_invoked   co_await [text]() -> tpl::task<int> { co_return ...; }()
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "tpl/delay.hpp"
#include "tpl/io.hpp"
#include "tpl/run.hpp"
#include "tpl/task.hpp"
#include "tpl/when_all.hpp"
#include "tpl/when_any.hpp"

namespace {

using namespace std::chrono_literals;

// Longer than any small-string buffer: the copy lives on the heap, so a second free is caught.
const std::string text = "a string long enough to live on the heap, not in the object";
const int expected = static_cast<int>(text.size());

tpl::task<int> braced_endpoint() {
  tpl::io::listener server = tpl::io::listener::listen_tcp({"127.0.0.1", 0});
  const std::uint16_t port = server.local_endpoint().port;
  tpl::task<tpl::io::stream> accepted = server.accept();
  tpl::io::stream connection = co_await tpl::io::connect_tcp({"127.0.0.1", port});
  tpl::io::stream other_end = co_await std::move(accepted);
  co_return expected;
}

tpl::task<int> named_lambda() {
  auto work = [copy = text] { return static_cast<int>(copy.size()); };
  co_return co_await tpl::run(work);
}

tpl::task<int> run_capturing_string() {
  co_return co_await tpl::run([copy = text] { return static_cast<int>(copy.size()); });
}

tpl::task<int> when_all_of_runs() {
  auto [first, second] = co_await tpl::when_all(tpl::run([copy = text] { return static_cast<int>(copy.size()); }),
                                                tpl::run([copy = text] { return static_cast<int>(copy.size()); }));
  co_return first == second ? first : -1;
}

tpl::task<int> when_any_with_delay() {
  auto winner = co_await tpl::when_any(tpl::run([copy = text] { return static_cast<int>(copy.size()); }), tpl::delay(10s));
  co_return winner.index == 0 ? expected : -1;
}

tpl::task<int> immediately_invoked() {
  co_return co_await [copy = text]() -> tpl::task<int> { co_return static_cast<int>(copy.size()); }();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: coawait_temporaries <form>\n");
    return 2;
  }
  const std::string form = argv[1];
  int got = 0;
  if (form == "braced_endpoint") got = braced_endpoint().get();
  else if (form == "named_lambda") got = named_lambda().get();
  else if (form == "run_capturing_string") got = run_capturing_string().get();
  else if (form == "when_all_of_runs") got = when_all_of_runs().get();
  else if (form == "when_any_with_delay") got = when_any_with_delay().get();
  else if (form == "immediately_invoked") got = immediately_invoked().get();
  else {
    std::fprintf(stderr, "unknown form %s\n", form.c_str());
    return 2;
  }
  std::printf("%s: %d\n", form.c_str(), got);
  return got == expected ? 0 : 1;
}
