#include "lp/security/monitor.hpp"

#include <boost/json.hpp>

#include "lp/common/log.hpp"

namespace lp::security {

namespace json = boost::json;

namespace {

std::string BlockKey(std::string_view merchant_id, std::string_view ip) {
  std::string k(merchant_id);
  k.push_back('|');
  k.append(ip);
  return k;
}

std::string DetectionDetails(const Detection& d) {
  return json::serialize(json::object{{"reason", d.reason},
                                      {"count", d.count},
                                      {"threshold", d.threshold},
                                      {"window_seconds", d.window_s}});
}

}  // namespace

Monitor::Monitor(store::Store& store, const Clock& clock, MonitorOptions options)
    : store_(store), clock_(clock), options_(std::move(options)), detector_(options_.detector) {}

void Monitor::Report(Event e) {
  log::Warn("security_alert", {{"kind", e.kind},
                               {"subject_type", e.subject_type},
                               {"subject", e.subject},
                               {"client_ip", e.source_ip},
                               {"request_id", e.request_id}});
  if (options_.count) options_.count(e.kind);
  const int64_t now = clock_.NowMicros();
  auto stored = std::make_shared<std::vector<StoredEvent>>();
  const int64_t block_for = options_.block_for_s;
  store_.SubmitWrite(
      [e = std::move(e), now, block_for, stored](store::Tx& tx) -> Result<void> {
        auto r = Record(tx, e, now, block_for);
        if (!r) return r.error();
        *stored = std::move(*r);
        return {};
      },
      [this, stored](Result<void> r) {
        if (!r) {
          log::Error("security_event_not_recorded", {{"detail", r.error().detail}});
          return;
        }
        for (const auto& s : *stored) Contain(s);
      });
}

void Monitor::Contain(const StoredEvent& s) {
  if (s.containment.ip_blocked_until_us) {
    std::lock_guard lk(mu_);
    if (blocked_.size() >= options_.detector.max_subjects) {
      const int64_t now = clock_.NowMicros();
      std::erase_if(blocked_, [now](const auto& b) { return b.second <= now; });
    }
    if (blocked_.size() < options_.detector.max_subjects) {
      blocked_[BlockKey(s.merchant_id, s.event.source_ip)] = *s.containment.ip_blocked_until_us;
    }
    log::Warn("security_containment", {{"action", "ip_blocked"},
                                       {"merchant", s.merchant_id},
                                       {"client_ip", s.event.source_ip},
                                       {"until", *s.containment.ip_blocked_until_us / 1'000'000}});
  }
  if (s.containment.revoke_key && options_.revoke_key) {
    log::Warn("security_containment", {{"action", "api_key_revoked"},
                                       {"merchant", s.merchant_id},
                                       {"key_id", s.event.api_key_id}});
    options_.revoke_key(s);
  }
}

bool Monitor::Blocked(std::string_view merchant_id, std::string_view ip) const {
  std::lock_guard lk(mu_);
  if (blocked_.empty()) return false;
  auto it = blocked_.find(BlockKey(merchant_id, ip));
  return it != blocked_.end() && it->second > clock_.NowMicros();
}

void Monitor::SignInFailure(const std::string& account, std::vector<std::string> merchant_ids,
                            const std::string& ip, const std::string& request_id) {
  for (auto& d : detector_.SignInFailure(account, ip, clock_.NowMicros())) {
    Event e;
    e.kind = d.kind;
    // A burst on one account concerns its merchants; one from an address concerns the platform.
    if (d.subject_type == "account") e.merchant_ids = merchant_ids;
    e.subject_type = d.subject_type;
    e.subject = d.subject;
    e.source_ip = ip;
    e.request_id = request_id;
    e.details = DetectionDetails(d);
    Report(std::move(e));
  }
}

void Monitor::Authorization(const Principal& key, const std::string& ip, std::string_view card,
                            bool declined, const std::string& request_id) {
  for (auto& d : detector_.PaymentOutcome(key.merchant_id, key.key_id, ip, card, declined,
                                          clock_.NowMicros())) {
    Event e;
    e.kind = d.kind;
    e.merchant_ids = {key.merchant_id};
    e.mode = key.mode;
    e.subject_type = d.subject_type;
    e.subject = d.subject;
    e.source_ip = ip;
    e.request_id = request_id;
    e.api_key_id = key.key_id;
    e.details = DetectionDetails(d);
    Report(std::move(e));
  }
}

void Monitor::StaleKeyUsed(const std::string& merchant_id, Mode mode, const std::string& key_id,
                           std::string_view reason, const std::string& ip,
                           const std::string& request_id) {
  if (!detector_.Admit("revoked_key_used", key_id + "|" + ip, clock_.NowMicros())) return;
  Event e;
  e.kind = "revoked_key_used";
  e.merchant_ids = {merchant_id};
  e.mode = mode;
  e.subject_type = "api_key";
  e.subject = key_id;
  e.source_ip = ip;
  e.request_id = request_id;
  e.api_key_id = key_id;
  e.details = json::serialize(json::object{{"reason", reason}});
  Report(std::move(e));
}

void Monitor::AddressRefused(const Principal& key, const std::string& ip,
                             const std::string& request_id) {
  if (!detector_.Admit("ip_not_allowed", key.key_id + "|" + ip, clock_.NowMicros())) return;
  Event e;
  e.kind = "ip_not_allowed";
  e.merchant_ids = {key.merchant_id};
  e.mode = key.mode;
  e.subject_type = "api_key";
  e.subject = key.key_id;
  e.source_ip = ip;
  e.request_id = request_id;
  e.api_key_id = key.key_id;
  Report(std::move(e));
}

}  // namespace lp::security
