// Adyen notification HMAC with the vectors of Adyen's own SDK tests
// (../shared/psp/vectors/VECTORS.md §2), and parsing of the official notification examples.
#include <gtest/gtest.h>

#include "connectors/adyen/webhooks.hpp"
#include "connectors/fixture.hpp"

namespace lp::connectors::adyen {
namespace {

namespace json = boost::json;
using lp::testing::FixtureObject;
using lp::testing::ReadFixture;

// Adyen/adyen-node-api-library src/__tests__/hmacValidator.spec.ts (snapshot 3b84a188…).
constexpr std::string_view kNodeKey =
    "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";
// Adyen/adyen-java-api-library HMACValidatorTest.java (commit 15b1f175…).
constexpr std::string_view kJavaKey =
    "9064450A8892A093D9E97EFCC9639DE31B74F3A7803135555A3C96F5A57915D6";
constexpr std::string_view kJavaEscapeKey =
    "74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174";

TEST(AdyenHmac, NodeLibraryVectors) {
  const std::string item =
      R"({"pspReference":"pspReference","originalReference":"originalReference",)"
      R"("merchantAccountCode":"merchantAccount","merchantReference":"reference",)"
      R"("amount":{"currency":"EUR","value":1000},"eventCode":"REPORT_AVAILABLE",)"
      R"("eventDate":"2019-09-21T11:45:24.637Z","paymentMethod":"VISA",)"
      R"("reason":"reason","success":"true"})";
  auto data = DataToSign(item);
  ASSERT_TRUE(data);
  EXPECT_EQ(
      *data,
      "pspReference:originalReference:merchantAccount:reference:1000:EUR:REPORT_AVAILABLE:true");
  EXPECT_EQ(*Sign(kNodeKey, *data), "ZNBPtI+oDyyRrLyD1XirkKnQgIAlFc07Vj27TeHsDRE=");
  EXPECT_EQ(*Sign(kNodeKey,
                  "pspReference:originalReference:merchantAccount:reference:1000:EUR:EVENT:true"),
            "ipnxGCaUZ4l8TUW75a71/ghd2Fe5ffvX0pV4TLTntIc=");
  // The raw-body form (platform webhooks' HmacSignature header) is the same primitive.
  EXPECT_EQ(*Sign("11223344D785FBAE710E7F943F307971BB61B21281C98C9129B3D4018A57B2EB",
                  ReadFixture("vectors/adyen-accountHolderCreated.json")),
            "UVBzHbDayhfT1XgaRGAkuKvxwoxrLoVCBdfi3WZU8lI=");
}

TEST(AdyenHmac, JavaLibraryVectors) {
  // No originalReference; amount value written as a string.
  const std::string item =
      R"({"amount":{"currency":"EUR","value":"0"},"eventCode":"REPORT_AVAILABLE",)"
      R"("merchantAccountCode":"Magento2Rik","merchantReference":"testMerchantRef1",)"
      R"("pspReference":"test_REPORT_AVAILABLE","success":"true"})";
  EXPECT_EQ(*DataToSign(item),
            "test_REPORT_AVAILABLE::Magento2Rik:testMerchantRef1:0:EUR:REPORT_AVAILABLE:true");
  EXPECT_EQ(*Sign(kJavaKey, *DataToSign(item)), "NuEkADFmlCC6VgX+wcoPAegIWxVPNBPCuKlM4Hzo5qc=");
  EXPECT_EQ(*Sign(kJavaKey, "TestPayload"), "YA9/UDjldIO4Gq68X4ATYYoEaPYH4f4k2uzBBzEF1PA=");
  const std::string without_amount =
      R"({"eventCode":"REPORT_AVAILABLE","merchantAccountCode":"Magento2Rik",)"
      R"("merchantReference":"testMerchantRef1","pspReference":"test_REPORT_AVAILABLE","success":"true"})";
  EXPECT_EQ(*DataToSign(without_amount),
            "test_REPORT_AVAILABLE::Magento2Rik:testMerchantRef1:::REPORT_AVAILABLE:true");
}

TEST(AdyenHmac, JavaMockNotificationVerifiesWithoutEscaping) {
  // The mock file is one NotificationRequestItem; wrapped as Adyen sends it.
  const std::string item = ReadFixture("vectors/adyen-hmac-validation-webhook.json");
  const std::string body =
      R"({"live":"false","notificationItems":[{"NotificationRequestItem":)" + item + "}]}";
  EXPECT_EQ(*DataToSign(item),
            "ZVWN7D3WSMK2WN82::AntoniStroinski:\\:/\\/slashes are fun:1000:EUR:AUTHORISATION:true");
  EXPECT_TRUE(VerifyNotification(body, kJavaEscapeKey));
  auto events = ParseNotification(body);
  ASSERT_TRUE(events);
  EXPECT_EQ(events->front().our_reference, "\\:/\\/slashes are fun");
  EXPECT_EQ(events->front().type, "AUTHORISATION");
}

// A notification with one item signed with `key` (the fixture's item, or a tampered one).
std::string Signed(const std::string& fixture, std::string_view key,
                   const std::function<void(json::object&)>& edit_after_signing = {}) {
  auto body = FixtureObject(fixture);
  auto& item =
      body["notificationItems"].as_array()[0].as_object()["NotificationRequestItem"].as_object();
  const std::string sig = *Sign(key, *DataToSign(json::serialize(item)));
  if (!item.contains("additionalData")) item["additionalData"] = json::object{};
  item["additionalData"].as_object()["hmacSignature"] = sig;
  if (edit_after_signing) edit_after_signing(item);
  return json::serialize(body);
}

TEST(AdyenHmac, EveryItemMustVerify) {
  const std::string ok = Signed("adyen_notification_capture.json", kNodeKey);
  EXPECT_TRUE(VerifyNotification(ok, kNodeKey));
  EXPECT_FALSE(VerifyNotification(ok, kJavaKey));
  auto tampered = Signed("adyen_notification_capture.json", kNodeKey,
                         [](json::object& item) { item["amount"].as_object()["value"] = 1; });
  auto r = VerifyNotification(tampered, kNodeKey);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "webhook_signature_invalid");
  // A second, unsigned item spoils the whole request.
  auto two = json::parse(ok).as_object();
  auto extra = two["notificationItems"].as_array()[0];
  extra.as_object()["NotificationRequestItem"].as_object().erase("additionalData");
  two["notificationItems"].as_array().push_back(extra);
  EXPECT_FALSE(VerifyNotification(json::serialize(two), kNodeKey));
}

TEST(AdyenHmac, MissingOrMalformedSignaturesAndKeysFailClosed) {
  // The spec example carries a truncated placeholder signature.
  auto placeholder =
      VerifyNotification(ReadFixture("adyen_notification_capture_failed.json"), kNodeKey);
  ASSERT_FALSE(placeholder);
  EXPECT_EQ(placeholder.error().code, "webhook_signature_invalid");
  // No signature at all.
  EXPECT_EQ(
      VerifyNotification(ReadFixture("adyen_notification_capture.json"), kNodeKey).error().code,
      "webhook_signature_invalid");
  // 44 base64 characters that decode to 33 bytes: false, not a crash (node library test).
  auto body = Signed("adyen_notification_capture.json", kNodeKey, [](json::object& item) {
    item["additionalData"].as_object()["hmacSignature"] = std::string(44, 'A');
  });
  EXPECT_EQ(VerifyNotification(body, kNodeKey).error().code, "webhook_signature_invalid");
  // Keys: empty or not hex ("BadKey" in the java tests).
  for (std::string_view key :
       {std::string_view(""), std::string_view("BadKey"), std::string_view("ABC")}) {
    auto r = VerifyNotification(Signed("adyen_notification_capture.json", kNodeKey), key);
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code, "webhook_secret_missing") << key;
  }
  for (const std::string bad :
       {"", "[accepted]", R"({"live":"false"})", R"({"notificationItems":[]})",
        R"({"notificationItems":[{"x":1}]})"}) {
    auto r = VerifyNotification(bad, kNodeKey);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "webhook_malformed") << bad;
  }
}

TEST(AdyenHmac, DescriptorEntryUsesTheAccountKey) {
  Credentials creds;
  creds.Set("hmac_key", std::string(kNodeKey));
  const std::string body = Signed("adyen_notification_refund.json", kNodeKey);
  EXPECT_TRUE(VerifyWebhook(creds, WebhookRequest{body, {}}, 0));
  Credentials none;
  EXPECT_EQ(VerifyWebhook(none, WebhookRequest{body, {}}, 0).error().code,
            "webhook_secret_missing");
}

PspEvent One(const std::string& fixture) {
  auto r = ParseNotification(ReadFixture(fixture));
  EXPECT_TRUE(r) << fixture;
  EXPECT_EQ(r->size(), 1u);
  return r->front();
}

TEST(AdyenEvents, OfficialExamplesMapToOperationsAndOutcomes) {
  PspEvent auth = One("adyen_notification_authorisation.json");
  EXPECT_EQ(auth.event_id, "AUTHORISATION:QFQTPCQ8HXSKGK82:true");
  EXPECT_EQ(auth.action, PspEventAction::kApply);
  EXPECT_EQ(auth.operation, Operation::kAuthorize);
  EXPECT_EQ(auth.result.outcome, Outcome::kAuthorized);
  EXPECT_EQ(auth.payment_reference, "QFQTPCQ8HXSKGK82");
  EXPECT_EQ(auth.our_reference, "YOUR_MERCHANT_REFERENCE");
  EXPECT_EQ(auth.amount, 1000);
  EXPECT_EQ(auth.currency, "EUR");
  EXPECT_FALSE(auth.livemode);

  PspEvent capture = One("adyen_notification_capture.json");
  EXPECT_EQ(capture.operation, Operation::kCapture);
  EXPECT_EQ(capture.result.outcome, Outcome::kCaptured);
  EXPECT_EQ(capture.payment_reference, "9913140798220028");     // originalReference
  EXPECT_EQ(capture.result.psp_reference, "QFQTPCQ8HXSKGK82");  // the capture's own

  PspEvent capture_failed = One("adyen_notification_capture_failed.json");
  EXPECT_EQ(capture_failed.operation, Operation::kCapture);
  EXPECT_EQ(capture_failed.result.outcome, Outcome::kDeclined);
  EXPECT_EQ(capture_failed.result.decline_code, "capture_failed");

  PspEvent cancel = One("adyen_notification_cancellation.json");
  EXPECT_EQ(cancel.operation, Operation::kVoid);
  EXPECT_EQ(cancel.result.outcome, Outcome::kVoided);

  PspEvent refund = One("adyen_notification_refund.json");  // success "false" in the example
  EXPECT_EQ(refund.event_id, "REFUND:QFQTPCQ8HXSKGK82:false");
  EXPECT_EQ(refund.operation, Operation::kRefund);
  EXPECT_EQ(refund.result.outcome, Outcome::kDeclined);
  EXPECT_EQ(refund.result.decline_code, "refund_failed");

  PspEvent refund_failed = One("adyen_notification_refund_failed.json");
  EXPECT_EQ(refund_failed.result.outcome, Outcome::kDeclined);
}

TEST(AdyenEvents, RefusedAuthorisationCarriesTheMappedReasonAndOtherCodesAreIgnored) {
  auto body = FixtureObject("adyen_notification_authorisation.json");
  auto& item =
      body["notificationItems"].as_array()[0].as_object()["NotificationRequestItem"].as_object();
  item["success"] = "false";
  item["reason"] = "Not enough balance";
  auto r = ParseNotification(json::serialize(body));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->front().result.outcome, Outcome::kDeclined);
  EXPECT_EQ(r->front().result.decline_code, "insufficient_funds");
  EXPECT_TRUE(r->front().result.soft_decline);
  item["eventCode"] = "REPORT_AVAILABLE";
  r = ParseNotification(json::serialize(body));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->front().action, PspEventAction::kIgnore);
}

}  // namespace
}  // namespace lp::connectors::adyen
