// `liasonpay webhooks verify`.
#pragma once

#include <cstdint>
#include <string>

namespace lp::app {

// `liasonpay webhooks verify`: 0 when the request on stdin carries a valid signature.
int VerifyWebhookCommand(const std::string& secret, int64_t tolerance_s);

}  // namespace lp::app
