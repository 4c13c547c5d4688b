// The shared model layer's own parts (plugins/models/common), without a backend: joining
// a batch, handing rows back, padding, parsing `device`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "batch_tensors.h"
#include "batched_model_node.h"

namespace sluice::models {
namespace {

using ::testing::HasSubstr;

Tensor counting(DType dtype, std::vector<int64_t> shape, int start) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.as<uint8_t>()[i] = static_cast<uint8_t>(start + i);
  return t;
}

TEST(ConcatBatch, JoinsAlongTheFirstDimensionKeepingTheType) {
  const Tensor a = counting(DType::kUInt8, {1, 2, 2}, 0);
  const Tensor b = counting(DType::kUInt8, {2, 2, 2}, 10);
  auto joined = concat_batch({&a, &b});
  ASSERT_TRUE(joined.ok()) << joined.status().message();
  EXPECT_EQ(joined->dtype, DType::kUInt8);
  EXPECT_EQ(joined->shape, (std::vector<int64_t>{3, 2, 2}));
  const std::vector<uint8_t> got(joined->as<uint8_t>(), joined->as<uint8_t>() + 12);
  EXPECT_EQ(got, (std::vector<uint8_t>{0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17}));
  // One part is passed on as it is: no copy.
  auto alone = concat_batch({&a});
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone->data, a.data);
}

TEST(ConcatBatch, PartsThatCannotBeJoinedAreNamed) {
  const Tensor a = counting(DType::kUInt8, {1, 2, 2}, 0);
  const Tensor wide = counting(DType::kUInt8, {1, 2, 3}, 0);
  const Tensor other_type = Tensor::zeros(DType::kFloat32, {1, 2, 2});
  EXPECT_THAT(concat_batch({&a, &wide}).status().message(),
              HasSubstr("differ after dimension 0: [1, 2, 2] and [1, 2, 3]"));
  EXPECT_THAT(concat_batch({&a, &other_type}).status().message(),
              HasSubstr("differ in type: uint8 and float32"));
  const Tensor scalar = Tensor::zeros(DType::kFloat32, {});
  EXPECT_THAT(concat_batch({&scalar, &scalar}).status().message(), HasSubstr("no dimensions"));
}

TEST(RowsOf, ViewsTheRowsSharingMemory) {
  const Tensor t = counting(DType::kUInt8, {3, 2}, 0);
  auto middle = rows_of(t, 1, 2);
  ASSERT_TRUE(middle.ok());
  EXPECT_EQ(middle->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(middle->as<uint8_t>(), t.as<uint8_t>() + 2);
  EXPECT_EQ(middle->buffer, t.buffer);
  EXPECT_THAT(rows_of(t, 2, 2).status().message(), HasSubstr("outside the shape [3, 2]"));
}

TEST(PadTo, PadsTheEndOfEveryDimensionAfterTheFirstWithTheValue) {
  const Tensor a = counting(DType::kUInt8, {1, 2, 3}, 1);  // rows 1 2 3 / 4 5 6
  const Tensor b = counting(DType::kUInt8, {2, 3, 2}, 0);
  auto shape = padded_shape({&a, &b});
  ASSERT_TRUE(shape.ok());
  EXPECT_EQ(*shape, (std::vector<int64_t>{1, 3, 3}));  // dimension 0 is a's; the rest the max
  auto padded = pad_to(a, *shape, 9);
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(padded->shape, (std::vector<int64_t>{1, 3, 3}));
  const std::vector<int> got(padded->as<uint8_t>(), padded->as<uint8_t>() + 9);
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3, 4, 5, 6, 9, 9, 9}));
  const Tensor mask = padding_mask(b, *shape, DType::kFloat32);
  EXPECT_EQ(mask.shape, (std::vector<int64_t>{2, 3, 3}));
  const std::vector<float> m(mask.as<float>(), mask.as<float>() + 18);
  EXPECT_EQ(m, (std::vector<float>{1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0}));
  // Ranks must agree; a tensor already at the shape is returned as it is.
  const Tensor flat = counting(DType::kUInt8, {1, 6}, 0);
  EXPECT_THAT(padded_shape({&a, &flat}).status().message(), HasSubstr("differ in rank"));
  auto same = pad_to(a, {1, 2, 3}, 0);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->data, a.data);
}

TEST(ParseDevice, TakesAutoCpuCudaAndCudaN) {
  EXPECT_EQ(parse_device("auto")->kind, DeviceRequest::Kind::kAuto);
  EXPECT_EQ(parse_device("cpu")->kind, DeviceRequest::Kind::kCpu);
  EXPECT_EQ(parse_device("cuda")->index, 0);
  EXPECT_EQ(parse_device("cuda:3")->index, 3);
  EXPECT_EQ(parse_device("cuda:3")->kind, DeviceRequest::Kind::kCuda);
  EXPECT_THAT(parse_device("gpu").status().message(),
              HasSubstr("device 'gpu' is not one of auto, cpu, cuda, cuda:N"));
  EXPECT_THAT(parse_device("cuda0").status().message(), HasSubstr("write cuda or cuda:N"));
  EXPECT_THAT(parse_device("cuda:x").status().message(), HasSubstr("must be a number"));
  EXPECT_THAT(parse_device("cuda:99999999999").status().message(), HasSubstr("must be a number"));
}

}  // namespace
}  // namespace sluice::models
