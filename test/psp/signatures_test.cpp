// Signatures made by the PSPs' OFFICIAL npm packages (stripe, @adyen/api-library; see
// test/psp/node/sign.mjs) verify with LiasonPay's verifiers, and altered payloads do not.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "connectors/adyen/webhooks.hpp"
#include "connectors/stripe/webhooks.hpp"
#include "psp/support.hpp"
#include "psp/test_pki.hpp"
#include "support/temp_dir.hpp"

namespace lp::connectors {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Runs sign.mjs on `input`; fails the test with the package name if the tooling is missing.
json::object SignWithOfficialLibraries(const json::object& input) {
  const std::string node = testing::FindOnPath("node");
  if (node.empty()) throw std::runtime_error("node is not installed (Debian package nodejs)");
  const std::string dir = testing::PspToolDir() + "/node";
  for (const char* pkg : {"stripe", "@adyen/api-library"}) {
    if (!std::filesystem::exists(dir + "/node_modules/" + pkg + "/package.json")) {
      throw std::runtime_error(std::string("npm package ") + pkg +
                               " is not installed in test/psp/node (run scripts/setup)");
    }
  }
  const lp::testing::TempDir tmp("lp_sign");
  const std::string in = tmp.File("input.json");
  testing::WriteFile(in, json::serialize(input));
  testing::ChildProcess proc({node, dir + "/sign.mjs", in});
  int status = 0;
  const std::string out = proc.WaitForExit(30s, &status);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("sign.mjs: " + out);
  return json::parse(out).as_object();
}

TEST(OfficialSignatures, StripeNodeHeadersVerify) {
  const std::string secret = "whsec_official_0123456789";
  const std::vector<std::string> payloads = {
      R"({"id":"evt_1","object":"event","type":"payment_intent.succeeded"})",
      "{\n  \"id\": \"evt_2\",\n  \"object\": \"event\"\n}\n", "caf\xc3\xa9 \xe2\x82\xac"};
  json::array cases;
  for (const auto& p : payloads) {
    cases.push_back(json::object{{"payload", p}, {"secret", secret}, {"timestamp", 1700000000}});
  }
  const auto out = SignWithOfficialLibraries(json::object{{"stripe", cases}});
  const auto& headers = out.at("stripe").as_array();
  ASSERT_EQ(headers.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    const std::string header(headers[i].as_string());
    EXPECT_TRUE(stripe::VerifySignature(header, payloads[i], secret, 1700000000 + 10)) << header;
    EXPECT_FALSE(stripe::VerifySignature(header, payloads[i] + " ", secret, 1700000000));
    EXPECT_FALSE(stripe::VerifySignature(header, payloads[i], secret + "x", 1700000000));
    EXPECT_FALSE(stripe::VerifySignature(header, payloads[i], secret, 1700000000 + 301));
  }
}

TEST(OfficialSignatures, AdyenLibraryItemSignaturesVerify) {
  const std::string key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
  const std::vector<json::object> items = {
      {{"pspReference", "QFQTPCQ8HXSKGK82"},
       {"originalReference", "9913140798220028"},
       {"merchantAccountCode", "LiasonPayECOM"},
       {"merchantReference", "att_0001"},
       {"amount", json::object{{"currency", "EUR"}, {"value", 1500}}},
       {"eventCode", "CAPTURE"},
       {"eventDate", "2026-12-05T10:00:00+01:00"},
       {"success", "true"}},
      {{"pspReference", "ZVWN7D3WSMK2WN82"},
       {"merchantAccountCode", "LiasonPayECOM"},
       {"merchantReference", "ref:with:colons"},
       {"amount", json::object{{"currency", "JPY"}, {"value", 0}}},
       {"eventCode", "AUTHORISATION"},
       {"success", "false"},
       {"reason", "Refused"}},
  };
  json::array cases;
  for (const auto& item : items) cases.push_back(json::object{{"item", item}, {"key", key}});
  const auto out = SignWithOfficialLibraries(json::object{{"adyen", cases}});
  const auto& results = out.at("adyen").as_array();
  ASSERT_EQ(results.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& r = results[i].as_object();
    ASSERT_TRUE(r.at("valid").as_bool());  // the library agrees with itself
    EXPECT_EQ(*adyen::DataToSign(json::serialize(items[i])), std::string(r.at("data").as_string()));
    json::object item = items[i];
    item["additionalData"] = json::object{{"hmacSignature", r.at("signature")}};
    const std::string body = json::serialize(json::object{
        {"live", "false"},
        {"notificationItems", json::array{json::object{{"NotificationRequestItem", item}}}}});
    EXPECT_TRUE(adyen::VerifyNotification(body, key)) << body;
    item["merchantReference"] = "att_tampered";
    const std::string tampered = json::serialize(json::object{
        {"live", "false"},
        {"notificationItems", json::array{json::object{{"NotificationRequestItem", item}}}}});
    EXPECT_FALSE(adyen::VerifyNotification(tampered, key));
  }
}

}  // namespace
}  // namespace lp::connectors
