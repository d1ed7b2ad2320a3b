// The web dashboard's static files (the built SPA in build/web/), served by the dashboard
// listener. Owns: loading a directory into memory once at start-up and answering requests no
// route matched. Only files loaded at start are ever served: no request path reaches the file
// system, so path traversal has nothing to walk.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/common/result.hpp"
#include "lp/http/message.hpp"
#include "lp/http/router.hpp"

namespace lp::http {

class StaticFiles {
 public:
  struct File {
    std::string content_type;
    std::string body;
    std::string gzip;  // the precompressed `<name>.gz` sibling, when the build made one
    // Response headers, computed once at load: for the plain and for the gzip body.
    std::vector<std::pair<std::string, std::string>> headers, gzip_headers;
  };

  // Loads every regular file under `dir` (symlinks and dot files skipped; names limited to
  // [A-Za-z0-9._-/]). Fails when `dir` or its index.html is missing, or past `max_total_bytes`.
  static Result<StaticFiles> Load(const std::string& dir, size_t max_total_bytes = 64 << 20);

  // Answers a request that matched no route of the listener:
  // - `/dashboard/api/…`, `/.well-known/…` and the other listeners' paths (`/v1/…`,
  //   `/ops/api/…`, `/psp-webhooks/…`, `/healthz`, `/readyz`, `/metrics`): the JSON 404 of
  //   every unknown URL;
  // - other methods than GET and HEAD: 405 (Allow: GET, HEAD);
  // - a loaded file: its bytes (gzip when the client accepts it and a .gz exists), hashed
  //   `/assets/…` cached for a year as immutable, everything else `no-cache`;
  // - a missing `/assets/…` file: 404 (never HTML where a script was expected);
  // - any other path: index.html, so the SPA's own router shows the page.
  Response Serve(const Request& req) const;

  size_t file_count() const { return files_.size(); }

 private:
  std::map<std::string, File, std::less<>> files_;  // key: "/assets/index-abc.js"
};

// The dashboard listener's fallback: serves `dir` when it holds a built SPA; otherwise logs a
// warning and answers every non-API GET with a 503 page saying the dashboard was not built.
void MountWebApp(Router& router, const std::string& dir);

}  // namespace lp::http
