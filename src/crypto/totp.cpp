#include "lp/crypto/totp.hpp"

#include <oath.h>

#include <cstdlib>
#include <mutex>

#include "lp/crypto/hash.hpp"

namespace lp::crypto {
namespace {

// oath_init sets up the library's crypto backend once per process.
Result<void> EnsureInit() {
  static std::once_flag once;
  static int rc = OATH_OK;
  std::call_once(once, [] { rc = oath_init(); });
  if (rc != OATH_OK) return Error::Internal(std::string("oath_init: ") + oath_strerror(rc));
  return {};
}

int Flags(TotpAlgorithm a) {
  switch (a) {
    case TotpAlgorithm::kSha256:
      return OATH_TOTP_HMAC_SHA256;
    case TotpAlgorithm::kSha512:
      return OATH_TOTP_HMAC_SHA512;
    case TotpAlgorithm::kSha1:
      break;
  }
  return 0;
}

}  // namespace

int64_t TotpStep(int64_t unix_time, const TotpParams& params) {
  // Floor division (times before 1970 are not expected, but stay correct).
  int64_t q = unix_time / params.period_s;
  if (unix_time % params.period_s != 0 && unix_time < 0) --q;
  return q;
}

Result<std::string> TotpCodeAtStep(std::string_view secret, int64_t step,
                                   const TotpParams& params) {
  if (params.digits < 6 || params.digits > 8 || params.period_s <= 0 || secret.empty()) {
    return Error::Internal("totp: invalid parameters");
  }
  if (auto r = EnsureInit(); !r) return r.error();
  // liboath takes a time and a step size: the start of step `step` is that step's time.
  const time_t at = static_cast<time_t>(step * params.period_s);
  char out[16] = {};
  const int rc = oath_totp_generate2(secret.data(), secret.size(), at,
                                     static_cast<unsigned>(params.period_s),
                                     OATH_TOTP_DEFAULT_START_TIME,
                                     static_cast<unsigned>(params.digits), Flags(params.algorithm),
                                     out);
  if (rc != OATH_OK) return Error::Internal(std::string("oath_totp_generate2: ") + oath_strerror(rc));
  return std::string(out, static_cast<size_t>(params.digits));
}

Result<std::string> TotpCode(std::string_view secret, int64_t unix_time,
                             const TotpParams& params) {
  return TotpCodeAtStep(secret, TotpStep(unix_time, params), params);
}

std::optional<int64_t> TotpMatchStep(std::string_view secret, std::string_view code,
                                     int64_t unix_time, int window, const TotpParams& params) {
  if (code.size() != static_cast<size_t>(params.digits)) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const int64_t now_step = TotpStep(unix_time, params);
  std::optional<int64_t> found;
  for (int64_t s = now_step - window; s <= now_step + window; ++s) {
    auto expected = TotpCodeAtStep(secret, s, params);
    if (!expected) return std::nullopt;
    // No early exit: every step of the window is computed and compared.
    if (ConstantTimeEqual(*expected, code) && !found) found = s;
  }
  return found;
}

std::string Base32Encode(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (!EnsureInit()) return {};
  char* out = nullptr;
  size_t len = 0;
  if (oath_base32_encode(bytes.data(), bytes.size(), &out, &len) != OATH_OK || out == nullptr) {
    return {};
  }
  std::string s(out, len);
  std::free(out);
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

}  // namespace lp::crypto
