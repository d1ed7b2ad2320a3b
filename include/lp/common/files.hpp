// Whole-file writes that are atomic and durable: the one implementation behind the key ring and
// the files the server writes into its data directory (dev-credentials.json, ports.json).
// Owns nothing but the files it is asked to write; it knows nothing of their contents.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "lp/common/result.hpp"

namespace lp {

// Owns a file descriptor and closes it on destruction.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&&) = delete;
  ~UniqueFd();
  int get() const noexcept { return fd_; }
  // Closes now and returns close()'s result (close can report a delayed write error).
  int Close() noexcept;

 private:
  int fd_;
};

// Writes `content` to `path` so that readers, and the disk after a crash, see either the old file
// or the complete new one: a temporary file in the same directory, created exclusively with
// `mode` (so it is never more accessible than `mode`; the umask may narrow it), written in full
// and fsynced, renamed over `path`, then the directory fsynced. Both fsyncs are checked. On an
// error before the rename, `path` is untouched and the temporary file is removed. Errors
// (code "io_error") name the file and the system's reason.
Result<void> WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode);

// The same, but never replaces an existing file: the temporary file is hard-linked to `path`,
// which fails if `path` exists (then Ok(false), nothing changed); Ok(true) when it created `path`.
// Safe against concurrent creators: exactly one of them creates the file.
Result<bool> CreateFileAtomic(const std::string& path, std::string_view content, unsigned mode);

// The directory part of `path`; "." for a bare file name.
std::string DirectoryOf(const std::string& path);

}  // namespace lp
