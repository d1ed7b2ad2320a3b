#include "lp/crypto/keyring.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <system_error>
#include <utility>

#include "lp/common/random.hpp"
#include "lp/crypto/aead.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::crypto {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxKeyRingFileSize = 1 << 20;
constexpr int kFormat = 1;

Error Fail(ErrorType type, std::string code, std::string message, std::string detail = {}) {
  if (detail.empty()) {
    detail = message;
  }
  return {type, std::move(code), std::move(message), {}, std::move(detail)};
}

Error Invalid(std::string_view origin, std::string_view what) {
  return Fail(ErrorType::kInternal, "keyring_invalid",
              std::string(origin) + ": " + std::string(what));
}

// Appends the current errno's text; call it right after the failing system call.
Error Io(std::string message) {
  const int err = errno;
  return Fail(ErrorType::kInternal, "keyring_io",
              std::move(message) + ": " + std::error_code(err, std::generic_category()).message());
}

void AppendU32BE(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

uint32_t ReadU32BE(std::string_view s) {
  const auto b = [&](std::size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(s[i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// ---- LPE1 parsing -------------------------------------------------------------------------------

struct BlobParts {
  uint32_t version = 0;
  std::string_view header;   // magic + version: the prefix of the wrap AAD
  std::string_view wrapped;  // wrap nonce || encrypted DEK || wrap tag
  std::string_view data;     // data nonce || ciphertext || data tag
};

// `verb` names the operation for messages: "open", "rewrap", "read".
Result<BlobParts> ParseBlob(std::string_view blob, std::string_view verb) {
  const std::string prefix = "cannot " + std::string(verb) + " secret: ";
  if (blob.size() < kSealedHeaderSize || blob.substr(0, kSealedMagic.size()) != kSealedMagic) {
    return Fail(ErrorType::kInternal, "secret_malformed", prefix + "not an LPE1 ciphertext",
                prefix + "not an LPE1 ciphertext (bad magic or shorter than the header; " +
                    std::to_string(blob.size()) + " bytes)");
  }
  if (blob.size() < kSealedOverhead) {
    return Fail(ErrorType::kInternal, "secret_malformed", prefix + "truncated LPE1 ciphertext",
                prefix + "truncated LPE1 ciphertext (" + std::to_string(blob.size()) +
                    " bytes, at least 96 needed)");
  }
  BlobParts p;
  p.version = ReadU32BE(blob.substr(kSealedMagic.size(), 4));
  p.header = blob.substr(0, kSealedHeaderSize);
  p.wrapped = blob.substr(kSealedHeaderSize, kWrappedDekSize);
  p.data = blob.substr(kSealedDataOffset);
  return p;
}

std::string WrapAad(std::string_view header, std::string_view associated_data) {
  std::string aad;
  aad.reserve(header.size() + associated_data.size());
  aad.append(header);
  aad.append(associated_data);
  return aad;
}

// Puts "cannot <verb> secret: " before a backend's secret_* error (e.g. an unknown version).
Error InContext(Error e, std::string_view verb) {
  if (e.code.rfind("secret_", 0) == 0) {
    const std::string prefix = "cannot " + std::string(verb) + " secret: ";
    e.message = prefix + e.message;
    e.detail = prefix + e.detail;
  }
  return e;
}

Error AuthFailed(std::string_view verb, std::string detail) {
  const std::string prefix = "cannot " + std::string(verb) + " secret: ";
  return Fail(ErrorType::kInternal, "secret_authentication_failed",
              prefix + "authentication failed", prefix + "authentication failed " + detail);
}

// Unwraps the DEK of `p` with `kek`; maps a tag mismatch to a clear error, passes others through
// (a remote KEK backend may report "unavailable").
Result<SecureBytes> UnwrapDek(const Kek& kek, const BlobParts& p, std::string_view associated_data,
                              std::string_view verb) {
  auto dek = kek.Unwrap(p.wrapped, WrapAad(p.header, associated_data));
  if (!dek) {
    if (dek.error().code == "aead_authentication_failed") {
      return AuthFailed(verb, "while unwrapping the data key with key version " +
                                  std::to_string(p.version) +
                                  " (tampered header or wrapped key, wrong associated data, or "
                                  "a ciphertext from another key ring)");
    }
    return dek.error();
  }
  if (dek->size() != kDekSize) {
    return Fail(ErrorType::kInternal, "secret_malformed",
                "cannot " + std::string(verb) + " secret: the wrapped data key has a wrong size");
  }
  return dek;
}

Result<SecureBytes> DecryptData(const SecureBytes& dek, const BlobParts& p,
                                std::string_view associated_data, std::string_view verb) {
  auto plain = Aes256GcmOpen(dek.view(), p.data, associated_data);
  if (!plain && plain.error().code == "aead_authentication_failed") {
    return AuthFailed(verb,
                      "while decrypting the data (tampered data nonce, ciphertext or tag, or "
                      "wrong associated data)");
  }
  return plain;
}

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

// ---- JSON with wiped memory ---------------------------------------------------------------------

// Every block boost::json frees is zeroed first: the parsed tree holds base64 key material.
class WipingResource final : public json::memory_resource {
 private:
  void* do_allocate(std::size_t n, std::size_t align) override {
    return ::operator new(n, std::align_val_t(align));
  }
  void do_deallocate(void* p, std::size_t n, std::size_t align) override {
    SecureZero(p, n);
    ::operator delete(p, n, std::align_val_t(align));
  }
  bool do_is_equal(const json::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

std::optional<json::value> ParseJson(std::string_view text, const json::storage_ptr& sp) {
  unsigned char temp[4096];
  std::optional<json::value> out;
  {
    json::parser parser(sp, json::parse_options{}, temp, sizeof temp);
    parser.reset(sp);
    boost::system::error_code ec;
    parser.write(text.data(), text.size(), ec);
    if (!ec) {
      out = parser.release();
    }
  }
  SecureZero(temp, sizeof temp);
  return out;
}

SecureBytes SerializeJson(const json::value& v) {
  SecureBytes out;
  char buf[1024];
  json::serializer sr;
  sr.reset(&v);
  while (!sr.done()) {
    out.append(sr.read(buf, sizeof buf));
  }
  SecureZero(buf, sizeof buf);
  out.append("\n");
  return out;
}

json::string Base64Json(std::string_view bytes, const json::storage_ptr& sp) {
  std::string b64 = Base64(bytes);
  json::string s(b64, sp);
  SecureWipe(b64);
  return s;
}

std::optional<SecureBytes> DecodeKey(const json::value* v) {
  if (v == nullptr || !v->is_string()) {
    return std::nullopt;
  }
  std::string raw;
  const bool ok = Base64Decode(std::string_view(v->get_string()), raw);
  SecureBytes key = SecureBytes::TakeFrom(raw);
  if (!ok || key.size() != kDekSize) {
    return std::nullopt;
  }
  return key;
}

// ---- The key-ring document ----------------------------------------------------------------------

struct ParsedRing {
  uint32_t active = 0;
  std::map<uint32_t, SecureBytes> keys;
  SecureBytes pepper;
};

std::optional<uint32_t> AsVersion(const json::value* v) {
  if (v == nullptr || !v->is_int64()) {
    return std::nullopt;
  }
  const int64_t n = v->get_int64();
  if (n < 1 || n > std::numeric_limits<uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(n);
}

Result<ParsedRing> ParseRing(const json::value& doc, std::string_view origin) {
  if (!doc.is_object()) {
    return Invalid(origin, "not a JSON object");
  }
  const json::object& o = doc.get_object();
  if (const auto* format = o.if_contains("format")) {
    if (!format->is_int64() || format->get_int64() != kFormat) {
      return Invalid(origin, "unsupported format " + json::serialize(*format) +
                                 " (this build reads format 1)");
    }
  }
  ParsedRing ring;
  const auto active = AsVersion(o.if_contains("active"));
  if (!active) {
    return Invalid(origin, "\"active\" must be a key version (an integer from 1)");
  }
  ring.active = *active;
  const auto* keys = o.if_contains("keys");
  if (keys == nullptr || !keys->is_array() || keys->get_array().empty()) {
    return Invalid(origin, "\"keys\" must be a non-empty array");
  }
  for (const auto& entry : keys->get_array()) {
    if (!entry.is_object()) {
      return Invalid(origin, "every entry of \"keys\" must be an object");
    }
    const auto version = AsVersion(entry.get_object().if_contains("version"));
    if (!version) {
      return Invalid(origin, "a key has no valid \"version\" (an integer from 1)");
    }
    auto key = DecodeKey(entry.get_object().if_contains("key"));
    if (!key) {
      return Invalid(origin,
                     "key version " + std::to_string(*version) + " is not 32 bytes of base64");
    }
    if (!ring.keys.emplace(*version, std::move(*key)).second) {
      return Invalid(origin, "key version " + std::to_string(*version) + " appears twice");
    }
  }
  if (ring.keys.count(ring.active) == 0) {
    return Invalid(origin, "the active version " + std::to_string(ring.active) + " has no key");
  }
  auto pepper = DecodeKey(o.if_contains("api_key_pepper"));
  if (!pepper) {
    return Invalid(origin, "\"api_key_pepper\" must be 32 bytes of base64");
  }
  ring.pepper = std::move(*pepper);
  return ring;
}

Result<ParsedRing> ParseRingText(std::string_view text, std::string_view origin) {
  WipingResource resource;
  const json::storage_ptr sp(&resource);
  auto doc = ParseJson(text, sp);
  if (!doc) {
    return Invalid(origin, "not valid JSON");
  }
  return ParseRing(*doc, origin);
}

// ---- Files --------------------------------------------------------------------------------------

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const noexcept { return fd_; }
  // Closes now and reports the result (close can report a write error).
  int Close() noexcept { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  bool operator==(const FileIdentity&) const = default;
};

FileIdentity IdentityOf(const struct stat& st) {
  return {st.st_dev, st.st_ino, st.st_size, static_cast<int64_t>(st.st_mtim.tv_sec),
          static_cast<int64_t>(st.st_mtim.tv_nsec)};
}

std::string KeyRingOrigin(const std::string& path) { return "key ring " + path; }
constexpr std::string_view kEnvOrigin = "key ring from LIASONPAY_KEYRING";

std::string DirOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

Error Missing(const std::string& path) {
  return Fail(
      ErrorType::kInternal, "keyring_missing",
      "no key ring at " + path + "; run `liasonpay init` (or `serve --dev`), or pass --keyring");
}

struct FileContents {
  SecureBytes text;
  FileIdentity identity;
};

// Opens first and checks the opened file, so the mode, the identity and the bytes all belong to
// the same inode even if the file is replaced meanwhile.
Result<FileContents> ReadKeyRingFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
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

// Holds an exclusive flock on the key ring's directory: serialises read-modify-write of the file
// between processes (the file itself is replaced by rename, so it cannot carry the lock).
Result<Fd> LockDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return Io("cannot open directory " + dir);
  }
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return Io("cannot lock directory " + dir);
    }
  }
  return fd;
}

// Writes `content` to a temporary file (0600) in the same directory, fsyncs it, then either
// renames it over `path` (replace) or hard-links it to `path`, which fails if `path` exists
// (create-only). Fsyncs the directory. Ok(false) only when create-only found `path` present.
Result<bool> WriteFileAtomic(const std::string& path, std::string_view content, bool replace) {
  const std::string tmp = path + ".tmp." + RandomToken(12);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    return Io("cannot create " + tmp);
  }
  const auto fail = [&](std::string what) {
    Error e = Io(std::move(what));
    ::unlink(tmp.c_str());
    return e;
  };
  if (::fchmod(fd.get(), 0600) != 0) {
    return fail("cannot chmod " + tmp);
  }
  std::size_t off = 0;
  while (off < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
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
  bool written = true;
  if (replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      return fail("cannot rename " + tmp + " to " + path);
    }
  } else {
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      if (errno != EEXIST) {
        return fail("cannot create " + path);
      }
      written = false;
    }
    ::unlink(tmp.c_str());
  }
  const std::string dir = DirOf(path);
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) {
    return Io("cannot fsync directory " + dir);
  }
  return written;
}

SecureBytes RandomKey() {
  SecureBytes key(kDekSize);
  SystemRandom().Fill(key.data(), key.size());
  return key;
}

// Reads, validates and parses the file for a read-modify-write; the caller holds the dir lock.
struct EditableRing {
  ParsedRing ring;
  json::value doc;
};

Result<EditableRing> ReadForEdit(const std::string& path, const json::storage_ptr& sp) {
  auto file = ReadKeyRingFile(path);
  if (!file) {
    return file.error();
  }
  auto doc = ParseJson(file->text.view(), sp);
  if (!doc) {
    return Invalid(KeyRingOrigin(path), "not valid JSON");
  }
  auto ring = ParseRing(*doc, KeyRingOrigin(path));
  if (!ring) {
    return ring.error();
  }
  return EditableRing{std::move(*ring), std::move(*doc)};
}

}  // namespace

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

Result<uint32_t> KeyRing::VersionOf(std::string_view blob) {
  auto parts = ParseBlob(blob, "read");
  if (!parts) {
    return parts.error();
  }
  return parts->version;
}

Result<std::string> KeyRing::Seal(std::string_view plaintext,
                                  std::string_view associated_data) const {
  auto kek = ActiveKek();
  if (!kek) {
    return kek.error();
  }
  const SecureBytes dek = RandomKey();
  std::string blob;
  blob.reserve(kSealedOverhead + plaintext.size());
  blob.append(kSealedMagic);
  AppendU32BE(blob, (*kek)->Version());
  auto wrapped = (*kek)->Wrap(dek.view(), WrapAad(blob, associated_data));
  if (!wrapped) {
    return wrapped.error();
  }
  if (wrapped->size() != kWrappedDekSize) {
    return Error::Internal("KEK backend returned a wrapped data key of " +
                           std::to_string(wrapped->size()) + " bytes, want 60");
  }
  auto data = Aes256GcmSeal(dek.view(), plaintext, associated_data);
  if (!data) {
    return data.error();
  }
  blob.append(*wrapped);
  blob.append(*data);
  return blob;
}

Result<SecureBytes> KeyRing::Open(std::string_view blob, std::string_view associated_data) const {
  auto parts = ParseBlob(blob, "open");
  if (!parts) {
    return parts.error();
  }
  auto kek = FindKek(parts->version);
  if (!kek) {
    return InContext(kek.error(), "open");
  }
  auto dek = UnwrapDek(**kek, *parts, associated_data, "open");
  if (!dek) {
    return dek.error();
  }
  return DecryptData(*dek, *parts, associated_data, "open");
}

Result<std::string> KeyRing::Rewrap(std::string_view blob, std::string_view associated_data) const {
  auto parts = ParseBlob(blob, "rewrap");
  if (!parts) {
    return parts.error();
  }
  auto old_kek = FindKek(parts->version);
  if (!old_kek) {
    return InContext(old_kek.error(), "rewrap");
  }
  auto dek = UnwrapDek(**old_kek, *parts, associated_data, "rewrap");
  if (!dek) {
    return dek.error();
  }
  // Authenticate the data too, so a damaged row is reported now rather than carried forward.
  if (auto plain = DecryptData(*dek, *parts, associated_data, "rewrap"); !plain) {
    return plain.error();
  }
  auto kek = ActiveKek();
  if (!kek) {
    return kek.error();
  }
  if ((*kek)->Version() == parts->version) {
    return std::string(blob);
  }
  std::string out;
  out.reserve(blob.size());
  out.append(kSealedMagic);
  AppendU32BE(out, (*kek)->Version());
  auto wrapped = (*kek)->Wrap(dek->view(), WrapAad(out, associated_data));
  if (!wrapped) {
    return wrapped.error();
  }
  if (wrapped->size() != kWrappedDekSize) {
    return Error::Internal("KEK backend returned a wrapped data key of " +
                           std::to_string(wrapped->size()) + " bytes, want 60");
  }
  out.append(*wrapped);
  out.append(parts->data);
  return out;
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

Result<bool> FileKeyRing::CreateIfMissing(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    return false;
  }
  if (errno != ENOENT) {
    return Io("cannot stat key ring " + path);
  }
  WipingResource resource;
  const json::storage_ptr sp(&resource);
  SecureBytes text;
  {
    const SecureBytes kek = RandomKey();
    const SecureBytes pepper = RandomKey();
    json::object key(sp);
    key["version"] = 1;
    key["key"] = Base64Json(kek.view(), sp);
    json::array keys(sp);
    keys.push_back(std::move(key));
    json::object doc(sp);
    doc["format"] = kFormat;
    doc["active"] = 1;
    doc["keys"] = std::move(keys);
    doc["api_key_pepper"] = Base64Json(pepper.view(), sp);
    text = SerializeJson(json::value(std::move(doc), sp));
  }
  return WriteFileAtomic(path, text.view(), /*replace=*/false);
}

Result<uint32_t> FileKeyRing::AddVersion(const std::string& path) {
  auto lock = LockDir(DirOf(path));
  if (!lock) {
    return lock.error();
  }
  WipingResource resource;
  const json::storage_ptr sp(&resource);
  SecureBytes text;
  uint32_t next = 0;
  {
    auto edit = ReadForEdit(path, sp);
    if (!edit) {
      return edit.error();
    }
    const uint32_t newest = edit->ring.keys.rbegin()->first;
    if (newest == std::numeric_limits<uint32_t>::max()) {
      return Invalid(KeyRingOrigin(path), "no key version left after 4294967295");
    }
    next = newest + 1;
    const SecureBytes kek = RandomKey();
    json::object key(sp);
    key["version"] = static_cast<int64_t>(next);
    key["key"] = Base64Json(kek.view(), sp);
    json::object& doc = edit->doc.get_object();
    doc["keys"].get_array().push_back(std::move(key));
    doc["active"] = static_cast<int64_t>(next);
    text = SerializeJson(edit->doc);
  }
  auto written = WriteFileAtomic(path, text.view(), /*replace=*/true);
  if (!written) {
    return written.error();
  }
  return next;
}

Result<void> FileKeyRing::RetireVersion(const std::string& path, uint32_t version) {
  auto lock = LockDir(DirOf(path));
  if (!lock) {
    return lock.error();
  }
  WipingResource resource;
  const json::storage_ptr sp(&resource);
  SecureBytes text;
  {
    auto edit = ReadForEdit(path, sp);
    if (!edit) {
      return edit.error();
    }
    if (version == edit->ring.active) {
      return Fail(ErrorType::kConflict, "keyring_version_active",
                  "cannot retire key version " + std::to_string(version) +
                      ": it is the active version (rotate first)");
    }
    if (edit->ring.keys.count(version) == 0) {
      return Fail(ErrorType::kNotFound, "keyring_version_unknown",
                  "key version " + std::to_string(version) + " is not in the key ring " + path);
    }
    json::array& keys = edit->doc.get_object()["keys"].get_array();
    const auto it = std::find_if(keys.begin(), keys.end(), [&](const json::value& e) {
      return AsVersion(e.get_object().if_contains("version")) == version;
    });
    keys.erase(it);
    text = SerializeJson(edit->doc);
  }
  auto written = WriteFileAtomic(path, text.view(), /*replace=*/true);
  if (!written) {
    return written.error();
  }
  return {};
}

}  // namespace lp::crypto
