#include "api/csv.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lp::api {
namespace {

TEST(CsvCell, PlainValuesAreCopied) {
  EXPECT_EQ(CsvCell("api_key.roll"), "api_key.roll");
  EXPECT_EQ(CsvCell(""), "");
}

TEST(CsvCell, FormulaStartsArePrefixedWithAQuote) {
  EXPECT_EQ(CsvCell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvCell("+1"), "'+1");
  EXPECT_EQ(CsvCell("-2"), "'-2");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvCell("\tx"), "'\tx");
  // Only the first character counts.
  EXPECT_EQ(CsvCell("a=b"), "a=b");
}

TEST(CsvCell, SeparatorsQuotesAndLineBreaksAreQuoted) {
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(CsvCell("{\"a\":1,\"b\":2}"), "\"{\"\"a\"\":1,\"\"b\"\":2}\"");
}

TEST(CsvCell, IsLinearOnALargeCell) {
  const std::string big(1'000'000, '"');
  EXPECT_EQ(CsvCell(big).size(), 2 * big.size() + 2);
}

}  // namespace
}  // namespace lp::api
