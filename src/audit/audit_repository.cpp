#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "lp/audit/audit.hpp"
#include "lp/common/random.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::audit {

namespace json = boost::json;

namespace {

// Canonical content of a record: a JSON array in a fixed field order.
std::string Canonical(int64_t seq, const std::string& id, int64_t time, const Record& r) {
  json::array a{seq,           id,        time,        r.actor_type, r.actor_id, r.action, r.target,
                r.merchant_id, r.outcome, r.source_ip, r.request_id, r.details};
  return json::serialize(a);
}

constexpr std::string_view kGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace

Result<void> Append(store::Tx& tx, const Record& r, int64_t now_us) {
  std::string prev(kGenesis);
  int64_t seq = 1;
  auto q = tx.Query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", {},
                    [&](const store::Row& row) {
                      seq = row.Int(0) + 1;
                      prev = row.Text(1);
                      return false;
                    });
  if (!q) return q.error();
  const std::string id = NewId("aud");
  const std::string hash = crypto::Hex(crypto::Sha256(prev + Canonical(seq, id, now_us, r)));
  auto ins = tx.Exec(
      "INSERT INTO audit_log (seq, id, time, actor_type, actor_id, action, target, merchant_id, "
      "outcome, source_ip, request_id, details, prev_hash, hash) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      {seq, id, now_us, r.actor_type, r.actor_id, r.action, r.target, r.merchant_id, r.outcome,
       r.source_ip, r.request_id, r.details, prev, hash});
  if (!ins) return ins.error();
  return {};
}

std::string CheckpointKey(std::string_view pepper) {
  return crypto::HmacSha256(pepper, "lp-audit-checkpoint-v1");
}

std::string SignCheckpoint(std::string_view key, int64_t seq, std::string_view hash,
                           int64_t time_us) {
  const std::string msg = "lp-audit-checkpoint-v1|" + std::to_string(seq) + "|" +
                          std::string(hash) + "|" + std::to_string(time_us);
  return crypto::Hex(crypto::HmacSha256(key, msg));
}

bool CheckpointValid(std::string_view key, const Checkpoint& c) {
  return crypto::ConstantTimeEqual(SignCheckpoint(key, c.seq, c.hash, c.time_us), c.mac);
}

Result<std::optional<Checkpoint>> WriteCheckpointIfDue(store::Tx& tx, std::string_view key,
                                                       int64_t now_us, int64_t every_records,
                                                       int64_t every_us) {
  int64_t head_seq = 0;
  std::string head_hash;
  auto h = tx.Query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", {},
                    [&](const store::Row& r) {
                      head_seq = r.Int(0);
                      head_hash = r.Text(1);
                      return false;
                    });
  if (!h) return h.error();
  int64_t last_seq = 0, last_time = 0;
  auto l = tx.Query("SELECT seq, time FROM audit_checkpoints ORDER BY seq DESC LIMIT 1", {},
                    [&](const store::Row& r) {
                      last_seq = r.Int(0);
                      last_time = r.Int(1);
                      return false;
                    });
  if (!l) return l.error();
  if (head_seq <= last_seq) return std::optional<Checkpoint>();
  if (head_seq - last_seq < every_records && now_us - last_time < every_us) {
    return std::optional<Checkpoint>();
  }
  Checkpoint c{head_seq, head_hash, now_us, SignCheckpoint(key, head_seq, head_hash, now_us)};
  auto ins = tx.Exec("INSERT INTO audit_checkpoints (seq, hash, time, mac) VALUES (?,?,?,?)",
                     {c.seq, c.hash, c.time_us, c.mac});
  if (!ins) return ins.error();
  return std::optional<Checkpoint>(std::move(c));
}

Result<VerifyReport> Verify(store::Tx& tx, const VerifyOptions& options) {
  VerifyReport rep;
  // The signed checkpoints (with a key): their records' hashes are collected during the walk.
  std::vector<Checkpoint> checkpoints;
  if (!options.key.empty()) {
    auto c = tx.Query("SELECT seq, hash, time, mac FROM audit_checkpoints ORDER BY seq", {},
                      [&](const store::Row& r) {
                        checkpoints.push_back(Checkpoint{r.Int(0), r.Text(1), r.Int(2), r.Text(3)});
                        return true;
                      });
    if (!c) return c.error();
    if (options.anchor) checkpoints.push_back(*options.anchor);
  }
  std::map<int64_t, std::string> wanted;  // checkpoint seq → the record's hash, once walked
  for (const auto& c : checkpoints) wanted[c.seq];
  std::string prev(kGenesis);
  int64_t expect_seq = 1;
  auto q = tx.Query(
      "SELECT seq, id, time, actor_type, actor_id, action, target, merchant_id, outcome, "
      "source_ip, request_id, details, prev_hash, hash FROM audit_log ORDER BY seq",
      {}, [&](const store::Row& row) {
        Record r{row.Text(3), row.Text(4), row.Text(5),  row.Text(6), row.Text(7),
                 row.Text(8), row.Text(9), row.Text(10), row.Text(11)};
        const int64_t seq = row.Int(0);
        ++rep.records;
        auto fail = [&](std::string why) {
          rep.ok = false;
          rep.first_bad_seq = seq;
          rep.problem = std::move(why);
          return false;
        };
        if (seq != expect_seq) return fail("sequence gap: a record was deleted or reordered");
        if (row.Text(12) != prev) return fail("previous-hash mismatch");
        const std::string hash =
            crypto::Hex(crypto::Sha256(prev + Canonical(seq, row.Text(1), row.Int(2), r)));
        if (hash != row.Text(13)) return fail("content hash mismatch: the record was edited");
        if (auto it = wanted.find(seq); it != wanted.end()) it->second = hash;
        prev = hash;
        ++expect_seq;
        return true;
      });
  if (!q) return q.error();
  if (!rep.ok) return rep;
  for (const auto& c : checkpoints) {
    auto fail = [&](std::string why) {
      rep.ok = false;
      rep.first_bad_seq = c.seq;
      rep.problem = std::move(why);
    };
    if (!CheckpointValid(options.key, c)) {
      fail("checkpoint signature invalid: the checkpoint was forged or altered");
      return rep;
    }
    if (c.seq > rep.records) {
      fail("truncated: a signed checkpoint covers record " + std::to_string(c.seq) +
           " but the chain ends at record " + std::to_string(rep.records));
      return rep;
    }
    if (wanted[c.seq] != c.hash) {
      fail("rewritten: the record's hash differs from the signed checkpoint");
      return rep;
    }
    ++rep.checkpoints;
    if (!rep.last_checkpoint || c.seq >= rep.last_checkpoint->seq) rep.last_checkpoint = c;
  }
  return rep;
}

Result<void> Export(store::Tx& tx, const ExportFilter& f,
                    const std::function<bool(const StoredRecord&)>& row) {
  // NULL filters match everything: one statement, bound values only.
  return tx.Query(
      "SELECT seq, id, time, actor_type, actor_id, action, target, merchant_id, outcome, "
      "source_ip, request_id, details, hash FROM audit_log WHERE (? IS NULL OR time >= ?) AND "
      "(? IS NULL OR time < ?) AND (? IS NULL OR merchant_id = ?) ORDER BY seq",
      {f.from_us ? store::Value(*f.from_us) : store::Value(),
       f.from_us ? store::Value(*f.from_us) : store::Value(),
       f.to_us ? store::Value(*f.to_us) : store::Value(),
       f.to_us ? store::Value(*f.to_us) : store::Value(),
       f.merchant_id ? store::Value(*f.merchant_id) : store::Value(),
       f.merchant_id ? store::Value(*f.merchant_id) : store::Value()},
      [&](const store::Row& r) {
        StoredRecord s{r.Int(0), r.Text(1), r.Int(2),
                       Record{r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7), r.Text(8),
                              r.Text(9), r.Text(10), r.Text(11)},
                       r.Text(12)};
        return row(s);
      });
}

namespace {

constexpr std::string_view kQueryCols =
    "SELECT seq, id, time, actor_type, actor_id, action, target, merchant_id, outcome, "
    "source_ip, request_id, details, hash FROM audit_log WHERE 1 = 1";

StoredRecord ToStored(const store::Row& r) {
  return StoredRecord{r.Int(0), r.Text(1), r.Int(2),
                      Record{r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7), r.Text(8),
                             r.Text(9), r.Text(10), r.Text(11)},
                      r.Text(12)};
}

// The filter's conditions (bound values only; column names are fixed here). Values view their
// strings: `upper` keeps the prefix range's end alive for the query.
void AppendFilter(const QueryFilter& f, std::string& sql, std::vector<store::Value>& args,
                  std::string& upper) {
  if (f.merchant_id) {
    sql += " AND merchant_id = ?";
    args.emplace_back(*f.merchant_id);
  }
  if (f.action) {
    sql += " AND action = ?";
    args.emplace_back(*f.action);
  }
  if (f.action_prefix && !f.action_prefix->empty()) {
    // A range on the index instead of LIKE (no wildcard escaping): [prefix, prefix with its last
    // byte incremented). Prefixes end in '.', so the increment never overflows.
    upper = *f.action_prefix;
    upper.back() = static_cast<char>(upper.back() + 1);
    sql += " AND action >= ? AND action < ?";
    args.emplace_back(*f.action_prefix);
    args.emplace_back(upper);
  }
  if (f.actor_id) {
    sql += " AND actor_id = ?";
    args.emplace_back(*f.actor_id);
  }
  if (f.outcome) {
    sql += " AND outcome = ?";
    args.emplace_back(*f.outcome);
  }
  if (f.from_us) {
    sql += " AND time >= ?";
    args.emplace_back(*f.from_us);
  }
  if (f.to_us) {
    sql += " AND time <= ?";
    args.emplace_back(*f.to_us);
  }
}

}  // namespace

Result<bool> List(store::Tx& tx, const QueryFilter& f, const QueryPage& page,
                  std::vector<StoredRecord>& out) {
  out.clear();
  std::string sql(kQueryCols);
  std::vector<store::Value> args;
  std::string upper;
  AppendFilter(f, sql, args, upper);
  const bool backwards = page.ending_before.has_value() && !page.starting_after;
  const std::optional<std::string>& cursor = backwards ? page.ending_before : page.starting_after;
  if (cursor) {
    const char* param = backwards ? "ending_before" : "starting_after";
    std::optional<int64_t> cursor_seq;
    auto r = tx.Query("SELECT seq FROM audit_log WHERE id = ? AND (? IS NULL OR merchant_id = ?)",
                      {*cursor, store::Value(f.merchant_id), store::Value(f.merchant_id)},
                      [&](const store::Row& row) {
                        cursor_seq = row.Int(0);
                        return false;
                      });
    if (!r) return r.error();
    if (!cursor_seq) {
      return Error::Invalid("resource_missing", "No such audit event: '" + *cursor + "'", param);
    }
    sql += backwards ? " AND seq > ?" : " AND seq < ?";
    args.emplace_back(*cursor_seq);
  }
  // Backwards pages read the nearest records after the cursor (oldest first), then flip.
  sql += backwards ? " ORDER BY seq ASC LIMIT ?" : " ORDER BY seq DESC LIMIT ?";
  args.emplace_back(static_cast<int64_t>(page.limit) + 1);
  bool has_more = false;
  auto q = tx.QueryV(sql, args, [&](const store::Row& row) {
    if (static_cast<int>(out.size()) == page.limit) {
      has_more = true;
      return false;
    }
    out.push_back(ToStored(row));
    return true;
  });
  if (!q) return q.error();
  if (backwards) {
    std::reverse(out.begin(), out.end());
  }
  return has_more;
}

Result<void> ExportNewestFirst(store::Tx& tx, const QueryFilter& f, int64_t max,
                               const std::function<bool(const StoredRecord&)>& row) {
  std::string sql(kQueryCols);
  std::vector<store::Value> args;
  std::string upper;
  AppendFilter(f, sql, args, upper);
  sql += " ORDER BY seq DESC LIMIT ?";
  args.emplace_back(max);
  return tx.QueryV(sql, args, [&](const store::Row& r) { return row(ToStored(r)); });
}

}  // namespace lp::audit
