// What the `liasonpay` commands share: opening the configured store, the log level, failing
// with a message, and the key-ring error with its hint.
#pragma once

#include <string>

#include "app/config.hpp"
#include "lp/common/log.hpp"
#include "lp/store/store.hpp"

namespace lp::app {

// The store the configuration names (`database`; default: SQLite in the data dir).
Result<store::StorePtr> OpenConfiguredStore(const Config& config);

// `log_level` as configured ("debug", "warn", "error"; anything else: info).
log::Level ParseLevel(const std::string& s);

// How a command fails: kStartup logs `startup_failed` first and exits 1 (serve and the commands
// that open the store for it); kCommand only prints and exits 2 (audit and incident tools).
enum class FailKind { kStartup, kCommand };

// Prints "liasonpay: <what>" on stderr; returns the exit code of `kind`.
int Fail(const std::string& what, FailKind kind = FailKind::kStartup);

// The error's detail, or its message when it has none.
std::string ErrorText(const Error& e);

// A key-ring load error, with how to create one when the file is missing.
std::string KeyringError(const Config& c, const Error& e);

// The whole file ("" when it cannot be read).
std::string ReadFile(const std::string& path);

}  // namespace lp::app
