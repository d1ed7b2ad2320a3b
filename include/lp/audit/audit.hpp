// The audit log: one interface through which every privileged action is recorded (who, what,
// when, from where, outcome). Records are append-only and hash-chained: each stores
// SHA-256(previous hash || its canonical content), so an edit, deletion or reordering breaks
// the chain (`Verify`).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/store/store.hpp"

namespace lp::audit {

struct Record {
  std::string actor_type;  // "api_key" | "user" | "operator" | "system"
  std::string actor_id;
  std::string action;  // e.g. "api_key.create", "api_key.roll", "security.ip_not_allowed"
  std::string target;  // id of what was acted on
  std::string merchant_id;
  std::string outcome;  // "success" | "denied" | "failure"
  std::string source_ip;
  std::string request_id;
  std::string details = "{}";  // JSON object text, never secrets
};

// Appends inside the caller's transaction (so the record commits with the change it records).
Result<void> Append(store::Tx& tx, const Record& record, int64_t now_us);

struct VerifyReport {
  int64_t records = 0;
  bool ok = true;
  int64_t first_bad_seq = 0;  // 0 when ok
  std::string problem;
};
Result<VerifyReport> Verify(store::Tx& tx);

// One stored record, as `liasonpay audit export` prints it.
struct StoredRecord {
  int64_t seq = 0;
  std::string id;
  int64_t time_us = 0;
  Record record;
  std::string hash;
};
struct ExportFilter {
  std::optional<int64_t> from_us, to_us;  // time >= from, time < to
  std::optional<std::string> merchant_id;
};
// The records matching `filter` in chain order; `row` returns false to stop.
Result<void> Export(store::Tx& tx, const ExportFilter& filter,
                    const std::function<bool(const StoredRecord&)>& row);

// The audit log query (docs/dashboard-api.md §8): unset fields match everything.
struct QueryFilter {
  std::optional<std::string> merchant_id;    // unset: every merchant (operators only)
  std::optional<std::string> action;         // exact
  std::optional<std::string> action_prefix;  // "api_key." (from "api_key.*")
  std::optional<std::string> actor_id;       // usr_…, opr_…, key_…
  std::optional<std::string> outcome;        // success | denied | failure
  std::optional<int64_t> from_us, to_us;     // time >= from, time <= to (inclusive)
};
struct QueryPage {
  int limit = 10;
  // aud_… ids; a record outside the filter's merchant is 400 resource_missing naming the
  // parameter.
  std::optional<std::string> starting_after, ending_before;
};
// One page of records, newest first (by seq). Returns has_more.
Result<bool> List(store::Tx& tx, const QueryFilter& filter, const QueryPage& page,
                  std::vector<StoredRecord>& out);
// At most `max` records matching `filter`, newest first; `row` returns false to stop.
Result<void> ExportNewestFirst(store::Tx& tx, const QueryFilter& filter, int64_t max,
                               const std::function<bool(const StoredRecord&)>& row);

}  // namespace lp::audit
