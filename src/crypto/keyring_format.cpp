// The key ring's formats: the LPE1 ciphertext (parsing, wrapping, Seal/Open/VersionOf) and the
// key-ring JSON document (parsed and serialised in wiped memory). See lp/crypto/keyring.hpp.
#include "crypto/keyring_format.hpp"

#include <boost/json.hpp>
#include <cerrno>
#include <limits>
#include <new>
#include <optional>
#include <system_error>
#include <utility>

#include "lp/common/random.hpp"
#include "lp/crypto/aead.hpp"
#include "lp/crypto/hash.hpp"
#include "lp/crypto/keyring.hpp"

namespace lp::crypto {
namespace detail {

namespace {

uint32_t ReadU32BE(std::string_view s) {
  const auto b = [&](std::size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(s[i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

Error AuthFailed(std::string_view verb, std::string detail) {
  const std::string prefix = "cannot " + std::string(verb) + " secret: ";
  return Fail(ErrorType::kInternal, "secret_authentication_failed",
              prefix + "authentication failed", prefix + "authentication failed " + detail);
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

}  // namespace

Error Fail(ErrorType type, std::string code, std::string message, std::string detail) {
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

// ---- LPE1 parsing -------------------------------------------------------------------------------

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

SecureBytes RandomKey() {
  SecureBytes key(kDekSize);
  SystemRandom().Fill(key.data(), key.size());
  return key;
}

// ---- JSON with wiped memory ---------------------------------------------------------------------

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

// ---- The key-ring document ----------------------------------------------------------------------

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

}  // namespace detail

using namespace detail;  // NOLINT(google-build-using-namespace): this module's private helpers

// ---- KeyRing: Seal, Open, VersionOf -------------------------------------------------------------

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

}  // namespace lp::crypto
