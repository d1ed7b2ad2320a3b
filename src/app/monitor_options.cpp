#include "app/monitor_options.hpp"

#include <boost/asio.hpp>

#include "lp/common/log.hpp"
#include "lp/common/task.hpp"

namespace lp::app {

namespace net = boost::asio;

security::MonitorOptions MonitorOptionsFrom(const Config& c, metrics::Registry& reg,
                                            net::io_context& ioc, merchants::ApiKeyService& keys) {
  security::MonitorOptions mopt;
  mopt.detector.window_s = c.detect_window_s;
  mopt.detector.cooldown_s = c.detect_cooldown_s;
  mopt.detector.signin_failures_per_account =
      static_cast<int>(c.detect_signin_failures_per_account);
  mopt.detector.signin_failures_per_ip = static_cast<int>(c.detect_signin_failures_per_ip);
  mopt.detector.card_declines_per_ip = static_cast<int>(c.detect_card_declines_per_ip);
  mopt.detector.card_declines_per_key = static_cast<int>(c.detect_card_declines_per_key);
  mopt.detector.distinct_cards_per_ip = static_cast<int>(c.detect_distinct_cards_per_ip);
  mopt.block_for_s = c.contain_block_s;
  mopt.count = [&reg](std::string_view kind) {
    reg.Inc("liasonpay_security_events_total", {{"event", kind}});
  };
  mopt.revoke_key = [&ioc, &keys](const security::StoredEvent& e) {
    // Containment acts with the platform's authority on the merchant's own key (audited by
    // the key service as actor system/security_monitor).
    Principal authority{
        e.merchant_id, e.event.mode.value_or(Mode::kTest), "security_monitor", "secret", {}, {},
        std::nullopt};
    Actor actor{"system", "security_monitor", e.event.source_ip, e.event.request_id};
    net::co_spawn(
        ioc,
        [&keys, authority, actor, key = e.event.api_key_id]() -> Task<void> {
          auto r = co_await keys.RevokeKey(authority, key, actor);
          if (!r) log::Error("containment_revoke_failed", {{"detail", r.error().detail}});
        },
        net::detached);
  };
  return mopt;
}

}  // namespace lp::app
