#include "lp/people/operator_service.hpp"

#include <unicode/unistr.h>

#include "internal.hpp"
#include "lp/people/errors.hpp"
#include "lp/people/permissions.hpp"
#include "repository.hpp"

namespace lp::people {

using internal::AuditEntry;

OperatorService::OperatorService(Deps deps) : deps_(deps) {}

Task<Result<Page<MerchantSummary>>> OperatorService::ListMerchants(const Caller& caller,
                                                                   ListParams params) {
  if (auto a = AuthorizeOperator(caller, "merchants:read"); !a) {
    co_return a.error();
  }
  Page<MerchantSummary> page;
  auto r = co_await store::ReadInto(deps_.store, page,
                                    [&](store::Tx& tx) { return repo::ListMerchants(tx, params); });
  if (!r) {
    co_return r.error();
  }
  co_return page;
}

Task<Result<MerchantSummary>> OperatorService::GetMerchant(const Caller& caller,
                                                           std::string merchant_id) {
  if (auto a = AuthorizeOperator(caller, "merchants:read"); !a) {
    co_return a.error();
  }
  co_return co_await internal::ReadMerchant(deps_.store, std::move(merchant_id));
}

Task<Result<MerchantSummary>> OperatorService::Freeze(const Caller& caller, std::string merchant_id,
                                                      std::string reason, RequestContext context) {
  return SetFrozen(caller, std::move(merchant_id), std::move(reason), true, std::move(context));
}

Task<Result<MerchantSummary>> OperatorService::Unfreeze(const Caller& caller,
                                                        std::string merchant_id, std::string reason,
                                                        RequestContext context) {
  return SetFrozen(caller, std::move(merchant_id), std::move(reason), false, std::move(context));
}

namespace {

// Freezes or unfreezes `merchant_id` and audits it (`entry`), in the caller's transaction;
// `out`: the merchant after the change. 404 for an unknown merchant.
Result<void> SetFrozenTx(store::Tx& tx, const std::string& merchant_id, const std::string& reason,
                         bool frozen, const std::string& by, const AuditEntry& entry,
                         const RequestContext& context, int64_t now, MerchantSummary& out) {
  auto m = repo::FindMerchant(tx, merchant_id);
  if (!m) {
    return m.error();
  }
  if (!*m) {
    return NotFound("merchant");
  }
  if (auto f = repo::SetMerchantFrozen(tx, merchant_id, frozen, reason, by, now); !f) {
    return f.error();
  }
  if (auto a = internal::Audit(tx, entry, context, now); !a) {
    return a.error();
  }
  auto after = repo::FindMerchant(tx, merchant_id);
  if (!after) {
    return after.error();
  }
  out = **after;
  return {};
}

}  // namespace

Task<Result<MerchantSummary>> OperatorService::SetFrozen(const Caller& caller,
                                                         std::string merchant_id,
                                                         std::string reason, bool frozen,
                                                         RequestContext context) {
  if (auto a = AuthorizeOperator(caller, "merchants:write"); !a) {
    co_return a.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  if (auto s = RequireRecentAuthentication(caller, now); !s) {
    co_return s.error();
  }
  const int32_t chars =
      icu::UnicodeString::fromUTF8(icu::StringPiece(reason.data(), reason.size())).countChar32();
  if (reason.empty()) {
    co_return MissingParameter("reason");
  }
  if (chars > 500) {
    co_return InvalidParameter("reason", "The reason must be 1 to 500 characters.");
  }
  MerchantSummary out;
  AuditEntry e = internal::ByCaller(caller, frozen ? "merchant.freeze" : "merchant.unfreeze",
                                    merchant_id, merchant_id);
  e.details = internal::DetailsJson({{"reason", reason}});
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    return SetFrozenTx(tx, merchant_id, reason, frozen, caller.user_id, e, context, now, out);
  });
  if (!w) {
    co_return w.error();
  }
  co_return out;
}

// ---- provisioning ----

std::string GeneratePassword(Random& random) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (;;) {
    std::string out;
    while (out.size() < 24) {
      unsigned char b = 0;
      random.Fill(&b, 1);
      if (b >= 248) {
        continue;  // rejection sampling keeps the choice uniform
      }
      out.push_back(kAlphabet[b % 62]);
    }
    bool letter = false;
    bool digit = false;
    for (char c : out) {
      if (c >= '0' && c <= '9') {
        digit = true;
      } else {
        letter = true;
      }
    }
    if (letter && digit) {
      return out;
    }
  }
}

Result<PreparedAccount> PrepareAccount(const PasswordPolicy& policy, Random& random,
                                       AccountSpec spec, const crypto::PasswordHashParams& params) {
  if (!LooksLikeEmail(spec.email)) {
    return InvalidParameter("email", "This is not a valid e-mail address.");
  }
  if (spec.kind == AccountKind::kOperator ? FindOperatorRole(spec.role) == nullptr
                                          : FindBuiltinRole(spec.role) == nullptr) {
    return InvalidParameter("role", "Unknown role: '" + spec.role + "'.");
  }
  PreparedAccount out;
  const bool generated = !spec.password;
  // A generated password is retried in the unlikely case the strength estimate refuses it.
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string pw = generated ? GeneratePassword(random) : *spec.password;
    auto checked = policy.Check(pw, PasswordContext{spec.kind, spec.email, {}}, "password");
    if (!checked) {
      crypto::SecureWipe(pw);
      if (generated) {
        continue;
      }
      return checked.error();
    }
    auto hash = crypto::HashPassword(checked->view(), params);
    if (!hash) {
      return hash.error();
    }
    out.password = Secret<std::string>(std::move(pw));
    out.password_hash = std::move(*hash);
    spec.password.reset();
    out.spec = std::move(spec);
    return out;
  }
  return Error::Internal("could not generate a password that meets the rules");
}

Result<CreatedAccount> InsertAccount(store::Tx& tx, const PreparedAccount& account,
                                     const Actor& actor, int64_t now) {
  const AccountSpec& spec = account.spec;
  const std::string email_key = EmailKey(spec.email);
  auto existing = repo::FindUserByEmail(tx, spec.kind, email_key);
  if (!existing) {
    return existing.error();
  }
  CreatedAccount out;
  out.email = spec.email;
  if (*existing) {
    if (spec.kind == AccountKind::kOperator) {
      return Error::Conflict("already_exists", "An operator with this e-mail address exists.");
    }
    out.user_id = (*existing)->id;
  } else {
    repo::UserRow u;
    u.id = NewId(spec.kind == AccountKind::kOperator ? "opr" : "usr");
    u.kind = spec.kind;
    u.email = spec.email;
    u.email_key = email_key;
    u.password_hash = account.password_hash;
    if (spec.kind == AccountKind::kOperator) {
      u.operator_role = spec.role;
    }
    u.password_changed_at = now;
    u.created = now;
    u.updated = now;
    if (auto i = repo::InsertUser(tx, u); !i) {
      return i.error();
    }
    if (auto h = repo::AddPasswordHistory(tx, u.id, u.password_hash, now, kPasswordHistory); !h) {
      return h.error();
    }
    out.user_id = u.id;
    out.password = account.password;
  }
  AuditEntry e;
  e.actor_type = actor.type;
  e.actor_id = actor.id;
  e.target = out.user_id;
  if (spec.kind == AccountKind::kUser) {
    auto member = repo::MemberRole(tx, spec.merchant_id, out.user_id);
    if (!member) {
      return member.error();
    }
    if (*member) {
      return Error::Conflict("already_member", "This person is already a member.");
    }
    if (auto m = repo::InsertMembership(tx, out.user_id, spec.merchant_id, spec.role, now); !m) {
      return m.error();
    }
    if (auto b = repo::BumpRoleEpoch(tx, out.user_id); !b) {
      return b.error();
    }
    e.action = "user.create";
    e.merchant_id = spec.merchant_id;
  } else {
    e.action = "operator.create";
  }
  e.details = internal::DetailsJson(
      {{"email", spec.email}, {"role", spec.role}, {"new_account", *existing ? "false" : "true"}});
  if (auto a = internal::Audit(tx, e, RequestContext{actor.source_ip, "", actor.request_id}, now);
      !a) {
    return a.error();
  }
  return out;
}

Result<CreatedAccount> CreateAccountSync(store::Store& store, const PasswordPolicy& policy,
                                         Random& random, const Clock& clock, AccountSpec spec,
                                         const Actor& actor,
                                         const crypto::PasswordHashParams& params) {
  auto prepared = PrepareAccount(policy, random, std::move(spec), params);
  if (!prepared) {
    return prepared.error();
  }
  CreatedAccount out;
  auto w = store.WriteSync([&](store::Tx& tx) -> Result<void> {
    auto c = InsertAccount(tx, *prepared, actor, clock.NowMicros());
    if (!c) {
      return c.error();
    }
    out = std::move(*c);
    return {};
  });
  if (!w) {
    return w.error();
  }
  return out;
}

Result<bool> CheckAccountPasswordSync(store::Tx& tx, AccountKind kind, const std::string& email,
                                      std::string_view password) {
  auto u = repo::FindUserByEmail(tx, kind, EmailKey(email));
  if (!u) {
    return u.error();
  }
  if (!*u) {
    return false;
  }
  auto normalized = PasswordPolicy::Normalize(password, "password");
  if (!normalized) {
    return false;
  }
  return crypto::VerifyPassword((*u)->password_hash, normalized->view());
}

Result<void> UpsertDevAccount(store::Tx& tx, const PreparedAccount& account, const Actor& actor,
                              int64_t now) {
  const AccountSpec& spec = account.spec;
  auto existing = repo::FindUserByEmail(tx, spec.kind, EmailKey(spec.email));
  if (!existing) {
    return existing.error();
  }
  if (!*existing) {
    auto c = InsertAccount(tx, account, actor, now);
    if (!c) {
      return c.error();
    }
    return {};
  }
  const std::string id = (*existing)->id;
  if (auto r = repo::SetPassword(tx, id, account.password_hash, now); !r) {
    return r.error();
  }
  if (auto h = repo::AddPasswordHistory(tx, id, account.password_hash, now, kPasswordHistory); !h) {
    return h.error();
  }
  if (spec.kind == AccountKind::kUser) {
    auto member = repo::MemberRole(tx, spec.merchant_id, id);
    if (!member) {
      return member.error();
    }
    if (!*member) {
      if (auto m = repo::InsertMembership(tx, id, spec.merchant_id, spec.role, now); !m) {
        return m.error();
      }
      if (auto b = repo::BumpRoleEpoch(tx, id); !b) {
        return b.error();
      }
    }
  }
  AuditEntry e;
  e.actor_type = actor.type;
  e.actor_id = actor.id;
  e.target = id;
  e.action = spec.kind == AccountKind::kUser ? "user.password_reset" : "operator.password_reset";
  e.merchant_id = spec.kind == AccountKind::kUser ? spec.merchant_id : std::string();
  if (auto a = internal::Audit(tx, e, RequestContext{actor.source_ip, "", actor.request_id}, now);
      !a) {
    return a.error();
  }
  return {};
}

}  // namespace lp::people

namespace lp::people {

Result<MerchantSummary> SetMerchantFrozenSync(store::Store& store, const Clock& clock,
                                              const std::string& merchant_id,
                                              const std::string& reason, bool frozen,
                                              const std::string& actor_id) {
  const int32_t chars =
      icu::UnicodeString::fromUTF8(icu::StringPiece(reason.data(), reason.size())).countChar32();
  if (reason.empty() || chars > 500) {
    return InvalidParameter("reason", "The reason must be 1 to 500 characters.");
  }
  const int64_t now = clock.NowMicros();
  AuditEntry e;
  e.actor_type = "operator";
  e.actor_id = actor_id;
  e.action = frozen ? "merchant.freeze" : "merchant.unfreeze";
  e.target = merchant_id;
  e.merchant_id = merchant_id;
  e.details = internal::DetailsJson({{"reason", reason}, {"via", "cli"}});
  MerchantSummary out;
  auto w = store.WriteSync([&](store::Tx& tx) -> Result<void> {
    return SetFrozenTx(tx, merchant_id, reason, frozen, actor_id, e,
                       RequestContext{"local", "", ""}, now, out);
  });
  if (!w) {
    return w.error();
  }
  return out;
}

}  // namespace lp::people
