// Key rotation: writing the key-ring file (create, add a version, retire a version) and
// re-wrapping ciphertexts under the active version. File edits are read-modify-write under a lock
// on the directory and land with lp::WriteFileAtomic / lp::CreateFileAtomic (fsync, rename, fsync
// of the directory).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <limits>
#include <utility>

#include "crypto/file_keyring.hpp"
#include "crypto/keyring_format.hpp"
#include "lp/common/files.hpp"
#include "lp/crypto/keyring.hpp"

namespace lp::crypto {

using namespace detail;  // NOLINT(google-build-using-namespace): this module's private helpers

namespace {

// The key ring's files are 0600: only the owner may read the keys.
constexpr unsigned kKeyRingMode = 0600;

// Holds an exclusive flock on the key ring's directory: serialises read-modify-write of the file
// between processes (the file itself is replaced by rename, so it cannot carry the lock).
Result<UniqueFd> LockDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
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

// The shared file writer's errors keep the key ring's own error code.
Error KeyRingIo(Error e) {
  e.code = "keyring_io";
  return e;
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

// ---- KeyRing: Rewrap ----------------------------------------------------------------------------

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

// ---- FileKeyRing: file edits --------------------------------------------------------------------

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
  auto created = CreateFileAtomic(path, text.view(), kKeyRingMode);
  if (!created) {
    return KeyRingIo(created.error());
  }
  return created;
}

Result<uint32_t> FileKeyRing::AddVersion(const std::string& path) {
  auto lock = LockDir(DirectoryOf(path));
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
  if (auto written = WriteFileAtomic(path, text.view(), kKeyRingMode); !written) {
    return KeyRingIo(written.error());
  }
  return next;
}

Result<void> FileKeyRing::RetireVersion(const std::string& path, uint32_t version) {
  auto lock = LockDir(DirectoryOf(path));
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
  if (auto written = WriteFileAtomic(path, text.view(), kKeyRingMode); !written) {
    return KeyRingIo(written.error());
  }
  return {};
}

}  // namespace lp::crypto
