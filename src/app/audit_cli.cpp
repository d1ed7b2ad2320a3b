#include "app/audit_cli.hpp"

#include <fmt/core.h>

#include <boost/json.hpp>

#include "app/cli_common.hpp"
#include "app/security_txt.hpp"
#include "lp/audit/audit.hpp"
#include "lp/crypto/keyring.hpp"
#include "lp/store/store.hpp"

namespace lp::app {

namespace json = boost::json;

json::object AuditRecordJson(const audit::StoredRecord& s) {
  json::object o{{"seq", s.seq},
                 {"id", s.id},
                 {"time", FormatRfc3339(s.time_us / 1'000'000)},
                 {"time_us", s.time_us},
                 {"actor_type", s.record.actor_type},
                 {"actor_id", s.record.actor_id},
                 {"action", s.record.action},
                 {"target", s.record.target},
                 {"merchant_id", s.record.merchant_id},
                 {"outcome", s.record.outcome},
                 {"source_ip", s.record.source_ip},
                 {"request_id", s.record.request_id},
                 {"hash", s.hash}};
  boost::system::error_code ec;
  auto details = json::parse(s.record.details, ec);
  o["details"] = ec ? json::value(s.record.details) : details;
  return o;
}

int AuditVerifyCommand(const Config& c) {
  // The checkpoint key comes from the key ring; the newest checkpoint also from the anchor file
  // outside the database (docs/audit.md).
  auto ring = crypto::KeyRing::Load(c.KeyringFile());
  if (!ring) return Fail("key ring: " + ring.error().message, FailKind::kCommand);
  audit::VerifyOptions opt;
  opt.key = audit::CheckpointKey((*ring)->ApiKeyPepper().view());
  auto anchor = audit::ReadAnchor(c.data_dir + "/audit-anchor.json");
  if (!anchor) return Fail(anchor.error().detail, FailKind::kCommand);
  opt.anchor = *anchor;
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail, FailKind::kCommand);
  audit::VerifyReport rep;
  auto r = (*store)->ReadSync([&](store::Tx& tx) -> Result<void> {
    auto v = audit::Verify(tx, opt);
    if (!v) return v.error();
    rep = *v;
    return {};
  });
  (*store)->Close();
  if (!r) return Fail(r.error().detail, FailKind::kCommand);
  if (rep.ok) {
    if (rep.last_checkpoint) {
      fmt::print("intact: {} records, last checkpoint at record {} ({}), {} checkpoints verified\n",
                 rep.records, rep.last_checkpoint->seq,
                 FormatRfc3339(rep.last_checkpoint->time_us / 1'000'000), rep.checkpoints);
    } else {
      fmt::print("intact: {} records, no checkpoint yet\n", rep.records);
    }
    return 0;
  }
  fmt::print("TAMPERED: record {}: {} ({} records read)\n", rep.first_bad_seq, rep.problem,
             rep.records);
  return 1;
}

int AuditExportCommand(const Config& c, const std::string& from, const std::string& to,
                       const std::string& merchant) {
  audit::ExportFilter f;
  if (!from.empty()) {
    auto t = ParseRfc3339(from);
    if (!t)
      return Fail("--from must be an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z",
                  FailKind::kCommand);
    f.from_us = *t * 1'000'000;
  }
  if (!to.empty()) {
    auto t = ParseRfc3339(to);
    if (!t)
      return Fail("--to must be an RFC 3339 date-time, e.g. 2026-12-31T00:00:00Z",
                  FailKind::kCommand);
    f.to_us = *t * 1'000'000;
  }
  if (!merchant.empty()) f.merchant_id = merchant;
  auto store = OpenConfiguredStore(c);
  if (!store) return Fail(store.error().detail, FailKind::kCommand);
  auto r = (*store)->ReadSync([&](store::Tx& tx) -> Result<void> {
    return audit::Export(tx, f, [](const audit::StoredRecord& s) {
      const json::object o = AuditRecordJson(s);
      fmt::print("{}\n", json::serialize(o));
      return true;
    });
  });
  (*store)->Close();
  if (!r) return Fail(r.error().detail, FailKind::kCommand);
  return 0;
}

}  // namespace lp::app
