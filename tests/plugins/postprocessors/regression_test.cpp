// regression through the NodeHarness, on values worked out by hand.
#include "regression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "sluice/testing/node_harness.h"

namespace sluice::testing {
namespace {

using postprocessors::Regression;
using ::testing::HasSubstr;

Tensor values(std::vector<float> v) {
  Tensor t = Tensor::zeros(DType::kFloat32, {1, static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.as<float>());
  return t;
}

const std::vector<NamedValue>& items(const Packet& p) { return p.get_if<Values>()->items; }

TEST(Regression, ValuesScaledAndOffsetOnePerName) {
  auto h =
      NodeHarness::load("regression", "names = [\"price\", \"rooms\"]\nscale = 1000\noffset = 50");
  ASSERT_TRUE(h.push(Regression::kIn, values({0.25f, 3.f})).ok());
  const Packet v_packet = h.pull(Regression::kOut);
  const auto& v = items(v_packet);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].name, "price");
  EXPECT_FLOAT_EQ(v[0].value, 300);  // 0.25 x 1000 + 50
  EXPECT_EQ(v[1].name, "rooms");
  EXPECT_FLOAT_EQ(v[1].value, 3050);
}

TEST(Regression, SigmoidGivesAProbability) {
  auto h = NodeHarness::load("regression", "names = [\"female\"]\nmode = \"sigmoid\"");
  ASSERT_TRUE(h.push(Regression::kIn, values({std::log(3.f)})).ok());  // 3 / (1 + 3)
  EXPECT_NEAR(items(h.pull(Regression::kOut))[0].value, 0.75, 1e-6);
}

TEST(Regression, ExpectationOverBinsOfASoftmax) {
  // Bins 20, 30, 40 (bin_start 20, step 10); logits ln 1, ln 2, ln 1: probabilities 1/4,
  // 1/2, 1/4: 5 + 15 + 10 = 30.
  auto h = NodeHarness::load(
      "regression", "names = [\"age\"]\nmode = \"expectation\"\nbin_start = 20\nbin_step = 10");
  ASSERT_TRUE(h.push(Regression::kIn, values({0.f, std::log(2.f), 0.f})).ok());
  EXPECT_NEAR(items(h.pull(Regression::kOut))[0].value, 30, 1e-5);
  // Large logits do not overflow: the same distribution shifted by 1000.
  ASSERT_TRUE(h.push(Regression::kIn, values({1000.f, 1000 + std::log(2.f), 1000.f})).ok());
  EXPECT_NEAR(items(h.pull(Regression::kOut))[0].value, 30, 1e-3);
  // Already probabilities: weighted as they are.
  auto p = NodeHarness::load("regression",
                             "names = [\"age\"]\nmode = \"expectation\"\nprobabilities = true");
  ASSERT_TRUE(p.push(Regression::kIn, values({0.5f, 0.f, 0.5f})).ok());
  EXPECT_NEAR(items(p.pull(Regression::kOut))[0].value, 1.0, 1e-6);  // bins 0, 1, 2
}

TEST(Regression, MismatchesAreClearErrors) {
  auto h = NodeHarness::load("regression", "names = [\"a\"]");
  Status s = h.push(Regression::kIn, values({1, 2}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("holds 2 values, and names has 1: one name per value"));
  s = h.push(Regression::kIn, values({NAN}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("non-finite value at 0"));
  auto two = NodeHarness::try_load("regression", "names = [\"a\", \"b\"]\nmode = \"expectation\"");
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.status().message(), HasSubstr("gives one number: give one name, not 2"));
}

}  // namespace
}  // namespace sluice::testing
