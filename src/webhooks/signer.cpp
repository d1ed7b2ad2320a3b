#include "lp/webhooks/signer.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "lp/common/random.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::webhooks {

namespace {

constexpr size_t kSecretBytes = 24;
constexpr size_t kMaxSignatureEntries = 64;

// Holds a decoded key and wipes it when it goes away.
class Key {
 public:
  Key() = default;
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  ~Key() { crypto::Wipe(bytes_); }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// The HMAC key of a secret: base64-decode of what follows the optional "whsec_" prefix. Missing
// padding is tolerated, as in the Standard Webhooks reference libraries.
bool DecodeSecret(std::string_view secret, std::string& key) {
  if (secret.starts_with(kSecretPrefix)) secret.remove_prefix(kSecretPrefix.size());
  size_t data_len = secret.size();
  while (data_len > 0 && secret[data_len - 1] == '=') --data_len;
  if (data_len == 0 || secret.size() - data_len > 2) return false;
  if (!std::all_of(secret.begin(), secret.begin() + static_cast<std::ptrdiff_t>(data_len),
                   IsBase64Char)) {
    return false;
  }
  if (data_len % 4 == 1) return false;  // not a whole number of bytes
  std::string padded(secret.substr(0, data_len));
  padded.append((4 - data_len % 4) % 4, '=');
  const bool ok = crypto::Base64Decode(padded, key);
  crypto::Wipe(padded);
  return ok && !key.empty();
}

Error Invalid(std::string code, std::string message, std::string param = {}) {
  return Error::Invalid(std::move(code), std::move(message), std::move(param));
}

bool ValidMessageId(std::string_view id) {
  return !id.empty() && id.size() <= 256 && id.find('.') == std::string_view::npos;
}

// base64(HMAC-SHA256(key, id "." ts "." body)), without the "v1," prefix.
std::string Mac(std::string_view key, std::string_view msg_id, int64_t timestamp,
                std::string_view body) {
  std::string content;
  content.reserve(msg_id.size() + body.size() + 24);
  content.append(msg_id);
  content.push_back('.');
  content.append(std::to_string(timestamp));
  content.push_back('.');
  content.append(body);
  return crypto::Base64(crypto::HmacSha256(key, content));
}

}  // namespace

std::string GenerateSecret() {
  std::string raw(kSecretBytes, '\0');
  SystemRandom().Fill(raw.data(), raw.size());
  std::string out = std::string(kSecretPrefix) + crypto::Base64(raw);
  crypto::Wipe(raw);
  return out;
}

Result<std::string> Sign(std::string_view secret, std::string_view msg_id, int64_t timestamp,
                         std::string_view body) {
  Key key;
  if (!DecodeSecret(secret, key.bytes())) {
    return Invalid("webhook_secret_invalid", "The webhook secret is not whsec_ + base64.");
  }
  if (!ValidMessageId(msg_id)) {
    return Invalid("webhook_id_invalid", "The message id must be non-empty and contain no '.'.");
  }
  if (timestamp < 0) {
    return Invalid("webhook_timestamp_invalid", "The timestamp must not be negative.");
  }
  return "v1," + Mac(key.bytes(), msg_id, timestamp, body);
}

std::string SignatureHeader(const std::vector<std::string>& secrets, std::string_view msg_id,
                            int64_t timestamp, std::string_view body) {
  std::string out;
  for (const auto& secret : secrets) {
    auto sig = Sign(secret, msg_id, timestamp, body);
    if (!sig) continue;
    if (!out.empty()) out.push_back(' ');
    out += *sig;
  }
  return out;
}

Result<void> Verify(const std::vector<std::string>& secrets, const SignedHeaders& headers,
                    std::string_view body, int64_t now, int64_t tolerance_s) {
  if (secrets.empty()) {
    return Invalid("webhook_secret_invalid", "No webhook secret is configured.");
  }
  if (headers.id.empty()) {
    return Invalid("webhook_header_missing", "The webhook-id header is missing.", "webhook-id");
  }
  if (headers.timestamp.empty()) {
    return Invalid("webhook_header_missing", "The webhook-timestamp header is missing.",
                   "webhook-timestamp");
  }
  if (headers.signature.empty()) {
    return Invalid("webhook_header_missing", "The webhook-signature header is missing.",
                   "webhook-signature");
  }
  if (!ValidMessageId(headers.id)) {
    return Invalid("webhook_id_invalid", "The webhook-id header is invalid.", "webhook-id");
  }

  const std::string_view ts = headers.timestamp;
  int64_t timestamp = 0;
  auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), timestamp);
  if (ts.size() > 18 || ts.front() < '0' || ts.front() > '9' || ec != std::errc() ||
      end != ts.data() + ts.size()) {
    return Invalid("webhook_timestamp_invalid", "The webhook-timestamp header is not a number.",
                   "webhook-timestamp");
  }
  if (timestamp < now - tolerance_s) {
    return Invalid("webhook_timestamp_too_old", "The webhook timestamp is too old.",
                   "webhook-timestamp");
  }
  if (timestamp > now + tolerance_s) {
    return Invalid("webhook_timestamp_too_new", "The webhook timestamp is in the future.",
                   "webhook-timestamp");
  }

  std::vector<std::string> expected;
  expected.reserve(secrets.size());
  for (const auto& secret : secrets) {
    Key key;
    if (!DecodeSecret(secret, key.bytes())) {
      return Invalid("webhook_secret_invalid", "A webhook secret is not whsec_ + base64.");
    }
    expected.push_back(Mac(key.bytes(), headers.id, timestamp, body));
  }

  bool matched = false;
  size_t entries = 0;
  std::string_view rest = headers.signature;
  while (!rest.empty() && entries < kMaxSignatureEntries) {
    const size_t space = rest.find(' ');
    const std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (entry.empty()) continue;
    ++entries;
    const size_t comma = entry.find(',');
    if (comma == std::string_view::npos || entry.substr(0, comma) != "v1") continue;
    const std::string_view candidate = entry.substr(comma + 1);
    for (const auto& e : expected) {
      // No early exit: every entry is compared against every secret in constant time.
      matched = crypto::ConstantTimeEqual(candidate, e) || matched;
    }
  }
  if (!matched) {
    return Invalid("webhook_signature_invalid", "No webhook signature matched.",
                   "webhook-signature");
  }
  return {};
}

}  // namespace lp::webhooks
