// JSON representations of the core's resources (the API's response bodies and event objects).
#pragma once

#include <boost/json/array.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lp/core/model.hpp"

namespace lp::core {

// A payment with its attempts, as the API returns it.
std::string PaymentBody(const Payment& p);
// The same without attempts (the object of payment events).
std::string PaymentEventObject(const Payment& p);
std::string RefundBody(const Refund& r);
// {"object":"list","data":[…],"has_more":…,"url":…}: from JSON values, or from items that are
// already JSON text.
std::string RenderList(boost::json::array items, bool has_more, std::string_view url);
std::string RenderTextList(const std::vector<std::string>& items, bool has_more,
                           std::string_view url);

}  // namespace lp::core
