#include "lp/crypto/keyring.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "lp/crypto/aead.hpp"
#include "lp/crypto/hash.hpp"
#include "support/temp_dir.hpp"

namespace lp::crypto {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kAdA = "connector_accounts:credentials:ca_A";
constexpr std::string_view kAdB = "connector_accounts:credentials:ca_B";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes with the given mode (not atomic: only for setting up tests).
void WriteFile(const std::string& path, std::string_view text, mode_t mode = 0600) {
  const std::string tmp = path + ".setup";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ASSERT_EQ(::chmod(tmp.c_str(), mode), 0);
  ASSERT_EQ(::rename(tmp.c_str(), path.c_str()), 0);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

// Exactly what src/app/keyring_file.cpp (CreateKeyringIfMissing) writes today.
std::string TodaysFormat(std::string_view kek, std::string_view pepper) {
  json::object o{{"format", 1},
                 {"active", 1},
                 {"keys", json::array{json::object{{"version", 1}, {"key", Base64(kek)}}}},
                 {"api_key_pepper", Base64(pepper)}};
  return json::serialize(o) + "\n";
}

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The tests read the file; a key ring in the environment would replace it.
    if (const char* env = std::getenv(kKeyRingEnvVar)) {
      saved_env_ = env;
      had_env_ = true;
    }
    ::unsetenv(kKeyRingEnvVar);
  }
  void TearDown() override {
    ::unsetenv(kKeyRingEnvVar);
    if (had_env_) {
      ::setenv(kKeyRingEnvVar, saved_env_.c_str(), 1);
    }
  }

  std::unique_ptr<KeyRing> LoadOrDie() {
    auto ring = KeyRing::Load(path_);
    EXPECT_TRUE(ring) << (ring ? "" : ring.error().detail);
    return ring ? std::move(*ring) : nullptr;
  }
  std::unique_ptr<KeyRing> CreateAndLoad() {
    auto created = FileKeyRing::CreateIfMissing(path_);
    EXPECT_TRUE(created && *created);
    return LoadOrDie();
  }

  testing::TempDir tmp_{"lp_keyring_test"};
  std::string dir_ = tmp_.path().string();
  std::string path_ = dir_ + "/keyring";
  std::string saved_env_;
  bool had_env_ = false;
};

// ---- Creating and loading ----------------------------------------------------------------------

TEST_F(KeyRingTest, CreateIfMissingWritesTodaysFormatWithMode0600) {
  auto created = FileKeyRing::CreateIfMissing(path_);
  ASSERT_TRUE(created) << created.error().detail;
  EXPECT_TRUE(*created);
  EXPECT_EQ(ModeOf(path_), 0600u);
  const std::string text = ReadFile(path_);
  const json::object doc = json::parse(text).as_object();
  EXPECT_EQ(doc.at("format").as_int64(), 1);
  EXPECT_EQ(doc.at("active").as_int64(), 1);
  ASSERT_EQ(doc.at("keys").as_array().size(), 1u);
  const auto& key = doc.at("keys").as_array()[0].as_object();
  EXPECT_EQ(key.at("version").as_int64(), 1);
  std::string raw;
  ASSERT_TRUE(Base64Decode(std::string_view(key.at("key").as_string()), raw));
  EXPECT_EQ(raw.size(), 32u);
  ASSERT_TRUE(Base64Decode(std::string_view(doc.at("api_key_pepper").as_string()), raw));
  EXPECT_EQ(raw.size(), 32u);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);

  // A second call leaves the existing file alone.
  auto again = FileKeyRing::CreateIfMissing(path_);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(ReadFile(path_), text);
}

TEST_F(KeyRingTest, ConcurrentCreatorsNeverReplaceEachOthersFile) {
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = FileKeyRing::CreateIfMissing(path_);
      ASSERT_TRUE(r) << r.error().detail;
      created += *r ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_TRUE(KeyRing::Load(path_));
}

TEST_F(KeyRingTest, LoadsTodaysFormatAndTheSameKeysSealAndOpen) {
  const std::string kek(32, '\x11'), pepper(32, '\x22');
  WriteFile(path_, TodaysFormat(kek, pepper));
  auto ring = LoadOrDie();
  ASSERT_TRUE(ring);
  EXPECT_EQ(ring->ActiveVersion(), 1u);
  ASSERT_EQ(ring->Versions().size(), 1u);
  EXPECT_EQ(ring->Versions()[0].version, 1u);
  EXPECT_TRUE(ring->Versions()[0].active);
  EXPECT_EQ(ring->ApiKeyPepper().view(), pepper);
  auto blob = ring->Seal("sk_test_psp_secret", kAdA);
  ASSERT_TRUE(blob);
  auto opened = ring->Open(*blob, kAdA);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->view(), "sk_test_psp_secret");
}

// Builds an LPE1 blob by hand from the documented layout with the AEAD primitive and known
// nonces, and checks that Open reads it: the format in keyring.hpp is the format in the code.
TEST_F(KeyRingTest, OpensABlobBuiltByHandFromTheDocumentedLayout) {
  const std::string kek(32, '\x11'), pepper(32, '\x22'), dek(32, '\x33');
  WriteFile(path_, TodaysFormat(kek, pepper));
  auto ring = LoadOrDie();
  ASSERT_TRUE(ring);
  const std::string wrap_nonce(12, '\x44'), data_nonce(12, '\x55');
  const std::string header = std::string("LPE1") + std::string("\x00\x00\x00\x01", 4);
  auto wrapped = Aes256GcmEncrypt(kek, wrap_nonce, dek, header + std::string(kAdA));
  auto data = Aes256GcmEncrypt(dek, data_nonce, "hello", kAdA);
  ASSERT_TRUE(wrapped && data);
  const std::string blob = header + wrap_nonce + *wrapped + data_nonce + *data;
  ASSERT_EQ(blob.size(), 5 + kSealedOverhead);
  auto opened = ring->Open(blob, kAdA);
  ASSERT_TRUE(opened) << opened.error().detail;
  EXPECT_EQ(opened->view(), "hello");
  // And a sealed blob decomposes the same way.
  auto sealed = ring->Seal("hello", kAdA);
  ASSERT_TRUE(sealed);
  const std::string_view s = *sealed;
  auto dek2 = Aes256GcmDecrypt(kek, s.substr(8, 12), s.substr(20, 48), header + std::string(kAdA));
  ASSERT_TRUE(dek2);
  auto pt = Aes256GcmDecrypt(dek2->view(), s.substr(68, 12), s.substr(80), kAdA);
  ASSERT_TRUE(pt);
  EXPECT_EQ(pt->view(), "hello");
}

TEST_F(KeyRingTest, RefusesAFileAccessibleByGroupOrOthers) {
  ASSERT_TRUE(FileKeyRing::CreateIfMissing(path_));
  for (mode_t mode : {0644, 0640, 0604, 0660, 0606, 0666, 0610, 0601}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    auto ring = KeyRing::Load(path_);
    ASSERT_FALSE(ring);
    EXPECT_EQ(ring.error().code, "keyring_insecure");
    EXPECT_NE(ring.error().detail.find("chmod 600 " + path_), std::string::npos)
        << ring.error().detail;
    EXPECT_NE(ring.error().detail.find("group or others"), std::string::npos);
    // The CLI file operations refuse it as well.
    EXPECT_EQ(FileKeyRing::AddVersion(path_).error().code, "keyring_insecure");
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0400), 0);
  EXPECT_TRUE(KeyRing::Load(path_));
}

TEST_F(KeyRingTest, MissingFileSaysHowToCreateOne) {
  auto ring = KeyRing::Load(path_);
  ASSERT_FALSE(ring);
  EXPECT_EQ(ring.error().code, "keyring_missing");
  EXPECT_NE(ring.error().detail.find("liasonpay init"), std::string::npos);
}

TEST_F(KeyRingTest, RefusesMalformedKeyRings) {
  const std::string k = Base64(std::string(32, 'k'));
  const std::string p = Base64(std::string(32, 'p'));
  const std::string bad[] = {
      "not json",
      "[]",
      R"({"format":2,"active":1,"keys":[{"version":1,"key":")" + k + R"("}],"api_key_pepper":")" +
          p + R"("})",
      R"({"active":2,"keys":[{"version":1,"key":")" + k + R"("}],"api_key_pepper":")" + p + R"("})",
      R"({"active":1,"keys":[],"api_key_pepper":")" + p + R"("})",
      R"({"active":1,"keys":[{"version":1,"key":")" + Base64("short") +
          R"("}],"api_key_pepper":")" + p + R"("})",
      R"({"active":1,"keys":[{"version":1,"key":")" + k + R"("},{"version":1,"key":")" + k +
          R"("}],"api_key_pepper":")" + p + R"("})",
      R"({"active":1,"keys":[{"version":0,"key":")" + k + R"("}],"api_key_pepper":")" + p + R"("})",
      R"({"active":1,"keys":[{"version":1,"key":")" + k + R"("}]})",
      R"({"active":1,"keys":[{"version":1,"key":")" + k + R"("}],"api_key_pepper":"!!!!"})",
  };
  for (const auto& text : bad) {
    SCOPED_TRACE(text);
    WriteFile(path_, text);
    auto ring = KeyRing::Load(path_);
    ASSERT_FALSE(ring);
    EXPECT_EQ(ring.error().code, "keyring_invalid");
    EXPECT_NE(ring.error().detail.find(path_), std::string::npos);
  }
}

TEST_F(KeyRingTest, LoadsFromTheEnvironmentInsteadOfTheFile) {
  auto file_ring = CreateAndLoad();
  ASSERT_TRUE(file_ring);
  auto blob = file_ring->Seal("secret", kAdA);
  ASSERT_TRUE(blob);
  const std::string contents = ReadFile(path_);

  ::setenv(kKeyRingEnvVar, Base64(contents).c_str(), 1);
  auto env_ring = FileKeyRing::LoadFile(dir_ + "/does-not-exist");
  ASSERT_TRUE(env_ring) << env_ring.error().detail;
  EXPECT_TRUE((*env_ring)->FromEnvironment());
  auto opened = (*env_ring)->Open(*blob, kAdA);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->view(), "secret");
  EXPECT_EQ((*env_ring)->ApiKeyPepper().view(), file_ring->ApiKeyPepper().view());
  auto reloaded = (*env_ring)->Reload();
  ASSERT_TRUE(reloaded);
  EXPECT_FALSE(*reloaded);

  // `base64` without -w0 wraps lines; that works too.
  std::string wrapped = Base64(contents);
  for (std::size_t i = 76; i < wrapped.size(); i += 77) wrapped.insert(i, "\n");
  ::setenv(kKeyRingEnvVar, (wrapped + "\n").c_str(), 1);
  EXPECT_TRUE(KeyRing::Load(path_));

  ::setenv(kKeyRingEnvVar, "not base64 at all", 1);
  auto bad = KeyRing::Load(path_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "keyring_invalid");
  EXPECT_NE(bad.error().detail.find("LIASONPAY_KEYRING"), std::string::npos);
}

// ---- Seal and Open -----------------------------------------------------------------------------

TEST_F(KeyRingTest, SealProducesAVersionedBinaryBlobThatOpens) {
  auto ring = CreateAndLoad();
  ASSERT_TRUE(ring);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{40}, std::size_t{1} << 20}) {
    const std::string pt(n, 'z');
    auto blob = ring->Seal(pt, kAdA);
    ASSERT_TRUE(blob);
    EXPECT_EQ(blob->size(), n + 96);
    EXPECT_EQ(blob->substr(0, 4), "LPE1");
    EXPECT_EQ(blob->substr(4, 4), std::string("\0\0\0\1", 4));
    EXPECT_EQ(KeyRing::VersionOf(*blob).value(), 1u);
    auto opened = ring->Open(*blob, kAdA);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->view(), pt);
    if (n >= 16) {
      EXPECT_EQ(blob->find(pt.substr(0, 16)), std::string::npos);  // no plaintext in the blob
    }
  }
}

TEST_F(KeyRingTest, BlobIsBoundToItsAssociatedData) {
  auto ring = CreateAndLoad();
  ASSERT_TRUE(ring);
  auto blob = ring->Seal("psp api key", kAdA);
  ASSERT_TRUE(blob);
  auto wrong = ring->Open(*blob, kAdB);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "secret_authentication_failed");
  EXPECT_EQ(wrong.error().message, "cannot open secret: authentication failed");
  EXPECT_FALSE(ring->Open(*blob, ""));
  EXPECT_FALSE(ring->Open(*blob, std::string(kAdA) + " "));
  EXPECT_FALSE(ring->Rewrap(*blob, kAdB));
  // Every one-bit change of the associated data.
  const std::string ad(kAdA);
  for (std::size_t i = 0; i < ad.size() * 8; ++i) {
    std::string bad = ad;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    auto r = ring->Open(*blob, bad);
    ASSERT_FALSE(r) << i;
    EXPECT_EQ(r.error().code, "secret_authentication_failed");
  }
  EXPECT_TRUE(ring->Open(*blob, kAdA));
}

TEST_F(KeyRingTest, FlippingABitInAnyRegionFailsWithAClearError) {
  auto ring = CreateAndLoad();
  ASSERT_TRUE(ring);
  const std::string pt = "whsec_a_connector_webhook_secret";
  auto sealed = ring->Seal(pt, kAdA);
  ASSERT_TRUE(sealed);
  const std::string blob = *sealed;
  const std::size_t n = pt.size();
  struct Region {
    const char* name;
    std::size_t offset, size;
    const char* code;
    const char* message;
  };
  const Region regions[] = {
      {"magic", 0, 4, "secret_malformed", "cannot open secret: not an LPE1 ciphertext"},
      {"kek version", 4, 4, "secret_key_version_unknown",
       "cannot open secret: key version "},  // + the flipped version
      {"wrap nonce", 8, 12, "secret_authentication_failed",
       "cannot open secret: authentication failed"},
      {"wrapped dek", 20, 32, "secret_authentication_failed",
       "cannot open secret: authentication failed"},
      {"wrap tag", 52, 16, "secret_authentication_failed",
       "cannot open secret: authentication failed"},
      {"data nonce", 68, 12, "secret_authentication_failed",
       "cannot open secret: authentication failed"},
      {"ciphertext", 80, n, "secret_authentication_failed",
       "cannot open secret: authentication failed"},
      {"data tag", 80 + n, 16, "secret_authentication_failed",
       "cannot open secret: authentication failed"},
  };
  std::size_t covered = 0;
  for (const auto& region : regions) {
    SCOPED_TRACE(region.name);
    covered += region.size;
    for (std::size_t byte = region.offset; byte < region.offset + region.size; ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = blob;
        bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
        auto r = ring->Open(bad, kAdA);
        ASSERT_FALSE(r) << "byte " << byte << " bit " << bit;
        EXPECT_EQ(r.error().code, region.code) << "byte " << byte << " bit " << bit;
        EXPECT_EQ(r.error().message.rfind(region.message, 0), 0u) << r.error().message;
        EXPECT_FALSE(ring->Rewrap(bad, kAdA));
      }
    }
  }
  EXPECT_EQ(covered, blob.size());  // the regions cover every byte
  // Truncated to any length, or extended, it never opens.
  for (std::size_t len = 0; len < blob.size(); ++len) {
    auto r = ring->Open(blob.substr(0, len), kAdA);
    ASSERT_FALSE(r) << len;
    EXPECT_TRUE(r.error().code == "secret_malformed" ||
                r.error().code == "secret_authentication_failed")
        << r.error().code;
  }
  EXPECT_FALSE(ring->Open(blob + "x", kAdA));
  EXPECT_TRUE(ring->Open(blob, kAdA));
}

TEST_F(KeyRingTest, ABlobFromAnotherKeyRingDoesNotOpen) {
  auto ring = CreateAndLoad();
  ASSERT_TRUE(ring);
  const std::string other = dir_ + "/other";
  ASSERT_TRUE(FileKeyRing::CreateIfMissing(other));
  auto other_ring = KeyRing::Load(other);
  ASSERT_TRUE(other_ring);
  auto blob = (*other_ring)->Seal("x", kAdA);
  ASSERT_TRUE(blob);
  auto r = ring->Open(*blob, kAdA);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "secret_authentication_failed");
  EXPECT_NE(r.error().detail.find("another key ring"), std::string::npos);
}

// NIST SP 800-38D §8: a nonce must not repeat under a key (CRY-02).
TEST_F(KeyRingTest, HundredThousandSealsRepeatNoNonceAndNoCiphertext) {
  auto ring = CreateAndLoad();
  ASSERT_TRUE(ring);
  constexpr int kSeals = 100000;
  std::unordered_set<std::string> wrap_nonces, data_nonces, wrapped_deks, ciphertexts;
  wrap_nonces.reserve(kSeals);
  data_nonces.reserve(kSeals);
  wrapped_deks.reserve(kSeals);
  ciphertexts.reserve(kSeals);
  const std::string pt = "the same plaintext every time";
  for (int i = 0; i < kSeals; ++i) {
    auto blob = ring->Seal(pt, kAdA);
    ASSERT_TRUE(blob);
    ASSERT_TRUE(wrap_nonces.insert(blob->substr(8, 12)).second) << i;
    ASSERT_TRUE(wrapped_deks.insert(blob->substr(20, 48)).second) << i;
    ASSERT_TRUE(data_nonces.insert(blob->substr(68, 12)).second) << i;
    ASSERT_TRUE(ciphertexts.insert(blob->substr(80)).second) << i;
  }
  EXPECT_EQ(ciphertexts.size(), static_cast<std::size_t>(kSeals));
}

// ---- Rotation ----------------------------------------------------------------------------------

TEST_F(KeyRingTest, RotationSealsWithTheNewVersionAndRewrapKeepsThePlaintext) {
  auto server = CreateAndLoad();
  ASSERT_TRUE(server);
  const std::string pepper(server->ApiKeyPepper().view());
  auto r1 = server->Seal("credential one", kAdA);
  ASSERT_TRUE(r1);
  EXPECT_EQ(KeyRing::VersionOf(*r1).value(), 1u);

  auto added = FileKeyRing::AddVersion(path_);
  ASSERT_TRUE(added) << added.error().detail;
  EXPECT_EQ(*added, 2u);
  EXPECT_EQ(ModeOf(path_), 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
  auto reloaded = server->Reload();
  ASSERT_TRUE(reloaded) << reloaded.error().detail;
  EXPECT_TRUE(*reloaded);
  EXPECT_EQ(server->ActiveVersion(), 2u);
  ASSERT_EQ(server->Versions().size(), 2u);
  EXPECT_EQ(server->Versions()[0].version, 1u);
  EXPECT_FALSE(server->Versions()[0].active);
  EXPECT_EQ(server->Versions()[1].version, 2u);
  EXPECT_TRUE(server->Versions()[1].active);
  EXPECT_EQ(server->ApiKeyPepper().view(), pepper);  // AddVersion never touches the pepper

  // New writes use v2 only (CRY-07).
  auto r2 = server->Seal("credential two", kAdB);
  ASSERT_TRUE(r2);
  EXPECT_EQ(KeyRing::VersionOf(*r2).value(), 2u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(KeyRing::VersionOf(server->Seal("x", kAdA).value()).value(), 2u);
  }
  // Old data still opens.
  EXPECT_EQ(server->Open(*r1, kAdA).value().view(), "credential one");

  // Rewrap moves r1 to v2 without touching the data part (CRY-08).
  auto moved = server->Rewrap(*r1, kAdA);
  ASSERT_TRUE(moved) << moved.error().detail;
  EXPECT_EQ(KeyRing::VersionOf(*moved).value(), 2u);
  EXPECT_EQ(moved->size(), r1->size());
  EXPECT_EQ(moved->substr(kSealedDataOffset), r1->substr(kSealedDataOffset));
  EXPECT_NE(moved->substr(8, 60), r1->substr(8, 60));
  EXPECT_EQ(server->Open(*moved, kAdA).value().view(), "credential one");
  // Already at the active version: the same bytes.
  EXPECT_EQ(server->Rewrap(*moved, kAdA).value(), *moved);
  EXPECT_EQ(server->Rewrap(*r2, kAdB).value(), *r2);

  // The rewritten file is still today's format with the same pepper, plus the new key.
  const json::object doc = json::parse(ReadFile(path_)).as_object();
  EXPECT_EQ(doc.at("format").as_int64(), 1);
  EXPECT_EQ(doc.at("active").as_int64(), 2);
  EXPECT_EQ(doc.at("keys").as_array().size(), 2u);
  EXPECT_EQ(doc.at("api_key_pepper").as_string(), Base64(pepper));

  // Retire v1 (CRY-09): the rewrapped row opens, the old one cannot.
  auto retired = FileKeyRing::RetireVersion(path_, 1);
  ASSERT_TRUE(retired) << retired.error().detail;
  ASSERT_TRUE(server->Reload().value());
  ASSERT_EQ(server->Versions().size(), 1u);
  EXPECT_EQ(server->Open(*moved, kAdA).value().view(), "credential one");
  auto gone = server->Open(*r1, kAdA);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, "secret_key_version_unknown");
  EXPECT_EQ(gone.error().message, "cannot open secret: key version 1 is not in the key ring");
  auto no_rewrap = server->Rewrap(*r1, kAdA);
  ASSERT_FALSE(no_rewrap);
  EXPECT_EQ(no_rewrap.error().message,
            "cannot rewrap secret: key version 1 is not in the key ring");
}

TEST_F(KeyRingTest, RetiringTheActiveOrAnUnknownVersionIsRefused) {
  ASSERT_TRUE(FileKeyRing::CreateIfMissing(path_));
  const std::string before = ReadFile(path_);
  auto active = FileKeyRing::RetireVersion(path_, 1);
  ASSERT_FALSE(active);
  EXPECT_EQ(active.error().code, "keyring_version_active");
  EXPECT_EQ(active.error().type, ErrorType::kConflict);
  EXPECT_NE(active.error().message.find("active"), std::string::npos);
  auto unknown = FileKeyRing::RetireVersion(path_, 7);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "keyring_version_unknown");
  EXPECT_EQ(unknown.error().type, ErrorType::kNotFound);
  EXPECT_EQ(ReadFile(path_), before);

  ASSERT_TRUE(FileKeyRing::AddVersion(path_));
  EXPECT_EQ(FileKeyRing::RetireVersion(path_, 2).error().code, "keyring_version_active");
  EXPECT_TRUE(FileKeyRing::RetireVersion(path_, 1));
  EXPECT_EQ(FileKeyRing::AddVersion(path_).value(), 3u);  // numbers are never reused
}

TEST_F(KeyRingTest, AddVersionKeepsFieldsItDoesNotKnow) {
  const std::string k = Base64(std::string(32, 'k'));
  const std::string p = Base64(std::string(32, 'p'));
  WriteFile(path_, R"({"format":1,"active":1,"keys":[{"version":1,"key":")" + k +
                       R"(","note":"hsm-import"}],"api_key_pepper":")" + p +
                       R"(","comment":"kept"})");
  ASSERT_EQ(FileKeyRing::AddVersion(path_).value(), 2u);
  const json::object doc = json::parse(ReadFile(path_)).as_object();
  EXPECT_EQ(doc.at("comment").as_string(), "kept");
  EXPECT_EQ(doc.at("keys").as_array()[0].as_object().at("note").as_string(), "hsm-import");
  EXPECT_EQ(doc.at("keys").as_array()[0].as_object().at("key").as_string(), k);
  EXPECT_EQ(doc.at("api_key_pepper").as_string(), p);
}

TEST_F(KeyRingTest, ConcurrentAddVersionsLoseNoUpdate) {
  ASSERT_TRUE(FileKeyRing::CreateIfMissing(path_));
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<uint32_t> versions;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto v = FileKeyRing::AddVersion(path_);
        ASSERT_TRUE(v) << v.error().detail;
        std::lock_guard lock(mu);
        versions.insert(*v);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(versions.size(), 20u);
  auto ring = LoadOrDie();
  ASSERT_TRUE(ring);
  EXPECT_EQ(ring->Versions().size(), 21u);
  EXPECT_EQ(ring->ActiveVersion(), 21u);
}

// ---- Reload ------------------------------------------------------------------------------------

TEST_F(KeyRingTest, ReloadPicksUpARotationMadeByAnotherProcess) {
  auto server = CreateAndLoad();
  ASSERT_TRUE(server);
  EXPECT_FALSE(server->Reload().value());  // nothing changed
  ASSERT_EQ(FileKeyRing::AddVersion(path_).value(), 2u);
  EXPECT_EQ(server->ActiveVersion(), 1u);  // not before Reload
  EXPECT_TRUE(server->Reload().value());
  EXPECT_EQ(server->ActiveVersion(), 2u);
  EXPECT_FALSE(server->Reload().value());
  EXPECT_TRUE(server->ForceReload().value());  // SIGHUP re-reads regardless
  auto fresh = LoadOrDie();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->ActiveVersion(), 2u);
}

// Online rotation: the rewrap job (another process) moves a row to v2 before this server's
// periodic Reload has run; the server still opens it.
TEST_F(KeyRingTest, OpenOfANewerVersionRechecksTheFile) {
  auto server = CreateAndLoad();
  ASSERT_TRUE(server);
  auto row = server->Seal("credential", kAdA);
  ASSERT_TRUE(row);
  ASSERT_EQ(FileKeyRing::AddVersion(path_).value(), 2u);
  auto job = LoadOrDie();
  ASSERT_TRUE(job);
  auto moved = job->Rewrap(*row, kAdA);
  ASSERT_TRUE(moved);
  ASSERT_EQ(KeyRing::VersionOf(*moved).value(), 2u);
  EXPECT_EQ(server->ActiveVersion(), 1u);
  auto opened = server->Open(*moved, kAdA);
  ASSERT_TRUE(opened) << opened.error().detail;
  EXPECT_EQ(opened->view(), "credential");
  EXPECT_EQ(server->ActiveVersion(), 2u);  // and it now seals with v2
  // A version that exists nowhere is still an error (after one cheap re-check).
  std::string bogus = *moved;
  bogus[7] = '\x09';
  EXPECT_EQ(server->Open(bogus, kAdA).error().code, "secret_key_version_unknown");
}

TEST_F(KeyRingTest, ReloadKeepsTheCurrentKeysWhenTheFileIsBroken) {
  auto server = CreateAndLoad();
  ASSERT_TRUE(server);
  auto blob = server->Seal("kept working", kAdA);
  ASSERT_TRUE(blob);
  const std::string good = ReadFile(path_);

  WriteFile(path_, "{ broken");
  auto r = server->Reload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "keyring_invalid");
  EXPECT_EQ(server->Open(*blob, kAdA).value().view(), "kept working");
  EXPECT_TRUE(server->Seal("still sealing", kAdA));

  WriteFile(path_, good, 0644);
  EXPECT_EQ(server->Reload().error().code, "keyring_insecure");

  ASSERT_EQ(::unlink(path_.c_str()), 0);
  EXPECT_EQ(server->Reload().error().code, "keyring_missing");
  EXPECT_EQ(server->Open(*blob, kAdA).value().view(), "kept working");
}

TEST_F(KeyRingTest, ReloadRefusesAChangedPepper) {
  WriteFile(path_, TodaysFormat(std::string(32, 'k'), std::string(32, 'p')));
  auto server = LoadOrDie();
  ASSERT_TRUE(server);
  WriteFile(path_, TodaysFormat(std::string(32, 'K'), std::string(32, 'P')));
  auto r = server->Reload();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "keyring_pepper_changed");
  EXPECT_EQ(server->ApiKeyPepper().view(), std::string(32, 'p'));
}

TEST_F(KeyRingTest, SealAndOpenRunSafelyDuringRotationAndReload) {
  auto server = CreateAndLoad();
  ASSERT_TRUE(server);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, operations{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&, t] {
      const std::string ad = "row:" + std::to_string(t);
      while (!stop) {
        auto blob = server->Seal("payload", ad);
        if (!blob) {
          ++failures;
          continue;
        }
        auto opened = server->Open(*blob, ad);
        if (!opened || opened->view() != "payload") ++failures;
        auto moved = server->Rewrap(*blob, ad);
        if (!moved || server->Open(*moved, ad).value().view() != "payload") ++failures;
        ++operations;
      }
    });
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(FileKeyRing::AddVersion(path_));
    ASSERT_TRUE(server->Reload());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(operations.load(), 0);
  EXPECT_EQ(server->ActiveVersion(), 11u);
}

TEST(KeyRingFormat, VersionOfReadsTheHeaderOnly) {
  std::string blob = "LPE1" + std::string("\x01\x02\x03\x04", 4) + std::string(88, '\0');
  EXPECT_EQ(KeyRing::VersionOf(blob).value(), 0x01020304u);
  EXPECT_EQ(KeyRing::VersionOf("LPE2" + blob.substr(4)).error().code, "secret_malformed");
  EXPECT_EQ(KeyRing::VersionOf("LPE1").error().code, "secret_malformed");
  EXPECT_EQ(KeyRing::VersionOf(blob.substr(0, 95)).error().code, "secret_malformed");
  EXPECT_EQ(KeyRing::VersionOf("").error().code, "secret_malformed");
}

}  // namespace
}  // namespace lp::crypto
