// Randomness from the OS CSPRNG (OpenSSL RAND_bytes) and prefixed, unguessable ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lp {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(void* out, size_t n) = 0;
  uint64_t NextU64() {
    uint64_t v = 0;
    Fill(&v, sizeof(v));
    return v;
  }
};

// Process-wide CSPRNG source; thread-safe.
Random& SystemRandom();

// "pay_" + 24 base62 characters: 8 of the millisecond clock (ids sort by creation time, which
// keeps database inserts local) then 16 from the CSPRNG (~95 bits; unguessable). Ids shorter
// than 20 characters are all random.
std::string NewId(std::string_view prefix, size_t chars = 24);
// base62 random token of n characters.
std::string RandomToken(size_t n);

}  // namespace lp
