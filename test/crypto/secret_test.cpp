#include "lp/common/secret.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>

namespace lp {
namespace {

TEST(Secret, PrintsAsStarsThroughOstreamAndFmt) {
  const Secret<std::string> s(std::string("sk_live_do_not_print_me"));
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "***");
  EXPECT_EQ(fmt::format("{}", s), "***");
  EXPECT_EQ(fmt::format("key={} end", s), "key=*** end");
  EXPECT_EQ(s.Expose(), "sk_live_do_not_print_me");
}

TEST(Secret, WrapsNonStringTypes) {
  const Secret<int> pin(1234);
  EXPECT_EQ(fmt::format("{}", pin), "***");
  EXPECT_EQ(pin.Expose(), 1234);
  Secret<SecureBytes> bytes(SecureBytes(std::string_view("abc")));
  EXPECT_EQ(fmt::format("{}", bytes), "***");
  EXPECT_EQ(bytes.Expose().view(), "abc");
}

TEST(Secret, CopiesAndMovesKeepTheValue) {
  Secret<std::string> a(std::string(100, 'x'));  // heap-allocated
  Secret<std::string> b = a;
  EXPECT_EQ(b.Expose(), std::string(100, 'x'));
  Secret<std::string> c = std::move(a);
  EXPECT_EQ(c.Expose(), std::string(100, 'x'));
  Secret<std::string> small(std::string("short"));  // small-string buffer
  Secret<std::string> d = std::move(small);
  EXPECT_EQ(d.Expose(), "short");
  d.Expose() = "changed";
  EXPECT_EQ(d.Expose(), "changed");
}

TEST(SecureBytes, PrintsAsStars) {
  const SecureBytes b(std::string_view("hunter2"));
  std::ostringstream os;
  os << b;
  EXPECT_EQ(os.str(), "***");
  EXPECT_EQ(fmt::format("{}", b), "***");
}

TEST(SecureBytes, HoldsBytesIncludingZeros) {
  const std::string raw("a\0b\xff", 4);
  const SecureBytes b{std::string_view(raw)};
  EXPECT_EQ(b.size(), 4u);
  EXPECT_EQ(b.view(), raw);
  EXPECT_EQ(b[1], '\0');
  EXPECT_EQ(static_cast<unsigned char>(b.udata()[3]), 0xffu);
  EXPECT_EQ(std::string(b.begin(), b.end()), raw);
  const SecureBytes zeros(std::size_t{8});
  EXPECT_EQ(zeros.view(), std::string(8, '\0'));
  const SecureBytes empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.view(), "");
}

TEST(SecureBytes, MoveLeavesTheSourceEmptyAndCloneIsExplicit) {
  SecureBytes a(std::string_view("secret"));
  SecureBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(b.view(), "secret");
  SecureBytes c = b.Clone();
  EXPECT_EQ(c.view(), "secret");
  EXPECT_NE(c.data(), b.data());
  SecureBytes d(std::string_view("other"));
  d = std::move(c);
  EXPECT_EQ(d.view(), "secret");
  static_assert(!std::is_copy_constructible_v<SecureBytes>);
  static_assert(!std::is_copy_assignable_v<SecureBytes>);
}

TEST(SecureBytes, ResizeAppendAndClear) {
  SecureBytes b(std::string_view("abc"));
  b.resize(5);
  EXPECT_EQ(b.view(), std::string_view("abc\0\0", 5));
  b.resize(2);
  EXPECT_EQ(b.view(), "ab");
  b.append("cdef");
  EXPECT_EQ(b.view(), "abcdef");
  // Appending its own bytes while growing must copy them before the old buffer is wiped.
  for (int i = 0; i < 6; ++i) {
    b.append(b.view());
  }
  EXPECT_EQ(b.size(), 6u * 64u);
  EXPECT_EQ(b.view().substr(0, 12), "abcdefabcdef");
  EXPECT_EQ(b.view().substr(b.size() - 6), "abcdef");
  b.clear();
  EXPECT_TRUE(b.empty());
  b.append("x");
  EXPECT_EQ(b.view(), "x");
}

TEST(SecureBytes, TakeFromWipesTheSourceString) {
  std::string s = "a secret longer than the small-string buffer";
  const SecureBytes b = SecureBytes::TakeFrom(s);
  EXPECT_EQ(b.view(), "a secret longer than the small-string buffer");
  EXPECT_TRUE(s.empty());
}

TEST(SecureWipe, ZeroesEveryOwnedByteOfAString) {
  std::string s = "0123456789";  // small-string buffer
  const char* p = s.data();
  const std::size_t cap = s.capacity();
  crypto::SecureWipe(s);
  EXPECT_TRUE(s.empty());
  ASSERT_EQ(s.data(), p);  // no reallocation: the same buffer was wiped
  for (std::size_t i = 0; i < cap; ++i) {
    EXPECT_EQ(p[i], '\0') << i;
  }
}

}  // namespace
}  // namespace lp
