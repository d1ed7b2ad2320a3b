// The ONE explicit registration list of built-in connectors.
#include <array>

#include "lp/connectors/adyen.hpp"
#include "lp/connectors/sandbox.hpp"
#include "lp/connectors/stripe.hpp"
#include "lp/net/psp_client.hpp"

namespace lp::connectors {

std::span<const ConnectorDescriptor* const> BuiltinDescriptors() {
  static const std::array<const ConnectorDescriptor*, 3> kAll = {
      &sandbox::Descriptor(), &stripe::Descriptor(), &adyen::Descriptor()};
  return kAll;
}

const ConnectorDescriptor* FindDescriptor(std::string_view name) {
  for (const auto* d : BuiltinDescriptors()) {
    if (d->name == name) return d;
  }
  return nullptr;
}

bool IsKnownConnector(std::string_view name) { return FindDescriptor(name) != nullptr; }

const std::string& KnownConnectorsText() {
  static const std::string kText = [] {
    std::string t;
    const auto all = BuiltinDescriptors();
    for (size_t i = 0; i < all.size(); ++i) {
      if (i > 0) t += i + 1 == all.size() ? " or " : ", ";
      t += all[i]->name;
    }
    return t;
  }();
  return kText;
}

namespace {
// Owns the sandbox ledger and the PSP connection pool alongside the connectors that use them
// (connectors only use them in calls, never when destroyed; pending PSP calls hold their own
// reference to the pool).
class BuiltinRegistry final : public ConnectorRegistry {
 public:
  std::unique_ptr<sandbox::Ledger> ledger;
  std::unique_ptr<net::PspClient> psp_client;
};
}  // namespace

Result<std::unique_ptr<ConnectorRegistry>> MakeBuiltinConnectors(const BuiltinOptions& options) {
  auto reg = std::make_unique<BuiltinRegistry>();
  auto ledger = sandbox::Ledger::Open(options.sandbox_ledger_path);
  if (!ledger) return ledger.error();
  reg->ledger = std::move(*ledger);
  reg->Add(std::make_unique<sandbox::SandboxConnector>(*reg->ledger, options.sandbox_latency_ms,
                                                       options.psp_timeout_ms));
  if (options.executor) {
    net::PspClientOptions po;
    po.trusted_ca_pem = options.psp_ca_pem;
    po.proxy_url = options.psp_proxy_url;
    po.allow_http = options.allow_http_psp;
    reg->psp_client = std::make_unique<net::PspClient>(options.executor, std::move(po));
    if (!reg->psp_client->init_error().empty()) {
      return Error::Internal("PSP client: " + reg->psp_client->init_error());
    }
    const ConnectorContext ctx{reg->psp_client.get(), options.clock, options.psp_timeout_ms};
    for (const auto* d : BuiltinDescriptors()) {
      if (!d->make) continue;  // the sandbox: made above
      auto c = d->make(ctx);
      if (!c) return c.error();
      reg->Add(std::move(*c));
    }
  }
  return std::unique_ptr<ConnectorRegistry>(std::move(reg));
}

}  // namespace lp::connectors
