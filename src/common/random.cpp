#include "lp/common/random.hpp"

#include <openssl/rand.h>

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
  id.append(RandomToken(chars));
  return id;
}

}  // namespace lp
