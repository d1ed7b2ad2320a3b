// libFuzzer target for the card-number detector and the log redactor: both run on every log line
// and every request string, so they must never crash, read out of bounds or go quadratic.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lp/common/pan.hpp"
#include "lp/common/redact.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  size_t from = 0;
  while (auto span = lp::FindPan(text, from)) {
    if (span->begin < from || span->end <= span->begin || span->end > text.size()) {
      std::abort();  // a span must lie inside the text, after `from`
    }
    from = span->end;
  }

  const std::string once = lp::Redact(text);
  // Everything a PAN could be was masked, and masking again changes nothing.
  if (lp::ContainsPan(once) || lp::Redact(once) != once) {
    std::abort();
  }
  return 0;
}
