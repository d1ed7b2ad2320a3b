#include "app/version.hpp"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

namespace lp::app {
namespace {

TEST(MajorMinor, KeepsTheFirstTwoNumbers) {
  EXPECT_EQ(MajorMinor("3.0.19"), "3.0");
  EXPECT_EQ(MajorMinor("3.40.1"), "3.40");
  EXPECT_EQ(MajorMinor("72.1"), "72.1");
  EXPECT_EQ(MajorMinor("1.0.18"), "1.0");
  EXPECT_EQ(MajorMinor("OpenSSL 3.1.4 24 Oct 2023"), "3.1");
  EXPECT_EQ(MajorMinor("3"), "3");
  EXPECT_EQ(MajorMinor("3.0.0-alpha"), "3.0");
  EXPECT_EQ(MajorMinor(""), "");
}

TEST(CollectLibraryVersions, ListsEveryLibraryBuiltAndRunningFromTheLibrariesThemselves) {
  const auto libs = CollectLibraryVersions();
  ASSERT_EQ(libs.size(), 5u);
  std::vector<std::string> names;
  for (const auto& l : libs) {
    names.push_back(l.name);
    EXPECT_FALSE(l.built.empty()) << l.name;
    EXPECT_FALSE(MajorMinor(l.built).empty()) << l.name << " " << l.built;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"OpenSSL", "SQLite", "libsodium", "ICU", "Boost"}));
  // Runtime values are what the loaded libraries say, not the header macros.
  EXPECT_EQ(libs[0].running, OpenSSL_version(OPENSSL_VERSION_STRING));
  EXPECT_EQ(libs[1].running, sqlite3_libversion());
  EXPECT_FALSE(libs[2].running.empty());
  EXPECT_FALSE(libs[3].running.empty());
  EXPECT_TRUE(libs[4].running.empty()) << "Boost is header-only: built-with only";
  EXPECT_EQ(libs[4].built.substr(0, 2), "1.");
}

TEST(FormatVersionReport, PrintsATableAndNoWarningWhenMajorMinorMatch) {
  const auto r =
      FormatVersionReport("0.1.0", {{"OpenSSL", "3.0.11", "3.0.19"}, {"Boost", "1.81.0", ""}});
  EXPECT_EQ(r.text,
            "liasonpay 0.1.0\n"
            "library     built with   runs with\n"
            "OpenSSL     3.0.11       3.0.19\n"
            "Boost       1.81.0       (header-only)\n");
  EXPECT_TRUE(r.warnings.empty());
}

TEST(FormatVersionReport, WarnsWhenTheRunningMajorMinorDiffersFromTheBuiltOne) {
  const auto r = FormatVersionReport(
      "0.1.0",
      {{"OpenSSL", "3.0.19", "3.1.4"}, {"SQLite", "3.40.1", "3.40.0"}, {"ICU", "72.1", "74.2"}});
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_NE(r.warnings[0].find("OpenSSL was built with 3.0.19 but runs with 3.1.4"),
            std::string::npos)
      << r.warnings[0];
  EXPECT_NE(r.warnings[1].find("ICU was built with 72.1 but runs with 74.2"), std::string::npos)
      << r.warnings[1];
}

TEST(FormatVersionReport, TheRealLibrariesOfThisBuildMatch) {
  // Debian builds and runs against the same packages: a warning here means the test binary
  // loaded other shared libraries than the headers it was compiled with.
  const auto r = FormatVersionReport("0.1.0", CollectLibraryVersions());
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
}

}  // namespace
}  // namespace lp::app
