// Routing (PRODUCT.md §2, issue 19): which connector accounts a payment goes to, in which order,
// and why. The decision is a pure function of (configuration, payment facts, accounts with their
// circuit-breaker states, one random draw): no I/O, no clock, no store — so it is table-tested
// and the same input always gives the same candidates (the draw makes volume splits
// deterministic in tests; production passes a uniform random number).
//
// Owns: the routing configuration's shape and validation, rule evaluation, card-brand detection
// from a payment-method token. Must not touch: the store, HTTP, connectors' I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/common/result.hpp"

namespace boost::json {
class object;
}

namespace lp::routing {

// Limits of one configuration (validated on write; the decision benchmark runs at kMaxRules).
inline constexpr size_t kMaxRules = 100;
inline constexpr size_t kMaxListItems = 50;  // currencies, countries, brands, accounts, metadata
inline constexpr size_t kMaxNameChars = 100;
inline constexpr int kMaxWeight = 10000;
// Authorization attempts per payment confirmation (the first and the cascaded ones): the
// configuration's `max_attempts`, 1 to kMaxAttemptsCap, default kDefaultMaxAttempts. The cap:
// every attempt is one more PSP round trip (up to the PSP timeout) inside the client's confirm
// request, and one more authorization of the same card at another acquirer; card schemes treat
// repeated re-attempts of one transaction as retry abuse (and issuers' fraud models as card
// testing), and five accounts already cover a merchant's realistic acquirer set.
inline constexpr int kDefaultMaxAttempts = 3;
inline constexpr int kMaxAttemptsCap = 5;

struct AmountRange {
  std::optional<int64_t> gte;  // minor units, inclusive
  std::optional<int64_t> lte;
};

// Every present condition must hold; no condition matches every payment.
struct Conditions {
  std::optional<AmountRange> amount;
  std::vector<std::string> currency;                          // ISO 4217, upper case
  std::vector<std::string> customer_country;                  // ISO 3166-1 alpha-2, upper case
  std::vector<std::string> card_brand;                        // see kCardBrands
  std::optional<std::string> capture_method;                  // automatic | manual
  std::vector<std::pair<std::string, std::string>> metadata;  // all must be equal
};

struct SplitEntry {
  std::string connector_account;
  int weight = 0;  // 1..kMaxWeight
};

struct Action {
  enum class Kind { kConnectorAccount, kPriority, kSplit };
  Kind kind = Kind::kConnectorAccount;
  std::vector<std::string> accounts;  // kConnectorAccount: one; kPriority: in order
  std::vector<SplitEntry> split;      // kSplit
};

struct Rule {
  std::string name;
  Conditions conditions;
  Action action;
};

struct Config {
  std::vector<Rule> rules;
  std::vector<std::string> fallback;
  int max_attempts = kDefaultMaxAttempts;  // candidates Decide returns at most (1..5)
  bool empty() const { return rules.empty() && fallback.empty(); }
};

// Card brands a payment method can reveal.
inline constexpr std::string_view kCardBrands[] = {"visa", "mastercard", "amex",  "discover",
                                                   "jcb",  "unionpay",   "diners"};

// Parses and validates `{"rules":[…], "fallback":[…], "max_attempts": n}` (each optional;
// max_attempts an integer 1..kMaxAttemptsCap, absent = kDefaultMaxAttempts). Errors are
// Error::Invalid whose `param` is the offending path (`rules[0].conditions.currency`,
// `fallback[2]`); unknown keys are refused by name. Linear in the input.
Result<Config> ParseConfig(std::string_view json);
// The same on a parsed request body (the API's strict parser has already run its checks).
Result<Config> ParseConfig(const boost::json::object& body);
// The canonical JSON of a configuration (the shape ParseConfig takes; stable key order).
std::string RenderConfig(const Config& config);
// Every account a configuration names (rules and fallback), each once, in first-seen order.
std::vector<std::string> ReferencedAccounts(const Config& config);

// The brand a payment-method token reveals: sandbox tokens (`tok_visa`, `tok_mastercard`,
// `tok_amex`, …) and Stripe test PaymentMethods (`pm_card_visa`, `pm_card_mastercard`,
// `pm_card_amex`, …); empty when it does not (a `pm_1Nx…` id, Adyen encrypted fields).
std::string_view CardBrandOf(std::string_view payment_method);

// What routing knows of the payment.
struct PaymentFacts {
  int64_t amount = 0;
  std::string_view currency;          // upper case
  std::string_view customer_country;  // upper case, may be empty
  std::string_view card_brand;        // CardBrandOf(payment_method), may be empty
  bool manual_capture = false;
  std::span<const std::pair<std::string, std::string>> metadata;
};

// One of the merchant's connector accounts in the payment's mode, in creation order.
struct AccountView {
  std::string_view id;
  bool active = true;         // not disabled or deleted
  bool accepts = true;        // its connector takes the payment method
  bool circuit_open = false;  // its breaker is open (skipped unless nothing else is left)
};

struct Candidate {
  std::string connector_account;
  // Why it is here: "rule:<name>" (connector_account action), "rule:<name>:priority[1]",
  // "rule:<name>:split" (the draw's pick) / "rule:<name>:split_rest", "fallback[0]",
  // "default_order"; ";circuit_open" is appended to an account whose breaker is open, tried
  // only after every closed one.
  std::string reason;
};

struct Decision {
  // In the order to try, at most config.max_attempts; empty = no account can take it.
  std::vector<Candidate> candidates;
  // Candidates that were left out because max_attempts was reached (in order, for `simulate`).
  std::vector<Candidate> beyond_max_attempts;
  std::string rule;  // the name of the rule that matched, empty if none
  // Accounts the configuration named that cannot take this payment (inactive, another
  // connector's payment method, unknown): with their reason, for `simulate`.
  std::vector<Candidate> skipped;
};

// The ordered candidates for a payment. The first rule whose conditions hold gives the first
// candidates; then the fallback list; with an empty fallback, the remaining accounts in creation
// order (routing without rules is `default_order`). Each account appears once; accounts that are
// inactive or do not accept the payment method are skipped; accounts whose breaker is open go
// last. `draw` picks in a volume split (weight-proportional on draw % total weight). The list is
// cut to config.max_attempts (open-breaker accounts included in the count).
Decision Decide(const Config& config, const PaymentFacts& payment,
                std::span<const AccountView> accounts, uint64_t draw);

}  // namespace lp::routing
