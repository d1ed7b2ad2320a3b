// One string conversion for the enums stored and shown as words: a table of (value, word) pairs,
// searched in both directions, so a word is written in exactly one place.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace lp {

template <typename E>
using EnumNames = std::span<const std::pair<E, std::string_view>>;

template <typename E>
std::string_view EnumToString(EnumNames<E> names, E value, std::string_view fallback) {
  for (const auto& [k, v] : names) {
    if (k == value) return v;
  }
  return fallback;
}

template <typename E>
std::optional<E> EnumFromString(EnumNames<E> names, std::string_view word) {
  for (const auto& [k, v] : names) {
    if (v == word) return k;
  }
  return std::nullopt;
}

}  // namespace lp
