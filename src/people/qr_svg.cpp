#include "qr_svg.hpp"

#include <qrencode.h>

#include <memory>

namespace lp::people {

Result<std::string> QrSvg(std::string_view text) {
  const std::string z(text);
  // Error correction M (15 %): what authenticator-app QR codes use; byte mode for the URI.
  std::unique_ptr<QRcode, void (*)(QRcode*)> qr(
      QRcode_encodeString(z.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), QRcode_free);
  if (!qr) return Error::Internal("QRcode_encodeString failed");
  const int w = qr->width;
  constexpr int kQuiet = 4;
  const int size = w + 2 * kQuiet;
  std::string path;
  path.reserve(static_cast<size_t>(w * w) * 4);
  for (int y = 0; y < w; ++y) {
    for (int x = 0; x < w;) {
      // Bit 0 of each module byte: dark. One "h" segment per horizontal run of dark modules.
      if ((qr->data[y * w + x] & 1) == 0) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < w && (qr->data[y * w + x + run] & 1) != 0) ++run;
      path += "M" + std::to_string(x + kQuiet) + " " + std::to_string(y + kQuiet) + "h" +
              std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  const std::string s = std::to_string(size);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + s + " " + s + "\" width=\"" +
         std::to_string(size * 6) + "\" height=\"" + std::to_string(size * 6) +
         "\" shape-rendering=\"crispEdges\"><rect width=\"" + s + "\" height=\"" + s +
         "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path + "\"/></svg>";
}

}  // namespace lp::people
