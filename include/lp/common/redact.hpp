// The redactor: the last step before any log line is written. Masks API keys, webhook secrets
// and card numbers wherever they appear.
#pragma once

#include <string>
#include <string_view>

namespace lp {

std::string Redact(std::string_view text);

}  // namespace lp
