// The list envelope of every list endpoint: {"object":"list","data":[…],"has_more":…,"url":…}.
#pragma once

#include <boost/json/array.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace lp {

// From JSON values, or from items that are already JSON text.
std::string RenderList(boost::json::array items, bool has_more, std::string_view url);
std::string RenderTextList(const std::vector<std::string>& items, bool has_more,
                           std::string_view url);

}  // namespace lp
