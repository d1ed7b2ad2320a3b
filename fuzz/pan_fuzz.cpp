// libFuzzer target for the card-number detector and the log redactor: both run on every log line
// and every request string, so they must never crash, read out of bounds or go quadratic
// (fuzz/build.sh runs this target on inputs up to 64 KiB with a short -timeout).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/pan.hpp"
#include "lp/common/redact.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // Every span lies inside the text, in order, without overlap; FindPan finds the first.
  const std::vector<lp::Span> spans = lp::FindPans(text);
  size_t end = 0;
  for (const lp::Span& span : spans) {
    if (span.begin < end || span.end <= span.begin || span.end > text.size()) {
      std::abort();
    }
    end = span.end;
  }
  const auto first = lp::FindPan(text);
  if (first.has_value() != !spans.empty() ||
      (first && (first->begin != spans[0].begin || first->end != spans[0].end))) {
    std::abort();
  }

  const std::string once = lp::Redact(text);
  // Everything a PAN or a secret could be was masked, and masking again changes nothing.
  if (lp::ContainsPan(once) || lp::ContainsSecret(once) || lp::Redact(once) != once) {
    std::abort();
  }
  // The log's shortcut (ContainsSecret false, few digits) never skips something Redact masks.
  if (!lp::ContainsSecret(text) && !lp::ContainsPan(text) && once != text) {
    std::abort();
  }
  return 0;
}
