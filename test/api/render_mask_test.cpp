// MaskPersonalData (docs/dashboard-api.md §2 "Masking"): what a role without pii:read sees.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/render.hpp"

namespace lp::api {
namespace {

namespace json = boost::json;

TEST(MaskPersonalData, MasksDescriptionMetadataEmailsAndAddressesAtAnyDepthKeepingTheShape) {
  const std::string body = R"({"id":"pay_a","description":"Gift for Jane","amount":100,)"
                           R"("metadata":{"name":"Jane Roe","order":"A-1"},)"
                           R"("data":{"object":{"description":null,"email":"jane@example.com"}},)"
                           R"("list":[{"last_used_ip":"203.0.113.7","source_ip":"198.51.100.1"}]})";
  const json::value got = json::parse(MaskPersonalData(body));
  const json::value want =
      json::parse(R"({"id":"pay_a","description":"•••","amount":100,)"
                  R"("metadata":{"name":"•••","order":"•••"},)"
                  R"("data":{"object":{"description":null,"email":"j•••@example.com"}},)"
                  R"("list":[{"last_used_ip":null,"source_ip":null}]})");
  EXPECT_EQ(got, want);
}

TEST(MaskPersonalData, LeavesOtherFieldsAndNonJsonAlone) {
  const std::string body = R"({"object":"list","data":[{"id":"re_a","amount":5,"status":"x"}]})";
  EXPECT_EQ(json::parse(MaskPersonalData(body)), json::parse(body));
  EXPECT_EQ(MaskPersonalData("not json"), "not json");
}

}  // namespace
}  // namespace lp::api
