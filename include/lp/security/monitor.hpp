// The security monitor (PRODUCT.md §5, docs/security-monitoring.md): receives what the server
// observes, runs the detectors, and turns each finding into an event that is
//   logged (a `security_alert` line), counted (liasonpay_security_events_total{event=<kind>}),
//   stored, audited and sent as a `security.alert` webhook (security::Record, one transaction),
// then applies the merchant's automatic containment: the address is refused for that merchant
// (Blocked) and/or the API key is revoked (through `revoke_key`, which audits it).
// Observations never block the caller: the write is queued on the store's writer.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lp/common/clock.hpp"
#include "lp/common/principal.hpp"
#include "lp/security/detector.hpp"
#include "lp/security/events.hpp"
#include "lp/store/store.hpp"

namespace lp::security {

struct MonitorOptions {
  DetectorOptions detector;
  int64_t block_for_s = 3600;  // how long automatic containment refuses an address
  // Counts an event by kind (the metric). Optional.
  std::function<void(std::string_view kind)> count;
  // Containment: revoke this key (merchant, mode, key id) and audit it. Optional.
  std::function<void(const StoredEvent&)> revoke_key;
};

class Monitor {
 public:
  Monitor(store::Store& store, const Clock& clock, MonitorOptions options);

  // A failed sign-in (wrong password, unknown or locked account). `account`: the user id, or
  // a digest of an unknown e-mail; `merchant_ids`: the merchants the user belongs to.
  void SignInFailure(const std::string& account, std::vector<std::string> merchant_ids,
                     const std::string& ip, const std::string& request_id);
  // An authorization through the merchant API (card testing).
  void Authorization(const Principal& key, const std::string& ip, std::string_view card,
                     bool declined, const std::string& request_id);
  // A revoked or expired key was presented (`reason`: "revoked" | "expired").
  void StaleKeyUsed(const std::string& merchant_id, Mode mode, const std::string& key_id,
                    std::string_view reason, const std::string& ip, const std::string& request_id);
  // A key was used from outside its IP allowlist.
  void AddressRefused(const Principal& key, const std::string& ip, const std::string& request_id);

  // Records an event (kinds without a detector window: the caller decided).
  void Report(Event e);

  // Whether automatic containment refuses `ip` for `merchant_id` now.
  bool Blocked(std::string_view merchant_id, std::string_view ip) const;

  const Detector& detector() const { return detector_; }

 private:
  void Contain(const StoredEvent& e);

  store::Store& store_;
  const Clock& clock_;
  MonitorOptions options_;
  Detector detector_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int64_t> blocked_;  // merchant|ip → until (µs)
};

}  // namespace lp::security
