// Security events (PRODUCT.md §5, docs/security-monitoring.md): what the detectors and the
// perimeter found, recorded in one transaction as
//   - a row in `security_events` (the ops API and `liasonpay incident export` read them),
//   - an audit record `security.<kind>` (outcome "denied" when contained, else "failure"),
//   - a `security.alert` webhook event for the merchant concerned (both modes when the event
//     belongs to no mode, e.g. a sign-in burst on a user of the merchant),
// and, when the merchant's security policy asks for it, automatic containment (blocking the
// source address for a time; revoking the API key), decided in the same transaction and audited.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lp/common/principal.hpp"
#include "lp/common/result.hpp"
#include "lp/store/store.hpp"

namespace lp::security {

struct Event {
  // signin_failure_burst | card_testing | revoked_key_used | ip_not_allowed |
  // circuit_breaker_opened
  std::string kind;
  std::vector<std::string> merchant_ids;  // who is told (none: a platform-level event)
  std::optional<Mode> mode;               // nullopt: the event belongs to no mode
  std::string subject_type;               // "account" | "ip" | "api_key" | "connector_account"
  std::string subject;
  std::string source_ip;
  std::string request_id;
  std::string details = "{}";  // JSON object text, never secrets
  std::string api_key_id;      // the key involved, if any (containment may revoke it)
};

// What the merchant's policy made of an event (`security_policies.auto_block_ip`,
// `auto_revoke_key`).
struct Containment {
  std::optional<int64_t> ip_blocked_until_us;  // the source address is refused until then
  bool revoke_key = false;                     // the caller revokes `api_key_id`
};

struct StoredEvent {
  std::string id;  // "sev_…"
  int64_t time_us = 0;
  std::string merchant_id;  // the first merchant concerned ("" for platform events)
  Event event;
  Containment containment;
};

// Records `e` inside the caller's transaction: one row, audit record and alert per merchant
// concerned (one row for a platform event), each with its merchant's containment decision.
// `block_for_s`: how long an address is blocked when a policy asks for it.
Result<std::vector<StoredEvent>> Record(store::Tx& tx, const Event& e, int64_t now_us,
                                        int64_t block_for_s);

struct EventFilter {
  std::optional<int64_t> from_us, to_us;  // time >= from, time < to
  std::optional<std::string> merchant_id;
  std::optional<std::string> kind;
  int64_t limit = 100;               // newest first
  std::optional<int64_t> before_us;  // cursor: strictly older than this time
};
// Newest first, at most `filter.limit`.
Result<std::vector<StoredEvent>> List(store::Tx& tx, const EventFilter& filter);
// Oldest first, every match (incident export); `row` returns false to stop.
Result<void> Scan(store::Tx& tx, const EventFilter& filter,
                  const std::function<bool(const StoredEvent&)>& row);

// The JSON object of an event (ops API, incident export, the `security.alert` data).
std::string ToJson(const StoredEvent& e);

}  // namespace lp::security
