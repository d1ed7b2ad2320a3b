// Types that hold secrets in memory: SecureBytes (an owning byte buffer that is wiped when it is
// freed) and Secret<T> (a value that prints as *** and is read only through Expose()). Keys, data
// keys, peppers and decrypted PSP credentials live in these (STYLE.md).
//
// The wipe is lp::crypto::SecureZero (sodium_memzero), defined in src/crypto/secure_memory.cpp, so
// a target that uses these types links lp_crypto. This header includes no OpenSSL or libsodium.
#pragma once

#include <fmt/core.h>

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace lp {

namespace crypto {
// Overwrites n bytes at p with zeros in a way the compiler cannot optimise away (p may be null
// when n is 0).
void SecureZero(void* p, std::size_t n) noexcept;
// Wipes every byte a std::string owns (including the small-string buffer and the spare capacity),
// then clears it.
void SecureWipe(std::string& s) noexcept;
}  // namespace crypto

// What a secret prints as, everywhere.
inline constexpr std::string_view kSecretMask = "***";

// An owning, contiguous byte buffer for secret material. Unlike std::string it has no small-buffer
// copy that outlives a move, and every buffer it lets go of (destruction, growth, clear) is wiped
// first. Move-only; Clone() makes an explicit copy.
class SecureBytes {
 public:
  SecureBytes() noexcept = default;
  explicit SecureBytes(std::size_t size);        // `size` zero bytes
  explicit SecureBytes(std::string_view bytes);  // a copy of `bytes`
  SecureBytes(const SecureBytes&) = delete;
  SecureBytes& operator=(const SecureBytes&) = delete;
  SecureBytes(SecureBytes&& other) noexcept;
  SecureBytes& operator=(SecureBytes&& other) noexcept;
  ~SecureBytes();

  // Copies `s` into a new SecureBytes, then wipes and clears `s`.
  static SecureBytes TakeFrom(std::string& s);
  SecureBytes Clone() const { return SecureBytes(view()); }

  char* data() noexcept { return data_; }
  const char* data() const noexcept { return data_; }
  unsigned char* udata() noexcept { return reinterpret_cast<unsigned char*>(data_); }
  const unsigned char* udata() const noexcept {
    return reinterpret_cast<const unsigned char*>(data_);
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::string_view view() const noexcept { return {data_, size_}; }
  char& operator[](std::size_t i) noexcept { return data_[i]; }
  const char& operator[](std::size_t i) const noexcept { return data_[i]; }
  const char* begin() const noexcept { return data_; }
  const char* end() const noexcept { return data_ + size_; }

  // Growing appends zero bytes; shrinking wipes the bytes that are cut off.
  void resize(std::size_t n);
  void append(std::string_view bytes);
  // Wipes the content; keeps the buffer.
  void clear() noexcept;
  void swap(SecureBytes& other) noexcept;

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Writes kSecretMask; never the bytes.
std::ostream& operator<<(std::ostream& os, const SecureBytes&);

namespace secret_detail {
std::ostream& WriteMask(std::ostream& os);

template <class T>
void Wipe(T& value) noexcept {
  if constexpr (std::is_same_v<T, std::string>) {
    crypto::SecureWipe(value);
  } else if constexpr (std::is_trivially_copyable_v<T>) {
    crypto::SecureZero(static_cast<void*>(&value), sizeof(T));
  }
  // Other types (SecureBytes, ...) wipe themselves.
}
}  // namespace secret_detail

// A value that must not leak: it prints as *** (operator<< and fmt), has no comparison operators,
// and is read only through Expose(), which makes every use easy to find. A std::string or trivially
// copyable T is wiped when the Secret is destroyed.
template <class T>
class Secret {
 public:
  Secret() = default;
  explicit Secret(T value) noexcept(std::is_nothrow_move_constructible_v<T>)
      : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret(Secret&&) noexcept(std::is_nothrow_move_constructible_v<T>) = default;
  Secret& operator=(const Secret&) = default;
  Secret& operator=(Secret&&) noexcept(std::is_nothrow_move_assignable_v<T>) = default;
  ~Secret() { secret_detail::Wipe(value_); }

  const T& Expose() const noexcept { return value_; }
  T& Expose() noexcept { return value_; }

 private:
  T value_{};
};

template <class T>
std::ostream& operator<<(std::ostream& os, const Secret<T>&) {
  return secret_detail::WriteMask(os);
}

}  // namespace lp

template <>
struct fmt::formatter<lp::SecureBytes> : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(const lp::SecureBytes&, FormatContext& ctx) const {
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(lp::kSecretMask.data(), lp::kSecretMask.size()), ctx);
  }
};

template <class T>
struct fmt::formatter<lp::Secret<T>> : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(const lp::Secret<T>&, FormatContext& ctx) const {
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(lp::kSecretMask.data(), lp::kSecretMask.size()), ctx);
  }
};
