// Hashes, MACs and Base64 (OpenSSL) and constant-time comparison (libsodium).
#pragma once

#include <string>
#include <string_view>

namespace lp::crypto {

std::string Sha256(std::string_view data);                            // 32 raw bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string Hex(std::string_view bytes);
std::string Base64(std::string_view bytes);
// Returns false on malformed input.
bool Base64Decode(std::string_view text, std::string& out);
bool ConstantTimeEqual(std::string_view a, std::string_view b);
// Overwrites the buffer so the secret does not linger in memory.
void Wipe(std::string& s);

}  // namespace lp::crypto
