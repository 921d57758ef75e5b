// What the fuzz targets share: reading operations out of libFuzzer's bytes, and failing loudly
// (abort, which libFuzzer reports as a crash and saves the input for) when tpl and the
// sequential reference model disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace tpl_fuzz {

class byte_reader {
 public:
  byte_reader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}
  [[nodiscard]] bool empty() const noexcept { return position_ >= size_; }
  // The next byte, or 0 once the input is used up.
  std::uint8_t next() noexcept { return empty() ? 0 : data_[position_++]; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t position_ = 0;
};

// Prints what disagreed and aborts: the fuzzer saves the input as crash-<hash>, and running the
// target with that file replays it.
[[noreturn]] inline void disagree(const char* what, long long tpl_value, long long model_value) {
  std::fprintf(stderr, "tpl and the reference model disagree: %s (tpl %lld, model %lld)\n", what, tpl_value,
               model_value);
  std::abort();
}

inline void expect_equal(const char* what, long long tpl_value, long long model_value) {
  if (tpl_value != model_value) disagree(what, tpl_value, model_value);
}

}  // namespace tpl_fuzz
