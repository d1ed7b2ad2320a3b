// `liasonpay migrate` and `liasonpay init`.
#pragma once

#include "app/config.hpp"

namespace lp::app {

// Opens (and so migrates) the configured store; prints the schema version.
int Migrate(const Config& config);
// Creates the data dir and the key ring when missing, then migrates.
int Init(const Config& config);

}  // namespace lp::app
