// Small file helpers of the composition root.
#pragma once

#include <string>

#include "lp/common/result.hpp"

namespace lp::app {

// Writes `content` to `path` atomically (temporary name, fsync, rename) with `mode`.
Result<void> WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode);

}  // namespace lp::app
