// WriteFileAtomic / CreateFileAtomic: content and mode, replacement that readers never see half
// done, and failures (file size limit, a directory in the way, a missing directory) that leave
// the old file as it was and no temporary file behind.
#include "lp/common/files.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace lp {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

// Sets the process umask for one test and restores it after.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

class FilesTest : public ::testing::Test {
 protected:
  testing::TempDir dir_{"lp_files"};
  ScopedUmask umask_{022};
};

TEST_F(FilesTest, WritesTheContentWithTheGivenMode) {
  const std::string secret = dir_.File("secret.json");
  const std::string open = dir_.File("ports.json");
  ASSERT_TRUE(WriteFileAtomic(secret, "{\"k\":1}\n", 0600));
  ASSERT_TRUE(WriteFileAtomic(open, std::string("a\0b", 3), 0644));
  EXPECT_EQ(ReadAll(secret), "{\"k\":1}\n");
  EXPECT_EQ(ReadAll(open), std::string("a\0b", 3));
  EXPECT_EQ(ModeOf(secret), 0600u);
  EXPECT_EQ(ModeOf(open), 0644u);
  EXPECT_EQ(Names(dir_.path()), (std::set<std::string>{"ports.json", "secret.json"}));
}

TEST_F(FilesTest, TheModeIsSetAtCreationSoTheUmaskCanOnlyNarrowIt) {
  const ScopedUmask strict(077);
  const std::string path = dir_.File("f");
  ASSERT_TRUE(WriteFileAtomic(path, "x", 0644));
  EXPECT_EQ(ModeOf(path), 0600u);
}

TEST_F(FilesTest, AnEmptyFileIsWritten) {
  const std::string path = dir_.File("empty");
  ASSERT_TRUE(WriteFileAtomic(path, "", 0600));
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::file_size(path), 0u);
}

TEST_F(FilesTest, ReplacesAnExistingFileWithANewInode) {
  const std::string path = dir_.File("f");
  ASSERT_TRUE(WriteFileAtomic(path, "old content", 0644));
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  std::ifstream old_reader(path, std::ios::binary);  // opened before the replacement

  ASSERT_TRUE(WriteFileAtomic(path, "new", 0600));
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino) << "replaced by rename, not rewritten in place";
  EXPECT_EQ(ReadAll(path), "new");
  EXPECT_EQ(ModeOf(path), 0600u);
  std::stringstream ss;
  ss << old_reader.rdbuf();
  EXPECT_EQ(ss.str(), "old content") << "a reader of the old file keeps the old bytes";
  EXPECT_EQ(Names(dir_.path()), (std::set<std::string>{"f"}));
}

// Readers racing a stream of replacements only ever see one complete version or the other.
TEST_F(FilesTest, ConcurrentReadersNeverSeeAPartialFile) {
  const std::string path = dir_.File("f");
  const std::string a(256 * 1024, 'a');
  const std::string b(256 * 1024, 'b');
  ASSERT_TRUE(WriteFileAtomic(path, a, 0600));
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!stop.load()) {
      const std::string got = ReadAll(path);
      if (got != a && got != b) {
        torn.fetch_add(1);
      }
      reads.fetch_add(1);
    }
  });
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(WriteFileAtomic(path, i % 2 ? a : b, 0600));
  }
  while (reads.load() < 5) {
    std::this_thread::yield();
  }
  stop = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(Names(dir_.path()), (std::set<std::string>{"f"}));
}

// A write that fails part-way (here: the file size limit, EFBIG) reports the file and the
// reason, and leaves the old file intact and no temporary file.
TEST_F(FilesTest, AFailedWriteLeavesTheOldFileIntactAndNoTemporaryFile) {
  const std::string path = dir_.File("f");
  ASSERT_TRUE(WriteFileAtomic(path, "old", 0600));

  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto r = WriteFileAtomic(path, std::string(64 * 1024, 'x'), 0600);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  std::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "io_error");
  EXPECT_NE(r.error().detail.find("cannot write " + path + ".tmp."), std::string::npos)
      << r.error().detail;
  EXPECT_NE(r.error().detail.find("File too large"), std::string::npos) << r.error().detail;
  EXPECT_EQ(r.error().message, r.error().detail);
  EXPECT_EQ(ReadAll(path), "old");
  EXPECT_EQ(Names(dir_.path()), (std::set<std::string>{"f"}));
}

TEST_F(FilesTest, AFailedRenameRemovesTheTemporaryFile) {
  const std::string path = dir_.File("taken");
  fs::create_directories(fs::path(path) / "inside");  // a non-empty directory in the way
  auto r = WriteFileAtomic(path, "content", 0600);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("cannot rename"), std::string::npos) << r.error().detail;
  EXPECT_NE(r.error().detail.find(path), std::string::npos) << r.error().detail;
  EXPECT_TRUE(fs::is_directory(fs::path(path) / "inside"));
  EXPECT_EQ(Names(dir_.path()), (std::set<std::string>{"taken"}));
}

TEST_F(FilesTest, AMissingDirectoryIsReportedWithThePath) {
  const std::string path = dir_.File("no/such/dir/f");
  auto r = WriteFileAtomic(path, "content", 0600);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("cannot create " + path + ".tmp."), std::string::npos)
      << r.error().detail;
  EXPECT_NE(r.error().detail.find("No such file or directory"), std::string::npos)
      << r.error().detail;
  EXPECT_TRUE(Names(dir_.path()).empty());
}

TEST_F(FilesTest, CreateFileAtomicCreatesOnceAndNeverReplaces) {
  const std::string path = dir_.File("keyring");
  auto first = CreateFileAtomic(path, "first", 0600);
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  auto second = CreateFileAtomic(path, "second", 0644);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  EXPECT_EQ(ReadAll(path), "first");
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(Names(dir_.path()), (std::set<std::string>{"keyring"}));
}

TEST_F(FilesTest, ExactlyOneOfManyConcurrentCreatorsCreatesTheFile) {
  const std::string path = dir_.File("f");
  constexpr int kCreators = 8;
  std::vector<int> created(kCreators, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCreators; ++i) {
    threads.emplace_back([&, i] {
      auto r = CreateFileAtomic(path, "creator " + std::to_string(i), 0600);
      created[i] = r ? (*r ? 1 : 0) : -1;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  int winners = 0;
  for (int i = 0; i < kCreators; ++i) {
    ASSERT_NE(created[i], -1) << "creator " << i << " failed";
    if (created[i] == 1) {
      ++winners;
      EXPECT_EQ(ReadAll(path), "creator " + std::to_string(i));
    }
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(Names(dir_.path()), (std::set<std::string>{"f"}));
}

TEST(DirectoryOf, NamesTheDirectoryOfAPath) {
  EXPECT_EQ(DirectoryOf("/var/lib/lp/keyring"), "/var/lib/lp");
  EXPECT_EQ(DirectoryOf("keyring"), ".");
  EXPECT_EQ(DirectoryOf("data/keyring"), "data");
  EXPECT_EQ(DirectoryOf("/keyring"), "/");
}

}  // namespace
}  // namespace lp
