#include "app/version.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <sodium/core.h>
#include <sodium/version.h>
#include <sqlite3.h>
#include <unicode/uversion.h>

#include <boost/version.hpp>
#include <cctype>

namespace lp::app {

std::vector<LibraryVersion> CollectLibraryVersions() {
  UVersionInfo icu{};
  u_getVersion(icu);
  char icu_text[U_MAX_VERSION_STRING_LENGTH] = {};
  u_versionToString(icu, icu_text);
  return {
      {"OpenSSL", OPENSSL_VERSION_STR, OpenSSL_version(OPENSSL_VERSION_STRING)},
      {"SQLite", SQLITE_VERSION, sqlite3_libversion()},
      {"libsodium", SODIUM_VERSION_STRING, sodium_version_string()},
      {"ICU", U_ICU_VERSION, icu_text},
      {"Boost",
       fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                   BOOST_VERSION % 100),
       ""},
  };
}

std::string MajorMinor(std::string_view version) {
  size_t i = 0;
  while (i < version.size() && !std::isdigit(static_cast<unsigned char>(version[i]))) {
    ++i;
  }
  std::string out;
  int dots = 0;
  for (; i < version.size(); ++i) {
    const char ch = version[i];
    if (ch == '.') {
      if (++dots == 2) {
        break;
      }
    } else if (!std::isdigit(static_cast<unsigned char>(ch))) {
      break;
    }
    out.push_back(ch);
  }
  return out;
}

VersionReport FormatVersionReport(std::string_view app_version,
                                  const std::vector<LibraryVersion>& libraries) {
  VersionReport r;
  r.text = fmt::format("liasonpay {}\n{:<11} {:<12} {}\n", app_version, "library", "built with",
                       "runs with");
  for (const auto& lib : libraries) {
    const std::string running = lib.running.empty() ? "(header-only)" : lib.running;
    r.text += fmt::format("{:<11} {:<12} {}\n", lib.name, lib.built, running);
    if (!lib.running.empty() && MajorMinor(lib.built) != MajorMinor(lib.running)) {
      r.warnings.push_back(fmt::format(
          "{} was built with {} but runs with {} (major.minor differ): rebuild liasonpay "
          "against the installed {}",
          lib.name, lib.built, lib.running, lib.name));
    }
  }
  return r;
}

}  // namespace lp::app
