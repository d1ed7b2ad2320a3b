// Security-event detectors (PRODUCT.md §5): pure, in-memory sliding windows over what the server
// observes — sign-in failures, payment declines, cards tried — deciding when a pattern crosses a
// threshold. No I/O and no clock of its own (every call takes `now_us`), so tests drive it with
// a fake clock; the Monitor (monitor.hpp) stores, counts, audits, logs and alerts what it finds.
//
// Bounded memory: at most `max_subjects` windows are tracked (the oldest are dropped first), and
// each window keeps at most its threshold's worth of entries. Each observation is O(threshold).
// Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lp::security {

// Thresholds, per deployment (config keys `detect_*`, docs/security-monitoring.md). A threshold
// of 0 switches that detector off.
struct DetectorOptions {
  int64_t window_s = 300;               // every detector counts within this sliding window
  int64_t cooldown_s = 900;             // one alert per kind and subject per cooldown
  int signin_failures_per_account = 5;  // wrong passwords for one account
  int signin_failures_per_ip = 20;      // failed sign-ins from one address (any accounts)
  int card_declines_per_ip = 10;        // declined authorizations from one address (a merchant)
  int card_declines_per_key = 25;       // declined authorizations on one API key
  int distinct_cards_per_ip = 10;       // different payment methods from one address
  size_t max_subjects = 100'000;
};

// What a detector found. `subject_type`: "account" | "ip" | "api_key".
struct Detection {
  std::string kind;  // "signin_failure_burst" | "card_testing"
  std::string subject_type;
  std::string subject;
  std::string reason;  // "failures" | "declines" | "distinct_cards"
  int count = 0;
  int threshold = 0;
  int64_t window_s = 0;
};

class Detector {
 public:
  explicit Detector(DetectorOptions options = {});

  const DetectorOptions& Options() const { return options_; }

  // A failed sign-in. `account`: a stable id of the account tried (a user id, or a digest of
  // an unknown e-mail); `ip`: the client address. Returns what crossed a threshold now.
  std::vector<Detection> SignInFailure(std::string_view account, std::string_view ip,
                                       int64_t now_us);
  // An authorization outcome through the merchant API. `scope` keeps merchants apart (the
  // merchant id); `card`: the payment method as sent (a token or pm_… id, never a PAN).
  std::vector<Detection> PaymentOutcome(std::string_view scope, std::string_view key_id,
                                        std::string_view ip, std::string_view card, bool declined,
                                        int64_t now_us);
  // Whether an alert of `kind` about `subject` may be raised now (and, if so, starts its
  // cooldown). For events that need no window (use of a revoked key, refused address).
  bool Admit(std::string_view kind, std::string_view subject, int64_t now_us);

  size_t TrackedForTest() const;

 private:
  struct Window {
    std::vector<int64_t> times;  // ring of the last `threshold` times
    size_t next = 0;
    std::vector<std::pair<std::string, int64_t>> distinct;  // value → last seen (small)
    std::list<std::string>::iterator lru;
  };
  // Adds one observation; true when `threshold` observations fall within the window.
  bool Count(const std::string& key, int threshold, int64_t now_us);
  // Adds `value`; true when `threshold` distinct values were seen within the window.
  bool CountDistinct(const std::string& key, std::string_view value, int threshold, int64_t now_us);
  Window& Touch(const std::string& key);
  bool AdmitLocked(const std::string& key, int64_t now_us);

  DetectorOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
  std::list<std::string> lru_;                          // most recent first
  std::unordered_map<std::string, int64_t> cooldowns_;  // kind|subject → until (µs)
};

}  // namespace lp::security
