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

// A signed checkpoint (docs/audit.md): the chain head — record `seq` and its hash — at a time,
// authenticated with HMAC-SHA256 under the checkpoint key. Written to `audit_checkpoints` and,
// by the server, to an anchor file outside the database. Someone who can write the database but
// does not hold the key ring cannot make a checkpoint for a rewritten or shortened chain.
struct Checkpoint {
  int64_t seq = 0;
  std::string hash;  // hex, the hash of record `seq`
  int64_t time_us = 0;
  std::string mac;  // hex HMAC-SHA256 over "lp-audit-checkpoint-v1|seq|hash|time"
};
// The checkpoint key: HMAC-SHA256(key-ring pepper, "lp-audit-checkpoint-v1") (the pepper is
// key-ring material that never rotates, like the checkpoints it signs).
std::string CheckpointKey(std::string_view pepper);
std::string SignCheckpoint(std::string_view key, int64_t seq, std::string_view hash,
                           int64_t time_us);
bool CheckpointValid(std::string_view key, const Checkpoint& c);
// Signs the chain head when `every_records` records or `every_us` have passed since the last
// checkpoint (and the chain has grown); returns the new checkpoint, or nullopt.
Result<std::optional<Checkpoint>> WriteCheckpointIfDue(store::Tx& tx, std::string_view key,
                                                       int64_t now_us, int64_t every_records,
                                                       int64_t every_us);

struct VerifyReport {
  int64_t records = 0;
  bool ok = true;
  int64_t first_bad_seq = 0;  // 0 when ok
  std::string problem;
  int64_t checkpoints = 0;                    // signed checkpoints checked
  std::optional<Checkpoint> last_checkpoint;  // the newest one that verified
};
struct VerifyOptions {
  // The checkpoint key; empty: checkpoints are not checked (the chain alone).
  std::string key;
  // The newest checkpoint from outside the database (the server's anchor file), if any.
  std::optional<Checkpoint> anchor;
};
// Walks the chain (edits, deletions, insertions, reordering), then, with a key, every
// checkpoint and the anchor: a bad signature means a forged checkpoint; a checkpoint whose
// record is missing means the tail was truncated; one whose record hash differs means the
// chain was rewritten.
Result<VerifyReport> Verify(store::Tx& tx, const VerifyOptions& options = {});

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

namespace lp::audit {

// The anchor file: the newest checkpoint, kept outside the database
// (`<data-dir>/audit-anchor.json`, mode 0600), so deleting checkpoints and records from the
// database together is still detected. nullopt when the file does not exist; an error when it
// exists but cannot be read.
Result<std::optional<Checkpoint>> ReadAnchor(const std::string& path);
Result<void> WriteAnchor(const std::string& path, const Checkpoint& checkpoint);

}  // namespace lp::audit
