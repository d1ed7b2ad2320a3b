// Behaviour of the Stripe and Adyen connectors against small fake PSPs on loopback
// (test/psp/fake_stripe.py, fake_adyen.py) over real TLS with a test CA: outcomes, soft and hard
// declines, 401, timeouts, 5xx, slow and malformed answers, asynchronous Adyen modifications and
// the signed notifications that settle them; an unclear outcome is an error (never a decline), a
// retried or synced call reuses its Idempotency-Key, and nothing is charged twice.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "connectors/adyen/adyen_connector.hpp"
#include "connectors/adyen/webhooks.hpp"
#include "connectors/stripe/stripe_connector.hpp"
#include "connectors/stripe/webhooks.hpp"
#include "lp/common/clock.hpp"
#include "lp/net/psp_client.hpp"
#include "psp/support.hpp"
#include "psp/test_pki.hpp"
#include "support/money.hpp"
#include "support/temp_dir.hpp"

namespace lp::connectors {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using lp::testing::RunTask;

constexpr std::string_view kStripeKey = "sk_test_fake_0123456789abcdef";
constexpr std::string_view kStripeWhsec = "whsec_fake_0123456789abcdef";
constexpr std::string_view kAdyenKey = "AQE_fake_api_key_0123";
constexpr std::string_view kAdyenHmac =
    "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";

// A fake PSP process serving TLS with a certificate for psp.test from the test CA.
class FakePsp {
 public:
  FakePsp(const std::string& script, testing::TestPki& pki) {
    const auto cert = pki.Issue("DNS:psp.test,IP:127.0.0.1");
    testing::WriteFile((dir_ / "cert.pem").string(), cert.cert_pem);
    testing::WriteFile((dir_ / "key.pem").string(), cert.key_pem);
    const std::string python = testing::FindOnPath("python3");
    if (python.empty())
      throw std::runtime_error("python3 is not installed (Debian package python3)");
    proc_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        python, testing::PspToolDir() + "/" + script, "--cert", (dir_ / "cert.pem").string(),
        "--key", (dir_ / "key.pem").string()});
    auto line = proc_->WaitForLine("PORT ", 10s);
    if (!line) throw std::runtime_error(script + " did not start: " + proc_->output());
    port_ = static_cast<uint16_t>(std::stoi(line->substr(line->find("PORT ") + 5)));
  }
  ~FakePsp() { proc_.reset(); }
  std::string base() const { return "https://psp.test:" + std::to_string(port_); }

 private:
  lp::testing::TempDir tmp_{"lp_fake_psp"};
  const std::filesystem::path dir_ = tmp_.path();
  std::unique_ptr<testing::ChildProcess> proc_;
  uint16_t port_ = 0;
};

class FakePspTest : public ::testing::Test {
 protected:
  net::PspClientOptions Options() {
    net::PspClientOptions o;
    o.trusted_ca_pem = pki_.CaPem();
    o.resolve = [](const std::string&) -> Result<std::vector<asio::ip::address>> {
      return std::vector<asio::ip::address>{asio::ip::make_address("127.0.0.1")};
    };
    return o;
  }
  // GET a test hook of the fake (no auth) as JSON.
  json::value Hook(const FakePsp& psp, const std::string& path) {
    net::PspHttpRequest r;
    r.method = net::PspMethod::kGet;
    r.url = psp.base() + path;
    auto res = RunTask(ioc_, client_.Call(r));
    if (!res) throw std::runtime_error("hook " + path + ": " + res.error().detail);
    return json::parse(res->body);
  }
  Result<OperationResult> Run(Connector& c, const Account& a, Operation op,
                              const OperationRequest& r, bool sync = false) {
    return RunTask(ioc_, sync ? c.Sync(a, op, r) : c.Execute(a, op, r));
  }

  testing::TestPki pki_;
  asio::io_context ioc_;
  net::PspClient client_{ioc_.get_executor(), Options()};
  FakeClock clock_;
};

// ---------------------------------------------------------------- Stripe

class FakeStripeTest : public FakePspTest {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakePsp>("fake_stripe.py", pki_);
    account_.id = "ca_stripe";
    account_.connector = "stripe";
    account_.base_url = fake_->base();
    account_.credentials.Set("secret_key", std::string(kStripeKey));
    account_.credentials.Set("webhook_secret", std::string(kStripeWhsec));
  }
  OperationRequest Pay(const std::string& pm, bool auto_capture = true) {
    OperationRequest r;
    r.payment_id = "pay_" + std::to_string(++n_);
    r.idempotency_key = "att_" + std::to_string(n_);
    r.payment_method = pm;
    r.amount = lp::testing::MoneyOf(1099, "EUR");
    r.auto_capture = auto_capture;
    r.attempt_created = clock_.NowSeconds();
    return r;
  }
  int Charges(const std::string& key) {
    const json::value state = Hook(*fake_, "/__fake/state");
    const auto& charges = state.as_object().at("charges").as_object();
    const auto* n = charges.if_contains(key);
    return n ? static_cast<int>(n->as_int64()) : 0;
  }
  std::vector<std::string> KeysSent() {
    std::vector<std::string> keys;
    const json::value state = Hook(*fake_, "/__fake/state");
    for (const auto& r : state.as_object().at("requests").as_array()) {
      keys.emplace_back(r.as_object().at("idempotency_key").as_string());
    }
    return keys;
  }

  std::unique_ptr<FakePsp> fake_;
  Account account_;
  stripe::StripeConnector stripe_{client_, clock_, 2000};
  int n_ = 0;
};

TEST_F(FakeStripeTest, AutomaticAndManualCaptureThenPartialCaptureAndSeveralRefunds) {
  auto captured = Run(stripe_, account_, Operation::kAuthorize, Pay("pm_card_visa"));
  ASSERT_TRUE(captured) << captured.error().code << " " << captured.error().detail;
  EXPECT_EQ(captured->outcome, Outcome::kCaptured);

  OperationRequest manual = Pay("pm_card_mastercard", false);
  auto authorized = Run(stripe_, account_, Operation::kAuthorize, manual);
  ASSERT_TRUE(authorized);
  EXPECT_EQ(authorized->outcome, Outcome::kAuthorized);
  EXPECT_TRUE(authorized->psp_reference.starts_with("pi_"));

  OperationRequest cap = manual;
  cap.idempotency_key = "att_cap";
  cap.psp_reference = authorized->psp_reference;
  cap.amount.minor_units = 600;
  auto partial = Run(stripe_, account_, Operation::kCapture, cap);
  ASSERT_TRUE(partial) << partial.error().detail;
  EXPECT_EQ(partial->outcome, Outcome::kCaptured);
  EXPECT_EQ(partial->amount, 600);

  std::vector<std::string> refund_ids;
  for (int i = 0; i < 2; ++i) {
    OperationRequest re = cap;
    re.idempotency_key = "att_re" + std::to_string(i);
    re.amount.minor_units = 250;
    auto r = Run(stripe_, account_, Operation::kRefund, re);
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(r->outcome, Outcome::kRefunded);
    refund_ids.push_back(r->psp_reference);
  }
  EXPECT_NE(refund_ids[0], refund_ids[1]);
  OperationRequest too_much = cap;
  too_much.idempotency_key = "att_re_too_much";
  too_much.amount.minor_units = 250;  // 500 of 600 refunded already
  auto refused = Run(stripe_, account_, Operation::kRefund, too_much);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, kPspRejected);
}

TEST_F(FakeStripeTest, CancelReleasesAnAuthorization) {
  OperationRequest manual = Pay("pm_card_visa", false);
  auto authorized = Run(stripe_, account_, Operation::kAuthorize, manual);
  ASSERT_TRUE(authorized);
  OperationRequest cancel = manual;
  cancel.idempotency_key = "att_cancel";
  cancel.psp_reference = authorized->psp_reference;
  auto voided = Run(stripe_, account_, Operation::kVoid, cancel);
  ASSERT_TRUE(voided) << voided.error().detail;
  EXPECT_EQ(voided->outcome, Outcome::kVoided);
}

TEST_F(FakeStripeTest, DeclinesAreResultsWithSoftOrHardCodes) {
  struct Case {
    std::string pm, code;
    bool soft;
  };
  for (const auto& c : {Case{"pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", true},
                        Case{"pm_card_chargeDeclinedProcessingError", "processing_error", true},
                        Case{"pm_card_chargeDeclined", "generic_decline", true},
                        Case{"pm_card_chargeDeclinedStolenCard", "stolen_card", false},
                        Case{"pm_card_chargeDeclinedLostCard", "lost_card", false},
                        Case{"pm_card_chargeDeclinedFraudulent", "fraudulent", false},
                        Case{"pm_card_chargeDeclinedExpiredCard", "expired_card", false}}) {
    auto r = Run(stripe_, account_, Operation::kAuthorize, Pay(c.pm));
    ASSERT_TRUE(r) << c.pm << ": " << r.error().code;
    EXPECT_EQ(r->outcome, Outcome::kDeclined) << c.pm;
    EXPECT_EQ(r->decline_code, c.code) << c.pm;
    EXPECT_EQ(r->soft_decline, c.soft) << c.pm;
    EXPECT_TRUE(r->psp_reference.starts_with("pi_")) << c.pm;
  }
}

TEST_F(FakeStripeTest, AuthenticationRequiredKeepsTheNextAction) {
  auto r = Run(stripe_, account_, Operation::kAuthorize, Pay("pm_card_authenticationRequired"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, Outcome::kRequiresAction);
  EXPECT_NE(r->next_action_json.find("use_stripe_sdk"), std::string::npos) << r->next_action_json;
}

TEST_F(FakeStripeTest, WrongSecretKeyIsAConnectorAccountErrorNotADecline) {
  account_.credentials.Set("secret_key", "sk_test_wrong_key_000000");
  auto r = Run(stripe_, account_, Operation::kAuthorize, Pay("pm_card_visa"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kConnectorAuthenticationFailed);
  EXPECT_EQ(r.error().message.find("sk_test"), std::string::npos);
}

TEST_F(FakeStripeTest, TimeoutIsUnclearAndTheSyncFindsTheOneCharge) {
  stripe::StripeConnector quick(client_, clock_, 400);
  const OperationRequest req = Pay("pm_fake_timeout");
  auto r = Run(quick, account_, Operation::kAuthorize, req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kPspTimeout);
  auto synced = Run(quick, account_, Operation::kAuthorize, req, /*sync=*/true);
  ASSERT_TRUE(synced) << synced.error().code << " " << synced.error().detail;
  EXPECT_EQ(synced->outcome, Outcome::kCaptured);
  EXPECT_EQ(Charges(req.idempotency_key), 1);
  const auto keys = KeysSent();
  EXPECT_EQ(std::count(keys.begin(), keys.end(), req.idempotency_key), 2);  // same key twice
}

TEST_F(FakeStripeTest, ServerErrorIsUnclearUntilTheKeyExpiresThenNoRecord) {
  const OperationRequest req = Pay("pm_fake_500");
  auto r = Run(stripe_, account_, Operation::kAuthorize, req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kPspError);
  // Within the key's lifetime, Stripe replays the stored 500: still unclear, never a decline.
  auto replayed = Run(stripe_, account_, Operation::kAuthorize, req, true);
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.error().code, kPspError);
  EXPECT_NE(replayed.error().detail.find("replayed"), std::string::npos) << replayed.error().detail;
  // A day later the search by metadata decides: nothing was created.
  clock_.Advance(std::chrono::hours(24));
  auto later = Run(stripe_, account_, Operation::kAuthorize, req, true);
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code, kPspUnknown);
  EXPECT_EQ(Charges(req.idempotency_key), 0);
}

TEST_F(FakeStripeTest, SearchAfterTheKeyExpiredFindsTheCharge) {
  const OperationRequest req = Pay("pm_card_visa");
  ASSERT_TRUE(Run(stripe_, account_, Operation::kAuthorize, req));
  clock_.Advance(std::chrono::hours(30));
  auto found = Run(stripe_, account_, Operation::kAuthorize, req, true);
  ASSERT_TRUE(found) << found.error().detail;
  EXPECT_EQ(found->outcome, Outcome::kCaptured);
  EXPECT_EQ(Charges(req.idempotency_key), 1);
}

TEST_F(FakeStripeTest, HangUpAndMalformedAnswersAreUnclearAndSettledBySync) {
  const OperationRequest hang = Pay("pm_fake_hangup");
  auto r = Run(stripe_, account_, Operation::kAuthorize, hang);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kPspError);
  auto synced = Run(stripe_, account_, Operation::kAuthorize, hang, true);
  ASSERT_TRUE(synced) << synced.error().detail;
  EXPECT_EQ(synced->outcome, Outcome::kCaptured);
  EXPECT_EQ(Charges(hang.idempotency_key), 1);

  auto malformed = Run(stripe_, account_, Operation::kAuthorize, Pay("pm_fake_malformed"));
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, kPspError);
}

TEST_F(FakeStripeTest, SlowAnswerWithinTheDeadlineSucceedsOnAKeptAliveConnection) {
  ASSERT_TRUE(Run(stripe_, account_, Operation::kAuthorize, Pay("pm_card_visa")));
  auto slow = Run(stripe_, account_, Operation::kAuthorize, Pay("pm_fake_slow"));
  ASSERT_TRUE(slow) << slow.error().detail;
  EXPECT_EQ(slow->outcome, Outcome::kCaptured);
  EXPECT_GE(client_.stats().connections_reused, 1u);
}

TEST_F(FakeStripeTest, UnreachablePspIsProvablyNotSent) {
  account_.base_url = "https://psp.test:" + std::to_string(testing::PickFreePort());
  auto r = Run(stripe_, account_, Operation::kAuthorize, Pay("pm_card_visa"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kPspUnavailable);
}

TEST_F(FakeStripeTest, SignedEventsFromTheFakeVerifyAndSettleOperations) {
  OperationRequest manual = Pay("pm_card_visa", false);
  auto authorized = Run(stripe_, account_, Operation::kAuthorize, manual);
  ASSERT_TRUE(authorized);
  OperationRequest cap = manual;
  cap.idempotency_key = "att_cap";
  cap.psp_reference = authorized->psp_reference;
  ASSERT_TRUE(Run(stripe_, account_, Operation::kCapture, cap));
  std::vector<PspEvent> events;
  const json::value sent = Hook(*fake_, "/__fake/events");
  for (const auto& e : sent.as_array()) {
    const std::string payload(e.as_object().at("payload").as_string());
    const std::string header(e.as_object().at("stripe_signature").as_string());
    const std::vector<std::pair<std::string, std::string>> headers = {{"stripe-signature", header}};
    ASSERT_TRUE(stripe::VerifyWebhook(account_.credentials, WebhookRequest{payload, headers},
                                      std::time(nullptr)));
    auto parsed = stripe::ParseEvent(payload);
    ASSERT_TRUE(parsed);
    events.push_back(parsed->front());
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "payment_intent.amount_capturable_updated");
  EXPECT_EQ(events[0].result.outcome, Outcome::kAuthorized);
  EXPECT_EQ(events[0].our_reference, manual.idempotency_key);
  EXPECT_EQ(events[1].type, "payment_intent.succeeded");
  EXPECT_EQ(events[1].operation, Operation::kCapture);
  EXPECT_EQ(events[1].payment_reference, authorized->psp_reference);
}

// ---------------------------------------------------------------- Adyen

std::string Card(const std::string& script) {
  return R"({"type":"scheme","encryptedCardNumber":"adyenjs_0_1_25$)" + script +
         R"(","encryptedExpiryMonth":"adyenjs_0_1_25$m","encryptedExpiryYear":"adyenjs_0_1_25$y",)"
         R"("encryptedSecurityCode":"adyenjs_0_1_25$c"})";
}

class FakeAdyenTest : public FakePspTest {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakePsp>("fake_adyen.py", pki_);
    account_.id = "ca_adyen";
    account_.connector = "adyen";
    account_.base_url = fake_->base() + "/v71";
    account_.return_url = "https://shop.example/return";
    account_.credentials.Set("api_key", std::string(kAdyenKey));
    account_.credentials.Set("merchant_account", "LiasonPayECOM");
    account_.credentials.Set("hmac_key", std::string(kAdyenHmac));
  }
  OperationRequest Pay(const std::string& script, bool auto_capture = true) {
    OperationRequest r;
    r.payment_id = "pay_" + std::to_string(++n_);
    r.idempotency_key = "att_" + std::to_string(n_);
    r.payment_method = Card(script);
    r.amount = lp::testing::MoneyOf(2000, "EUR");
    r.auto_capture = auto_capture;
    return r;
  }
  // The notifications the fake would have sent, verified with the account's HMAC key.
  std::vector<PspEvent> Notifications() {
    std::vector<PspEvent> out;
    const json::value sent = Hook(*fake_, "/__fake/notifications");
    for (const auto& n : sent.as_array()) {
      const std::string body(n.as_string());
      EXPECT_TRUE(adyen::VerifyWebhook(account_.credentials, WebhookRequest{body, {}}, 0)) << body;
      auto parsed = adyen::ParseNotification(body);
      EXPECT_TRUE(parsed) << body;
      for (auto& e : *parsed) out.push_back(std::move(e));
    }
    return out;
  }
  int Charges(const std::string& key) {
    const json::value state = Hook(*fake_, "/__fake/state");
    const auto& charges = state.as_object().at("charges").as_object();
    const auto* n = charges.if_contains(key);
    return n ? static_cast<int>(n->as_int64()) : 0;
  }

  std::unique_ptr<FakePsp> fake_;
  Account account_;
  adyen::AdyenConnector adyen_{client_, 2000};
  int n_ = 0;
};

TEST_F(FakeAdyenTest, AsynchronousCaptureIsPendingUntilTheSignedNotification) {
  OperationRequest manual = Pay("fake-authorised", false);
  auto authorized = Run(adyen_, account_, Operation::kAuthorize, manual);
  ASSERT_TRUE(authorized) << authorized.error().code << " " << authorized.error().detail;
  EXPECT_EQ(authorized->outcome, Outcome::kAuthorized);
  EXPECT_FALSE(authorized->pending);

  OperationRequest cap = manual;
  cap.idempotency_key = "att_cap";
  cap.psp_reference = authorized->psp_reference;
  cap.amount.minor_units = 1500;
  auto capture = Run(adyen_, account_, Operation::kCapture, cap);
  ASSERT_TRUE(capture) << capture.error().detail;
  EXPECT_TRUE(capture->pending);
  EXPECT_EQ(capture->outcome, Outcome::kCaptured);
  EXPECT_NE(capture->psp_reference, authorized->psp_reference);

  const auto events = Notifications();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "AUTHORISATION");
  EXPECT_EQ(events[0].our_reference, manual.idempotency_key);
  const PspEvent& settled = events[1];
  EXPECT_EQ(settled.type, "CAPTURE");
  EXPECT_EQ(settled.action, PspEventAction::kApply);
  EXPECT_EQ(settled.operation, Operation::kCapture);
  EXPECT_EQ(settled.result.outcome, Outcome::kCaptured);
  EXPECT_EQ(settled.result.psp_reference, capture->psp_reference);
  EXPECT_EQ(settled.payment_reference, authorized->psp_reference);
  EXPECT_EQ(settled.amount, 1500);
}

TEST_F(FakeAdyenTest, RefundBeyondTheCapturedAmountIsRefusedByTheNotification) {
  OperationRequest pay = Pay("fake-authorised");
  auto captured = Run(adyen_, account_, Operation::kAuthorize, pay);
  ASSERT_TRUE(captured);
  EXPECT_EQ(captured->outcome, Outcome::kCaptured);
  for (int64_t amount : {1500, 1000}) {
    OperationRequest re = pay;
    re.idempotency_key = "att_re_" + std::to_string(amount);
    re.psp_reference = captured->psp_reference;
    re.amount.minor_units = amount;
    auto r = Run(adyen_, account_, Operation::kRefund, re);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->pending);
  }
  const auto events = Notifications();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].result.outcome, Outcome::kRefunded);
  EXPECT_EQ(events[2].result.outcome, Outcome::kDeclined);
  EXPECT_EQ(events[2].result.decline_code, "refund_failed");
  EXPECT_EQ(events[2].event_id, "REFUND:" + events[2].result.psp_reference + ":false");
}

TEST_F(FakeAdyenTest, CancelIsAsynchronousToo) {
  OperationRequest manual = Pay("fake-authorised", false);
  auto authorized = Run(adyen_, account_, Operation::kAuthorize, manual);
  ASSERT_TRUE(authorized);
  OperationRequest cancel = manual;
  cancel.idempotency_key = "att_cancel";
  cancel.psp_reference = authorized->psp_reference;
  auto r = Run(adyen_, account_, Operation::kVoid, cancel);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->pending);
  EXPECT_EQ(r->outcome, Outcome::kVoided);
  EXPECT_EQ(Notifications().back().result.outcome, Outcome::kVoided);
}

TEST_F(FakeAdyenTest, RefusalsAreSoftOrHardAndRedirectNeedsAction) {
  struct Case {
    std::string script, code;
    bool soft;
  };
  for (const auto& c :
       {Case{"fake-refused-12", "insufficient_funds", true},
        Case{"fake-refused-9", "issuer_not_available", true},
        Case{"fake-refused-6", "expired_card", false}, Case{"fake-refused-14", "fraudulent", false},
        Case{"fake-error", "processing_error", true}}) {
    auto r = Run(adyen_, account_, Operation::kAuthorize, Pay(c.script));
    ASSERT_TRUE(r) << c.script;
    EXPECT_EQ(r->outcome, Outcome::kDeclined) << c.script;
    EXPECT_EQ(r->decline_code, c.code) << c.script;
    EXPECT_EQ(r->soft_decline, c.soft) << c.script;
  }
  auto redirect = Run(adyen_, account_, Operation::kAuthorize, Pay("fake-redirect"));
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->outcome, Outcome::kRequiresAction);
  EXPECT_NE(redirect->next_action_json.find("redirect"), std::string::npos);
  auto pending = Run(adyen_, account_, Operation::kAuthorize, Pay("fake-pending"));
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->pending);
}

TEST_F(FakeAdyenTest, WrongApiKeyIsAConnectorAccountError) {
  account_.credentials.Set("api_key", "AQE_wrong");
  auto r = Run(adyen_, account_, Operation::kAuthorize, Pay("fake-authorised"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kConnectorAuthenticationFailed);
  EXPECT_NE(r.error().message.find("Adyen"), std::string::npos);
}

TEST_F(FakeAdyenTest, TimeoutIsUnclearAndTheSyncReplaysTheOneAuthorisation) {
  adyen::AdyenConnector quick(client_, 400);
  const OperationRequest req = Pay("fake-timeout");
  auto r = Run(quick, account_, Operation::kAuthorize, req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kPspTimeout);
  auto synced = Run(quick, account_, Operation::kAuthorize, req, true);
  ASSERT_TRUE(synced) << synced.error().detail;
  EXPECT_EQ(synced->outcome, Outcome::kCaptured);
  EXPECT_EQ(Charges(req.idempotency_key), 1);
}

TEST_F(FakeAdyenTest, AuthorisationSyncWithoutTheEncryptedCardStaysUnclearAndSendsNothing) {
  // LiasonPay never stores the encrypted card: a later sync sees only {"type":"scheme"} and
  // must not send a request Adyen would refuse (which would read as "nothing charged").
  adyen::AdyenConnector quick(client_, 400);
  OperationRequest req = Pay("fake-timeout");
  auto r = Run(quick, account_, Operation::kAuthorize, req);
  ASSERT_FALSE(r);
  const size_t sent = Hook(*fake_, "/__fake/state").as_object().at("requests").as_array().size();
  req.payment_method = R"({"type":"scheme"})";
  auto synced = Run(quick, account_, Operation::kAuthorize, req, true);
  ASSERT_FALSE(synced);
  EXPECT_EQ(synced.error().code, kPspError);
  EXPECT_EQ(Hook(*fake_, "/__fake/state").as_object().at("requests").as_array().size(), sent);
  EXPECT_EQ(Charges(req.idempotency_key), 1);
}

TEST_F(FakeAdyenTest, ServerErrorAndMalformedAnswersAreUnclear) {
  for (const std::string script : {"fake-500", "fake-malformed"}) {
    auto r = Run(adyen_, account_, Operation::kAuthorize, Pay(script));
    ASSERT_FALSE(r) << script;
    EXPECT_EQ(r.error().code, kPspError) << script;
  }
}

TEST_F(FakeAdyenTest, NoReturnUrlIsRefusedBeforeAnythingIsSent) {
  account_.return_url.clear();
  auto r = Run(adyen_, account_, Operation::kAuthorize, Pay("fake-authorised"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "return_url");
  EXPECT_TRUE(Hook(*fake_, "/__fake/state").as_object().at("requests").as_array().empty());
}

}  // namespace
}  // namespace lp::connectors
