#include "sluice/status.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return invalid_argument("not positive: " + std::to_string(x));
  return x;
}

Status double_it(int x, int& out) {
  SLUICE_ASSIGN_OR_RETURN(int v, parse_positive(x));
  out = 2 * v;
  return ok();
}

Status chain(int x) {
  int out = 0;
  SLUICE_RETURN_IF_ERROR(double_it(x, out));
  return out > 10 ? ok() : not_found("too small");
}

TEST(Status, OkEndOfStreamAndErrorsAreDistinct) {
  EXPECT_TRUE(ok().ok());
  EXPECT_FALSE(end_of_stream().ok());
  EXPECT_TRUE(end_of_stream().end_of_stream());
  EXPECT_FALSE(internal_error("x").end_of_stream());
  EXPECT_EQ(not_found("gone").message(), "gone");
  EXPECT_EQ(unavailable("u").code(), StatusCode::kUnavailable);
}

TEST(Status, MacrosPropagateTheFirstError) {
  EXPECT_TRUE(chain(6).ok());
  EXPECT_EQ(chain(3).code(), StatusCode::kNotFound);
  const Status s = chain(-1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "not positive: -1");
}

TEST(Result, HoldsAValueOrAStatus) {
  Result<std::string> r = std::string("abc");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 3u);
  Result<std::string> e = internal_error("boom");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "boom");
}

}  // namespace
}  // namespace sluice
