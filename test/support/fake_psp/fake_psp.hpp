// A scriptable fake PSP for C++ tests: a Connector named "fakepsp" (and its ConnectorDescriptor)
// that answers each call with the next reply a test queued, and records every call it received.
// Like a real PSP it deduplicates by idempotency key: a repeated Execute with a key it already
// processed answers the recorded result without processing anything again, and Sync answers
// what it recorded for the key (or psp_no_record). Adding it to a test's registry is one line:
//
//   lp::testing::fake_psp::FakePsp psp;          // the script and the record, shared
//   registry->Add(psp.Connector());              // a "fakepsp" connector over them
//   psp.Then(fake_psp::SoftDecline()).Then(fake_psp::Approve());
//
// Connector accounts whose `connector` is "fakepsp" then reach it; it takes payment methods that
// start with "fake_" (the sandbox takes "tok_…", so routing never mixes them up).
// Link `lp_fake_psp` (test/CMakeLists.txt); include "support/fake_psp/fake_psp.hpp".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lp/connectors/connector.hpp"
#include "lp/connectors/descriptor.hpp"

namespace lp::testing::fake_psp {

inline constexpr std::string_view kName = "fakepsp";
inline constexpr std::string_view kCard = "fake_card";  // a payment method the fake takes

// What the fake does with one Execute call.
struct Reply {
  enum class Kind {
    kApprove,         // authorize: captured (automatic capture) or authorized; capture: captured;
                      // void: voided; refund: refunded
    kDecline,         // declined with `decline_code`; `soft`: may succeed at another PSP
    kRequiresAction,  // authorize: the customer must act (a 3-D Secure redirect)
    kTimeout,         // processed as kApprove, but the answer is lost: psp_timeout (unclear)
    kLostTimeout,     // nothing processed, and psp_timeout: a later Sync finds no record
    kPspError,        // a 5xx after processing nothing: psp_error (unclear)
    kUnavailable,     // connection refused, provably not sent: psp_unavailable (clear)
  };
  Kind kind = Kind::kApprove;
  std::string decline_code;
  bool soft = false;
};

inline Reply Approve() { return {Reply::Kind::kApprove, {}, false}; }
inline Reply SoftDecline(std::string code = "do_not_honor") {
  return {Reply::Kind::kDecline, std::move(code), true};
}
inline Reply HardDecline(std::string code = "stolen_card") {
  return {Reply::Kind::kDecline, std::move(code), false};
}
inline Reply RequiresAction() { return {Reply::Kind::kRequiresAction, {}, false}; }
inline Reply Timeout() { return {Reply::Kind::kTimeout, {}, false}; }
inline Reply LostTimeout() { return {Reply::Kind::kLostTimeout, {}, false}; }
inline Reply PspError() { return {Reply::Kind::kPspError, {}, false}; }
inline Reply Unavailable() { return {Reply::Kind::kUnavailable, {}, false}; }

// One call as the fake received it.
struct Call {
  connectors::Operation operation = connectors::Operation::kAuthorize;
  bool sync = false;              // Sync (recovery) rather than Execute
  std::string connector_account;  // Account::id
  std::string payment_id;
  std::string idempotency_key;
  std::string payment_method;
  std::string psp_reference;  // the request's (capture, void, refund: the authorization's)
  Money amount;
  bool auto_capture = true;
  bool replayed = false;  // Execute with a key already processed: answered from the record
};

class FakePsp {
 public:
  FakePsp();

  // Queues the reply to the next Execute call that is not a replay (any operation, any account).
  // With nothing queued, every call is approved.
  FakePsp& Then(Reply reply);
  // Every Execute and Sync call received, in order.
  std::vector<Call> Calls() const;
  // Only the Execute calls of one operation (not Sync).
  std::vector<Call> Executed(connectors::Operation op) const;
  std::vector<Call> Synced() const;
  // How many operations it processed (recorded results; each key once): "charged" at most this.
  size_t Processed() const;

  // A connector named "fakepsp" that answers from this object's script and records here. Any
  // number may exist; they share the state (the FakePsp may go before them).
  connectors::ConnectorPtr Connector() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// The descriptor of the fake (name "fakepsp", no credential fields, takes "fake_…" methods).
// Its factory makes a connector over a new FakePsp of its own (approving everything).
const connectors::ConnectorDescriptor& Descriptor();

}  // namespace lp::testing::fake_psp
