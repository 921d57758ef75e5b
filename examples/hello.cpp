// The README's hello world, built and run by ctest (hello_world_runs): a coroutine, co_await
// delay, when_all and a cancellation token.
#include <chrono>
#include <cstdio>
#include <tpl/tpl.hpp>

using namespace std::chrono_literals;

tpl::task<int> fetch(int id, tpl::cancellation_token token) {
  co_await tpl::delay(10ms * id, token);  // like `await Task.Delay(..., token)`
  co_return id * 10;
}

int main() {
  tpl::cancellation_token_source timeout;
  timeout.cancel_after(5s);
  auto [a, b] = tpl::when_all(fetch(1, timeout.token()), fetch(2, timeout.token())).get();
  std::printf("%d + %d = %d\n", a, b, a + b);
}
