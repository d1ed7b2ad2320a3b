// The key ring kept in a file: reading it (mode, size and identity checked on the opened inode),
// loading it or $LIASONPAY_KEYRING, and following it (Reload, and FindKek's re-check when a
// ciphertext names a newer version). Rotation (writing the file) is in keyring_rotation.cpp.
#include "crypto/file_keyring.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>

#include "crypto/keyring_format.hpp"
#include "lp/common/files.hpp"
#include "lp/crypto/aead.hpp"
#include "lp/crypto/hash.hpp"
#include "lp/crypto/keyring.hpp"

namespace lp::crypto {
namespace detail {

namespace {

// ---- The local KEK ------------------------------------------------------------------------------

class LocalKek final : public Kek {
 public:
  LocalKek(uint32_t version, SecureBytes key) : version_(version), key_(std::move(key)) {}
  uint32_t Version() const override { return version_; }
  Result<std::string> Wrap(std::string_view dek, std::string_view aad) const override {
    if (dek.size() != kDekSize) {
      return Fail(ErrorType::kInternal, "aead_invalid_argument", "a data key must be 32 bytes");
    }
    return Aes256GcmSeal(key_.view(), dek, aad);
  }
  Result<SecureBytes> Unwrap(std::string_view wrapped, std::string_view aad) const override {
    return Aes256GcmOpen(key_.view(), wrapped, aad);
  }

 private:
  const uint32_t version_;
  const SecureBytes key_;
};

FileIdentity IdentityOf(const struct stat& st) {
  return {st.st_dev, st.st_ino, st.st_size, static_cast<int64_t>(st.st_mtim.tv_sec),
          static_cast<int64_t>(st.st_mtim.tv_nsec)};
}

constexpr std::string_view kEnvOrigin = "key ring from LIASONPAY_KEYRING";

Error Missing(const std::string& path) {
  return Fail(
      ErrorType::kInternal, "keyring_missing",
      "no key ring at " + path + "; run `liasonpay init` (or `serve --dev`), or pass --keyring");
}

}  // namespace

std::string KeyRingOrigin(const std::string& path) { return "key ring " + path; }

// Opens first and checks the opened file, so the mode, the identity and the bytes all belong to
// the same inode even if the file is replaced meanwhile.
Result<FileContents> ReadKeyRingFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return Missing(path);
    }
    return Io("cannot open key ring " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Io("cannot stat key ring " + path);
  }
  if (!S_ISREG(st.st_mode)) {
    return Invalid(KeyRingOrigin(path), "not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Fail(ErrorType::kInternal, "keyring_insecure",
                "key ring " + path + " is accessible by group or others (mode " + mode +
                    "); run `chmod 600 " + path + "`");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxKeyRingFileSize) {
    return Invalid(KeyRingOrigin(path), "larger than 1 MiB");
  }
  FileContents out;
  out.identity = IdentityOf(st);
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      SecureZero(buf, sizeof buf);
      return Io("cannot read key ring " + path);
    }
    if (n == 0) {
      break;
    }
    out.text.append(std::string_view(buf, static_cast<std::size_t>(n)));
    if (out.text.size() > kMaxKeyRingFileSize) {
      SecureZero(buf, sizeof buf);
      return Invalid(KeyRingOrigin(path), "larger than 1 MiB");
    }
  }
  SecureZero(buf, sizeof buf);
  return out;
}

}  // namespace detail

using namespace detail;  // NOLINT(google-build-using-namespace): this module's private helpers

// ---- FileKeyRing state --------------------------------------------------------------------------

struct FileKeyRing::State {
  uint32_t active = 0;
  std::map<uint32_t, KekConstSharedPtr> keks;
  FileIdentity identity;
};

namespace {

std::shared_ptr<const FileKeyRing::State> MakeState(ParsedRing& ring, const FileIdentity& id) {
  auto state = std::make_shared<FileKeyRing::State>();
  state->active = ring.active;
  state->identity = id;
  for (auto& [version, key] : ring.keys) {
    state->keks.emplace(version, std::make_shared<const LocalKek>(version, std::move(key)));
  }
  return state;
}

std::string StripWhitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

// ---- KeyRing ------------------------------------------------------------------------------------

Result<std::unique_ptr<KeyRing>> KeyRing::Load(const std::string& path) {
  auto ring = FileKeyRing::LoadFile(path);
  if (!ring) {
    return ring.error();
  }
  return std::unique_ptr<KeyRing>(std::move(*ring));
}

// ---- FileKeyRing --------------------------------------------------------------------------------

FileKeyRing::FileKeyRing(std::string path, bool from_env, SecureBytes pepper,
                         std::shared_ptr<const State> state)
    : path_(std::move(path)),
      from_env_(from_env),
      pepper_(std::move(pepper)),
      state_(std::move(state)) {}

Result<std::unique_ptr<FileKeyRing>> FileKeyRing::LoadFile(const std::string& path) {
  if (const char* env = std::getenv(kKeyRingEnvVar); env != nullptr && *env != '\0') {
    std::string b64 = StripWhitespace(env);
    std::string raw;
    const bool ok = Base64Decode(b64, raw);
    SecureWipe(b64);
    SecureBytes text = SecureBytes::TakeFrom(raw);
    if (!ok) {
      return Invalid(kEnvOrigin,
                     "not valid base64 (it must hold the key-ring file's contents, base64)");
    }
    auto ring = ParseRingText(text.view(), kEnvOrigin);
    if (!ring) {
      return ring.error();
    }
    auto state = MakeState(*ring, FileIdentity{});
    return std::unique_ptr<FileKeyRing>(
        new FileKeyRing(path, true, std::move(ring->pepper), std::move(state)));
  }
  auto file = ReadKeyRingFile(path);
  if (!file) {
    return file.error();
  }
  auto ring = ParseRingText(file->text.view(), KeyRingOrigin(path));
  if (!ring) {
    return ring.error();
  }
  auto state = MakeState(*ring, file->identity);
  return std::unique_ptr<FileKeyRing>(
      new FileKeyRing(path, false, std::move(ring->pepper), std::move(state)));
}

std::shared_ptr<const FileKeyRing::State> FileKeyRing::Snapshot() const {
  std::shared_lock lock(mu_);
  return state_;
}

uint32_t FileKeyRing::ActiveVersion() const { return Snapshot()->active; }

std::vector<KeyVersion> FileKeyRing::Versions() const {
  const auto state = Snapshot();
  std::vector<KeyVersion> out;
  out.reserve(state->keks.size());
  for (const auto& [version, kek] : state->keks) {
    out.push_back({version, version == state->active});
  }
  return out;
}

Result<KekConstSharedPtr> FileKeyRing::ActiveKek() const {
  const auto state = Snapshot();
  return state->keks.at(state->active);  // ParseRing guarantees the active key exists
}

Result<KekConstSharedPtr> FileKeyRing::FindKek(uint32_t version) const {
  auto state = Snapshot();
  auto it = state->keks.find(version);
  if (it == state->keks.end() && !from_env_ && version > state->keks.rbegin()->first) {
    // Newer than anything loaded: the file was probably rotated and this node has not reloaded
    // yet. Costs a stat() (a re-read only if the file changed); a failed re-check is not
    // reported here, the unknown version is.
    if (auto reloaded = ReloadImpl(/*force=*/false); reloaded && *reloaded) {
      state = Snapshot();
      it = state->keks.find(version);
    }
  }
  if (it == state->keks.end()) {
    const std::string message =
        "key version " + std::to_string(version) + " is not in the key ring";
    return Fail(ErrorType::kInternal, "secret_key_version_unknown", message,
                message + " " + path_ + " (retired, or sealed with another key ring)");
  }
  return it->second;
}

Result<bool> FileKeyRing::ReloadImpl(bool force) const {
  if (from_env_) {
    return false;
  }
  std::lock_guard reload_lock(reload_mu_);
  const auto current = Snapshot();
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Missing(path_);
    }
    return Io("cannot stat key ring " + path_);
  }
  if (!force && IdentityOf(st) == current->identity) {
    return false;
  }
  auto file = ReadKeyRingFile(path_);
  if (!file) {
    return file.error();
  }
  auto ring = ParseRingText(file->text.view(), KeyRingOrigin(path_));
  if (!ring) {
    return ring.error();
  }
  if (!ConstantTimeEqual(ring->pepper.view(), pepper_.view())) {
    return Fail(ErrorType::kInternal, "keyring_pepper_changed",
                "key ring " + path_ +
                    ": api_key_pepper changed; a running server cannot switch peppers (every "
                    "API key would stop matching); the previous keys stay in use");
  }
  auto state = MakeState(*ring, file->identity);
  std::unique_lock lock(mu_);
  state_ = std::move(state);
  return true;
}

}  // namespace lp::crypto
