// Shared checks for descriptors' credential validation: presence, unknown fields, lengths.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "lp/common/result.hpp"
#include "lp/connectors/descriptor.hpp"

namespace lp::connectors {

inline Error CredentialInvalid(std::string_view field, std::string message) {
  return Error::Invalid("parameter_invalid", std::move(message),
                        "credentials." + std::string(field));
}

// Every field known, every required one present, values non-empty printable ASCII of at most
// 1000 characters (no credential of these PSPs is anything else).
inline Result<void> CheckFields(std::span<const CredentialField> spec, const Credentials& c) {
  for (std::string_view name : c.Names()) {
    bool known = false;
    for (const auto& f : spec) known = known || f.name == name;
    if (!known) {
      return Error::Invalid("parameter_unknown", "Unknown credential field.",
                            "credentials." + std::string(name));
    }
    const std::string_view v = c.Get(name);
    if (v.empty() || v.size() > 1000) {
      return CredentialInvalid(name,
                               "Credential fields are non-empty strings of at most 1000 "
                               "characters.");
    }
    for (char ch : v) {
      if (static_cast<unsigned char>(ch) <= 0x20 || static_cast<unsigned char>(ch) >= 0x7F) {
        return CredentialInvalid(name, "Credential fields contain printable ASCII only.");
      }
    }
  }
  for (const auto& f : spec) {
    if (f.required && !c.Has(f.name)) {
      return Error::Invalid("parameter_missing", "Missing credential field.",
                            "credentials." + std::string(f.name));
    }
  }
  return {};
}

}  // namespace lp::connectors
