// A QR code (libqrencode) rendered as a standalone SVG document: one black path on a white
// square, 4-module quiet zone, no script, no external reference (docs/dashboard-api.md §3).
#pragma once

#include <string>
#include <string_view>

#include "lp/common/result.hpp"

namespace lp::people {

Result<std::string> QrSvg(std::string_view text);

}  // namespace lp::people
