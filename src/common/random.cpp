#include "lp/common/random.hpp"

#include <openssl/rand.h>

#include <chrono>
#include <stdexcept>

namespace lp {
namespace {

class OpenSslRandom final : public Random {
 public:
  void Fill(void* out, size_t n) override {
    if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
      throw std::runtime_error("RAND_bytes failed");  // the OS CSPRNG is gone: cannot go on
    }
  }
};

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

}  // namespace

Random& SystemRandom() {
  static OpenSslRandom r;
  return r;
}

namespace {

// Appends n base62 characters drawn from `next()` bytes.
template <class NextByte>
void AppendBase62(std::string& out, size_t n, NextByte next) {
  for (size_t made = 0; made < n;) {
    const unsigned char b = next();
    if (b >= 248) continue;  // rejection sampling: 248 = 62 * 4, keeps the choice uniform
    out.push_back(kAlphabet[b % 62]);
    ++made;
  }
}

// Id randomness: CSPRNG bytes fetched 1 KiB at a time per thread (one RAND_bytes call per ~60
// ids instead of one per id; each byte is used once). Secrets (RandomToken) never come from it.
unsigned char NextIdByte() {
  thread_local unsigned char pool[1024];
  thread_local size_t used = sizeof(pool);
  if (used == sizeof(pool)) {
    SystemRandom().Fill(pool, sizeof(pool));
    used = 0;
  }
  return pool[used++];
}

}  // namespace

std::string RandomToken(size_t n) {
  std::string out;
  out.reserve(n);
  unsigned char buf[64];
  size_t pos = sizeof(buf);
  AppendBase62(out, n, [&] {
    if (pos == sizeof(buf)) {
      SystemRandom().Fill(buf, sizeof(buf));
      pos = 0;
    }
    return buf[pos++];
  });
  return out;
}

std::string NewId(std::string_view prefix, size_t chars) {
  std::string id;
  id.reserve(prefix.size() + 1 + chars);
  id.append(prefix);
  id.push_back('_');
  if (chars >= 20) {
    // 8 base62 digits of the millisecond clock first: ids sort by creation time, so database
    // index inserts land at the right edge of the B-tree (few dirty pages per commit) instead
    // of all over it. The remaining 16+ characters (>= 95 bits) keep the id unguessable.
    uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
    char t[8];
    for (int i = 7; i >= 0; --i) {
      t[i] = kAlphabet[ms % 62];
      ms /= 62;
    }
    id.append(t, 8);
    AppendBase62(id, chars - 8, NextIdByte);
  } else {
    AppendBase62(id, chars, NextIdByte);
  }
  return id;
}

}  // namespace lp
