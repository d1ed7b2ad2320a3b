// Strict request input (src/api/input.cpp): the JSON shape pass, text rules, the Idempotency-Key.
#include "api/input.hpp"

#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <string>

namespace lp::api {
namespace {

http::Request JsonRequest(std::string body) {
  http::Request r;
  r.method = "POST";
  r.path = "/v1/payments";
  r.permission = "payments:write";
  r.headers.emplace_back("content-type", "application/json");
  r.body = std::move(body);
  return r;
}

std::string KeysObject(size_t n) {
  std::string s = "{";
  for (size_t i = 0; i < n; ++i) {
    if (i) s += ',';
    s += "\"k" + std::to_string(i) + "\":0";
  }
  return s + "}";
}

TEST(ParseBody, DuplicateKeysAreComparedAfterUnescaping) {
  auto r = ParseBody(JsonRequest(R"({"amount":100,"\u0061mount":99999})"), {"amount"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "duplicate_parameter");
  EXPECT_EQ(r.error().param, "amount");
  auto nested = ParseBody(JsonRequest(R"({"metadata":{"x":"1","\u0078":"2"}})"), {"metadata"});
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().code, "duplicate_parameter");
  // The same key in two different objects is no duplicate.
  EXPECT_TRUE(ParseBody(JsonRequest(R"({"a":{"x":1},"b":{"x":2}})"), {"a", "b"}));
}

TEST(ParseBody, UnknownTopLevelKeyIsRefusedAtTheFirstOne) {
  auto r = ParseBody(JsonRequest(R"({"amount":1,"bogus":{"deep":[1,2,3]},"other":2})"), {"amount"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "parameter_unknown");
  EXPECT_EQ(r.error().param, "bogus");
}

TEST(ParseBody, ObjectsAreCappedAtAThousandMembers) {
  EXPECT_TRUE(ParseBody(JsonRequest("{\"m\":" + KeysObject(kMaxObjectMembers) + "}"), {"m"}));
  auto r = ParseBody(JsonRequest("{\"m\":" + KeysObject(kMaxObjectMembers + 1) + "}"), {"m"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "too_many_members");
}

TEST(ParseBody, CardNumberInAKeyIsRefusedWithoutEchoingIt) {
  auto r = ParseBody(JsonRequest(R"({"metadata":{"4242 4242 4242 4242":"x"}})"), {"metadata"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "pan_detected");
  EXPECT_EQ(r.error().param, "metadata");
  EXPECT_EQ(r.error().message.find("4242"), std::string::npos);
  auto top = ParseBody(JsonRequest(R"({"4111111111111111":1})"), {"amount"});
  ASSERT_FALSE(top);
  EXPECT_EQ(top.error().code, "pan_detected");  // not parameter_unknown echoing the number
  EXPECT_EQ(top.error().param, "body");
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// This thread's CPU time for one call (not wall time: other load on the machine does not count),
// the best of a few runs.
template <class F>
double BestSeconds(F f) {
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    const double t0 = ThreadCpuSeconds();
    f();
    best = std::min(best, ThreadCpuSeconds() - t0);
  }
  return best;
}

TEST(ParseBody, CostGrowsAboutLinearlyWithTheNumberOfKeys) {
  // Arrays of ten-key objects: every key is checked, nothing stops early. 10x the keys may cost
  // about 10x; the former pairwise scan was quadratic per object. Loose bound: a ratio, not a time.
  auto body = [](size_t keys) {
    std::string s = "{\"m\":[";
    for (size_t i = 0; i < keys / 10; ++i) {
      if (i) s += ',';
      s += KeysObject(10);
    }
    return s + "]}";
  };
  const std::string small = body(10'000), large = body(100'000);
  const double t_small = BestSeconds([&] { (void)ParseBody(JsonRequest(small), {"m"}); });
  const double t_large = BestSeconds([&] { (void)ParseBody(JsonRequest(large), {"m"}); });
  EXPECT_LT(t_large / std::max(t_small, 1e-6), 30.0) << t_small << " s vs " << t_large << " s";
}

TEST(Text, CountsCharactersNotBytes) {
  EXPECT_EQ(CharCount(""), 0u);
  EXPECT_EQ(CharCount("abc"), 3u);
  EXPECT_EQ(CharCount("€"), 1u);                 // 3 bytes
  EXPECT_EQ(CharCount("\xF0\x9F\x92\xB3"), 1u);  // U+1F4B3, 4 bytes
  EXPECT_TRUE(CheckText(std::string(1000, 'a'), "description", 1000));
  std::string euros;
  for (int i = 0; i < 1000; ++i) euros += "€";
  EXPECT_TRUE(CheckText(euros, "description", 1000));
  euros += "€";
  auto r = CheckText(euros, "description", 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().param, "description");
}

TEST(Text, ControlCharactersAndBidiOverridesAreRefused) {
  for (std::string_view bad :
       {std::string_view("a\0b", 3), std::string_view("\x1b[31m"), std::string_view("cr\r"),
        std::string_view("\x7f"), std::string_view("\xC2\x85"), std::string_view("\xE2\x80\xAE"),
        std::string_view("\xE2\x81\xA6"), std::string_view("\xE2\x81\xA9")}) {
    EXPECT_TRUE(HasForbiddenControl(bad, false)) << ::testing::PrintToString(std::string(bad));
    EXPECT_TRUE(HasForbiddenControl(bad, true));
  }
  EXPECT_FALSE(HasForbiddenControl("tab\tand\nnewline", false));
  EXPECT_TRUE(HasForbiddenControl("tab\t", true));
  EXPECT_TRUE(HasForbiddenControl("nl\n", true));
  // Neighbours of the refused ranges are ordinary text.
  EXPECT_FALSE(HasForbiddenControl("\xC2\xA0 \xE2\x80\x94 \xE2\x80\xAF \xE2\x81\xA5", false));
  EXPECT_FALSE(HasForbiddenControl("caf\xC3\xA9", false));
}

TEST(Idempotency, KeyCarriesTheRoutePermissionAsItsGrant) {
  auto req = JsonRequest(R"({"amount":1})");
  req.headers.emplace_back("idempotency-key", "order-1");
  auto idem = IdempotencyOf(req);
  ASSERT_TRUE(idem);
  EXPECT_EQ(idem->key, "order-1");
  EXPECT_EQ(idem->grants, std::vector<std::string>{"payments:write"});
  EXPECT_FALSE(idem->request_hash.empty());
}

TEST(Idempotency, CardNumberInTheKeyIsRefused) {
  for (const char* key : {"4111111111111111", "x-4242-4242-4242-4242-y"}) {
    auto req = JsonRequest("{}");
    req.headers.emplace_back("idempotency-key", key);
    auto idem = IdempotencyOf(req);
    ASSERT_FALSE(idem) << key;
    EXPECT_EQ(idem.error().code, "pan_detected");
    EXPECT_EQ(idem.error().param, "Idempotency-Key");
  }
}

}  // namespace
}  // namespace lp::api
