// TOTP (RFC 6238) over HOTP (RFC 4226), computed by liboath (OATH Toolkit): the one place that
// turns a shared secret and a time into a one-time code. Policy (which steps are accepted, replay)
// is the caller's: this header only generates codes and finds the step a code belongs to.
//
// Secrets are raw bytes (20 for the 160-bit secrets RFC 4226 §4 R6 recommends); authenticator
// apps get them base32-encoded (RFC 4648, no padding) in an otpauth:// URI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lp/common/result.hpp"

namespace lp::crypto {

enum class TotpAlgorithm { kSha1, kSha256, kSha512 };

struct TotpParams {
  TotpAlgorithm algorithm = TotpAlgorithm::kSha1;
  int digits = 6;        // 6, 7 or 8
  int64_t period_s = 30;  // time step X; T0 = 0 (the Unix epoch)
};

// The time step (counter T) that `unix_time` falls in.
int64_t TotpStep(int64_t unix_time, const TotpParams& params = {});

// The code of time step `step` (zero-padded to params.digits).
Result<std::string> TotpCodeAtStep(std::string_view secret, int64_t step,
                                   const TotpParams& params = {});
// The code for the time `unix_time`.
Result<std::string> TotpCode(std::string_view secret, int64_t unix_time,
                             const TotpParams& params = {});

// The step within [step(now) - window, step(now) + window] whose code equals `code`, comparing in
// constant time and trying every step of the window (so the time does not tell which matched).
// nullopt when none matches or `code` is not params.digits ASCII digits.
std::optional<int64_t> TotpMatchStep(std::string_view secret, std::string_view code,
                                     int64_t unix_time, int window,
                                     const TotpParams& params = {});

// RFC 4648 base32 (A–Z, 2–7) without padding, as otpauth:// URIs carry secrets.
std::string Base32Encode(std::string_view bytes);

}  // namespace lp::crypto
