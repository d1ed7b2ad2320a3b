#include "internal.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "lp/crypto/hash.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"

namespace lp::people::internal {

std::string Base64Url(std::string_view bytes) {
  std::string s = crypto::Base64(bytes);
  for (char& c : s) {
    if (c == '+') {
      c = '-';
    } else if (c == '/') {
      c = '_';
    }
  }
  while (!s.empty() && s.back() == '=') {
    s.pop_back();
  }
  return s;
}

std::string NewToken(Random& random) {
  std::string raw(32, '\0');
  random.Fill(raw.data(), raw.size());
  std::string out = Base64Url(raw);
  crypto::SecureWipe(raw);
  return out;
}

bool WellFormedToken(std::string_view token) {
  if (token.size() != 43) {
    return false;
  }
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string TokenHash(std::string_view token) { return crypto::Hex(crypto::Sha256(token)); }

std::string CsrfToken(std::string_view session_token) {
  return Base64Url(crypto::HmacSha256(session_token, "liasonpay csrf v1"));
}

namespace {
// Crockford's base32 alphabet in lower case (no i, l, o, u).
constexpr std::string_view kCodeAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";
}  // namespace

std::vector<std::string> NewRecoveryCodes(Random& random) {
  std::vector<std::string> codes;
  for (int i = 0; i < 10; ++i) {
    unsigned char raw[12];
    random.Fill(raw, sizeof(raw));
    std::string code;
    for (int k = 0; k < 12; ++k) {
      if (k == 4 || k == 8) {
        code.push_back('-');
      }
      code.push_back(kCodeAlphabet[raw[k] & 31]);  // 256 = 8 × 32: uniform
    }
    crypto::SecureZero(raw, sizeof(raw));
    codes.push_back(std::move(code));
  }
  return codes;
}

std::string CanonicalRecoveryCode(std::string_view input) {
  std::string out;
  for (char c : input) {
    if (c == '-' || c == ' ' || c == '\t') {
      continue;
    }
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c == 'i' || c == 'l') {
      c = '1';
    } else if (c == 'o') {
      c = '0';
    }
    if (kCodeAlphabet.find(c) == std::string_view::npos) {
      return {};
    }
    out.push_back(c);
  }
  if (out.size() != 12) {
    return {};
  }
  return out;
}

Task<Result<MerchantSummary>> ReadMerchant(store::Store& store, std::string merchant_id) {
  std::optional<MerchantSummary> out;
  auto r = co_await store::ReadInto(
      store, out, [&](store::Tx& tx) { return repo::FindMerchant(tx, merchant_id); });
  if (!r) {
    co_return r.error();
  }
  if (!out) {
    co_return NotFound("merchant");
  }
  co_return std::move(*out);
}

Result<std::optional<Role>> ResolveRole(store::Tx& tx, std::string_view merchant_id,
                                        std::string_view role_id) {
  if (const BuiltinRole* b = FindBuiltinRole(role_id)) {
    Role r;
    r.id = std::string(b->id);
    r.name = std::string(b->name);
    r.description = std::string(b->description);
    r.builtin = true;
    r.permissions = b->permissions;
    return std::optional<Role>(std::move(r));
  }
  return repo::FindCustomRole(tx, merchant_id, role_id);
}

RoleRef ToRef(const Role& role) { return RoleRef{role.id, role.name, role.builtin}; }

Result<Access> LoadAccess(store::Tx& tx, const repo::UserRow& user, const AccountOptions& options) {
  Access a;
  a.idle_timeout_us = options.idle_timeout_us;
  a.absolute_timeout_us = options.absolute_timeout_us;
  if (user.kind == AccountKind::kOperator) {
    a.mfa_required = true;  // every operator
    if (const BuiltinRole* r = FindOperatorRole(user.operator_role)) {
      a.operator_permissions = r->permissions;
    }
    return a;
  }
  auto rows = repo::UserMemberships(tx, user.id);
  if (!rows) {
    return rows.error();
  }
  for (auto& row : *rows) {
    Membership m;
    m.merchant_id = row.merchant_id;
    m.merchant_name = row.merchant_name;
    m.frozen = row.frozen;
    m.policy = row.policy.value_or(SecurityPolicy{});
    auto role = ResolveRole(tx, row.merchant_id, row.role_id);
    if (!role) {
      return role.error();
    }
    if (*role) {
      m.role = ToRef(**role);
      m.permissions = (*role)->permissions;
    } else {
      m.role = RoleRef{row.role_id, row.role_id, false};  // deny by default: no permissions
    }
    m.pii_masked = !Holds(m.permissions, kPiiRead);
    const BuiltinRole* b = FindBuiltinRole(m.role.id);
    if ((b != nullptr && b->mfa_required) || m.policy.mfa_required_for_all) {
      a.mfa_required = true;
    }
    a.idle_timeout_us =
        std::min<int64_t>(a.idle_timeout_us, int64_t{m.policy.idle_timeout_minutes} * 60'000'000);
    a.absolute_timeout_us = std::min<int64_t>(
        a.absolute_timeout_us, int64_t{m.policy.absolute_timeout_hours} * 3'600'000'000);
    a.memberships.push_back(std::move(m));
  }
  return a;
}

MfaState SessionState(const repo::UserRow& user, const repo::SessionRow& session,
                      const Access& access) {
  if (user.mfa_secret_sealed) {
    return session.mfa_verified_at ? MfaState::kSatisfied : MfaState::kRequired;
  }
  return access.mfa_required ? MfaState::kEnroll : MfaState::kSatisfied;
}

Result<void> Audit(store::Tx& tx, const AuditEntry& e, const RequestContext& context,
                   int64_t now_us) {
  audit::Record r;
  r.actor_type = e.actor_type;
  r.actor_id = e.actor_id;
  r.action = e.action;
  r.target = e.target;
  r.merchant_id = e.merchant_id;
  r.outcome = e.outcome;
  r.source_ip = context.ip;
  r.request_id = context.request_id;
  r.details = e.details;
  return audit::Append(tx, r, now_us);
}

AuditEntry ByCaller(const Caller& caller, std::string action, std::string target,
                    std::string merchant_id) {
  AuditEntry e;
  e.actor_type = std::string(ToString(caller.kind));
  e.actor_id = caller.user_id;
  e.action = std::move(action);
  e.target = std::move(target);
  e.merchant_id = std::move(merchant_id);
  return e;
}

std::string DetailsJson(std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  boost::json::object o;
  for (const auto& [k, v] : fields) {
    o[k] = v;
  }
  return boost::json::serialize(o);
}

}  // namespace lp::people::internal
