// `liasonpay serve`: the composition root. The other commands are in the *_cli.hpp headers.
#pragma once

#include "app/config.hpp"

namespace lp::app {

// `liasonpay serve`: runs until SIGTERM/SIGINT; returns the process exit code.
int Serve(const Config& config);

}  // namespace lp::app
