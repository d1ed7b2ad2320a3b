// `liasonpay merchant create` and `liasonpay operator create`.
#pragma once

#include <string>

#include "app/config.hpp"

namespace lp::app {

// `liasonpay merchant create`: prints {"merchant_id","api_key"} once.
int CreateMerchantCommand(const Config& config, const std::string& name, const std::string& mode,
                          const std::string& owner_email);
// `liasonpay operator create --email [--role]`: prints the generated initial password once.
int CreateOperatorCommand(const Config& config, const std::string& email, const std::string& role);

}  // namespace lp::app
