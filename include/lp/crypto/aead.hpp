// AES-256-GCM through OpenSSL EVP: 256-bit key, 96-bit nonce, 128-bit tag (never truncated),
// associated data. The one place that drives the GCM cipher; envelope encryption (keyring.hpp)
// builds on it. On any failure the result is an lp::Error and no output bytes at all.
//
// Error codes: "aead_invalid_argument" (key/nonce/input size), "aead_authentication_failed" (wrong
// key, nonce or associated data, or tampered ciphertext/tag), "aead_internal" (OpenSSL failed).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lp/common/result.hpp"
#include "lp/common/secret.hpp"

namespace lp::crypto {

inline constexpr std::size_t kAeadKeySize = 32;    // AES-256
inline constexpr std::size_t kAeadNonceSize = 12;  // NIST SP 800-38D §5.2.1.1: 96-bit IVs
inline constexpr std::size_t kAeadTagSize = 16;    // 128-bit tag
// Largest plaintext or associated data accepted (OpenSSL takes int lengths).
inline constexpr std::size_t kAeadMaxInputSize = (std::size_t{1} << 30);

// Encrypts under a fresh random nonce from the CSPRNG.
// Returns nonce (12) || ciphertext (plaintext.size()) || tag (16).
// NIST SP 800-38D §8.3: with random nonces, at most 2^32 calls per key.
Result<std::string> Aes256GcmSeal(std::string_view key, std::string_view plaintext,
                                  std::string_view aad);
// Opens what Aes256GcmSeal returned.
Result<SecureBytes> Aes256GcmOpen(std::string_view key, std::string_view sealed,
                                  std::string_view aad);

// The same with a caller-chosen nonce (known-answer tests; protocols with their own nonce rules).
// A nonce must never repeat under one key. Encrypt returns ciphertext || tag (16); Decrypt takes
// the same layout.
Result<std::string> Aes256GcmEncrypt(std::string_view key, std::string_view nonce,
                                     std::string_view plaintext, std::string_view aad);
Result<SecureBytes> Aes256GcmDecrypt(std::string_view key, std::string_view nonce,
                                     std::string_view ciphertext_and_tag, std::string_view aad);

}  // namespace lp::crypto
