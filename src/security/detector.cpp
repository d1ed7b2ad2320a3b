#include "lp/security/detector.hpp"

#include <algorithm>

namespace lp::security {

namespace {

std::string Key(std::string_view a, std::string_view b, std::string_view c = {}) {
  std::string k;
  k.reserve(a.size() + b.size() + c.size() + 2);
  k.append(a).push_back('|');
  k.append(b).push_back('|');
  k.append(c);
  return k;
}

}  // namespace

Detector::Detector(DetectorOptions options) : options_(options) {}

Detector::Window& Detector::Touch(const std::string& key) {
  auto it = windows_.find(key);
  if (it != windows_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  while (!lru_.empty() && windows_.size() >= options_.max_subjects) {
    windows_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  Window& w = windows_[key];
  w.lru = lru_.begin();
  return w;
}

bool Detector::Count(const std::string& key, int threshold, int64_t now_us) {
  if (threshold <= 0) return false;
  Window& w = Touch(key);
  const auto n = static_cast<size_t>(threshold);
  if (w.times.size() < n) {
    w.times.push_back(now_us);
    w.next = w.times.size() % n;
    // The oldest kept time is times[0] until the ring is full.
    return w.times.size() == n && now_us - w.times[0] < options_.window_s * 1'000'000;
  }
  // Full ring: times[next] is the oldest; it is replaced by now.
  const int64_t oldest_after = w.times[(w.next + 1) % n];
  w.times[w.next] = now_us;
  w.next = (w.next + 1) % n;
  return now_us - oldest_after < options_.window_s * 1'000'000 || n == 1;
}

bool Detector::CountDistinct(const std::string& key, std::string_view value, int threshold,
                             int64_t now_us) {
  if (threshold <= 0) return false;
  Window& w = Touch(key);
  const int64_t horizon = now_us - options_.window_s * 1'000'000;
  std::erase_if(w.distinct, [&](const auto& e) { return e.second <= horizon; });
  auto it = std::find_if(w.distinct.begin(), w.distinct.end(),
                         [&](const auto& e) { return e.first == value; });
  if (it != w.distinct.end()) {
    it->second = now_us;
  } else {
    if (w.distinct.size() >= static_cast<size_t>(threshold)) {
      // Keep the window bounded: drop the least recently seen value.
      auto oldest =
          std::min_element(w.distinct.begin(), w.distinct.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      w.distinct.erase(oldest);
    }
    w.distinct.emplace_back(std::string(value), now_us);
  }
  return w.distinct.size() >= static_cast<size_t>(threshold);
}

bool Detector::AdmitLocked(const std::string& key, int64_t now_us) {
  auto it = cooldowns_.find(key);
  if (it != cooldowns_.end() && it->second > now_us) return false;
  if (cooldowns_.size() >= options_.max_subjects) {
    std::erase_if(cooldowns_, [&](const auto& e) { return e.second <= now_us; });
    if (cooldowns_.size() >= options_.max_subjects) cooldowns_.clear();
  }
  cooldowns_[key] = now_us + options_.cooldown_s * 1'000'000;
  return true;
}

bool Detector::Admit(std::string_view kind, std::string_view subject, int64_t now_us) {
  std::lock_guard lk(mu_);
  return AdmitLocked(Key("cool", kind, subject), now_us);
}

std::vector<Detection> Detector::SignInFailure(std::string_view account, std::string_view ip,
                                               int64_t now_us) {
  std::vector<Detection> out;
  std::lock_guard lk(mu_);
  auto found = [&](std::string subject_type, std::string_view subject, int threshold) {
    if (!AdmitLocked(Key("cool:signin_failure_burst", subject_type, subject), now_us)) return;
    out.push_back(Detection{"signin_failure_burst", std::move(subject_type), std::string(subject),
                            "failures", threshold, threshold, options_.window_s});
  };
  if (!account.empty() &&
      Count(Key("signin:account", account), options_.signin_failures_per_account, now_us)) {
    found("account", account, options_.signin_failures_per_account);
  }
  if (!ip.empty() && Count(Key("signin:ip", ip), options_.signin_failures_per_ip, now_us)) {
    found("ip", ip, options_.signin_failures_per_ip);
  }
  return out;
}

std::vector<Detection> Detector::PaymentOutcome(std::string_view scope, std::string_view key_id,
                                                std::string_view ip, std::string_view card,
                                                bool declined, int64_t now_us) {
  std::vector<Detection> out;
  std::lock_guard lk(mu_);
  auto found = [&](std::string subject_type, std::string_view subject, std::string reason,
                   int threshold) {
    if (!AdmitLocked(Key("cool:card_testing", subject_type, Key(scope, subject)), now_us)) return;
    out.push_back(Detection{"card_testing", std::move(subject_type), std::string(subject),
                            std::move(reason), threshold, threshold, options_.window_s});
  };
  if (!ip.empty() && !card.empty() &&
      CountDistinct(Key("cards:ip", scope, ip), card, options_.distinct_cards_per_ip, now_us)) {
    found("ip", ip, "distinct_cards", options_.distinct_cards_per_ip);
  }
  if (!declined) return out;
  if (!ip.empty() && Count(Key("declines:ip", scope, ip), options_.card_declines_per_ip, now_us)) {
    found("ip", ip, "declines", options_.card_declines_per_ip);
  }
  if (!key_id.empty() &&
      Count(Key("declines:key", scope, key_id), options_.card_declines_per_key, now_us)) {
    found("api_key", key_id, "declines", options_.card_declines_per_key);
  }
  return out;
}

size_t Detector::TrackedForTest() const {
  std::lock_guard lk(mu_);
  return windows_.size();
}

}  // namespace lp::security
