#include "app/keyring_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lp/common/random.hpp"
#include "lp/crypto/hash.hpp"

namespace lp::app {

namespace json = boost::json;

Result<void> WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode) {
  const std::string tmp = path + ".tmp." + RandomToken(8);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Error::Internal("cannot create " + tmp);
  ::fchmod(fd, mode);
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error::Internal("cannot write " + tmp);
    }
    off += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error::Internal("cannot rename " + tmp + " to " + path);
  }
  return {};
}

Result<void> CreateKeyringIfMissing(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return {};
  std::string kek(32, '\0'), pepper(32, '\0');
  SystemRandom().Fill(kek.data(), kek.size());
  SystemRandom().Fill(pepper.data(), pepper.size());
  json::object o{{"format", 1},
                 {"active", 1},
                 {"keys", json::array{json::object{{"version", 1}, {"key", crypto::Base64(kek)}}}},
                 {"api_key_pepper", crypto::Base64(pepper)}};
  crypto::Wipe(kek);
  crypto::Wipe(pepper);
  return WriteFileAtomic(path, json::serialize(o) + "\n", 0600);
}

Result<KeyringFile> LoadKeyring(const std::string& path) {
  std::string text;
  if (const char* env = std::getenv("LIASONPAY_KEYRING"); env && *env) {
    if (!crypto::Base64Decode(env, text)) {
      return Error::Internal("LIASONPAY_KEYRING is not valid base64");
    }
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return Error::Internal("no key ring at " + path +
                             "; run `liasonpay init` (or `serve --dev`), or pass --keyring");
    }
    if ((st.st_mode & 077) != 0) {
      return Error::Internal("key ring " + path +
                             " is readable by group or others; chmod 600 it");
    }
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  crypto::Wipe(text);
  if (ec || !v.is_object()) return Error::Internal("key ring " + path + " is not valid");
  KeyringFile k;
  const auto& o = v.as_object();
  auto* active = o.if_contains("active");
  auto* keys = o.if_contains("keys");
  auto* pepper = o.if_contains("api_key_pepper");
  if (!active || !active->is_int64() || !keys || !keys->is_array() || !pepper ||
      !pepper->is_string()) {
    return Error::Internal("key ring " + path + " lacks active/keys/api_key_pepper");
  }
  k.active_version = static_cast<int>(active->as_int64());
  for (const auto& e : keys->as_array()) {
    if (!e.is_object()) continue;
    auto* ver = e.as_object().if_contains("version");
    auto* key = e.as_object().if_contains("key");
    if (ver && ver->is_int64() && ver->as_int64() == k.active_version && key && key->is_string()) {
      if (!crypto::Base64Decode(std::string_view(key->as_string()), k.active_key)) {
        return Error::Internal("key ring " + path + ": bad key encoding");
      }
    }
  }
  if (k.active_key.size() != 32) return Error::Internal("key ring " + path + ": no active key");
  if (!crypto::Base64Decode(std::string_view(pepper->as_string()), k.api_key_pepper) ||
      k.api_key_pepper.size() != 32) {
    return Error::Internal("key ring " + path + ": bad api_key_pepper");
  }
  return k;
}

}  // namespace lp::app
