// security_events rows, the merchant's containment switches (security_policies), and the audit
// record and `security.alert` event of each (include/lp/security/events.hpp).
#include <algorithm>
#include <boost/json.hpp>

#include "lp/audit/audit.hpp"
#include "lp/common/random.hpp"
#include "lp/security/events.hpp"
#include "lp/webhooks/events.hpp"

namespace lp::security {

namespace json = boost::json;

namespace {

constexpr std::string_view kColumns =
    "id, time, kind, merchant_id, mode, subject_type, subject, source_ip, request_id, "
    "api_key_id, details, ip_blocked_until, key_revoked";

StoredEvent FromRow(const store::Row& r) {
  StoredEvent s;
  s.id = r.Text(0);
  s.time_us = r.Int(1);
  s.event.kind = r.Text(2);
  s.merchant_id = r.Text(3);
  if (!s.merchant_id.empty()) s.event.merchant_ids = {s.merchant_id};
  if (auto m = r.OptText(4)) s.event.mode = ParseMode(*m);
  s.event.subject_type = r.Text(5);
  s.event.subject = r.Text(6);
  s.event.source_ip = r.Text(7);
  s.event.request_id = r.Text(8);
  s.event.api_key_id = r.Text(9);
  s.event.details = r.Text(10);
  s.containment.ip_blocked_until_us = r.OptInt(11);
  s.containment.revoke_key = r.Int(12) != 0;
  return s;
}

struct Policy {
  bool block_ip = false, revoke_key = false;
};

Result<Policy> PolicyOf(store::Tx& tx, const std::string& merchant_id) {
  Policy p;
  auto q =
      tx.Query("SELECT auto_block_ip, auto_revoke_key FROM security_policies WHERE merchant_id = ?",
               {merchant_id}, [&](const store::Row& r) {
                 p.block_ip = r.Int(0) != 0;
                 p.revoke_key = r.Int(1) != 0;
                 return false;
               });
  if (!q) return q.error();
  return p;
}

// Filters as bound parameters: NULL matches everything.
std::vector<store::Value> FilterParams(const EventFilter& f) {
  return {f.from_us,     f.from_us, f.to_us, f.to_us,     f.merchant_id,
          f.merchant_id, f.kind,    f.kind,  f.before_us, f.before_us};
}
constexpr std::string_view kWhere =
    " WHERE (? IS NULL OR time >= ?) AND (? IS NULL OR time < ?) AND (? IS NULL OR "
    "merchant_id = ?) AND (? IS NULL OR kind = ?) AND (? IS NULL OR time < ?)";

}  // namespace

std::string ToJson(const StoredEvent& s) {
  json::object o{
      {"object", "security_event"},
      {"id", s.id},
      {"kind", s.event.kind},
      {"created", s.time_us / 1'000'000},
      {"merchant", s.merchant_id.empty() ? json::value(nullptr) : json::value(s.merchant_id)},
      {"subject_type", s.event.subject_type},
      {"subject", s.event.subject},
      {"source_ip", s.event.source_ip},
      {"request_id", s.event.request_id}};
  if (s.event.mode) o["livemode"] = *s.event.mode == Mode::kLive;
  boost::system::error_code ec;
  auto d = json::parse(s.event.details, ec);
  o["details"] = ec || !d.is_object() ? json::value(json::object{}) : d;
  json::object c;
  c["ip_blocked_until"] = s.containment.ip_blocked_until_us
                              ? json::value(*s.containment.ip_blocked_until_us / 1'000'000)
                              : json::value(nullptr);
  c["api_key_revoked"] = s.containment.revoke_key;
  o["containment"] = std::move(c);
  return json::serialize(o);
}

Result<std::vector<StoredEvent>> Record(store::Tx& tx, const Event& e, int64_t now_us,
                                        int64_t block_for_s) {
  std::vector<StoredEvent> out;
  std::vector<std::string> merchants = e.merchant_ids;
  if (merchants.empty()) merchants.emplace_back();
  for (const auto& merchant_id : merchants) {
    StoredEvent s;
    s.id = NewId("sev");
    s.time_us = now_us;
    s.merchant_id = merchant_id;
    s.event = e;
    s.event.merchant_ids =
        merchant_id.empty() ? std::vector<std::string>{} : std::vector<std::string>{merchant_id};
    if (!merchant_id.empty()) {
      auto p = PolicyOf(tx, merchant_id);
      if (!p) return p.error();
      if (p->block_ip && !e.source_ip.empty() && e.subject_type != "connector_account") {
        s.containment.ip_blocked_until_us = now_us + block_for_s * 1'000'000;
      }
      s.containment.revoke_key =
          p->revoke_key && !e.api_key_id.empty() && e.kind != "revoked_key_used";
    }
    const std::string mode = e.mode ? std::string(ToString(*e.mode)) : std::string();
    auto ins = tx.Exec(
        "INSERT INTO security_events (id, time, kind, merchant_id, mode, subject_type, subject, "
        "source_ip, request_id, api_key_id, details, ip_blocked_until, key_revoked) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        {s.id, now_us, e.kind, merchant_id, e.mode ? store::Value(mode) : store::Value(),
         e.subject_type, e.subject, e.source_ip, e.request_id, e.api_key_id, e.details,
         s.containment.ip_blocked_until_us, s.containment.revoke_key});
    if (!ins) return ins.error();
    const std::string body = ToJson(s);
    json::object details{
        {"security_event", s.id}, {"subject_type", e.subject_type}, {"subject", e.subject}};
    const bool contained = s.containment.ip_blocked_until_us || s.containment.revoke_key;
    if (auto a =
            audit::Append(tx,
                          audit::Record{"system", "security_monitor", "security." + e.kind,
                                        e.subject, merchant_id, contained ? "denied" : "failure",
                                        e.source_ip, e.request_id, json::serialize(details)},
                          now_us);
        !a) {
      return a.error();
    }
    if (s.containment.ip_blocked_until_us) {
      json::object d{{"security_event", s.id},
                     {"until", *s.containment.ip_blocked_until_us / 1'000'000}};
      if (auto a = audit::Append(
              tx,
              audit::Record{"system", "security_monitor", "security.containment.ip_blocked",
                            e.source_ip, merchant_id, "success", e.source_ip, e.request_id,
                            json::serialize(d)},
              now_us);
          !a) {
        return a.error();
      }
    }
    if (!merchant_id.empty()) {
      json::object alert = json::parse(body).as_object();
      alert["object"] = "security_alert";
      const std::string alert_json = json::serialize(alert);
      std::vector<Mode> modes;
      if (e.mode) {
        modes = {*e.mode};
      } else {
        modes = {Mode::kTest, Mode::kLive};
      }
      for (Mode m : modes) {
        if (auto w =
                webhooks::EmitEvent(tx, merchant_id, m, "security.alert", s.id, alert_json, now_us);
            !w) {
          return w.error();
        }
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<StoredEvent>> List(store::Tx& tx, const EventFilter& f) {
  std::vector<StoredEvent> out;
  const std::string sql = "SELECT " + std::string(kColumns) + " FROM security_events" +
                          std::string(kWhere) + " ORDER BY time DESC, id DESC LIMIT " +
                          std::to_string(std::clamp<int64_t>(f.limit, 1, 1000));
  auto q = tx.QueryV(sql, FilterParams(f), [&](const store::Row& r) {
    out.push_back(FromRow(r));
    return true;
  });
  if (!q) return q.error();
  return out;
}

Result<void> Scan(store::Tx& tx, const EventFilter& f,
                  const std::function<bool(const StoredEvent&)>& row) {
  const std::string sql = "SELECT " + std::string(kColumns) + " FROM security_events" +
                          std::string(kWhere) + " ORDER BY time, id";
  return tx.QueryV(sql, FilterParams(f), [&](const store::Row& r) { return row(FromRow(r)); });
}

}  // namespace lp::security
