#include "lp/common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "lp/common/random.hpp"

namespace lp {

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

int UniqueFd::Close() noexcept { return ::close(std::exchange(fd_, -1)); }

namespace {

// Appends the current errno's text; call it right after the failing system call.
Error IoError(std::string what) {
  const int err = errno;
  std::string text =
      std::move(what) + ": " + std::error_code(err, std::generic_category()).message();
  return {ErrorType::kInternal, "io_error", text, {}, text};
}

// Writes `content` to a new temporary file beside `path`, created with `mode` (O_EXCL: never an
// existing file or a symlink's target), fsyncs and closes it. Returns its name; on error nothing
// is left behind.
Result<std::string> WriteTemporary(const std::string& path, std::string_view content,
                                   unsigned mode) {
  std::string tmp = path + ".tmp." + RandomToken(12);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                     static_cast<mode_t>(mode)));
  if (fd.get() < 0) {
    return IoError("cannot create " + tmp);
  }
  const auto fail = [&](std::string what) {
    Error e = IoError(std::move(what));
    ::unlink(tmp.c_str());
    return e;
  };
  std::size_t off = 0;
  while (off < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (n == 0) {
        errno = EIO;  // no progress and no reason given
      }
      return fail("cannot write " + tmp);
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    return fail("cannot fsync " + tmp);
  }
  if (fd.Close() != 0) {
    return fail("cannot close " + tmp);
  }
  return tmp;
}

// Makes a rename or link in the directory of `path` durable.
Result<void> SyncDirectoryOf(const std::string& path) {
  const std::string dir = DirectoryOf(path);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return IoError("cannot open directory " + dir);
  }
  if (::fsync(fd.get()) != 0) {
    return IoError("cannot fsync directory " + dir);
  }
  return {};
}

}  // namespace

std::string DirectoryOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

Result<void> WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode) {
  auto tmp = WriteTemporary(path, content, mode);
  if (!tmp) {
    return tmp.error();
  }
  if (::rename(tmp->c_str(), path.c_str()) != 0) {
    Error e = IoError("cannot rename " + *tmp + " to " + path);
    ::unlink(tmp->c_str());
    return e;
  }
  return SyncDirectoryOf(path);
}

Result<bool> CreateFileAtomic(const std::string& path, std::string_view content, unsigned mode) {
  auto tmp = WriteTemporary(path, content, mode);
  if (!tmp) {
    return tmp.error();
  }
  bool created = true;
  if (::link(tmp->c_str(), path.c_str()) != 0) {
    if (errno != EEXIST) {
      Error e = IoError("cannot create " + path);
      ::unlink(tmp->c_str());
      return e;
    }
    created = false;
  }
  ::unlink(tmp->c_str());
  if (auto synced = SyncDirectoryOf(path); !synced) {
    return synced.error();
  }
  return created;
}

}  // namespace lp
