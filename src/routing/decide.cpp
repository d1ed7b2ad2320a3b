// The routing decision: pure, linear in (rules × conditions + accounts).
#include <algorithm>
#include <iterator>
#include <string>

#include "lp/routing/routing.hpp"

namespace lp::routing {

std::string_view CardBrandOf(std::string_view pm) {
  std::string_view rest;
  if (pm.substr(0, 4) == "tok_") {
    rest = pm.substr(4);
  } else if (pm.substr(0, 8) == "pm_card_") {
    rest = pm.substr(8);
  } else {
    return {};
  }
  // Stripe's test PaymentMethods: pm_card_visa, pm_card_visa_debit, pm_card_mastercard_prepaid,
  // pm_card_amex, pm_card_discover, pm_card_diners, pm_card_jcb, pm_card_unionpay; the sandbox's
  // tok_visa, tok_mastercard, tok_amex.
  struct Alias {
    std::string_view prefix, brand;
  };
  static constexpr Alias kAliases[] = {
      {"visa", "visa"},         {"mastercard", "mastercard"}, {"amex", "amex"},
      {"discover", "discover"}, {"diners", "diners"},         {"jcb", "jcb"},
      {"unionpay", "unionpay"},
  };
  for (const auto& a : kAliases) {
    if (rest.substr(0, a.prefix.size()) == a.prefix &&
        (rest.size() == a.prefix.size() || rest[a.prefix.size()] == '_')) {
      return a.brand;
    }
  }
  return {};
}

namespace {

template <class List>
bool In(const List& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool Matches(const Conditions& c, const PaymentFacts& p) {
  if (c.amount) {
    if (c.amount->gte && p.amount < *c.amount->gte) return false;
    if (c.amount->lte && p.amount > *c.amount->lte) return false;
  }
  if (!c.currency.empty() && !In(c.currency, p.currency)) return false;
  if (!c.customer_country.empty() &&
      (p.customer_country.empty() || !In(c.customer_country, p.customer_country))) {
    return false;
  }
  if (!c.card_brand.empty() && (p.card_brand.empty() || !In(c.card_brand, p.card_brand))) {
    return false;
  }
  if (c.capture_method && (*c.capture_method == "manual") != p.manual_capture) return false;
  for (const auto& [k, v] : c.metadata) {
    bool found = false;
    for (const auto& [mk, mv] : p.metadata) {
      if (mk == k) {
        found = mv == v;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

class Builder {
 public:
  Builder(std::span<const AccountView> accounts, Decision& out) : accounts_(accounts), out_(out) {}

  // Adds `id` with `reason` unless it is already there or cannot take the payment.
  void Add(std::string_view id, std::string reason) {
    for (const auto& c : out_.candidates) {
      if (c.connector_account == id) return;
    }
    for (const auto& c : open_) {
      if (c.connector_account == id) return;
    }
    const AccountView* a = nullptr;
    for (const auto& x : accounts_) {
      if (x.id == id) {
        a = &x;
        break;
      }
    }
    if (a == nullptr) {
      Skip(id, "unknown_account");
    } else if (!a->active) {
      Skip(id, "inactive");
    } else if (!a->accepts) {
      Skip(id, "payment_method_not_accepted");
    } else if (a->circuit_open) {
      open_.push_back({std::string(id), std::move(reason) + ";circuit_open"});
    } else {
      out_.candidates.push_back({std::string(id), std::move(reason)});
    }
  }
  // Accounts whose breaker is open come after every other candidate.
  void Finish() {
    for (auto& c : open_) out_.candidates.push_back(std::move(c));
  }

 private:
  void Skip(std::string_view id, std::string_view why) {
    for (const auto& s : out_.skipped) {
      if (s.connector_account == id) return;
    }
    out_.skipped.push_back({std::string(id), std::string(why)});
  }
  std::span<const AccountView> accounts_;
  Decision& out_;
  std::vector<Candidate> open_;
};

}  // namespace

Decision Decide(const Config& config, const PaymentFacts& payment,
                std::span<const AccountView> accounts, uint64_t draw) {
  Decision d;
  Builder b(accounts, d);
  for (const auto& rule : config.rules) {
    if (!Matches(rule.conditions, payment)) continue;
    d.rule = rule.name;
    const std::string base = "rule:" + rule.name;
    switch (rule.action.kind) {
      case Action::Kind::kConnectorAccount:
        b.Add(rule.action.accounts.at(0), base);
        break;
      case Action::Kind::kPriority:
        for (size_t i = 0; i < rule.action.accounts.size(); ++i) {
          b.Add(rule.action.accounts[i], base + ":priority[" + std::to_string(i) + "]");
        }
        break;
      case Action::Kind::kSplit: {
        uint64_t total = 0;
        for (const auto& e : rule.action.split) total += static_cast<uint64_t>(e.weight);
        uint64_t pick = draw % total;
        size_t chosen = 0;
        for (size_t i = 0; i < rule.action.split.size(); ++i) {
          const auto w = static_cast<uint64_t>(rule.action.split[i].weight);
          if (pick < w) {
            chosen = i;
            break;
          }
          pick -= w;
        }
        b.Add(rule.action.split[chosen].connector_account, base + ":split");
        // The others, heaviest first (stable: configuration order among equals), for cascading.
        std::vector<size_t> rest;
        for (size_t i = 0; i < rule.action.split.size(); ++i) {
          if (i != chosen) rest.push_back(i);
        }
        std::stable_sort(rest.begin(), rest.end(), [&](size_t x, size_t y) {
          return rule.action.split[x].weight > rule.action.split[y].weight;
        });
        for (size_t i : rest) b.Add(rule.action.split[i].connector_account, base + ":split_rest");
        break;
      }
    }
    break;  // the first matching rule decides
  }
  for (size_t i = 0; i < config.fallback.size(); ++i) {
    b.Add(config.fallback[i], "fallback[" + std::to_string(i) + "]");
  }
  if (config.fallback.empty()) {
    for (const auto& a : accounts) {
      if (a.active && a.accepts) b.Add(a.id, "default_order");
    }
  }
  b.Finish();
  const auto cap = static_cast<size_t>(std::max(config.max_attempts, 1));
  if (d.candidates.size() > cap) {
    d.beyond_max_attempts.assign(std::make_move_iterator(d.candidates.begin() + cap),
                                 std::make_move_iterator(d.candidates.end()));
    d.candidates.resize(cap);
  }
  return d;
}

}  // namespace lp::routing
