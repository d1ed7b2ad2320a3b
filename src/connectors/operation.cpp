#include <array>

#include "lp/common/enum_names.hpp"
#include "lp/connectors/connector.hpp"

namespace lp::connectors {

namespace {
constexpr std::array<std::pair<Operation, std::string_view>, 4> kOperationNames = {{
    {Operation::kAuthorize, "authorize"},
    {Operation::kCapture, "capture"},
    {Operation::kVoid, "void"},
    {Operation::kRefund, "refund"},
}};
}  // namespace

std::string_view ToString(Operation op) {
  return EnumToString<Operation>(kOperationNames, op, "unknown");
}

std::optional<Operation> ParseOperation(std::string_view s) {
  return EnumFromString<Operation>(kOperationNames, s);
}

}  // namespace lp::connectors
