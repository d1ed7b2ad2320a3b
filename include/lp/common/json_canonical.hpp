// Canonical JSON: object keys sorted at every level, no whitespace. Equal parameters give equal
// text whatever their order or spacing (idempotency hashes, credential fingerprints).
#pragma once

#include <boost/json/fwd.hpp>
#include <string>

namespace lp {

std::string CanonicalJson(const boost::json::value& v);

}  // namespace lp
