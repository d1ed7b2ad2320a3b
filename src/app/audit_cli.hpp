// `liasonpay audit verify|export` (PRODUCT.md §1, §5): the audit log from the command line.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "app/config.hpp"
#include "lp/audit/audit.hpp"

namespace lp::app {

// One audit record as a JSON object (the export's line; the incident timeline adds "type").
boost::json::object AuditRecordJson(const audit::StoredRecord& record);

// Walks the hash chain: prints "intact: N records" (exit 0) or the first bad record and why
// (exit 1). Reads only: safe while the server runs.
int AuditVerifyCommand(const Config& config);
// Prints the records as JSON lines, oldest first. `from`/`to`: RFC 3339 (to is exclusive);
// `merchant`: one merchant's records. Empty strings: no filter.
int AuditExportCommand(const Config& config, const std::string& from, const std::string& to,
                       const std::string& merchant);

}  // namespace lp::app
