// The Stripe and Adyen descriptors: credential validation naming the field, mode rules, accepted
// payment methods, documented base URLs, factories and webhook answers.
#include "lp/connectors/descriptor.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "lp/common/clock.hpp"
#include "lp/connectors/adyen.hpp"
#include "lp/connectors/decline_codes.hpp"
#include "lp/connectors/stripe.hpp"
#include "lp/net/psp_client.hpp"

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
