// Reading the audit log from the dashboard and the ops API (docs/dashboard-api.md §8, §9): a
// merchant's own records for its users with `audit:read`, every merchant's for operators with
// `audit:read`. Resolves user actors' e-mail addresses and says whether the caller sees personal
// data masked (no `pii:read`). An export is itself audited (`audit.export`, with its filters).
// Read-only: nothing here (nor anywhere) changes or deletes an audit record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lp/audit/audit.hpp"
#include "lp/people/account_service.hpp"

namespace lp::people {

inline constexpr int64_t kMaxAuditExportRecords = 100'000;

struct AuditEvent {
  audit::StoredRecord stored;
  std::optional<std::string> actor_email;  // user actors whose account still exists
};

struct AuditEvents {
  std::vector<AuditEvent> data;
  bool has_more = false;
  bool masked = true;  // the caller lacks pii:read (render per §2 Masking)
};

class AuditLogService {
 public:
  explicit AuditLogService(Deps deps);

  // `merchant_id` set: a user's merchant route (membership 404, frozen 403, audit:read 403);
  // the filter's merchant is forced to it. Unset: an operator (audit:read 403); the filter's
  // merchant is the operator's choice.
  Task<Result<AuditEvents>> List(const Caller& caller, std::optional<std::string> merchant_id,
                                 audit::QueryFilter filter, audit::QueryPage page);
  // At most kMaxAuditExportRecords, newest first; records `audit.export` (details: the
  // filters and the format) after the read, so a failed audit fails the export.
  Task<Result<AuditEvents>> Export(const Caller& caller, std::optional<std::string> merchant_id,
                                   audit::QueryFilter filter, std::string format,
                                   RequestContext context);

 private:
  Result<bool> Authorize(const Caller& caller, const std::optional<std::string>& merchant_id,
                         audit::QueryFilter& filter) const;
  Result<void> ResolveEmails(store::Tx& tx, std::vector<AuditEvent>& events) const;

  Deps deps_;
};

}  // namespace lp::people
