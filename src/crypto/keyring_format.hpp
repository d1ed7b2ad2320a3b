// Private to src/crypto: the key ring's two formats, the LPE1 ciphertext and the key-ring JSON
// document (see lp/crypto/keyring.hpp for both), and the errors the key-ring files share.
// keyring_format.cpp parses and serialises them (and holds Seal/Open/VersionOf); file_keyring.cpp
// (loading, permissions, reload) and keyring_rotation.cpp (create, add, retire, rewrap) use them.
#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "lp/common/error.hpp"
#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"
#include "lp/crypto/keyring.hpp"

namespace lp::crypto::detail {

namespace json = boost::json;

inline constexpr std::size_t kMaxKeyRingFileSize = 1 << 20;
inline constexpr int kFormat = 1;

// ---- Errors -------------------------------------------------------------------------------------

Error Fail(ErrorType type, std::string code, std::string message, std::string detail = {});
Error Invalid(std::string_view origin, std::string_view what);
// Appends the current errno's text; call it right after the failing system call.
Error Io(std::string message);

// ---- LPE1 ---------------------------------------------------------------------------------------

void AppendU32BE(std::string& out, uint32_t v);

struct BlobParts {
  uint32_t version = 0;
  std::string_view header;   // magic + version: the prefix of the wrap AAD
  std::string_view wrapped;  // wrap nonce || encrypted DEK || wrap tag
  std::string_view data;     // data nonce || ciphertext || data tag
};

// `verb` names the operation for messages: "open", "rewrap", "read".
Result<BlobParts> ParseBlob(std::string_view blob, std::string_view verb);
std::string WrapAad(std::string_view header, std::string_view associated_data);
// Puts "cannot <verb> secret: " before a backend's secret_* error (e.g. an unknown version).
Error InContext(Error e, std::string_view verb);
// Unwraps the DEK of `p` with `kek`; maps a tag mismatch to a clear error, passes others through
// (a remote KEK backend may report "unavailable").
Result<SecureBytes> UnwrapDek(const Kek& kek, const BlobParts& p, std::string_view associated_data,
                              std::string_view verb);
Result<SecureBytes> DecryptData(const SecureBytes& dek, const BlobParts& p,
                                std::string_view associated_data, std::string_view verb);
SecureBytes RandomKey();

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

std::optional<json::value> ParseJson(std::string_view text, const json::storage_ptr& sp);
SecureBytes SerializeJson(const json::value& v);
json::string Base64Json(std::string_view bytes, const json::storage_ptr& sp);

// ---- The key-ring document ----------------------------------------------------------------------

struct ParsedRing {
  uint32_t active = 0;
  std::map<uint32_t, SecureBytes> keys;
  SecureBytes pepper;
};

std::optional<uint32_t> AsVersion(const json::value* v);
Result<ParsedRing> ParseRing(const json::value& doc, std::string_view origin);
Result<ParsedRing> ParseRingText(std::string_view text, std::string_view origin);

}  // namespace lp::crypto::detail
