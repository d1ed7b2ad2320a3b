#include "lp/people/audit_log_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "lp/people/authorization.hpp"
#include "people/internal.hpp"
#include "people/repository.hpp"

namespace lp::people {

namespace json = boost::json;

namespace {

// The filters an export used, for its own audit record.
std::string ExportDetails(const audit::QueryFilter& f, const std::string& format, size_t records) {
  json::object filters;
  auto put = [&](std::string_view name, const std::optional<std::string>& v) {
    if (v) {
      filters[name] = *v;
    }
  };
  put("merchant", f.merchant_id);
  put("action", f.action);
  if (f.action_prefix) {
    filters["action"] = *f.action_prefix + "*";
  }
  put("actor", f.actor_id);
  put("outcome", f.outcome);
  if (f.from_us) {
    filters["created[gte]"] = *f.from_us / 1'000'000;
  }
  if (f.to_us) {
    filters["created[lte]"] = *f.to_us / 1'000'000;
  }
  return json::serialize(json::object{{"format", format},
                                      {"filters", std::move(filters)},
                                      {"records", static_cast<int64_t>(records)}});
}

}  // namespace

AuditLogService::AuditLogService(Deps deps) : deps_(deps) {}

Result<bool> AuditLogService::Authorize(const Caller& caller,
                                        const std::optional<std::string>& merchant_id,
                                        audit::QueryFilter& filter) const {
  if (merchant_id) {
    auto m = people::Authorize(caller, *merchant_id, "audit:read");
    if (!m) {
      return m.error();
    }
    filter.merchant_id = *merchant_id;  // a merchant route sees its own records only
    return (*m)->pii_masked;
  }
  if (auto a = AuthorizeOperator(caller, "audit:read"); !a) {
    return a.error();
  }
  const auto& perms = caller.operator_permissions;
  return std::find(perms.begin(), perms.end(), "pii:read") == perms.end();
}

Result<void> AuditLogService::ResolveEmails(store::Tx& tx, std::vector<AuditEvent>& events) const {
  // One lookup per distinct user actor (an export of 100,000 records has few actors).
  std::map<std::string, std::optional<std::string>, std::less<>> emails;
  for (auto& e : events) {
    const auto& r = e.stored.record;
    // Users only (the contract's `actor.email`): operators' addresses stay internal.
    if (r.actor_type != "user") {
      continue;
    }
    auto it = emails.find(r.actor_id);
    if (it == emails.end()) {
      auto email = repo::UserEmail(tx, r.actor_id);
      if (!email) {
        return email.error();
      }
      it = emails.emplace(r.actor_id, std::move(*email)).first;
    }
    e.actor_email = it->second;
  }
  return {};
}

Task<Result<AuditEvents>> AuditLogService::List(const Caller& caller,
                                                std::optional<std::string> merchant_id,
                                                audit::QueryFilter filter, audit::QueryPage page) {
  auto masked = Authorize(caller, merchant_id, filter);
  if (!masked) {
    co_return masked.error();
  }
  AuditEvents out;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    std::vector<audit::StoredRecord> rows;
    auto more = audit::List(tx, filter, page, rows);
    if (!more) {
      return more.error();
    }
    out.data.clear();
    out.data.reserve(rows.size());
    for (auto& s : rows) {
      out.data.push_back(AuditEvent{std::move(s), std::nullopt});
    }
    out.has_more = *more;
    return ResolveEmails(tx, out.data);
  });
  if (!r) {
    co_return r.error();
  }
  out.masked = *masked;
  co_return out;
}

Task<Result<AuditEvents>> AuditLogService::Export(const Caller& caller,
                                                  std::optional<std::string> merchant_id,
                                                  audit::QueryFilter filter, std::string format,
                                                  RequestContext context) {
  auto masked = Authorize(caller, merchant_id, filter);
  if (!masked) {
    co_return masked.error();
  }
  AuditEvents out;
  auto r = co_await store::Read(deps_.store, [&](store::Tx& tx) -> Result<void> {
    out.data.clear();
    auto q = audit::ExportNewestFirst(tx, filter, kMaxAuditExportRecords,
                                      [&](const audit::StoredRecord& s) {
                                        out.data.push_back(AuditEvent{s, std::nullopt});
                                        return true;
                                      });
    if (!q) {
      return q.error();
    }
    return ResolveEmails(tx, out.data);
  });
  if (!r) {
    co_return r.error();
  }
  const int64_t now = deps_.clock.NowMicros();
  const std::string details = ExportDetails(filter, format, out.data.size());
  const std::string target = merchant_id.value_or(filter.merchant_id.value_or(""));
  auto w = co_await store::Write(deps_.store, [&](store::Tx& tx) -> Result<void> {
    internal::AuditEntry e = internal::ByCaller(caller, "audit.export", target, target);
    e.details = details;
    return internal::Audit(tx, e, context, now);
  });
  if (!w) {
    co_return w.error();
  }
  out.masked = *masked;
  co_return out;
}

}  // namespace lp::people
