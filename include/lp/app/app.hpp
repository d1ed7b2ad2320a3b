// Composition root: reads config, builds every object, wires them. The only place that does.
#pragma once

namespace lp::app {

// Entry point of the `liasonpay` binary (all subcommands).
int Main(int argc, char** argv);

}  // namespace lp::app
