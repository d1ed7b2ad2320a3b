#include "lp/common/random.hpp"
#include "lp/connectors/descriptor.hpp"
#include "lp/merchants/api_keys.hpp"
#include "merchants/connector_account_repository.hpp"
#include "merchants/merchant_repository.hpp"

namespace lp::merchants {

Result<std::string> CreateMerchant(store::Tx& tx, const std::string& name, const Clock& clock) {
  const std::string id = NewId("mer");
  const int64_t now = clock.NowMicros();
  if (auto r = merchants_repo::Insert(tx, id, name, now); !r) return r.error();
  // Every merchant starts with a test-mode sandbox account, so test keys work at once.
  accounts_repo::NewRow sandbox;
  sandbox.id = NewId("ca");
  sandbox.merchant_id = id;
  sandbox.mode = Mode::kTest;
  sandbox.connector = std::string(connectors::kSandbox);
  sandbox.label = "Sandbox";
  sandbox.now_us = now;
  if (auto r = accounts_repo::Insert(tx, sandbox); !r) return r.error();
  return id;
}

}  // namespace lp::merchants
