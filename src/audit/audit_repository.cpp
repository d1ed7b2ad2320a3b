#include <boost/json.hpp>

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

Result<VerifyReport> Verify(store::Tx& tx) {
  VerifyReport rep;
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
        prev = hash;
        ++expect_seq;
        return true;
      });
  if (!q) return q.error();
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

}  // namespace lp::audit
