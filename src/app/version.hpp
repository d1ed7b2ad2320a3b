// `liasonpay version`: the versions of the libraries the binary was built with (header macros)
// and runs with (each library's own runtime call), so an operator can tell which OpenSSL,
// SQLite, libsodium and ICU a running server has after a Debian security update.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lp::app {

struct LibraryVersion {
  std::string name;     // "OpenSSL"
  std::string built;    // from the headers at compile time
  std::string running;  // from the shared library now; empty for header-only libraries
};

// OpenSSL, SQLite, libsodium, ICU (built and running) and Boost (built only: header-only).
std::vector<LibraryVersion> CollectLibraryVersions();

// "3.0.19" -> "3.0"; "72.1" -> "72.1"; "1.0.18" -> "1.0". Leading non-digits are skipped.
std::string MajorMinor(std::string_view version);

struct VersionReport {
  std::string text;                   // for stdout: one line per library
  std::vector<std::string> warnings;  // a library whose running major.minor differs from built
};
VersionReport FormatVersionReport(std::string_view app_version,
                                  const std::vector<LibraryVersion>& libraries);

}  // namespace lp::app
