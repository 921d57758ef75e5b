/// \file
/// tpl::io::end_of_stream — .NET's EndOfStreamException: stream::read() needed more bytes than
/// the peer sent before it closed its side. read_some() reports the end as 0 bytes instead.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace tpl::io {

class end_of_stream : public std::runtime_error {
 public:
  end_of_stream(std::size_t wanted, std::size_t got)
      : std::runtime_error("tpl::io::stream::read: the peer closed the stream after " + std::to_string(got) + " of " +
                           std::to_string(wanted) + " bytes"),
        wanted_(wanted),
        got_(got) {}

  [[nodiscard]] std::size_t bytes_wanted() const noexcept { return wanted_; }
  [[nodiscard]] std::size_t bytes_read() const noexcept { return got_; }

 private:
  std::size_t wanted_;
  std::size_t got_;
};

}  // namespace tpl::io
