#include "lp/http/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"

namespace lp::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "assets");
    Write("index.html", "<!doctype html><div id=app></div>");
    Write("assets/index-AbC123.js", "console.log(1)");
    Write("assets/index-AbC123.js.gz", "GZIPPED-JS");
    Write("assets/index-Zz9.css", "body{}");
    Write("favicon.svg", "<svg/>");
  }
  void Write(const std::string& rel, const std::string& body) {
    std::ofstream(dir_ / rel, std::ios::binary) << body;
  }
  static std::string Header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }
  static Request Get(std::string path, std::string method = "GET") {
    Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.request_id = "req_test";
    return req;
  }
  testing::TempDir tmp_{"lp_static"};
  const fs::path dir_ = tmp_.path();
};

TEST_F(StaticFilesTest, HashedAssetsAreImmutableAndTyped) {
  auto files = StaticFiles::Load(dir_.string());
  ASSERT_TRUE(files) << files.error().detail;
  auto r = files->Serve(Get("/assets/index-Zz9.css"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(r.body, "body{}");
  EXPECT_EQ(Header(r, "Cache-Control"), "public, max-age=31536000, immutable");
}

TEST_F(StaticFilesTest, IndexIsNoCacheAndServedForRootAndUnknownPages) {
  auto files = StaticFiles::Load(dir_.string());
  ASSERT_TRUE(files);
  for (const char* path : {"/", "/index.html", "/payments/pay_123", "/dashboard/anything"}) {
    auto r = files->Serve(Get(path));
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
    EXPECT_EQ(r.body, "<!doctype html><div id=app></div>") << path;
    EXPECT_EQ(Header(r, "Cache-Control"), "no-cache") << path;
  }
}

TEST_F(StaticFilesTest, GzipOnlyWhenTheClientAcceptsIt) {
  auto files = StaticFiles::Load(dir_.string());
  ASSERT_TRUE(files);
  auto plain = files->Serve(Get("/assets/index-AbC123.js"));
  EXPECT_EQ(plain.body, "console.log(1)");
  EXPECT_EQ(Header(plain, "Content-Encoding"), "");
  EXPECT_EQ(Header(plain, "Vary"), "Accept-Encoding");
  auto req = Get("/assets/index-AbC123.js");
  req.headers.emplace_back("accept-encoding", "br, GZip;q=0.8");
  auto gz = files->Serve(req);
  EXPECT_EQ(gz.body, "GZIPPED-JS");
  EXPECT_EQ(Header(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(gz.content_type, "text/javascript; charset=utf-8");
  auto refused = Get("/assets/index-AbC123.js");
  refused.headers.emplace_back("accept-encoding", "gzip;q=0, identity");
  EXPECT_EQ(files->Serve(refused).body, "console.log(1)");
}

TEST_F(StaticFilesTest, ApiAndWellKnownPathsGetTheJsonNotFoundNeverTheSpa) {
  auto files = StaticFiles::Load(dir_.string());
  ASSERT_TRUE(files);
  for (const char* path :
       {"/dashboard/api/nope", "/dashboard/api", "/.well-known/x", "/v1/payments", "/healthz",
        "/metrics", "/ops/api/sessions", "/psp-webhooks/stripe"}) {
    auto r = files->Serve(Get(path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.content_type, "application/json") << path;
    EXPECT_NE(r.body.find("\"resource_missing\""), std::string::npos) << path;
  }
  auto post = files->Serve(Get("/dashboard/api/sessions", "POST"));
  EXPECT_EQ(post.status, 404);
  // Only whole segments are reserved: an SPA page may start with the same letters.
  EXPECT_EQ(files->Serve(Get("/v1beta")).status, 200);
  EXPECT_EQ(files->Serve(Get("/dashboard/apis")).status, 200);
}

TEST_F(StaticFilesTest, MissingAssetIs404AndTraversalReachesNothing) {
  auto files = StaticFiles::Load(dir_.string());
  ASSERT_TRUE(files);
  EXPECT_EQ(files->Serve(Get("/assets/index-old.js")).status, 404);
  // Only loaded names exist: a traversal path falls back to index.html, never to a file.
  for (const char* path : {"/../../etc/passwd", "/assets/../../../etc/passwd", "/%2e%2e/x"}) {
    auto r = files->Serve(Get(path));
    EXPECT_TRUE(r.status == 404 || r.body == "<!doctype html><div id=app></div>") << path;
  }
}

TEST_F(StaticFilesTest, SymlinksAndDotFilesAreNotLoaded) {
  fs::create_symlink("/etc/hostname", dir_ / "host.txt");
  Write(".env", "SECRET=1");
  auto files = StaticFiles::Load(dir_.string());
  ASSERT_TRUE(files);
  EXPECT_EQ(files->Serve(Get("/host.txt")).body, "<!doctype html><div id=app></div>");
  EXPECT_EQ(files->Serve(Get("/.env")).body, "<!doctype html><div id=app></div>");
}

TEST_F(StaticFilesTest, HeadAnswersLikeGetAndOtherMethodsAre405) {
  auto files = StaticFiles::Load(dir_.string());
  ASSERT_TRUE(files);
  auto head = files->Serve(Get("/favicon.svg", "HEAD"));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_type, "image/svg+xml");
  // The body is the GET's: the server sends its length and drops its bytes (server_test.cpp).
  EXPECT_EQ(head.body, files->Serve(Get("/favicon.svg")).body);
  auto post = files->Serve(Get("/payments", "POST"));
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(Header(post, "Allow"), "GET, HEAD");
}

TEST_F(StaticFilesTest, LoadFailsWithoutIndexOrDirectoryOrPastTheSizeCap) {
  EXPECT_FALSE(StaticFiles::Load((dir_ / "missing").string()));
  EXPECT_FALSE(StaticFiles::Load(dir_.string(), 10));
  fs::remove(dir_ / "index.html");
  EXPECT_FALSE(StaticFiles::Load(dir_.string()));
}

}  // namespace
}  // namespace lp::http
