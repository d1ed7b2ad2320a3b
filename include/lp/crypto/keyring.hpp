// Envelope encryption for secrets at rest (PRODUCT.md §7; STANDARDS.md CRY-01..CRY-10, App. G).
// Owns the LPE1 ciphertext format, data-encryption keys (DEKs), and the key ring of versioned
// key-encryption keys (KEKs) with its file. It does not know which rows or columns hold secrets:
// the caller passes associated data that names the row (e.g. "connector_accounts:credentials:ca_1")
// and must pass the same bytes to Open.
//
// LPE1 ciphertext: binary (store it in a BLOB column), 96 bytes longer than the plaintext.
//   offset  size  field
//   0       4     magic "LPE1" (AES-256-GCM DEK wrapped by an AES-256-GCM KEK)
//   4       4     KEK version, uint32 big-endian
//   8       12    wrap nonce
//   20      32    the DEK, encrypted with the KEK
//   52      16    wrap tag            AAD = bytes 0..8 (magic, version) || associated_data
//   68      12    data nonce
//   80      n     ciphertext          AES-256-GCM under the DEK, AAD = associated_data
//   80+n    16    data tag
// Every Seal draws a fresh random 256-bit DEK that encrypts exactly one message; only the KEK
// sees one encryption per Seal (NIST SP 800-38D §8.3 caps that at 2^32 per KEK version: rotate
// long before). Rewrap re-encrypts the DEK only; bytes 68.. never change.
//
// Key-ring file (mode 0600; today's format, still read and written):
//   {"format":1,"active":2,"keys":[{"version":1,"key":"<b64 32 bytes>"},
//    {"version":2,"key":"<b64 32 bytes>"}],"api_key_pepper":"<b64 32 bytes>"}
// Unknown top-level fields are kept when the file is rewritten.
//
// Error codes: secret_malformed, secret_key_version_unknown, secret_authentication_failed (Open,
// Rewrap, VersionOf); keyring_missing, keyring_insecure, keyring_invalid, keyring_io,
// keyring_pepper_changed, keyring_version_active, keyring_version_unknown (key ring). Messages
// are plain sentences without secret material; `detail` repeats them with context for logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"

namespace lp::crypto {

inline constexpr std::string_view kSealedMagic = "LPE1";
inline constexpr std::size_t kSealedHeaderSize = 8;   // magic + KEK version
inline constexpr std::size_t kDekSize = 32;           // AES-256
inline constexpr std::size_t kWrappedDekSize = 60;    // nonce 12 + encrypted DEK 32 + tag 16
inline constexpr std::size_t kSealedDataOffset = 68;  // header + wrapped DEK
inline constexpr std::size_t kSealedOverhead = 96;    // header + wrapped DEK + nonce + tag
// Environment variable that, when set and non-empty, holds the key-ring file's contents in base64
// and replaces the file.
inline constexpr const char* kKeyRingEnvVar = "LIASONPAY_KEYRING";

struct KeyVersion {
  uint32_t version = 0;
  bool active = false;
};

// One version of a key-encryption key. The file backend holds the key bytes; a KMS/HSM backend
// would hold a key reference and call out. Wrap must produce LPE1's wrapped-DEK layout: nonce (12)
// || AES-256-GCM(DEK) (32) || tag (16). Implementations are immutable and thread-safe.
class Kek {
 public:
  virtual ~Kek() = default;
  virtual uint32_t Version() const = 0;
  virtual Result<std::string> Wrap(std::string_view dek, std::string_view aad) const = 0;
  virtual Result<SecureBytes> Unwrap(std::string_view wrapped, std::string_view aad) const = 0;
};
using KekConstSharedPtr = std::shared_ptr<const Kek>;

// Versioned KEKs (one active) and envelope encryption on top of them. Seal, Open, Rewrap and the
// accessors are thread-safe and may run while another thread calls Reload().
class KeyRing {
 public:
  virtual ~KeyRing() = default;

  // The key ring from $LIASONPAY_KEYRING if set (base64 of the file's contents; `path` is then
  // ignored), else from the file at `path`, which must not be accessible to group or others.
  static Result<std::unique_ptr<KeyRing>> Load(const std::string& path);

  // The KEK version in an LPE1 ciphertext's header (no key needed; nothing is authenticated).
  static Result<uint32_t> VersionOf(std::string_view blob);

  // Encrypts under a fresh DEK wrapped by the active KEK. Returns an LPE1 ciphertext (binary).
  Result<std::string> Seal(std::string_view plaintext, std::string_view associated_data) const;
  // Authenticates and decrypts; on any failure an error and no plaintext.
  Result<SecureBytes> Open(std::string_view blob, std::string_view associated_data) const;
  // Re-wraps the DEK under the active KEK without returning the plaintext; the data nonce,
  // ciphertext and tag are unchanged. The blob is fully authenticated first (a damaged row is
  // reported, not carried forward). Already at the active version: returns the same bytes.
  Result<std::string> Rewrap(std::string_view blob, std::string_view associated_data) const;

  virtual uint32_t ActiveVersion() const = 0;
  // Ascending by version.
  virtual std::vector<KeyVersion> Versions() const = 0;
  // The 32-byte API-key hashing pepper. Fixed for the life of this object (never rotated: that
  // would invalidate every API-key hash), so the reference stays valid across Reload().
  virtual const SecureBytes& ApiKeyPepper() const = 0;
  // Picks up a changed backing store (for the file: another inode, size or mtime). Ok(true) if
  // it re-read a changed store, Ok(false) if nothing changed. On error the current keys stay in
  // use. Call it periodically (or on inotify) to follow `liasonpay keys rotate`.
  virtual Result<bool> Reload() = 0;
  // Re-reads even if nothing seems to have changed (SIGHUP). Ok(true) when it re-read.
  virtual Result<bool> ForceReload() = 0;

 protected:
  virtual Result<KekConstSharedPtr> ActiveKek() const = 0;
  virtual Result<KekConstSharedPtr> FindKek(uint32_t version) const = 0;
};
using KeyRingPtr = std::unique_ptr<KeyRing>;

// The key ring kept in a local file (or, read-only, in $LIASONPAY_KEYRING). The static file
// operations always work on the file at `path` and ignore $LIASONPAY_KEYRING: a CLI that rotates
// should refuse while the variable is set, since servers would not see the file.
class FileKeyRing final : public KeyRing {
 public:
  // Reads `path` (or the environment variable; see KeyRing::Load).
  static Result<std::unique_ptr<FileKeyRing>> LoadFile(const std::string& path);

  // Writes a new key ring (version 1 active, a random KEK and pepper) with mode 0600 if `path`
  // does not exist. Ok(true) if it created one. Atomic: the file appears complete or not at all,
  // and a concurrent creator never replaces it. The directory must exist.
  static Result<bool> CreateIfMissing(const std::string& path);
  // Adds a random KEK with version max+1 and makes it active; keeps every other version and the
  // pepper. Returns the new version. Atomic rewrite (temporary file, fsync, rename, fsync dir);
  // concurrent file operations are serialised with a lock on the directory.
  static Result<uint32_t> AddVersion(const std::string& path);
  // Removes a version that is not active. The caller first checks that no ciphertext uses it
  // (Rewrap everything, then count VersionOf per version): ciphertexts under it become unreadable.
  static Result<void> RetireVersion(const std::string& path, uint32_t version);

  uint32_t ActiveVersion() const override;
  std::vector<KeyVersion> Versions() const override;
  const SecureBytes& ApiKeyPepper() const override { return pepper_; }
  // From the environment: always Ok(false). A changed api_key_pepper is refused
  // (keyring_pepper_changed): it needs a restart and new API keys. Besides, Open and Rewrap
  // re-check the file by themselves when a ciphertext names a version newer than any loaded (a
  // rewrap job on another node got there first).
  Result<bool> Reload() override { return ReloadImpl(/*force=*/false); }
  Result<bool> ForceReload() override { return ReloadImpl(/*force=*/true); }

  // Whether the keys came from $LIASONPAY_KEYRING rather than the file.
  bool FromEnvironment() const { return from_env_; }
  const std::string& Path() const { return path_; }

  struct State;  // the keys of one version of the file; immutable once published

 protected:
  Result<KekConstSharedPtr> ActiveKek() const override;
  Result<KekConstSharedPtr> FindKek(uint32_t version) const override;

 private:
  FileKeyRing(std::string path, bool from_env, SecureBytes pepper,
              std::shared_ptr<const State> state);
  std::shared_ptr<const State> Snapshot() const;
  // const: the object mirrors the file; FindKek re-checks it when a newer version shows up.
  Result<bool> ReloadImpl(bool force) const;

  const std::string path_;
  const bool from_env_;
  const SecureBytes pepper_;
  mutable std::shared_mutex mu_;  // guards state_ (the pointer, not the keys)
  mutable std::shared_ptr<const State> state_;
  mutable std::mutex reload_mu_;  // one Reload at a time
};

}  // namespace lp::crypto
