#include "lp/routing/routing.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace lp::routing {
namespace {

Config Parse(std::string_view json) {
  auto c = ParseConfig(json);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : Config{};
}

std::vector<std::string> Ids(const Decision& d) {
  std::vector<std::string> out;
  for (const auto& c : d.candidates) out.push_back(c.connector_account);
  return out;
}

struct Payment {
  int64_t amount = 1000;
  std::string currency = "USD";
  std::string country;
  std::string pm = "tok_visa";
  bool manual = false;
  std::vector<std::pair<std::string, std::string>> metadata;
  PaymentFacts Facts() const {
    return {amount, currency, country, CardBrandOf(pm), manual, metadata};
  }
};

const std::vector<AccountView> kThree = {{"ca_a"}, {"ca_b"}, {"ca_c"}};

TEST(RoutingDecide, WithoutConfigurationEveryAcceptingAccountInCreationOrder) {
  std::vector<AccountView> accounts = {{"ca_a"}, {"ca_b", true, false}, {"ca_c", false}, {"ca_d"}};
  auto d = Decide(Config{}, Payment{}.Facts(), accounts, 0);
  EXPECT_EQ(Ids(d), (std::vector<std::string>{"ca_a", "ca_d"}));
  EXPECT_EQ(d.candidates[0].reason, "default_order");
  EXPECT_TRUE(d.rule.empty());
}

// One table: each row a payment and the first candidate the rules give it.
TEST(RoutingDecide, RuleConditionsTable) {
  const Config c = Parse(R"({"rules":[
    {"name":"big","conditions":{"amount":{"gte":100000}},"action":{"connector_account":"ca_a"}},
    {"name":"eur","conditions":{"currency":["eur","GBP"]},"action":{"connector_account":"ca_b"}},
    {"name":"de","conditions":{"customer_country":["de"]},"action":{"connector_account":"ca_c"}},
    {"name":"amex","conditions":{"card_brand":["amex"]},"action":{"connector_account":"ca_b"}},
    {"name":"manual","conditions":{"capture_method":"manual"},"action":{"connector_account":"ca_c"}},
    {"name":"vip","conditions":{"metadata":{"tier":"vip"}},"action":{"connector_account":"ca_a"}},
    {"name":"small","conditions":{"amount":{"lte":99}},"action":{"connector_account":"ca_b"}}
  ],"fallback":["ca_c"]})");
  struct Row {
    const char* name;
    Payment p;
    const char* first;
    const char* rule;
  };
  std::vector<Row> rows;
  rows.push_back({"amount at the lower bound", {.amount = 100000}, "ca_a", "big"});
  rows.push_back({"amount below", {.amount = 99999}, "ca_c", ""});
  rows.push_back({"currency in list", {.currency = "GBP"}, "ca_b", "eur"});
  rows.push_back({"country", {.country = "DE"}, "ca_c", "de"});
  rows.push_back({"no country never matches a country rule", {}, "ca_c", ""});
  rows.push_back({"sandbox amex token", {.pm = "tok_amex"}, "ca_b", "amex"});
  rows.push_back({"stripe amex test pm", {.pm = "pm_card_amex"}, "ca_b", "amex"});
  rows.push_back({"a pm id reveals no brand", {.pm = "pm_1NxAmex"}, "ca_c", ""});
  rows.push_back({"manual capture", {.manual = true}, "ca_c", "manual"});
  rows.push_back({"metadata equal", {.metadata = {{"tier", "vip"}}}, "ca_a", "vip"});
  rows.push_back({"metadata different", {.metadata = {{"tier", "gold"}}}, "ca_c", ""});
  rows.push_back({"amount at the upper bound", {.amount = 99}, "ca_b", "small"});
  rows.push_back(
      {"first matching rule wins", {.amount = 200000, .currency = "EUR"}, "ca_a", "big"});
  for (const auto& r : rows) {
    auto d = Decide(c, r.p.Facts(), kThree, 0);
    ASSERT_FALSE(d.candidates.empty()) << r.name;
    EXPECT_EQ(d.candidates[0].connector_account, r.first) << r.name;
    EXPECT_EQ(d.rule, r.rule) << r.name;
  }
}

TEST(RoutingDecide, PriorityThenFallbackEachAccountOnceWithReasons) {
  const Config c = Parse(R"({"rules":[{"name":"r","conditions":{},
      "action":{"priority":["ca_b","ca_a"]}}],"fallback":["ca_a","ca_c"]})");
  auto d = Decide(c, Payment{}.Facts(), kThree, 0);
  ASSERT_EQ(Ids(d), (std::vector<std::string>{"ca_b", "ca_a", "ca_c"}));
  EXPECT_EQ(d.candidates[0].reason, "rule:r:priority[0]");
  EXPECT_EQ(d.candidates[1].reason, "rule:r:priority[1]");
  EXPECT_EQ(d.candidates[2].reason, "fallback[1]");
}

TEST(RoutingDecide, AccountsThatCannotTakeThePaymentAreSkippedWithWhy) {
  std::vector<AccountView> accounts = {{"ca_a", false}, {"ca_b", true, false}, {"ca_c"}};
  const Config c = Parse(R"({"fallback":["ca_x","ca_a","ca_b","ca_c"]})");
  auto d = Decide(c, Payment{}.Facts(), accounts, 0);
  EXPECT_EQ(Ids(d), (std::vector<std::string>{"ca_c"}));
  ASSERT_EQ(d.skipped.size(), 3u);
  EXPECT_EQ(d.skipped[0].reason, "unknown_account");
  EXPECT_EQ(d.skipped[1].reason, "inactive");
  EXPECT_EQ(d.skipped[2].reason, "payment_method_not_accepted");
}

TEST(RoutingDecide, OpenBreakersGoLastButAreStillTriedWhenNothingElseIsLeft) {
  std::vector<AccountView> accounts = {{"ca_a", true, true, true}, {"ca_b"}};
  auto d = Decide(Config{}, Payment{}.Facts(), accounts, 0);
  ASSERT_EQ(Ids(d), (std::vector<std::string>{"ca_b", "ca_a"}));
  EXPECT_EQ(d.candidates[1].reason, "default_order;circuit_open");
  std::vector<AccountView> only = {{"ca_a", true, true, true}};
  EXPECT_EQ(Ids(Decide(Config{}, Payment{}.Facts(), only, 0)), (std::vector<std::string>{"ca_a"}));
}

TEST(RoutingDecide, VolumeSplitIsDeterministicPerDrawAndWithinTwoPercentOverTenThousand) {
  const Config c = Parse(R"({"rules":[{"name":"s","action":{"split":[
      {"connector_account":"ca_a","weight":70},{"connector_account":"ca_b","weight":30}]}}],
      "fallback":["ca_c"]})");
  EXPECT_EQ(Ids(Decide(c, Payment{}.Facts(), kThree, 69)),
            (std::vector<std::string>{"ca_a", "ca_b", "ca_c"}));
  EXPECT_EQ(Ids(Decide(c, Payment{}.Facts(), kThree, 70)),
            (std::vector<std::string>{"ca_b", "ca_a", "ca_c"}));
  // A seeded generator as production's uniform draw: 10,000 routings.
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {  // splitmix64
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  std::map<std::string, int> first;
  for (int i = 0; i < 10000; ++i)
    ++first[Decide(c, Payment{}.Facts(), kThree, next()).candidates[0].connector_account];
  EXPECT_NEAR(first["ca_a"], 7000, 200);
  EXPECT_NEAR(first["ca_b"], 3000, 200);
  EXPECT_EQ(first.count("ca_c"), 0u);
}

// max_attempts cuts the candidate list (open-breaker accounts count too); what was cut is kept
// in beyond_max_attempts, in order, for simulate.
TEST(RoutingDecide, MaxAttemptsCutsTheCandidateList) {
  const std::vector<AccountView> six = {
      {"ca_a"}, {"ca_b"}, {"ca_c"}, {"ca_d"}, {"ca_e", true, true, true}, {"ca_f"}};
  // Default (absent): 3.
  auto d = Decide(Parse(R"({"rules":[]})"), Payment{}.Facts(), six, 0);
  EXPECT_EQ(Ids(d), (std::vector<std::string>{"ca_a", "ca_b", "ca_c"}));
  ASSERT_EQ(d.beyond_max_attempts.size(), 3u);
  EXPECT_EQ(d.beyond_max_attempts[0].connector_account, "ca_d");
  EXPECT_EQ(d.beyond_max_attempts[1].connector_account, "ca_f");
  EXPECT_EQ(d.beyond_max_attempts[2].reason, "default_order;circuit_open");
  EXPECT_EQ(Ids(Decide(Config{}, Payment{}.Facts(), six, 0)).size(), 3u);
  // 1: only the rule's account, no cascade target.
  const Config one = Parse(R"({"rules":[{"name":"r","action":{"priority":["ca_b","ca_a"]}}],
      "fallback":["ca_c"],"max_attempts":1})");
  d = Decide(one, Payment{}.Facts(), six, 0);
  EXPECT_EQ(Ids(d), (std::vector<std::string>{"ca_b"}));
  EXPECT_EQ(d.rule, "r");
  ASSERT_EQ(d.beyond_max_attempts.size(), 2u);
  EXPECT_EQ(d.beyond_max_attempts[0].reason, "rule:r:priority[1]");
  EXPECT_EQ(d.beyond_max_attempts[1].reason, "fallback[0]");
  // 5: every closed account first, the open one last, within the cap.
  d = Decide(Parse(R"({"max_attempts":5})"), Payment{}.Facts(), six, 0);
  EXPECT_EQ(Ids(d), (std::vector<std::string>{"ca_a", "ca_b", "ca_c", "ca_d", "ca_f"}));
  EXPECT_EQ(d.beyond_max_attempts.size(), 1u);
  // Fewer candidates than the cap: nothing cut.
  d = Decide(Parse(R"({"max_attempts":5})"), Payment{}.Facts(), kThree, 0);
  EXPECT_EQ(Ids(d).size(), 3u);
  EXPECT_TRUE(d.beyond_max_attempts.empty());
}

TEST(RoutingConfig, MaxAttemptsIsAnIntegerFromOneToFive) {
  EXPECT_EQ(Parse("{}").max_attempts, kDefaultMaxAttempts);
  EXPECT_EQ(kDefaultMaxAttempts, 3);
  EXPECT_EQ(Parse(R"({"max_attempts":1})").max_attempts, 1);
  EXPECT_EQ(Parse(R"({"max_attempts":5})").max_attempts, 5);
  for (const char* bad :
       {R"({"max_attempts":0})", R"({"max_attempts":6})", R"({"max_attempts":-1})",
        R"({"max_attempts":2.5})", R"({"max_attempts":"2"})", R"({"max_attempts":null})",
        R"({"max_attempts":true})", R"({"max_attempts":18446744073709551615})"}) {
    auto c = ParseConfig(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().param, "max_attempts") << bad;
    EXPECT_EQ(c.error().code, "parameter_invalid") << bad;
  }
  // Rendered always (canonical form), and round-trips.
  const std::string text = RenderConfig(Parse(R"({"fallback":["ca_a"],"max_attempts":2})"));
  EXPECT_NE(text.find(R"("max_attempts":2)"), std::string::npos) << text;
  EXPECT_EQ(ParseConfig(text)->max_attempts, 2);
  EXPECT_NE(RenderConfig(Config{}).find(R"("max_attempts":3)"), std::string::npos);
}

// Invalid configurations are refused with the offending path as `param`.
TEST(RoutingConfig, InvalidConfigurationsNameTheOffendingPath) {
  struct Row {
    const char* json;
    const char* param;
  };
  const Row rows[] = {
      {R"({"rules":[{"name":"r","conditions":{"currency":["usd","xx1"]},"action":{"connector_account":"ca_a"}}]})",
       "rules[0].conditions.currency[1]"},
      {R"({"rules":[{"name":"r","conditions":{"currency":"usd"},"action":{"connector_account":"ca_a"}}]})",
       "rules[0].conditions.currency"},
      {R"({"rules":[{"name":"r","action":{"connector_account":"ca_a"}},{"name":"s","conditions":{"amount":{"gte":5,"lte":4}},"action":{"connector_account":"ca_a"}}]})",
       "rules[1].conditions.amount"},
      {R"({"rules":[{"name":"r","conditions":{"color":["red"]},"action":{"connector_account":"ca_a"}}]})",
       "rules[0].conditions.color"},
      {R"({"rules":[{"name":"r","conditions":{"customer_country":["DEU"]},"action":{"connector_account":"ca_a"}}]})",
       "rules[0].conditions.customer_country[0]"},
      {R"({"rules":[{"name":"r","conditions":{"card_brand":["maestro"]},"action":{"connector_account":"ca_a"}}]})",
       "rules[0].conditions.card_brand[0]"},
      {R"({"rules":[{"name":"r","conditions":{"capture_method":"later"},"action":{"connector_account":"ca_a"}}]})",
       "rules[0].conditions.capture_method"},
      {R"({"rules":[{"name":"r","action":{"split":[{"connector_account":"ca_a","weight":0}]}}]})",
       "rules[0].action.split[0].weight"},
      {R"({"rules":[{"name":"r","action":{"priority":["ca_a","ca_a"]}}]})",
       "rules[0].action.priority[1]"},
      {R"({"rules":[{"name":"r","action":{"priority":[],"split":[]}}]})", "rules[0].action"},
      {R"({"rules":[{"name":"r"}]})", "rules[0].action"},
      {R"({"rules":[{"name":"","action":{"connector_account":"ca_a"}}]})", "rules[0].name"},
      {R"({"rules":[{"name":"r","action":{"connector_account":"ca_a"}},{"name":"r","action":{"connector_account":"ca_b"}}]})",
       "rules[1].name"},
      {R"({"fallback":["ca_a","pm_x"]})", "fallback[1]"},
      {R"({"fallback":["ca_a"],"default":["ca_b"]})", "default"},
  };
  for (const auto& r : rows) {
    auto c = ParseConfig(r.json);
    ASSERT_FALSE(c) << r.json;
    EXPECT_EQ(c.error().param, r.param) << r.json << " -> " << c.error().message;
  }
  std::string many = R"({"rules":[)";
  for (size_t i = 0; i <= kMaxRules; ++i) {
    many += (i ? "," : "") + std::string(R"({"name":"r)") + std::to_string(i) +
            R"(","action":{"connector_account":"ca_a"}})";
  }
  many += "]}";
  auto c = ParseConfig(many);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().param, "rules");
}

TEST(RoutingConfig, RenderRoundTripsAndNormalisesCase) {
  const Config c = Parse(R"({"rules":[{"name":"eu","conditions":{"currency":["eur"],
      "customer_country":["de","fr"],"card_brand":["VISA"],"amount":{"lte":5000},
      "capture_method":"manual","metadata":{"k":"v"}},"action":{"split":[
      {"connector_account":"ca_a","weight":3},{"connector_account":"ca_b","weight":1}]}}],
      "fallback":["ca_c"]})");
  const std::string text = RenderConfig(c);
  EXPECT_NE(text.find(R"("currency":["EUR"])"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("card_brand":["visa"])"), std::string::npos) << text;
  auto again = ParseConfig(text);
  ASSERT_TRUE(again);
  EXPECT_EQ(RenderConfig(*again), text);
  EXPECT_EQ(ReferencedAccounts(c), (std::vector<std::string>{"ca_a", "ca_b", "ca_c"}));
}

TEST(RoutingCardBrand, TokensThatRevealABrand) {
  EXPECT_EQ(CardBrandOf("tok_visa"), "visa");
  EXPECT_EQ(CardBrandOf("tok_mastercard"), "mastercard");
  EXPECT_EQ(CardBrandOf("pm_card_visa_debit"), "visa");
  EXPECT_EQ(CardBrandOf("pm_card_mastercard_prepaid"), "mastercard");
  EXPECT_EQ(CardBrandOf("pm_card_unionpay"), "unionpay");
  EXPECT_EQ(CardBrandOf("tok_visanet"), "");
  EXPECT_EQ(CardBrandOf("tok_decline_stolen"), "");
  EXPECT_EQ(CardBrandOf("pm_1OaBcD"), "");
  EXPECT_EQ(CardBrandOf(R"({"type":"scheme"})"), "");
}

}  // namespace
}  // namespace lp::routing
