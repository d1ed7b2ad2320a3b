// The canonical JSON of payments and refunds: the API's response bodies, the objects of their
// events and the answers stored for idempotent replays (rendered inside the transaction that
// stores them, so they live with the domain and byte-for-byte tests pin them).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lp/payments/model.hpp"

namespace lp::payments {

// A payment with its attempts, as the API returns it.
std::string PaymentBody(const Payment& p);
// The same without attempts (the object of payment events).
std::string PaymentEventObject(const Payment& p);
std::string RefundBody(const Refund& r);
}  // namespace lp::payments
