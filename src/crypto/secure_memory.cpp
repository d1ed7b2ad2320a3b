// SecureBytes and the wipe primitive behind lp/common/secret.hpp.
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <ostream>
#include <utility>

#include "lp/common/secret.hpp"

namespace lp {

namespace crypto {

void SecureZero(void* p, std::size_t n) noexcept {
  if (p != nullptr && n != 0) {
    sodium_memzero(p, n);
  }
}

void SecureWipe(std::string& s) noexcept {
  // resize() to the capacity never reallocates, so every byte the string owns (the small-string
  // buffer of a moved-from string too) becomes part of [data(), data() + size()) and is wiped.
  s.resize(s.capacity());
  SecureZero(s.data(), s.size());
  s.clear();
}

}  // namespace crypto

namespace {

char* Allocate(std::size_t n) { return n == 0 ? nullptr : new char[n]; }

void Release(char* p, std::size_t capacity) noexcept {
  crypto::SecureZero(p, capacity);
  delete[] p;
}

}  // namespace

SecureBytes::SecureBytes(std::size_t size) : data_(Allocate(size)), size_(size), capacity_(size) {
  if (size_ != 0) {
    std::memset(data_, 0, size_);
  }
}

SecureBytes::SecureBytes(std::string_view bytes)
    : data_(Allocate(bytes.size())), size_(bytes.size()), capacity_(bytes.size()) {
  if (size_ != 0) {
    std::memcpy(data_, bytes.data(), size_);
  }
}

SecureBytes::SecureBytes(SecureBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

SecureBytes& SecureBytes::operator=(SecureBytes&& other) noexcept {
  if (this != &other) {
    Release(data_, capacity_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

SecureBytes::~SecureBytes() { Release(data_, capacity_); }

SecureBytes SecureBytes::TakeFrom(std::string& s) {
  SecureBytes out(std::string_view{s});
  crypto::SecureWipe(s);
  return out;
}

void SecureBytes::resize(std::size_t n) {
  if (n <= size_) {
    crypto::SecureZero(data_ + n, size_ - n);
    size_ = n;
    return;
  }
  if (n <= capacity_) {
    std::memset(data_ + size_, 0, n - size_);
    size_ = n;
    return;
  }
  char* fresh = Allocate(n);
  if (size_ != 0) {
    std::memcpy(fresh, data_, size_);
  }
  std::memset(fresh + size_, 0, n - size_);
  Release(data_, capacity_);
  data_ = fresh;
  size_ = n;
  capacity_ = n;
}

void SecureBytes::append(std::string_view bytes) {
  if (bytes.empty()) {
    return;
  }
  const std::size_t n = size_ + bytes.size();
  if (n <= capacity_) {
    std::memmove(data_ + size_, bytes.data(), bytes.size());
    size_ = n;
    return;
  }
  const std::size_t capacity = std::max(n, capacity_ * 2);
  char* fresh = Allocate(capacity);
  if (size_ != 0) {
    std::memcpy(fresh, data_, size_);
  }
  // `bytes` may point into the old buffer: copy it before the old buffer is wiped.
  std::memcpy(fresh + size_, bytes.data(), bytes.size());
  Release(data_, capacity_);
  data_ = fresh;
  size_ = n;
  capacity_ = capacity;
}

void SecureBytes::clear() noexcept {
  crypto::SecureZero(data_, size_);
  size_ = 0;
}

void SecureBytes::swap(SecureBytes& other) noexcept {
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
  std::swap(capacity_, other.capacity_);
}

std::ostream& operator<<(std::ostream& os, const SecureBytes&) {
  return secret_detail::WriteMask(os);
}

namespace secret_detail {
std::ostream& WriteMask(std::ostream& os) { return os << kSecretMask; }
}  // namespace secret_detail

}  // namespace lp
