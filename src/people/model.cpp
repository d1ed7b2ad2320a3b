#include "lp/people/model.hpp"

namespace lp::people {

std::string_view ToString(AccountKind k) {
  return k == AccountKind::kOperator ? "operator" : "user";
}

std::string_view ToString(MfaState s) {
  switch (s) {
    case MfaState::kRequired:
      return "required";
    case MfaState::kEnroll:
      return "enroll";
    case MfaState::kSatisfied:
      return "satisfied";
  }
  return "required";
}

const Membership* Caller::FindMembership(std::string_view merchant_id) const {
  for (const auto& m : memberships) {
    if (m.merchant_id == merchant_id) {
      return &m;
    }
  }
  return nullptr;
}

}  // namespace lp::people
