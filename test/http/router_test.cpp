#include "lp/http/router.hpp"

#include <gtest/gtest.h>

#include "lp/http/errors.hpp"

namespace lp::http {
namespace {

Handler Noop() {
  return [](Request&) -> Task<Response> { co_return Response::Json(200, "{}"); };
}

TEST(Router, MatchesPlaceholdersAndReturnsTheirValues) {
  Router r;
  r.Add("GET", "/v1/payments/{id}", "payments:read", Noop());
  r.Add("POST", "/v1/payments/{id}/capture", "payments:write", Noop());
  std::vector<std::string> params;
  auto m = r.Find("POST", "/v1/payments/pay_123/capture", params);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/payments/{id}/capture");
  EXPECT_EQ(m.route->permission, "payments:write");
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0], "pay_123");
}

TEST(Router, WrongMethodOnAKnownPathListsTheAllowedMethods) {
  Router r;
  r.Add("GET", "/v1/payments", "payments:read", Noop());
  r.Add("POST", "/v1/payments", "payments:write", Noop());
  std::vector<std::string> params;
  auto m = r.Find("DELETE", "/v1/payments", params);
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "GET, POST");
}

TEST(Router, UnknownPathsEmptySegmentsAndTrailingSlashesDoNotMatch) {
  Router r;
  r.Add("GET", "/v1/payments/{id}", "payments:read", Noop());
  std::vector<std::string> params;
  EXPECT_EQ(r.Find("GET", "/v1/payments/", params).route, nullptr);
  EXPECT_EQ(r.Find("GET", "/v1/payments/a/b", params).route, nullptr);
  EXPECT_EQ(r.Find("GET", "/v1/refunds/x", params).route, nullptr);
  EXPECT_EQ(r.Find("GET", "", params).route, nullptr);
  EXPECT_TRUE(r.Find("GET", "/v1/refunds/x", params).allow.empty());
}

TEST(Router, FallbackTakesUnmatchedPathsButNotAnotherMethodOfAKnownPath) {
  Router r;
  r.Add("GET", "/dashboard/api/me", "none", Noop());
  r.SetFallback("none", Noop());
  std::vector<std::string> params{"stale"};
  auto m = r.Find("GET", "/payments/pay_1", params);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/*");
  EXPECT_TRUE(params.empty());
  EXPECT_EQ(r.Find("POST", "/anything", params).route->pattern, "/*");
  auto known = r.Find("DELETE", "/dashboard/api/me", params);
  EXPECT_EQ(known.route, nullptr);
  EXPECT_EQ(known.allow, "GET");
  EXPECT_EQ(r.Find("GET", "/dashboard/api/me", params).route->pattern, "/dashboard/api/me");
}

TEST(Errors, ErrorBodyHasTypeCodeMessageParamAndRequestId) {
  auto resp = ErrorResponse(Error::Invalid("parameter_invalid", "bad amount", "amount"), "req_1");
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body, R"({"error":{"type":"invalid_request_error","code":"parameter_invalid",)"
                       R"("message":"bad amount","param":"amount","request_id":"req_1"}})");
  EXPECT_EQ(ErrorResponse(Error::Internal("secret detail"), "r").body.find("secret detail"),
            std::string::npos);
  EXPECT_EQ(StatusFor(ErrorType::kConflict), 409);
  EXPECT_EQ(StatusFor(ErrorType::kAuthentication), 401);
  EXPECT_EQ(StatusFor(ErrorType::kPayloadTooLarge), 413);
}

}  // namespace
}  // namespace lp::http
