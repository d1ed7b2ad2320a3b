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

std::string RandomToken(size_t n) {
  std::string out;
  out.reserve(n);
  unsigned char buf[64];
  while (out.size() < n) {
    SystemRandom().Fill(buf, sizeof(buf));
    for (unsigned char b : buf) {
      if (b >= 248) continue;  // rejection sampling: 248 = 62 * 4, keeps the choice uniform
      out.push_back(kAlphabet[b % 62]);
      if (out.size() == n) break;
    }
  }
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
    id.append(RandomToken(chars - 8));
  } else {
    id.append(RandomToken(chars));
  }
  return id;
}

}  // namespace lp
