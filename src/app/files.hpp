// The composition root writes its files (dev-credentials.json, ports.json) with the one atomic,
// durable writer in lp/common/files.hpp; this header only forwards to it for app/serve.cpp.
#pragma once

#include "lp/common/files.hpp"

namespace lp::app {

using lp::WriteFileAtomic;

}  // namespace lp::app
