// JSON representations of the core's resources (the API's response bodies and event objects).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>

#include "lp/core/model.hpp"

namespace lp::core {

boost::json::object PaymentJson(const Payment& p);
boost::json::object RefundJson(const Refund& r);
std::string Render(const boost::json::object& o);
std::string RenderList(boost::json::array items, bool has_more, std::string_view url);
// Payment JSON text without attempts (for event payloads).
std::string PaymentEventObject(const Payment& p);

}  // namespace lp::core
