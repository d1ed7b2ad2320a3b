// The audit record of a successful merchant-side change (API keys, connector accounts).
#pragma once

#include <string>
#include <utility>

#include "lp/audit/audit.hpp"
#include "lp/common/principal.hpp"

namespace lp::merchants::internal {

inline audit::Record AuditOf(const Actor& a, const Principal& p, std::string action,
                             std::string target, std::string details = "{}") {
  return audit::Record{a.type,    a.id,        std::move(action), std::move(target), p.merchant_id,
                       "success", a.source_ip, a.request_id,      std::move(details)};
}

}  // namespace lp::merchants::internal
