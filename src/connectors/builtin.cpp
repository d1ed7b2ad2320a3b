// The ONE explicit registration list of built-in connectors.
#include "lp/connectors/sandbox.hpp"

namespace lp::connectors {

std::string_view ToString(Operation op) {
  switch (op) {
    case Operation::kAuthorize:
      return "authorize";
    case Operation::kCapture:
      return "capture";
    case Operation::kVoid:
      return "void";
    case Operation::kRefund:
      return "refund";
  }
  return "unknown";
}

namespace {
// Owns the sandbox ledger alongside the connectors that use it.
class BuiltinRegistry final : public ConnectorRegistry {
 public:
  std::unique_ptr<sandbox::Ledger> ledger;
};
}  // namespace

Result<std::unique_ptr<ConnectorRegistry>> MakeBuiltinConnectors(const BuiltinOptions& options) {
  auto reg = std::make_unique<BuiltinRegistry>();
  auto ledger = sandbox::Ledger::Open(options.sandbox_ledger_path);
  if (!ledger) return ledger.error();
  reg->ledger = std::move(*ledger);
  reg->Add(std::make_unique<sandbox::SandboxConnector>(*reg->ledger, options.sandbox_latency_ms,
                                                       options.psp_timeout_ms));
  return std::unique_ptr<ConnectorRegistry>(std::move(reg));
}

}  // namespace lp::connectors
