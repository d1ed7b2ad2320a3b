// Routing configuration: parse and validate (errors name the offending path), render.
#include <algorithm>
#include <boost/json.hpp>
#include <string>

#include "lp/common/money.hpp"
#include "lp/routing/routing.hpp"

namespace lp::routing {
namespace json = boost::json;

namespace {

Error Bad(std::string path, std::string message) {
  return Error::Invalid("parameter_invalid", std::move(message), std::move(path));
}

bool HasControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

size_t Chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsAccountId(std::string_view s) {
  if (s.size() < 4 || s.size() > 64 || s.substr(0, 3) != "ca_") return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  });
}

// Refuses keys other than `allowed`, naming the first unknown one.
Result<void> OnlyKeys(const json::object& o, std::string_view path,
                      std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : o) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(kv.key())) == allowed.end()) {
      std::string p =
          path.empty() ? std::string(kv.key()) : std::string(path) + "." + std::string(kv.key());
      return Error::Invalid("parameter_unknown", "Received unknown parameter: " + p, p);
    }
  }
  return {};
}

Result<std::string> AccountAt(const json::value& v, const std::string& path) {
  if (!v.is_string() || !IsAccountId(v.as_string())) {
    return Bad(path, path + " must be a connector account id (ca_…).");
  }
  return std::string(v.as_string());
}

Result<std::vector<std::string>> AccountList(const json::value& v, const std::string& path,
                                             bool allow_empty) {
  if (!v.is_array()) return Bad(path, path + " must be an array of connector account ids.");
  const auto& a = v.as_array();
  if (a.size() > kMaxListItems) {
    return Bad(path, path + " may hold at most " + std::to_string(kMaxListItems) + " accounts.");
  }
  if (a.empty() && !allow_empty) return Bad(path, path + " must name at least one account.");
  std::vector<std::string> out;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    auto id = AccountAt(a[i], p);
    if (!id) return id.error();
    if (std::find(out.begin(), out.end(), *id) != out.end()) {
      return Bad(p, p + " names " + *id + " a second time.");
    }
    out.push_back(std::move(*id));
  }
  return out;
}

// A list of codes: strings, normalised to upper (or lower) case, each passing `valid`.
template <class Valid>
Result<std::vector<std::string>> CodeList(const json::value& v, const std::string& path, bool upper,
                                          Valid valid, std::string_view what) {
  if (!v.is_array()) return Bad(path, path + " must be an array of " + std::string(what) + ".");
  const auto& a = v.as_array();
  if (a.empty() || a.size() > kMaxListItems) {
    return Bad(path, path + " must hold 1 to " + std::to_string(kMaxListItems) + " values.");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!a[i].is_string()) return Bad(p, p + " must be a string.");
    std::string s(a[i].as_string());
    for (auto& c : s) {
      c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                  : std::tolower(static_cast<unsigned char>(c)));
    }
    if (!valid(s)) return Bad(p, p + " is not a valid " + std::string(what) + ".");
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  return out;
}

Result<int64_t> AmountAt(const json::value& v, const std::string& path) {
  if (v.is_int64() && v.as_int64() >= 0 && v.as_int64() <= kMaxAmount) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(kMaxAmount)) {
    return static_cast<int64_t>(v.as_uint64());
  }
  return Bad(path, path + " must be an integer amount in minor units, 0 to 2^53-1.");
}

Result<Conditions> ParseConditions(const json::value& v, const std::string& path) {
  if (!v.is_object()) return Bad(path, path + " must be an object.");
  const auto& o = v.as_object();
  if (auto k = OnlyKeys(
          o, path,
          {"amount", "currency", "customer_country", "card_brand", "capture_method", "metadata"});
      !k) {
    return k.error();
  }
  Conditions c;
  if (const auto* a = o.if_contains("amount")) {
    const std::string p = path + ".amount";
    if (!a->is_object()) return Bad(p, p + " must be an object {gte, lte}.");
    if (auto k = OnlyKeys(a->as_object(), p, {"gte", "lte"}); !k) return k.error();
    AmountRange r;
    if (const auto* g = a->as_object().if_contains("gte")) {
      auto x = AmountAt(*g, p + ".gte");
      if (!x) return x.error();
      r.gte = *x;
    }
    if (const auto* l = a->as_object().if_contains("lte")) {
      auto x = AmountAt(*l, p + ".lte");
      if (!x) return x.error();
      r.lte = *x;
    }
    if (!r.gte && !r.lte) return Bad(p, p + " needs gte, lte or both.");
    if (r.gte && r.lte && *r.gte > *r.lte) return Bad(p, p + ".gte is greater than lte.");
    c.amount = r;
  }
  if (const auto* x = o.if_contains("currency")) {
    auto l = CodeList(
        *x, path + ".currency", true,
        [](const std::string& s) { return LookupCurrency(s).has_value(); },
        "ISO 4217 currency code");
    if (!l) return l.error();
    c.currency = std::move(*l);
  }
  if (const auto* x = o.if_contains("customer_country")) {
    auto l = CodeList(
        *x, path + ".customer_country", true,
        [](const std::string& s) {
          return s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
                 std::isupper(static_cast<unsigned char>(s[1]));
        },
        "ISO 3166-1 alpha-2 country code");
    if (!l) return l.error();
    c.customer_country = std::move(*l);
  }
  if (const auto* x = o.if_contains("card_brand")) {
    auto l = CodeList(
        *x, path + ".card_brand", false,
        [](const std::string& s) {
          return std::find(std::begin(kCardBrands), std::end(kCardBrands), s) !=
                 std::end(kCardBrands);
        },
        "card brand (visa, mastercard, amex, discover, jcb, unionpay, diners)");
    if (!l) return l.error();
    c.card_brand = std::move(*l);
  }
  if (const auto* x = o.if_contains("capture_method")) {
    const std::string p = path + ".capture_method";
    if (!x->is_string() || (x->as_string() != "automatic" && x->as_string() != "manual")) {
      return Bad(p, p + " must be automatic or manual.");
    }
    c.capture_method = std::string(x->as_string());
  }
  if (const auto* x = o.if_contains("metadata")) {
    const std::string p = path + ".metadata";
    if (!x->is_object() || x->as_object().empty() || x->as_object().size() > kMaxListItems) {
      return Bad(
          p, p + " must be an object of 1 to " + std::to_string(kMaxListItems) + " string values.");
    }
    for (const auto& kv : x->as_object()) {
      const std::string kp = p + "." + std::string(kv.key());
      if (kv.key().empty() || Chars(kv.key()) > 40 || HasControl(kv.key())) {
        return Bad(p, p + " keys are 1 to 40 characters without control characters.");
      }
      if (!kv.value().is_string() || Chars(kv.value().as_string()) > 500 ||
          HasControl(kv.value().as_string())) {
        return Bad(kp,
                   kp + " must be a string of at most 500 characters without control characters.");
      }
      c.metadata.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    }
  }
  return c;
}

Result<Action> ParseAction(const json::value& v, const std::string& path) {
  if (!v.is_object() || v.as_object().size() != 1) {
    return Bad(path, path +
                         " must be an object with exactly one of connector_account, priority, "
                         "split.");
  }
  const auto& o = v.as_object();
  if (auto k = OnlyKeys(o, path, {"connector_account", "priority", "split"}); !k) return k.error();
  Action a;
  if (const auto* x = o.if_contains("connector_account")) {
    auto id = AccountAt(*x, path + ".connector_account");
    if (!id) return id.error();
    a.kind = Action::Kind::kConnectorAccount;
    a.accounts.push_back(std::move(*id));
  } else if (const auto* x = o.if_contains("priority")) {
    auto l = AccountList(*x, path + ".priority", false);
    if (!l) return l.error();
    a.kind = Action::Kind::kPriority;
    a.accounts = std::move(*l);
  } else {
    const auto& s = o.at("split");
    const std::string p = path + ".split";
    if (!s.is_array() || s.as_array().empty() || s.as_array().size() > kMaxListItems) {
      return Bad(p, p + " must be an array of 1 to " + std::to_string(kMaxListItems) +
                        " {connector_account, weight}.");
    }
    a.kind = Action::Kind::kSplit;
    for (size_t i = 0; i < s.as_array().size(); ++i) {
      const std::string ep = p + "[" + std::to_string(i) + "]";
      const auto& e = s.as_array()[i];
      if (!e.is_object()) return Bad(ep, ep + " must be an object {connector_account, weight}.");
      if (auto k = OnlyKeys(e.as_object(), ep, {"connector_account", "weight"}); !k)
        return k.error();
      const auto* id_v = e.as_object().if_contains("connector_account");
      if (!id_v)
        return Error::Invalid("parameter_missing", ep + ".connector_account is required.",
                              ep + ".connector_account");
      auto id = AccountAt(*id_v, ep + ".connector_account");
      if (!id) return id.error();
      for (const auto& prev : a.split) {
        if (prev.connector_account == *id) {
          return Bad(ep + ".connector_account",
                     ep + ".connector_account names " + *id + " a second time.");
        }
      }
      const auto* w = e.as_object().if_contains("weight");
      if (!w || !w->is_int64() || w->as_int64() < 1 || w->as_int64() > kMaxWeight) {
        return Bad(ep + ".weight",
                   ep + ".weight must be an integer from 1 to " + std::to_string(kMaxWeight) + ".");
      }
      a.split.push_back({std::move(*id), static_cast<int>(w->as_int64())});
    }
  }
  return a;
}

}  // namespace

Result<Config> ParseConfig(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Error::Invalid("invalid_json", "The routing configuration is not valid JSON.");
  if (!v.is_object()) return Bad("", "The routing configuration must be a JSON object.");
  return ParseConfig(v.as_object());
}

Result<Config> ParseConfig(const json::object& o) {
  if (auto k = OnlyKeys(o, "", {"rules", "fallback", "max_attempts"}); !k) return k.error();
  Config c;
  if (const auto* m = o.if_contains("max_attempts")) {
    if (!m->is_int64() || m->as_int64() < 1 || m->as_int64() > kMaxAttemptsCap) {
      return Bad("max_attempts", "max_attempts must be an integer from 1 to " +
                                     std::to_string(kMaxAttemptsCap) + ".");
    }
    c.max_attempts = static_cast<int>(m->as_int64());
  }
  if (const auto* r = o.if_contains("rules")) {
    if (!r->is_array()) return Bad("rules", "rules must be an array.");
    if (r->as_array().size() > kMaxRules) {
      return Bad("rules", "rules may hold at most " + std::to_string(kMaxRules) + " rules.");
    }
    for (size_t i = 0; i < r->as_array().size(); ++i) {
      const std::string p = "rules[" + std::to_string(i) + "]";
      const auto& rv = r->as_array()[i];
      if (!rv.is_object()) return Bad(p, p + " must be an object {name, conditions, action}.");
      if (auto k = OnlyKeys(rv.as_object(), p, {"name", "conditions", "action"}); !k) {
        return k.error();
      }
      Rule rule;
      const auto* name = rv.as_object().if_contains("name");
      if (!name || !name->is_string() || name->as_string().empty() ||
          Chars(name->as_string()) > kMaxNameChars || HasControl(name->as_string())) {
        return Bad(p + ".name", p + ".name must be a string of 1 to " +
                                    std::to_string(kMaxNameChars) +
                                    " characters without control characters.");
      }
      rule.name = std::string(name->as_string());
      for (const auto& prev : c.rules) {
        if (prev.name == rule.name)
          return Bad(p + ".name", p + ".name repeats another rule's name.");
      }
      if (const auto* cond = rv.as_object().if_contains("conditions")) {
        auto parsed = ParseConditions(*cond, p + ".conditions");
        if (!parsed) return parsed.error();
        rule.conditions = std::move(*parsed);
      }
      const auto* action = rv.as_object().if_contains("action");
      if (!action) {
        return Error::Invalid("parameter_missing", p + ".action is required.", p + ".action");
      }
      auto parsed = ParseAction(*action, p + ".action");
      if (!parsed) return parsed.error();
      rule.action = std::move(*parsed);
      c.rules.push_back(std::move(rule));
    }
  }
  if (const auto* f = o.if_contains("fallback")) {
    auto l = AccountList(*f, "fallback", true);
    if (!l) return l.error();
    c.fallback = std::move(*l);
  }
  return c;
}

std::string RenderConfig(const Config& c) {
  json::array rules;
  for (const auto& r : c.rules) {
    json::object cond;
    if (r.conditions.amount) {
      json::object a;
      if (r.conditions.amount->gte) a["gte"] = *r.conditions.amount->gte;
      if (r.conditions.amount->lte) a["lte"] = *r.conditions.amount->lte;
      cond["amount"] = std::move(a);
    }
    auto list = [](const std::vector<std::string>& l) {
      json::array a;
      for (const auto& s : l) a.emplace_back(s);
      return a;
    };
    if (!r.conditions.currency.empty()) cond["currency"] = list(r.conditions.currency);
    if (!r.conditions.customer_country.empty()) {
      cond["customer_country"] = list(r.conditions.customer_country);
    }
    if (!r.conditions.card_brand.empty()) cond["card_brand"] = list(r.conditions.card_brand);
    if (r.conditions.capture_method) cond["capture_method"] = *r.conditions.capture_method;
    if (!r.conditions.metadata.empty()) {
      json::object m;
      for (const auto& [k, v] : r.conditions.metadata) m[k] = v;
      cond["metadata"] = std::move(m);
    }
    json::object action;
    switch (r.action.kind) {
      case Action::Kind::kConnectorAccount:
        action["connector_account"] = r.action.accounts.at(0);
        break;
      case Action::Kind::kPriority:
        action["priority"] = list(r.action.accounts);
        break;
      case Action::Kind::kSplit: {
        json::array s;
        for (const auto& e : r.action.split) {
          s.push_back(
              json::object{{"connector_account", e.connector_account}, {"weight", e.weight}});
        }
        action["split"] = std::move(s);
        break;
      }
    }
    rules.push_back(json::object{
        {"name", r.name}, {"conditions", std::move(cond)}, {"action", std::move(action)}});
  }
  json::array fallback;
  for (const auto& f : c.fallback) fallback.emplace_back(f);
  return json::serialize(json::object{{"rules", std::move(rules)},
                                      {"fallback", std::move(fallback)},
                                      {"max_attempts", c.max_attempts}});
}

std::vector<std::string> ReferencedAccounts(const Config& c) {
  std::vector<std::string> out;
  auto add = [&](const std::string& id) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  for (const auto& r : c.rules) {
    for (const auto& a : r.action.accounts) add(a);
    for (const auto& e : r.action.split) add(e.connector_account);
  }
  for (const auto& f : c.fallback) add(f);
  return out;
}

}  // namespace lp::routing
