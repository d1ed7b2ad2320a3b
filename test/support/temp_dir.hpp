// A scratch directory for one test: a new, uniquely named directory under the system temp
// directory (mkdtemp, so parallel tests never share one), removed with everything in it when the
// object goes away. Header-only and free of lp dependencies: any test binary can use it.
#pragma once

#include <stdlib.h>  // mkdtemp

#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace lp::testing {

class TempDir {
 public:
  // `prefix` names the directory (e.g. "lp_audit") so a leftover one says which test made it.
  explicit TempDir(std::string_view prefix = "lp_test") {
    std::string name =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "_XXXXXX")).string();
    if (::mkdtemp(name.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + name);
    }
    path_ = name;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside the directory, as a string.
  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace lp::testing
