#include "lp/http/static_files.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <utility>

#include "lp/common/log.hpp"
#include "lp/http/errors.hpp"

namespace lp::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kAssetsPrefix = "/assets/";

std::string_view ContentTypeFor(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext) return type;
  }
  return "application/octet-stream";
}

// Names a request can reach verbatim: no percent-escapes to decode, nothing to normalise.
bool PlainName(std::string_view rel) {
  if (rel.empty() || rel.front() == '.' || rel.find("/.") != std::string_view::npos) return false;
  for (char c : rel) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

bool EndsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool StartsWith(std::string_view s, std::string_view head) {
  return s.size() >= head.size() && s.substr(0, head.size()) == head;
}

// Whether Accept-Encoding allows gzip (RFC 9110 §12.5.3): "gzip", "x-gzip" or "*" with q > 0.
bool AcceptsGzip(const Request& req) {
  const auto header = req.JoinedHeader("accept-encoding");
  if (!header) return false;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) {
      coding.remove_prefix(1);
    }
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) {
      coding.remove_suffix(1);
    }
    std::string lower(coding);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "gzip" && lower != "x-gzip" && lower != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string params(item.substr(semi + 1));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    // q=0, q=0.0, q=0.000 refuse; any other weight accepts.
    if (StartsWith(params, "q=0") || StartsWith(params, "Q=0")) {
      const std::string_view digits = std::string_view(params).substr(3);
      bool zero = true;
      for (char c : digits) {
        if (c != '.' && c != '0') zero = false;
      }
      if (zero) return false;
    }
    return true;
  }
  return false;
}

Response NotFound(const Request& req) {
  return ErrorResponse(
      Error::NotFound("Unrecognized request URL (" + req.method + " " + req.path + ")."),
      req.request_id);
}

Response MethodNotAllowed(const Request& req) {
  auto r = ErrorResponse(Error{ErrorType::kMethodNotAllowed,
                               "method_not_allowed",
                               "Method " + req.method + " is not allowed on this path.",
                               {},
                               {}},
                         req.request_id);
  r.SetHeader("Allow", "GET, HEAD");
  return r;
}

// Paths of the JSON APIs, of well-known files and of the other listeners' routes never get the
// SPA: they keep the JSON 404 of every unknown URL (each listener serves only its own routes).
bool IsReservedPath(std::string_view path) {
  static constexpr std::string_view kPrefixes[] = {"/dashboard/api", "/.well-known", "/v1",
                                                   "/ops/api", "/psp-webhooks"};
  for (auto p : kPrefixes) {
    if (path == p || (StartsWith(path, p) && path[p.size()] == '/')) return true;
  }
  return path == "/healthz" || path == "/readyz" || path == "/metrics";
}

Result<std::string> ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error::Internal("cannot read " + p.string());
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error::Internal("cannot read " + p.string());
  return body;
}

constexpr std::string_view kNotBuiltPage =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>LiasonPay dashboard not built</title></head><body>"
    "<h1>The dashboard was not built</h1>"
    "<p>This server has no web dashboard files. Build them with <code>make build</code> "
    "(they go to <code>build/web/</code>) or point <code>--web-dir</code> at the built "
    "directory, then restart the server.</p>"
    "<p>The merchant API and <code>/dashboard/api/</code> are not affected.</p>"
    "</body></html>\n";

}  // namespace

Result<StaticFiles> StaticFiles::Load(const std::string& dir, size_t max_total_bytes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error::Internal("no directory " + dir);
  StaticFiles out;
  std::map<std::string, std::string, std::less<>> gzips;
  size_t total = 0;
  const fs::path root = fs::path(dir);
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto status = it->symlink_status(ec);
    if (ec) break;
    if (!fs::is_regular_file(status)) continue;  // directories are walked, symlinks skipped
    const std::string rel = fs::relative(it->path(), root, ec).generic_string();
    if (ec) break;
    if (!PlainName(rel)) continue;
    auto body = ReadAll(it->path());
    if (!body) return body.error();
    total += body->size();
    if (total > max_total_bytes) {
      return Error::Internal("web directory " + dir + " holds more than " +
                             std::to_string(max_total_bytes) + " bytes");
    }
    if (EndsWith(rel, ".gz")) {
      gzips.emplace("/" + rel.substr(0, rel.size() - 3), std::move(*body));
    } else {
      out.files_.emplace("/" + rel,
                         File{std::string(ContentTypeFor(rel)), std::move(*body), {}, {}, {}});
    }
  }
  if (ec) return Error::Internal("cannot list " + dir + ": " + ec.message());
  for (auto& [name, gz] : gzips) {
    if (auto f = out.files_.find(name); f != out.files_.end()) {
      f->second.gzip = std::move(gz);
    } else {  // a .gz without its original is an ordinary file
      out.files_.emplace(name + ".gz", File{"application/gzip", std::move(gz), {}, {}, {}});
    }
  }
  for (auto& [name, f] : out.files_) {
    const std::string cache(StartsWith(name, kAssetsPrefix) ? kImmutable : "no-cache");
    f.headers.emplace_back("Cache-Control", cache);
    if (!f.gzip.empty()) {
      f.headers.emplace_back("Vary", "Accept-Encoding");
      f.gzip_headers = f.headers;
      f.gzip_headers.emplace_back("Content-Encoding", "gzip");
    }
  }
  if (out.files_.find("/index.html") == out.files_.end()) {
    return Error::Internal("no index.html in " + dir);
  }
  return out;
}

Response StaticFiles::Serve(const Request& req) const {
  if (IsReservedPath(req.path)) return NotFound(req);
  if (req.method != "GET" && req.method != "HEAD") return MethodNotAllowed(req);
  auto it = files_.find(req.path == "/" ? std::string_view("/index.html") : req.path);
  if (it == files_.end()) {
    if (StartsWith(req.path, kAssetsPrefix)) return NotFound(req);
    it = files_.find("/index.html");
  }
  const File& f = it->second;
  const bool gzip = !f.gzip.empty() && AcceptsGzip(req);
  Response r;
  r.status = 200;
  r.content_type = f.content_type;
  r.headers = gzip ? f.gzip_headers : f.headers;
  r.body = gzip ? f.gzip : f.body;  // also for HEAD: the server sends its length, not its bytes
  return r;
}

void MountWebApp(Router& router, const std::string& dir) {
  auto loaded = StaticFiles::Load(dir);
  if (!loaded) {
    log::Warn("dashboard_not_built",
              {{"web_dir", dir},
               {"error", loaded.error().detail},
               {"note", "the dashboard listener answers 503 until the SPA is built (make build)"}});
    router.SetFallback("none", [](Request& req) -> Task<Response> {
      if (IsReservedPath(req.path)) co_return NotFound(req);
      if (req.method != "GET" && req.method != "HEAD") co_return MethodNotAllowed(req);
      auto r = Response::Text(503, std::string(kNotBuiltPage), "text/html; charset=utf-8");
      co_return r;
    });
    return;
  }
  log::Info("dashboard_files_loaded",
            {{"web_dir", dir}, {"files", static_cast<int64_t>(loaded->file_count())}});
  auto files = std::make_shared<const StaticFiles>(std::move(*loaded));
  router.SetFallback("none",
                     [files](Request& req) -> Task<Response> { co_return files->Serve(req); });
}

}  // namespace lp::http
