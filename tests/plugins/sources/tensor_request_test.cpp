// tensor_request and tensor_response on their own: KServe v2's JSON tensors
// (kserve_tensors.h) for every way a request can be wrong, and the nodes through the
// NodeHarness: a request's tensors become the packets of a stream of its own, in declared
// order, and tensor_response answers the outputs asked for, named, or 500 when the model
// gives what the declaration does not say.
#include "tensor_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kserve_tensors.h"
#include "sluice/testing/node_harness.h"
#include "tensor_response.h"

namespace sluice::testing {
namespace {

using nlohmann::json;
using sources::parse_infer_request;
using sources::parse_tensor_spec;
using sources::TensorRequest;
using sources::TensorResponse;
using sources::TensorSpec;
using ::testing::HasSubstr;

std::vector<TensorSpec> specs(const std::vector<std::string>& texts) {
  std::vector<TensorSpec> out;
  for (const auto& t : texts) out.push_back(*parse_tensor_spec(t));
  return out;
}

TEST(KserveTensors, SpecsAreNameDatatypeAndShape) {
  const auto s = parse_tensor_spec("image  FP32 [-1, 1,28,28]");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "image");
  EXPECT_EQ(s->dtype, DType::kFloat32);
  EXPECT_EQ(s->shape, (std::vector<int64_t>{-1, 1, 28, 28}));
  EXPECT_EQ(parse_tensor_spec("ids INT64 [3]")->dtype, DType::kInt64);
  for (const char* bad :
       {"image FP32", "image [1]", "image FP64 [1]", "image FP32 [0]", "image FP32 [-2]",
        "image FP32 []", "image FP32 [1,x]", "a b FP32 [1]", "image FP32 [1] tail"}) {
    const auto r = parse_tensor_spec(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("write NAME DATATYPE [D0,D1,...]")) << bad;
  }
}

TEST(KserveTensors, ARequestBecomesTensorsInDeclaredOrder) {
  const auto inputs = specs({"pixels UINT8 [-1,2]", "weights FP32 [2,2]"});
  const auto outputs = specs({"a FP32 [-1]", "b INT64 [-1]"});
  const auto r = parse_infer_request(R"({"id": "q7", "inputs": [
      {"name": "weights", "datatype": "FP32", "shape": [2, 2], "data": [[0.5, 1], [1.5, 2]]},
      {"name": "pixels", "datatype": "UINT8", "shape": [1, 2], "data": [0, 255]}],
      "outputs": [{"name": "b"}]})",
                                     inputs, outputs);
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(r.inputs.size(), 2u);
  EXPECT_EQ(r.inputs[0].dtype, DType::kUInt8);
  EXPECT_EQ(r.inputs[0].shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(r.inputs[0].as<uint8_t>()[1], 255);
  EXPECT_EQ(r.inputs[1].as<float>()[2], 1.5f) << "nested data, row-major";
  EXPECT_EQ(r.plan.id, "q7");
  EXPECT_EQ(r.plan.wanted, (std::vector<std::size_t>{1}));
  const auto all = parse_infer_request(
      R"({"inputs": [{"name": "weights", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3, 4]},
                     {"name": "pixels", "datatype": "UINT8", "shape": [0, 2], "data": []}]})",
      inputs, outputs);
  ASSERT_EQ(all.status, 200) << all.error;
  EXPECT_FALSE(all.plan.id);
  EXPECT_EQ(all.plan.wanted, (std::vector<std::size_t>{0, 1})) << "no outputs asked: all";
}

TEST(KserveTensors, EveryWrongRequestIs400NamingWhatIsWrong) {
  const auto inputs = specs({"x INT64 [-1,3]"}), outputs = specs({"y FP32 [-1]"});
  const auto with = [](const std::string& input) { return R"({"inputs": [)" + input + "]}"; };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not JSON"},
      {"{\"inputs\": [", "not JSON"},
      {"[1, 2]", "not a JSON object"},
      {"{}", "no \"inputs\" array"},
      {R"({"inputs": {}})", "no \"inputs\" array"},
      {R"({"id": 7, "inputs": []})", "\"id\" is not a string"},
      {with("{}"), "an input has no \"name\""},
      {R"({"inputs": []})", "input 'x' is missing"},
      {with(R"({"name": "z", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 3]})"),
       "no input 'z': this model takes 'x'"},
      {with(R"({"name": "x", "shape": [1, 3], "data": [1, 2, 3]})"), "has no \"datatype\""},
      {with(R"({"name": "x", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]})"),
       "input 'x' is INT64, not FP32"},
      {with(R"({"name": "x", "datatype": "INT64", "data": [1, 2, 3]})"), "no \"shape\" array"},
      {with(R"({"name": "x", "datatype": "INT64", "shape": [3], "data": [1, 2, 3]})"),
       "shape [3], which does not fit [-1,3]"},
      {with(R"({"name": "x", "datatype": "INT64", "shape": [1, 4], "data": [1, 2, 3, 4]})"),
       "shape [1,4], which does not fit [-1,3]"},
      {with(R"({"name": "x", "datatype": "INT64", "shape": [1, -3], "data": []})"),
       "not a list of sizes"},
      {with(R"({"name": "x", "datatype": "INT64", "shape": [1, 3]})"), "has no \"data\""},
      {with(R"({"name": "x", "datatype": "INT64", "shape": [2, 3], "data": [1, 2, 3]})"),
       "has 3 values, but its shape [2,3] holds 6"},
      {with(R"({"name": "x", "datatype": "INT64", "shape": [1, 3], "data": [1, "2", 3]})"),
       "holds a string, not a number"},
      {with(R"({"name": "x", "datatype": "INT64", "shape": [1, 3], "data": [1, 2.5, 3]})"),
       "value 2.5 is not a whole number"},
      {with(
           R"({"name": "x", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 18446744073709551615]})"),
       "out of INT64's range"},
      {with(R"({"name": "x", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 3]},
               {"name": "x", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 3]})"),
       "input 'x' is given twice"},
      {R"({"inputs": [{"name": "x", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 3]}],
          "outputs": [{"name": "w"}]})",
       "no output 'w': this model gives 'y'"},
      {with(
           R"({"name": "x", "datatype": "INT64", "shape": [4294967296, 4294967296, 3], "data": []})"),
       "not a list of sizes"},
  };
  for (const auto& [body, says] : cases) {
    const auto r = parse_infer_request(body, inputs, outputs);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_THAT(r.error, HasSubstr(says)) << body;
  }
  const auto u8 = parse_infer_request(
      R"({"inputs": [{"name": "p", "datatype": "UINT8", "shape": [2], "data": [1, 256]}]})",
      specs({"p UINT8 [2]"}), outputs);
  EXPECT_THAT(u8.error, HasSubstr("value 256 is out of UINT8's range (at 1)"));
}

std::shared_ptr<ServedRequest> request_of(std::string body, std::string target = "m") {
  return std::make_shared<ServedRequest>(std::move(body), "application/json",
                                         ServedRequest::Clock::now() + std::chrono::minutes(1),
                                         std::move(target));
}

constexpr const char* kParams = R"(inputs = ["a FP32 [-1,2]", "b INT64 [1]"]
outputs = ["sum FP32 [-1]", "ids INT64 [-1]"]
)";

TEST(TensorRequest, ARequestsTensorsArePacketsOfAStreamOfItsOwn) {
  auto h = NodeHarness::load("tensor_request", kParams);
  h.set_serving(true);
  RequestIntake* intake = h.request_intake();
  ASSERT_NE(intake, nullptr);
  EXPECT_EQ(intake->protocol(), RequestIntake::Protocol::kTensors);
  const json meta = json::parse(intake->model_metadata());
  EXPECT_EQ(meta["inputs"][1], json({{"name", "b"}, {"datatype", "INT64"}, {"shape", {1}}}));
  EXPECT_EQ(meta["outputs"][0]["name"], "sum");
  auto r = request_of(R"({"inputs": [{"name": "b", "datatype": "INT64", "shape": [1], "data": [9]},
      {"name": "a", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3, 4]}]})");
  intake->submit(r);
  EXPECT_FALSE(r->answered());
  auto bad = request_of(R"({"inputs": []})");
  intake->submit(bad);
  ASSERT_TRUE(bad->answered());
  EXPECT_EQ(bad->wait_until(ServedRequest::Clock::now())->status, 400);
  ASSERT_TRUE(h.run_source(1).ok());
  ASSERT_EQ(h.pending(TensorRequest::kOut.name), 1u);
  ASSERT_EQ(h.pending(TensorRequest::kOut1.name), 1u);
  const Packet a = h.pull(TensorRequest::kOut), b = h.pull(TensorRequest::kOut1);
  EXPECT_EQ(a.header().stream_id, b.header().stream_id);
  EXPECT_EQ(a.get_if<Tensor>()->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(b.get_if<Tensor>()->as<int64_t>()[0], 9);
}

TEST(TensorRequest, DeclarationsAreCheckedAtOpen) {
  for (const auto& [params, says] : std::vector<std::pair<std::string, std::string>>{
           {"inputs = [\"a FP32\"]\noutputs = [\"b FP32 [1]\"]\n", "inputs[0] 'a FP32'"},
           {"inputs = []\noutputs = [\"b FP32 [1]\"]\n", "inputs has 0 entries: give 1 to 3"},
           {"inputs = [\"a FP32 [1]\", \"a INT64 [1]\"]\noutputs = [\"b FP32 [1]\"]\n",
            "inputs names 'a' twice"},
           {"inputs = [\"a FP32 [1]\"]\noutputs = [\"1 FP32 [1]\", \"2 FP32 [1]\", \"3 FP32 [1]\", "
            "\"4 FP32 [1]\", \"5 FP32 [1]\"]\n",
            "outputs has 5 entries: give 1 to 4"},
       }) {
    const auto h = NodeHarness::try_load("tensor_request", params);
    ASSERT_FALSE(h.ok()) << params;
    EXPECT_THAT(h.status().message(), HasSubstr(says));
  }
}

// tensor_request and tensor_response of one library share the requests in flight: the
// response answers those its request node sent, with the outputs asked for.
TEST(TensorResponse, AnswersTheOutputsAskedForNamedAndChecksTheirDeclaration) {
  auto req = NodeHarness::load("tensor_request", kParams);
  req.set_serving(true);
  auto resp = NodeHarness::load("tensor_response");
  const std::string body =
      R"({"id": "r1", "inputs": [{"name": "b", "datatype": "INT64", "shape": [1], "data": [9]},
      {"name": "a", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}],
      "outputs": [{"name": "ids"}, {"name": "sum"}]})";
  auto good = request_of(body, "adder"), wrong = request_of(body, "adder");
  req.request_intake()->submit(good);
  req.request_intake()->submit(wrong);
  ASSERT_TRUE(req.run_source(1).ok());
  const Packet first = req.pull(TensorRequest::kOut), second = req.pull(TensorRequest::kOut);
  (void)req.pull(TensorRequest::kOut1), (void)req.pull(TensorRequest::kOut1);
  Tensor sum = Tensor::zeros(DType::kFloat32, {1});
  sum.as<float>()[0] = 3;
  Tensor ids = Tensor::zeros(DType::kInt64, {1});
  ids.as<int64_t>()[0] = 18;
  // The optional input first: process() runs once the required one joins it.
  ASSERT_TRUE(resp.push(TensorResponse::kIn1, ids, first.header()).ok());
  ASSERT_TRUE(resp.push(TensorResponse::kIn, sum, first.header()).ok());
  const auto answer = good->wait_until(ServedRequest::Clock::now());
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  const json j = json::parse(answer->body);
  EXPECT_EQ(j["model_name"], "adder");
  EXPECT_EQ(j["model_version"], "1");
  EXPECT_EQ(j["id"], "r1");
  ASSERT_EQ(j["outputs"].size(), 2u);
  EXPECT_EQ(j["outputs"][0],
            json({{"name", "ids"}, {"datatype", "INT64"}, {"shape", {1}}, {"data", {18}}}));
  EXPECT_EQ(j["outputs"][1]["data"], json({3.0}));
  // The model gives FP32 where INT64 is declared: 500 naming the output and the declaration.
  ASSERT_TRUE(resp.push(TensorResponse::kIn1, sum, second.header()).ok());
  ASSERT_TRUE(resp.push(TensorResponse::kIn, sum, second.header()).ok());
  const auto misdeclared = wrong->wait_until(ServedRequest::Clock::now());
  ASSERT_TRUE(misdeclared);
  EXPECT_EQ(misdeclared->status, 500);
  EXPECT_THAT(misdeclared->body, HasSubstr("output 'ids' is FP32 [1], not INT64 [-1]"));
}

}  // namespace
}  // namespace sluice::testing
