// The webhook Dispatcher over a real store, delivering to a local HTTP receiver
// (test/support/webhook_receiver.hpp): Standard Webhooks headers verified with the project's own
// signer, the retry schedule on a fake clock (a 500, then the next attempt exactly 5 s later),
// and endpoints that are disabled or deleted never receiving anything.
#include "lp/webhooks/dispatcher.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <functional>

#include "lp/merchants/api_keys.hpp"
#include "lp/webhooks/endpoints.hpp"
#include "lp/webhooks/events.hpp"
#include "lp/webhooks/signer.hpp"
#include "support/run_task.hpp"
#include "support/temp_keyring.hpp"
#include "support/temp_store.hpp"
#include "support/webhook_receiver.hpp"

namespace lp::webhooks {
namespace {

using lp::testing::RunTask;
using lp::testing::WebhookReceiver;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = lp::testing::OpenTempStore(dir_);
    ASSERT_TRUE(s) << s.error().detail;
    store_ = std::move(*s);
    auto k = lp::testing::OpenTempKeyRing(dir_);
    ASSERT_TRUE(k) << k.error().detail;
    keyring_ = std::move(*k);
    auto w = store_->WriteSync([&](store::Tx& tx) -> Result<void> {
      auto m = merchants::CreateMerchant(tx, "Acme", clock_);
      if (!m) return m.error();
      principal_.merchant_id = *m;
      return {};
    });
    ASSERT_TRUE(w) << w.error().detail;
    principal_.mode = Mode::kTest;
    principal_.key_id = "key_test";
    principal_.key_type = "secret";
    // Dev mode: http:// and loopback receivers are allowed (as `serve --dev`).
    net::OutboundPolicy policy;
    policy.dev_mode = true;
    policy.timeout = std::chrono::milliseconds(5000);
    endpoints_ = std::make_unique<WebhookEndpointService>(*store_, *keyring_, clock_, policy);
    DispatcherOptions options;
    options.policy = policy;  // retry_scale 1: the schedule of PRODUCT.md §3, on the fake clock
    dispatcher_ =
        std::make_unique<Dispatcher>(ioc_.get_executor(), *store_, *keyring_, clock_, options);
  }

  void TearDown() override {
    // Let sends still in flight finish before the dispatcher goes.
    ioc_.run_for(std::chrono::milliseconds(50));
    dispatcher_.reset();
  }

  EndpointWithSecret Endpoint(const std::string& url, std::vector<std::string> events = {"*"}) {
    EndpointParams params;
    params.url = url;
    params.enabled_events = std::move(events);
    auto e = RunTask(endpoints_->Create(principal_, params, actor_));
    EXPECT_TRUE(e) << e.error().detail;
    return e ? *e : EndpointWithSecret{};
  }

  // A payment.succeeded event for `payment_id`, as the payment flow writes it; returns its id.
  std::string Emit(const std::string& payment_id) {
    const std::string object =
        R"({"id":")" + payment_id + R"(","object":"payment","amount":1000,"currency":"EUR"})";
    auto w = store_->WriteSync([&](store::Tx& tx) {
      return EmitEvent(tx, principal_.merchant_id, Mode::kTest, "payment.succeeded", payment_id,
                       object, clock_.NowMicros());
    });
    EXPECT_TRUE(w) << w.error().detail;
    auto page = RunTask(EventService(*store_).List(principal_, ListParams{}, std::nullopt));
    EXPECT_TRUE(page && !page->items.empty());
    if (!page || page->items.empty()) return {};
    return std::string(
        boost::json::parse(page->items.front()).as_object().at("id").as_string());  // newest
  }

  std::vector<Delivery> Deliveries(const std::string& event_id) {
    auto d = RunTask(endpoints_->Deliveries(principal_, event_id));
    EXPECT_TRUE(d) << d.error().detail;
    return d ? *d : std::vector<Delivery>{};
  }

  // One dispatcher round, then the sends it started run until `done` holds (or 10 s pass).
  size_t Round(const std::function<bool()>& done) {
    size_t started = 0;
    bool returned = false;
    boost::asio::co_spawn(
        ioc_,
        [&]() -> Task<void> {
          started = co_await dispatcher_->RunOnce();
          returned = true;
        },
        boost::asio::detached);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      ioc_.restart();
      ioc_.run_for(std::chrono::milliseconds(5));
      if (returned && done()) break;
    }
    EXPECT_TRUE(returned);
    ioc_.restart();
    ioc_.poll();  // the finished sends release their slots
    return started;
  }

  // One round, run until every delivery of `event_id` has at least `attempts` attempts.
  size_t RoundUntilAttempts(const std::string& event_id, size_t attempts) {
    return Round([&] {
      auto ds = Deliveries(event_id);
      return !ds.empty() && std::all_of(ds.begin(), ds.end(), [&](const Delivery& d) {
        return d.attempts.size() >= attempts;
      });
    });
  }

  int64_t NowSeconds() const { return clock_.NowMicros() / 1'000'000; }

  static Result<void> VerifyRequest(const std::string& secret, const WebhookReceiver::Request& r,
                                    int64_t now) {
    const std::string id = r.Header("webhook-id"), ts = r.Header("webhook-timestamp"),
                      sig = r.Header("webhook-signature");
    return Verify({secret}, SignedHeaders{id, ts, sig}, r.body, now);
  }

  lp::testing::TempDir dir_{"lp_dispatcher"};
  store::StorePtr store_;
  std::unique_ptr<crypto::KeyRing> keyring_;
  FakeClock clock_{1'767'225'600'000'000};  // 2026-01-01T00:00:00Z
  Principal principal_;
  Actor actor_{"api_key", "key_test", "203.0.113.7", "req_test"};
  boost::asio::io_context ioc_;
  std::unique_ptr<WebhookEndpointService> endpoints_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, DeliversTheEventSignedPerStandardWebhooks) {
  WebhookReceiver rx;
  const auto ep = Endpoint(rx.Url());
  ASSERT_TRUE(ep.secret.starts_with(kSecretPrefix));
  const std::string event_id = Emit("pay_1");
  ASSERT_FALSE(event_id.empty());
  EXPECT_EQ(RoundUntilAttempts(event_id, 1), 1u);

  const auto reqs = rx.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& r = reqs[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("webhook-id"), event_id);
  EXPECT_EQ(r.Header("webhook-timestamp"), std::to_string(NowSeconds()));
  // The body is the event exactly as the events API shows it.
  auto shown = RunTask(EventService(*store_).Get(principal_, event_id));
  ASSERT_TRUE(shown);
  EXPECT_EQ(r.body, *shown);
  const auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("type").as_string(), "payment.succeeded");
  // The signature verifies with the endpoint's secret, with the project's verifier and with a
  // signature recomputed here; not with another secret, nor over another body.
  EXPECT_TRUE(VerifyRequest(ep.secret, r, NowSeconds()));
  auto expected = Sign(ep.secret, event_id, NowSeconds(), r.body);
  ASSERT_TRUE(expected);
  EXPECT_EQ(r.Header("webhook-signature"), *expected);
  auto other = VerifyRequest(GenerateSecret(), r, NowSeconds());
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, "webhook_signature_invalid");
  auto tampered = r;
  tampered.body.replace(tampered.body.find("1000"), 4, "9999");
  EXPECT_FALSE(VerifyRequest(ep.secret, tampered, NowSeconds()));

  const auto ds = Deliveries(event_id);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].endpoint_id, ep.endpoint.id);
  EXPECT_EQ(ds[0].status, "succeeded");
  EXPECT_EQ(ds[0].attempt_count, 1);
  ASSERT_EQ(ds[0].attempts.size(), 1u);
  EXPECT_EQ(ds[0].attempts[0].status_code, 200);
  // Done: a later round sends nothing again.
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(Round([] { return true; }), 0u);
  EXPECT_EQ(rx.Count(), 1u);
}

TEST_F(DispatcherTest, A500IsRetriedOnTheScheduleThenSucceeds) {
  WebhookReceiver rx({500}, 200);
  const auto ep = Endpoint(rx.Url());
  const std::string event_id = Emit("pay_2");
  const int64_t t0 = clock_.NowMicros();
  EXPECT_EQ(RoundUntilAttempts(event_id, 1), 1u);
  ASSERT_EQ(rx.Count(), 1u);
  auto ds = Deliveries(event_id);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].status, "pending");
  EXPECT_EQ(ds[0].attempt_count, 1);
  EXPECT_EQ(ds[0].attempts[0].status_code, 500);
  // The first retry waits 5 s (kRetryDelaysSeconds[0]).
  ASSERT_TRUE(ds[0].next_attempt_us);
  EXPECT_EQ(*ds[0].next_attempt_us, t0 + kRetryDelaysSeconds[0] * 1'000'000);

  // Not due yet: nothing is sent.
  clock_.Advance(std::chrono::seconds(4));
  EXPECT_EQ(Round([] { return true; }), 0u);
  EXPECT_EQ(rx.Count(), 1u);

  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(RoundUntilAttempts(event_id, 2), 1u);
  const auto reqs = rx.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].status, 500);
  EXPECT_EQ(reqs[1].status, 200);
  // The same message, signed afresh with the time of each attempt.
  EXPECT_EQ(reqs[0].Header("webhook-id"), reqs[1].Header("webhook-id"));
  EXPECT_EQ(reqs[0].body, reqs[1].body);
  EXPECT_EQ(std::stoll(reqs[1].Header("webhook-timestamp")) -
                std::stoll(reqs[0].Header("webhook-timestamp")),
            5);
  EXPECT_TRUE(VerifyRequest(ep.secret, reqs[0], t0 / 1'000'000));
  EXPECT_TRUE(VerifyRequest(ep.secret, reqs[1], NowSeconds()));
  ds = Deliveries(event_id);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].status, "succeeded");
  EXPECT_EQ(ds[0].attempt_count, 2);
  ASSERT_EQ(ds[0].attempts.size(), 2u);
  EXPECT_EQ(ds[0].attempts[0].status_code, 500);
  EXPECT_EQ(ds[0].attempts[1].status_code, 200);
  EXPECT_FALSE(ds[0].next_attempt_us);
}

TEST_F(DispatcherTest, DisabledAndDeletedEndpointsReceiveNothing) {
  WebhookReceiver rx_enabled, rx_disabled, rx_deleted;
  const auto enabled = Endpoint(rx_enabled.Url());
  const auto disabled = Endpoint(rx_disabled.Url());
  const auto deleted = Endpoint(rx_deleted.Url());
  EndpointParams off;
  off.status = "disabled";
  ASSERT_TRUE(RunTask(endpoints_->Update(principal_, disabled.endpoint.id, off, actor_)));
  ASSERT_TRUE(RunTask(endpoints_->Delete(principal_, deleted.endpoint.id, actor_)));

  const std::string event_id = Emit("pay_3");
  EXPECT_EQ(RoundUntilAttempts(event_id, 1), 1u);
  const auto ds = Deliveries(event_id);
  ASSERT_EQ(ds.size(), 1u);  // only the enabled endpoint got a delivery
  EXPECT_EQ(ds[0].endpoint_id, enabled.endpoint.id);
  EXPECT_EQ(ds[0].status, "succeeded");
  EXPECT_EQ(rx_enabled.Count(), 1u);
  clock_.Advance(std::chrono::hours(1));
  Round([] { return true; });
  EXPECT_EQ(rx_disabled.Count(), 0u);
  EXPECT_EQ(rx_deleted.Count(), 0u);
}

TEST_F(DispatcherTest, ARetryQueuedBeforeTheEndpointWasDisabledIsNeverSent) {
  WebhookReceiver rx({500}, 200);
  const auto ep = Endpoint(rx.Url());
  const std::string event_id = Emit("pay_4");
  EXPECT_EQ(RoundUntilAttempts(event_id, 1), 1u);
  ASSERT_EQ(rx.Count(), 1u);
  EndpointParams off;
  off.status = "disabled";
  ASSERT_TRUE(RunTask(endpoints_->Update(principal_, ep.endpoint.id, off, actor_)));
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(RoundUntilAttempts(event_id, 2), 1u);
  EXPECT_EQ(rx.Count(), 1u);  // the retry went nowhere
  const auto ds = Deliveries(event_id);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].status, "failed");  // for good: a disabled endpoint is not retried
  ASSERT_EQ(ds[0].attempts.size(), 2u);
  EXPECT_EQ(ds[0].attempts[1].error, "endpoint_disabled");
  EXPECT_FALSE(ds[0].attempts[1].status_code.has_value() && *ds[0].attempts[1].status_code > 0);
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(Round([] { return true; }), 0u);
  EXPECT_EQ(rx.Count(), 1u);
}

}  // namespace
}  // namespace lp::webhooks
