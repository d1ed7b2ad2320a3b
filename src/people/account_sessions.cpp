// Sign-out and a user's own sessions: list, revoke one, revoke all but the current one.
#include <utility>

#include "account_impl.hpp"
#include "lp/people/errors.hpp"

namespace lp::people {

using internal::AuditEntry;

Task<Result<void>> AccountService::SignOut(const Caller& caller, RequestContext context) {
  const int64_t now = deps_.clock.NowMicros();
  co_return co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto r = repo::RevokeSession(tx, caller.session_id, now);
    if (!r) {
      return r.error();
    }
    return internal::Audit(tx, internal::ByCaller(caller, "auth.sign_out", caller.session_id),
                           context, now);
  });
}

Task<Result<std::vector<SessionInfo>>> AccountService::ListSessions(const Caller& caller) {
  const int64_t now = deps_.clock.NowMicros();
  std::vector<SessionInfo> out;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    out.clear();
    auto u = repo::FindUser(tx, caller.user_id);
    if (!u) {
      return u.error();
    }
    if (!*u) {
      return AuthenticationRequired();
    }
    auto access = internal::LoadAccess(tx, **u, options_);
    if (!access) {
      return access.error();
    }
    auto rows = repo::LiveSessions(tx, caller.user_id);
    if (!rows) {
      return rows.error();
    }
    for (const auto& s : *rows) {
      SessionInfo i;
      i.id = s.id;
      i.current = s.id == caller.session_id;
      i.mfa = internal::SessionState(**u, s, *access);
      i.created_us = s.created;
      i.last_seen_us = s.last_seen;
      i.idle_expires_at_us = s.last_seen + access->idle_timeout_us;
      i.expires_at_us = s.created + access->absolute_timeout_us;
      i.ip = s.ip;
      i.user_agent = s.user_agent;
      if (now < i.idle_expires_at_us && now < i.expires_at_us) {
        out.push_back(std::move(i));
      }
    }
    return {};
  });
  if (!r) {
    co_return r.error();
  }
  co_return out;
}

Task<Result<bool>> AccountService::RevokeSession(const Caller& caller, std::string session_id,
                                                 RequestContext context) {
  const int64_t now = deps_.clock.NowMicros();
  auto r = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto s = repo::FindSession(tx, session_id);
    if (!s) {
      return s.error();
    }
    if (!*s || (*s)->user_id != caller.user_id || (*s)->revoked_at) {
      return NotFound("session");
    }
    auto rv = repo::RevokeSession(tx, session_id, now);
    if (!rv) {
      return rv.error();
    }
    return internal::Audit(tx, internal::ByCaller(caller, "session.revoke", session_id), context,
                           now);
  });
  if (!r) {
    co_return r.error();
  }
  co_return session_id == caller.session_id;
}

Task<Result<int64_t>> AccountService::RevokeAllSessions(const Caller& caller,
                                                        RequestContext context) {
  const int64_t now = deps_.clock.NowMicros();
  int64_t n = 0;
  auto r = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    auto rv = repo::RevokeUserSessions(tx, caller.user_id, "", now);
    if (!rv) {
      return rv.error();
    }
    n = *rv;
    AuditEntry e = internal::ByCaller(caller, "session.revoke_all", caller.user_id);
    e.details = internal::DetailsJson({{"revoked", std::to_string(n)}});
    return internal::Audit(tx, e, context, now);
  });
  if (!r) {
    co_return r.error();
  }
  co_return n;
}

}  // namespace lp::people
