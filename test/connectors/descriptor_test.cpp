// The Stripe, Adyen and sandbox descriptors: credential validation naming the field, mode rules,
// accepted payment methods, documented base URLs, factories, webhook answers, the account
// settings each takes, and the built-in list the rest of LiasonPay looks them up in.
#include "lp/connectors/descriptor.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "lp/common/clock.hpp"
#include "lp/connectors/adyen.hpp"
#include "lp/connectors/decline_codes.hpp"
#include "lp/connectors/sandbox.hpp"
#include "lp/connectors/stripe.hpp"
#include "lp/net/psp_client.hpp"
#include "support/temp_dir.hpp"

namespace lp::connectors {
namespace {

const std::string kHmac = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";

Credentials Make(std::initializer_list<std::pair<std::string, std::string>> fields) {
  Credentials c;
  for (const auto& [k, v] : fields) c.Set(k, v);
  return c;
}

std::string ParamOf(const Result<void>& r) { return r ? "<ok>" : r.error().param; }

TEST(StripeDescriptor, CredentialsAreCheckedPerFieldAndMode) {
  const auto& d = stripe::Descriptor();
  EXPECT_EQ(d.name, "stripe");
  const auto test_ok =
      Make({{"secret_key", "sk_test_51Abcdefghijkl"}, {"webhook_secret", "whsec_abcdefghijkl"}});
  EXPECT_TRUE(d.validate_credentials(test_ok, Mode::kTest));
  // A test key on a live account (or the reverse) would reach the wrong environment.
  EXPECT_EQ(ParamOf(d.validate_credentials(test_ok, Mode::kLive)), "credentials.secret_key");
  const auto live_ok =
      Make({{"secret_key", "rk_live_51Abcdefghijkl"}, {"webhook_secret", "whsec_abcdefghijkl"}});
  EXPECT_TRUE(d.validate_credentials(live_ok, Mode::kLive));
  EXPECT_EQ(ParamOf(d.validate_credentials(Make({{"secret_key", "sk_test_51Abcdefghijkl"}}),
                                           Mode::kTest)),
            "credentials.webhook_secret");
  auto missing =
      d.validate_credentials(Make({{"secret_key", "sk_test_51Abcdefghijkl"}}), Mode::kTest);
  EXPECT_EQ(missing.error().code, "parameter_missing");
  auto unknown = d.validate_credentials(Make({{"secret_key", "sk_test_51Abcdefghijkl"},
                                              {"webhook_secret", "whsec_abcdefghijkl"},
                                              {"api_key", "x"}}),
                                        Mode::kTest);
  EXPECT_EQ(unknown.error().code, "parameter_unknown");
  EXPECT_EQ(unknown.error().param, "credentials.api_key");
  auto bad_whsec = d.validate_credentials(
      Make({{"secret_key", "sk_test_51Abcdefghijkl"}, {"webhook_secret", "secret_abcdefghijkl"}}),
      Mode::kTest);
  EXPECT_EQ(ParamOf(bad_whsec), "credentials.webhook_secret");
  EXPECT_EQ(bad_whsec.error().message.find("secret_abc"), std::string::npos);  // no value echoed
  EXPECT_EQ(ParamOf(d.validate_credentials(Make({{"secret_key", "sk_test_51Abc def"},
                                                 {"webhook_secret", "whsec_abcdefghijkl"}}),
                                           Mode::kTest)),
            "credentials.secret_key");
}

TEST(StripeDescriptor, AcceptsStripePaymentMethodsOnly) {
  const auto& d = stripe::Descriptor();
  EXPECT_TRUE(d.accepts("pm_card_visa"));
  EXPECT_TRUE(d.accepts("pm_1NnlpVGPxmnHQRkJ"));
  for (std::string_view pm :
       {"tok_visa", "pm_", "pm_a b", "card_123", "{\"type\":\"scheme\"}", ""}) {
    EXPECT_FALSE(d.accepts(pm)) << pm;
  }
  EXPECT_EQ(*d.default_base_url(Mode::kTest, {}), "https://api.stripe.com");
  EXPECT_EQ(*d.default_base_url(Mode::kLive, {}), "https://api.stripe.com");
  EXPECT_EQ(d.webhook_ack.status, 200);
  for (const auto& f : d.credentials) EXPECT_TRUE(f.secret) << f.name;
}

TEST(AdyenDescriptor, CredentialsAreCheckedPerFieldAndMode) {
  const auto& d = adyen::Descriptor();
  EXPECT_EQ(d.name, "adyen");
  const auto ok =
      Make({{"api_key", "AQEyhmfxK4"}, {"merchant_account", "LiasonPayECOM"}, {"hmac_key", kHmac}});
  EXPECT_TRUE(d.validate_credentials(ok, Mode::kTest));
  EXPECT_EQ(ParamOf(d.validate_credentials(ok, Mode::kLive)), "credentials.live_url_prefix");
  const auto live = Make({{"api_key", "AQEyhmfxK4"},
                          {"merchant_account", "LiasonPayECOM"},
                          {"hmac_key", kHmac},
                          {"live_url_prefix", "1797a841fbb37ca7-AdyenDemo"}});
  EXPECT_TRUE(d.validate_credentials(live, Mode::kLive));
  EXPECT_EQ(*d.default_base_url(Mode::kLive, live),
            "https://1797a841fbb37ca7-AdyenDemo-checkout-live.adyenpayments.com/checkout/v71");
  EXPECT_EQ(*d.default_base_url(Mode::kTest, ok), "https://checkout-test.adyen.com/v71");
  EXPECT_EQ(
      ParamOf(d.validate_credentials(
          Make({{"api_key", "AQE"}, {"merchant_account", "M"}, {"hmac_key", "CANARY_HMAC_123"}}),
          Mode::kTest)),
      "credentials.hmac_key");
  EXPECT_EQ(ParamOf(d.validate_credentials(Make({{"api_key", "AQE"}, {"merchant_account", "M"}}),
                                           Mode::kTest)),
            "credentials.hmac_key");
  EXPECT_EQ(ParamOf(d.validate_credentials(
                Make({{"api_key", "AQE"}, {"merchant_account", "M/../x"}, {"hmac_key", kHmac}}),
                Mode::kTest)),
            "credentials.merchant_account");
  bool merchant_account_shown = false;
  for (const auto& f : d.credentials)
    merchant_account_shown |= f.name == "merchant_account" && !f.secret;
  EXPECT_TRUE(merchant_account_shown);
  EXPECT_EQ(d.webhook_ack.body, "[accepted]");
}

TEST(AdyenDescriptor, AcceptsEncryptedCardObjectsOnly) {
  const auto& d = adyen::Descriptor();
  EXPECT_TRUE(d.accepts(
      R"({"type":"scheme","encryptedCardNumber":"a","encryptedExpiryMonth":"b","encryptedExpiryYear":"c"})"));
  EXPECT_FALSE(d.accepts(R"({"type":"scheme","number":"4111111111111111","expiryMonth":"03"})"));
  EXPECT_FALSE(d.accepts("pm_card_visa"));
  EXPECT_FALSE(d.accepts("tok_visa"));
}

TEST(Descriptors, FactoriesBuildStatelessConnectorsOnTheSharedClient) {
  boost::asio::io_context ioc;
  net::PspClient client(ioc.get_executor());
  SystemClock clock;
  const ConnectorContext ctx{&client, &clock, 5000};
  for (const ConnectorDescriptor* d : {&stripe::Descriptor(), &adyen::Descriptor()}) {
    auto c = d->make(ctx);
    ASSERT_TRUE(c) << d->name;
    EXPECT_EQ((*c)->Name(), d->name);
    EXPECT_FALSE(d->make(ConnectorContext{}).has_value()) << d->name;
  }
}

TEST(SandboxDescriptor, OptionalUncheckedCredentialsTokensAndNoWebhooks) {
  const auto& d = sandbox::Descriptor();
  EXPECT_EQ(d.name, kSandbox);
  EXPECT_EQ(d.name, "sandbox");
  EXPECT_TRUE(d.accepts("tok_visa"));
  EXPECT_TRUE(d.accepts("tok_decline_stolen"));
  for (std::string_view pm : {"pm_card_visa", "{\"type\":\"scheme\"}", "fake_card", ""}) {
    EXPECT_FALSE(d.accepts(pm)) << pm;
  }
  // An account may be made without credentials; if given, only an api_key, shown as last4 (the
  // field list is the only rule: merchants::ValidateCredentials checks it).
  EXPECT_FALSE(d.credentials_required);
  EXPECT_EQ(d.validate_credentials, nullptr);
  ASSERT_EQ(d.credentials.size(), 1u);
  EXPECT_EQ(d.credentials[0].name, "api_key");
  EXPECT_FALSE(d.credentials[0].required);
  EXPECT_TRUE(d.credentials[0].secret);
  EXPECT_EQ(d.shown_credential, "api_key");
  // In-process: no endpoint, no webhooks, made by MakeBuiltinConnectors over its ledger.
  EXPECT_EQ(d.default_base_url, nullptr);
  EXPECT_EQ(d.verify_webhook, nullptr);
  EXPECT_EQ(d.parse_webhook, nullptr);
  EXPECT_EQ(d.make, nullptr);
  EXPECT_FALSE(d.requires_return_url);
  // Its accounts take a simulated failure and latency, never a return URL.
  EXPECT_FALSE(d.settings.return_url);
  EXPECT_TRUE(d.settings.simulate);
  EXPECT_TRUE(d.settings.latency_ms);
}

TEST(Descriptors, PspsNeedCredentialsAndTakeAReturnUrlOnly) {
  for (const ConnectorDescriptor* d : {&stripe::Descriptor(), &adyen::Descriptor()}) {
    EXPECT_TRUE(d->credentials_required) << d->name;
    EXPECT_NE(d->validate_credentials, nullptr) << d->name;
    EXPECT_NE(d->verify_webhook, nullptr) << d->name;
    EXPECT_NE(d->parse_webhook, nullptr) << d->name;
    EXPECT_FALSE(d->shown_credential.empty()) << d->name;
    EXPECT_TRUE(d->settings.return_url) << d->name;
    EXPECT_FALSE(d->settings.simulate) << d->name;
    EXPECT_FALSE(d->settings.latency_ms) << d->name;
  }
  EXPECT_FALSE(stripe::Descriptor().requires_return_url);
  EXPECT_TRUE(adyen::Descriptor().requires_return_url);
}

TEST(Descriptors, TheBuiltinListIsTheKnownConnectors) {
  const auto all = BuiltinDescriptors();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], &sandbox::Descriptor());
  EXPECT_EQ(all[1], &stripe::Descriptor());
  EXPECT_EQ(all[2], &adyen::Descriptor());
  for (const ConnectorDescriptor* d : all) {
    EXPECT_EQ(FindDescriptor(d->name), d);
    EXPECT_TRUE(IsKnownConnector(d->name)) << d->name;
  }
  for (std::string_view unknown : {"paypal", "fakepsp", "", "Sandbox", "stripe "}) {
    EXPECT_EQ(FindDescriptor(unknown), nullptr) << unknown;
    EXPECT_FALSE(IsKnownConnector(unknown)) << unknown;
  }
  // Pinned by the API's error messages ("connector must be sandbox, stripe or adyen.").
  EXPECT_EQ(KnownConnectorsText(), "sandbox, stripe or adyen");
}

TEST(Descriptors, MakeBuiltinConnectorsRegistersEveryDescriptorsConnector) {
  testing::TempDir dir("lp_builtin");
  boost::asio::io_context ioc;
  SystemClock clock;
  BuiltinOptions options;
  options.sandbox_ledger_path = dir.File("ledger.jsonl");
  options.executor = ioc.get_executor();
  options.clock = &clock;
  auto registry = MakeBuiltinConnectors(options);
  ASSERT_TRUE(registry) << registry.error().detail;
  for (const ConnectorDescriptor* d : BuiltinDescriptors()) {
    const Connector* c = (*registry)->Find(d->name);
    ASSERT_NE(c, nullptr) << d->name;
    EXPECT_EQ(c->Name(), d->name);
    for (std::string_view pm : {"tok_visa", "pm_card_visa", "fake_card"}) {
      EXPECT_EQ(c->Accepts(pm), d->accepts(pm)) << d->name << " " << pm;
    }
  }
  EXPECT_FALSE((*registry)->Find(kSandbox)->UsesCredentials());

  // Without an executor (tools, tests) only the sandbox is registered.
  options.executor = {};
  auto sandbox_only = MakeBuiltinConnectors(options);
  ASSERT_TRUE(sandbox_only) << sandbox_only.error().detail;
  EXPECT_NE((*sandbox_only)->Find(kSandbox), nullptr);
  EXPECT_EQ((*sandbox_only)->Find(stripe::Descriptor().name), nullptr);
}

TEST(Credentials, PrintAsMaskAndReadOnlyThroughGet) {
  Credentials c;
  c.Set("secret_key", "sk_test_value");
  c.Set("secret_key", "sk_test_other");  // replaces
  EXPECT_EQ(c.Get("secret_key"), "sk_test_other");
  EXPECT_EQ(c.Get("missing"), "");
  EXPECT_EQ(c.Names().size(), 1u);
  EXPECT_EQ(fmt::format("{}", Secret<std::string>("sk_test_value")), "***");
}

TEST(DeclineCodes, SoftAndHardAsDocumented) {
  for (std::string_view soft :
       {"insufficient_funds", "do_not_honor", "try_again_later", "processing_error"}) {
    EXPECT_TRUE(declines::IsSoft(soft)) << soft;
  }
  for (std::string_view hard : {"stolen_card", "lost_card", "fraudulent", "pickup_card",
                                "incorrect_number", "expired_card", "never_heard_of_it"}) {
    EXPECT_FALSE(declines::IsSoft(hard)) << hard;
  }
}

}  // namespace
}  // namespace lp::connectors
