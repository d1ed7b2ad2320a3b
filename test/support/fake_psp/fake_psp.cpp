#include "support/fake_psp/fake_psp.hpp"

#include <deque>
#include <map>
#include <mutex>

namespace lp::testing::fake_psp {

using connectors::Operation;
using connectors::OperationRequest;
using connectors::OperationResult;
using connectors::Outcome;

struct FakePsp::State {
  mutable std::mutex mu;
  std::deque<Reply> script;
  std::vector<Call> calls;
  std::map<std::string, OperationResult> processed;  // by idempotency key
  int64_t next_reference = 1;
};

namespace {

Error Failure(std::string_view code, std::string message) {
  return Error{ErrorType::kUnavailable, std::string(code), std::move(message), {}, "fake psp"};
}

// `n`: the fake's number of this operation (references "fake_<n>", refunds "fakere_<n>").
OperationResult Approved(Operation op, const OperationRequest& req, int64_t n) {
  OperationResult r;
  r.amount = req.amount.minor_units;
  r.psp_reference = req.psp_reference.empty() ? "fake_" + std::to_string(n) : req.psp_reference;
  switch (op) {
    case Operation::kAuthorize:
      r.outcome = req.auto_capture ? Outcome::kCaptured : Outcome::kAuthorized;
      r.psp_status = req.auto_capture ? "succeeded" : "requires_capture";
      break;
    case Operation::kCapture:
      r.outcome = Outcome::kCaptured;
      r.psp_status = "succeeded";
      break;
    case Operation::kVoid:
      r.outcome = Outcome::kVoided;
      r.psp_status = "canceled";
      break;
    case Operation::kRefund:
      r.outcome = Outcome::kRefunded;
      r.psp_reference = "fakere_" + std::to_string(n);
      r.psp_status = "succeeded";
      break;
  }
  return r;
}

class FakeConnector final : public connectors::Connector {
 public:
  explicit FakeConnector(std::shared_ptr<FakePsp::State> state) : state_(std::move(state)) {}
  std::string_view Name() const override { return kName; }
  bool Accepts(std::string_view pm) const override { return pm.starts_with("fake_"); }
  bool UsesCredentials() const override { return false; }

  Task<Result<OperationResult>> Execute(const connectors::Account& account, Operation op,
                                        const OperationRequest& req) override {
    co_return Respond(account, op, req);
  }

  Task<Result<OperationResult>> Sync(const connectors::Account& account, Operation op,
                                     const OperationRequest& req) override {
    std::lock_guard lk(state_->mu);
    state_->calls.push_back(CallOf(account, op, req, /*sync=*/true, false));
    if (auto it = state_->processed.find(req.idempotency_key); it != state_->processed.end()) {
      co_return it->second;
    }
    co_return Failure(connectors::kPspUnknown,
                      "The payment provider has no record of this operation.");
  }

 private:
  static Call CallOf(const connectors::Account& account, Operation op, const OperationRequest& req,
                     bool sync, bool replayed) {
    return Call{op,
                sync,
                account.id,
                req.payment_id,
                req.idempotency_key,
                req.payment_method,
                req.psp_reference,
                req.amount,
                req.auto_capture,
                replayed};
  }

  Result<OperationResult> Respond(const connectors::Account& account, Operation op,
                                  const OperationRequest& req) {
    std::lock_guard lk(state_->mu);
    if (auto it = state_->processed.find(req.idempotency_key); it != state_->processed.end()) {
      state_->calls.push_back(CallOf(account, op, req, false, /*replayed=*/true));
      return it->second;  // a real PSP's idempotency: nothing processed again
    }
    state_->calls.push_back(CallOf(account, op, req, false, false));
    Reply reply;
    if (!state_->script.empty()) {
      reply = std::move(state_->script.front());
      state_->script.pop_front();
    }
    const int64_t n = state_->next_reference++;
    const std::string reference = "fake_" + std::to_string(n);
    auto record = [&](OperationResult r) {
      state_->processed.emplace(req.idempotency_key, r);
      return r;
    };
    switch (reply.kind) {
      case Reply::Kind::kApprove:
        return record(Approved(op, req, n));
      case Reply::Kind::kDecline: {
        OperationResult r;
        r.outcome = Outcome::kDeclined;
        r.decline_code = reply.decline_code;
        r.soft_decline = reply.soft;
        r.message = "The fake PSP declined the payment (" + reply.decline_code + ").";
        r.psp_reference = reference;
        r.psp_status = "declined";
        return record(std::move(r));
      }
      case Reply::Kind::kRequiresAction: {
        OperationResult r;
        r.outcome = Outcome::kRequiresAction;
        r.psp_reference = reference;
        r.next_action_json =
            R"({"type":"redirect_to_url","redirect_to_url":{"url":"https://fakepsp.test/3ds"}})";
        r.psp_status = "requires_action";
        return record(std::move(r));
      }
      case Reply::Kind::kTimeout:
        record(Approved(op, req, n));
        return Failure(connectors::kPspTimeout, "The payment provider did not answer in time.");
      case Reply::Kind::kLostTimeout:
        return Failure(connectors::kPspTimeout, "The payment provider did not answer in time.");
      case Reply::Kind::kPspError:
        return Failure(connectors::kPspError, "The payment provider returned an error.");
      case Reply::Kind::kUnavailable:
        return Failure(connectors::kPspUnavailable, "The payment provider could not be reached.");
    }
    return Error::Internal("fake psp: unknown reply");
  }

  std::shared_ptr<FakePsp::State> state_;
};

}  // namespace

FakePsp::FakePsp() : state_(std::make_shared<State>()) {}

FakePsp& FakePsp::Then(Reply reply) {
  std::lock_guard lk(state_->mu);
  state_->script.push_back(std::move(reply));
  return *this;
}

std::vector<Call> FakePsp::Calls() const {
  std::lock_guard lk(state_->mu);
  return state_->calls;
}

std::vector<Call> FakePsp::Executed(Operation op) const {
  std::vector<Call> out;
  for (auto& c : Calls()) {
    if (!c.sync && c.operation == op) out.push_back(std::move(c));
  }
  return out;
}

std::vector<Call> FakePsp::Synced() const {
  std::vector<Call> out;
  for (auto& c : Calls()) {
    if (c.sync) out.push_back(std::move(c));
  }
  return out;
}

size_t FakePsp::Processed() const {
  std::lock_guard lk(state_->mu);
  return state_->processed.size();
}

connectors::ConnectorPtr FakePsp::Connector() const {
  return std::make_unique<FakeConnector>(state_);
}

namespace {

Result<void> AnyCredentials(const connectors::Credentials&, Mode) { return {}; }
bool TakesFakeMethods(std::string_view pm) { return pm.starts_with("fake_"); }
Result<std::string> BaseUrl(Mode, const connectors::Credentials&) {
  return std::string("https://fakepsp.test");
}
Result<connectors::ConnectorPtr> MakeFake(const connectors::ConnectorContext&) {
  return FakePsp().Connector();
}
// The fake sends no webhooks: every inbound one is refused, as an unsigned request would be.
Result<void> RefuseWebhook(const connectors::Credentials&, const connectors::WebhookRequest&,
                           int64_t) {
  return Error::Invalid("webhook_signature_invalid", "The fake PSP signs no webhooks.");
}
Result<std::vector<connectors::PspEvent>> NoEvents(std::string_view) {
  return std::vector<connectors::PspEvent>{};
}

}  // namespace

const connectors::ConnectorDescriptor& Descriptor() {
  static const connectors::ConnectorDescriptor kDescriptor{
      kName,     "Fake PSP",     {},        &AnyCredentials,          &TakesFakeMethods, &BaseUrl,
      &MakeFake, &RefuseWebhook, &NoEvents, {200, "text/plain", "ok"}};
  return kDescriptor;
}

}  // namespace lp::testing::fake_psp
