#pragma once

#include <cstdint>

#include "app/config.hpp"
#include "lp/store/store.hpp"

namespace lp::app {

// The store the configuration names (`database`; default: SQLite in the data dir).
Result<store::StorePtr> OpenConfiguredStore(const Config& config);

// `liasonpay serve`: runs until SIGTERM/SIGINT; returns the process exit code.
int Serve(const Config& config);
// `liasonpay migrate` and `liasonpay init`.
int Migrate(const Config& config);
int Init(const Config& config);
// `liasonpay merchant create`: prints {"merchant_id","api_key"} once.
int CreateMerchantCommand(const Config& config, const std::string& name, const std::string& mode,
                          const std::string& owner_email);
// `liasonpay operator create --email [--role]`: prints the generated initial password once.
int CreateOperatorCommand(const Config& config, const std::string& email, const std::string& role);
// `liasonpay webhooks verify`: 0 when the request on stdin carries a valid signature.
int VerifyWebhookCommand(const std::string& secret, int64_t tolerance_s);
// `liasonpay keys status|rotate|retire`.
int KeysStatus(const Config& config);
int KeysRotate(const Config& config);
int KeysRetire(const Config& config, uint32_t version);

}  // namespace lp::app
