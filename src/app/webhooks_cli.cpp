// `liasonpay webhooks verify`.
#include "app/webhooks_cli.hpp"

#include <fmt/format.h>

#include <cctype>
#include <iostream>
#include <iterator>
#include <sstream>

#include "lp/common/clock.hpp"
#include "lp/webhooks/signer.hpp"

namespace lp::app {

int VerifyWebhookCommand(const std::string& secret, int64_t tolerance_s) {
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  // Headers end at the first blank line (CRLF or LF); a request line is allowed and ignored.
  size_t split = input.find("\r\n\r\n");
  size_t body_at = split == std::string::npos ? std::string::npos : split + 4;
  if (split == std::string::npos) {
    split = input.find("\n\n");
    body_at = split == std::string::npos ? std::string::npos : split + 2;
  }
  if (split == std::string::npos) {
    fmt::print(stderr, "invalid: no blank line between headers and body\n");
    return 1;
  }
  std::string id, ts, sig;
  std::istringstream head(input.substr(0, split));
  std::string line;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name == "webhook-id") id = value;
    if (name == "webhook-timestamp") ts = value;
    if (name == "webhook-signature") sig = value;
  }
  const std::string body = input.substr(body_at);
  auto r = webhooks::Verify({secret}, {id, ts, sig}, body, SystemClock().NowSeconds(), tolerance_s);
  if (!r) {
    fmt::print(stderr, "invalid: {}\n", r.error().message);
    return 1;
  }
  fmt::print("valid\n");
  return 0;
}

}  // namespace lp::app
