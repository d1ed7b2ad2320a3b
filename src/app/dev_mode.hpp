// `serve --dev` (docs/architecture.md, app): never for real payments.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <string>

#include "app/config.hpp"
#include "lp/common/clock.hpp"
#include "lp/merchants/api_keys.hpp"
#include "lp/people/password_policy.hpp"
#include "lp/store/store.hpp"

namespace lp::app {

// The data dir (0700), a self-signed certificate and a key ring, each only when missing.
Result<void> EnsureDevDataDir(const Config& c);

// A demo merchant with a sandbox account and a test key, its owner (a dashboard user) and a
// first operator, written to dev-credentials.json (0600). Only what is missing is created.
Result<boost::json::object> EnsureDevCredentials(const Config& c, store::Store& store,
                                                 merchants::ApiKeyService& keys,
                                                 const people::PasswordPolicy& policy,
                                                 const Clock& clock);

// The banner on stdout (stderr carries JSON log lines only): the listeners and how to try them.
void PrintDevBanner(const Config& c, std::map<std::string, uint16_t> ports);

}  // namespace lp::app
