#include "lp/crypto/aead.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>

#include "lp/common/random.hpp"

namespace lp::crypto {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Error AeadError(std::string code, std::string message, std::string detail = {}) {
  if (detail.empty()) {
    detail = message;
  }
  return {ErrorType::kInternal, std::move(code), std::move(message), {}, std::move(detail)};
}

Error InvalidArgument(std::string message) {
  return AeadError("aead_invalid_argument", std::move(message));
}

Error AuthenticationFailed() {
  return AeadError("aead_authentication_failed", "authentication failed",
                   "AES-256-GCM tag mismatch: wrong key, nonce or associated data, or tampered "
                   "ciphertext or tag");
}

// Takes (and clears) OpenSSL's error queue so a later call does not report a stale error.
Error OpenSslFailure(std::string_view step) {
  std::string detail = "AES-256-GCM: " + std::string(step) + " failed";
  const unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    detail += ": ";
    detail += buf;
  }
  ERR_clear_error();
  return AeadError("aead_internal", "AES-256-GCM failed", std::move(detail));
}

std::optional<Error> CheckArguments(std::string_view key, std::string_view nonce,
                                    std::string_view data, std::string_view aad) {
  if (key.size() != kAeadKeySize) {
    return InvalidArgument("AES-256-GCM key must be 32 bytes, got " + std::to_string(key.size()));
  }
  if (nonce.size() != kAeadNonceSize) {
    return InvalidArgument("AES-256-GCM nonce must be 12 bytes, got " +
                           std::to_string(nonce.size()));
  }
  if (data.size() > kAeadMaxInputSize || aad.size() > kAeadMaxInputSize) {
    return InvalidArgument("AES-256-GCM input larger than 1 GiB");
  }
  return std::nullopt;
}

// Encrypts into ct_out (plaintext.size() bytes) and tag_out (16 bytes).
std::optional<Error> EncryptInto(std::string_view key, std::string_view nonce,
                                 std::string_view plaintext, std::string_view aad,
                                 unsigned char* ct_out, unsigned char* tag_out) {
  if (auto e = CheckArguments(key, nonce, plaintext, aad)) {
    return e;
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) {
    return OpenSslFailure("EVP_CIPHER_CTX_new");
  }
  // The default GCM IV length is 12 bytes; set it anyway so the contract is explicit.
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kAeadNonceSize),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce)) != 1) {
    return OpenSslFailure("encrypt init");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) {
    return OpenSslFailure("encrypt aad");
  }
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), ct_out, &len, U(plaintext),
                          static_cast<int>(plaintext.size())) != 1) {
      return OpenSslFailure("encrypt update");
    }
    written = len;
  }
  unsigned char final_block[16];
  if (EVP_EncryptFinal_ex(ctx.get(), final_block, &len) != 1 || len != 0 ||
      static_cast<std::size_t>(written) != plaintext.size()) {
    return OpenSslFailure("encrypt final");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagSize),
                          tag_out) != 1) {
    return OpenSslFailure("get tag");
  }
  return std::nullopt;
}

Result<SecureBytes> DecryptImpl(std::string_view key, std::string_view nonce,
                                std::string_view ciphertext, std::string_view tag,
                                std::string_view aad) {
  if (auto e = CheckArguments(key, nonce, ciphertext, aad)) {
    return *e;
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) {
    return OpenSslFailure("EVP_CIPHER_CTX_new");
  }
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kAeadNonceSize),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce)) != 1) {
    return OpenSslFailure("decrypt init");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) {
    return OpenSslFailure("decrypt aad");
  }
  // Plaintext is written before the tag is checked; `out` wipes itself if we return an error.
  SecureBytes out(ciphertext.size());
  if (!ciphertext.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), out.udata(), &len, U(ciphertext),
                          static_cast<int>(ciphertext.size())) != 1 ||
        static_cast<std::size_t>(len) != ciphertext.size()) {
      return OpenSslFailure("decrypt update");
    }
  }
  // EVP_CTRL_GCM_SET_TAG copies the tag; the const_cast is for OpenSSL's void* parameter.
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagSize),
                          const_cast<char*>(tag.data())) != 1) {
    return OpenSslFailure("set tag");
  }
  unsigned char final_block[16];
  if (EVP_DecryptFinal_ex(ctx.get(), final_block, &len) != 1) {
    ERR_clear_error();
    return AuthenticationFailed();
  }
  return out;
}

}  // namespace

Result<std::string> Aes256GcmEncrypt(std::string_view key, std::string_view nonce,
                                     std::string_view plaintext, std::string_view aad) {
  std::string out(plaintext.size() + kAeadTagSize, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (auto e = EncryptInto(key, nonce, plaintext, aad, p, p + plaintext.size())) {
    return *e;
  }
  return out;
}

Result<SecureBytes> Aes256GcmDecrypt(std::string_view key, std::string_view nonce,
                                     std::string_view ciphertext_and_tag, std::string_view aad) {
  if (ciphertext_and_tag.size() < kAeadTagSize) {
    return InvalidArgument("AES-256-GCM input shorter than its 16-byte tag");
  }
  const std::size_t n = ciphertext_and_tag.size() - kAeadTagSize;
  return DecryptImpl(key, nonce, ciphertext_and_tag.substr(0, n), ciphertext_and_tag.substr(n),
                     aad);
}

Result<std::string> Aes256GcmSeal(std::string_view key, std::string_view plaintext,
                                  std::string_view aad) {
  std::string out(kAeadNonceSize + plaintext.size() + kAeadTagSize, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  SystemRandom().Fill(p, kAeadNonceSize);
  const std::string_view nonce(out.data(), kAeadNonceSize);
  if (auto e = EncryptInto(key, nonce, plaintext, aad, p + kAeadNonceSize,
                           p + kAeadNonceSize + plaintext.size())) {
    return *e;
  }
  return out;
}

Result<SecureBytes> Aes256GcmOpen(std::string_view key, std::string_view sealed,
                                  std::string_view aad) {
  if (sealed.size() < kAeadNonceSize + kAeadTagSize) {
    return InvalidArgument("AES-256-GCM sealed input shorter than nonce and tag (28 bytes)");
  }
  return Aes256GcmDecrypt(key, sealed.substr(0, kAeadNonceSize), sealed.substr(kAeadNonceSize),
                          aad);
}

}  // namespace lp::crypto
