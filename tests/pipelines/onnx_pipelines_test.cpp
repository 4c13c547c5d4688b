// The onnx backend end to end: the same pipelines as with torchscript, only the model node
// changed, give the same results.
// - faces: BlazeFace's ORIGINAL ONNX file (onnx + blazeface_decoder, faces_onnx.toml)
//   against its converted TorchScript (torchscript + box_decoder, faces.toml);
// - classify: the exported Fashion-MNIST ONNX (scripts/models/export_onnx.py) through
//   classify.toml with only plugin and model overridden, against Python's accuracy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace sluice::test {
namespace {

using nlohmann::json;

const std::string kRoot = SLUICE_SOURCE_DIR;

class OnnxPipelines : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(missing_assets({"assets/models/face_detection_front_128x128_barracuda.onnx",
                              "assets/models/blazeface_front128.pt",
                              "assets/models/fmnist_cnn.onnx", "assets/models/fmnist_cnn.pt",
                              "assets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                              "assets/media/Megamind.avi", "assets/media/messi5.jpg"}),
              "");
  }
  // Runs pipelines/NAME.toml with SLUICE_OUT in the test's folder; returns its JSON lines.
  std::vector<json> run(const std::string& name, const std::string& sets,
                        const std::string& jsonl) {
    const auto r = run_sluice("run -q " + kRoot + "/pipelines/" + name + ".toml " + sets,
                              {.env = "SLUICE_OUT=" + dir_.path().string(), .timeout_s = 600});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<json> lines;
    std::ifstream in(dir_.file(jsonl));
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    return lines;
  }
  // Both faces pipelines on the same input; returns how many faces were compared.
  int compare_faces(const std::string& source_sets, std::size_t frames) {
    const auto torch = run("faces", source_sets, "faces.jsonl");
    const auto onnx = run("faces_onnx", source_sets, "faces_onnx.jsonl");
    EXPECT_EQ(torch.size(), frames);
    EXPECT_EQ(onnx.size(), frames);
    if (torch.size() != onnx.size()) return 0;
    int compared = 0;
    for (std::size_t f = 0; f < torch.size(); ++f) {
      const auto& a = torch[f]["detections"];
      const auto& b = onnx[f]["detections"];
      // A face right at the 0.75 threshold may be kept by one backend only.
      auto kept = [](const json& faces) {
        std::vector<json> out;
        for (const auto& face : faces)
          if (face["score"].get<double>() >= 0.751) out.push_back(face);
        return out;
      };
      const auto ta = kept(a), tb = kept(b);
      EXPECT_EQ(ta.size(), tb.size()) << "frame " << f << ":\n" << a.dump() << "\n" << b.dump();
      for (const auto& face : ta) {
        bool found = false;
        for (const auto& other : b) {
          bool same = std::abs(face["score"].get<double>() - other["score"].get<double>()) <= 1e-3;
          for (const char* k : {"x", "y", "w", "h"})
            same = same &&
                   std::abs(face["box"][k].get<double>() - other["box"][k].get<double>()) <= 1.0;
          for (std::size_t i = 0; same && i < face["landmarks"].size(); ++i)
            for (std::size_t c = 0; c < 2; ++c)
              same = same && std::abs(face["landmarks"][i][c].get<double>() -
                                      other["landmarks"][i][c].get<double>()) <= 1.0;
          if (!same) continue;
          found = true;
          ++compared;
          // The emotion of the face, from the same crop, is the same.
          EXPECT_EQ(face["classes"][0]["class_id"], other["classes"][0]["class_id"])
              << "frame " << f;
          break;
        }
        EXPECT_TRUE(found) << "frame " << f << ": torchscript's face " << face.dump()
                           << " is not among onnx's " << b.dump();
      }
    }
    return compared;
  }
  TempDir dir_;
};

TEST_F(OnnxPipelines, BlazeFaceOriginalOnnxFindsTheFacesOfTheTorchScriptModelInAVideo) {
  const std::string clip = dir_.file("clip.mkv");
  const auto r = run_command("ffmpeg -v error -y -i " + kRoot +
                             "/assets/media/Megamind.avi -frames:v 20 -an -c:v ffv1 " + clip);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GE(compare_faces("--set nodes.video.path=" + clip, 20), 15)
      << "Megamind.avi's first frames show a face";
}

TEST_F(OnnxPipelines, BlazeFaceOriginalOnnxFindsTheFacesOfTheTorchScriptModelInPhotos) {
  const std::string photos =
      kRoot + "/assets/media/{astronaut.png,messi5.jpg,person.jpg,horses.jpg}";
  EXPECT_GE(
      compare_faces(
          "--set nodes.video.plugin=image_source --set \"nodes.video.path=" + photos + "\"", 4),
      1)
      << "the astronaut faces the camera (the other faces are too small for the 128 px model)";
}

// Fashion-MNIST's 10,000 test pictures: the exported ONNX model in classify.toml, with only
// plugin and model changed, reaches the accuracy Python measured for the TorchScript model.
TEST_F(OnnxPipelines, ClassifyWithTheExportedOnnxReachesTheTorchScriptAccuracy) {
  const json python = json::parse(read_file(kRoot + "/assets/models/fmnist_reference.json"));
  const std::string images = dir_.file("fmnist");
  auto r = run_command("/usr/bin/python3 " + kRoot + "/tests/pipelines/fmnist_to_png.py " + kRoot +
                           "/assets/fashion-mnist " + images,
                       600);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto lines =
      run("classify",
          "--set nodes.model.plugin=onnx --set nodes.model.model=" + kRoot +
              "/assets/models/fmnist_cnn.onnx --stats-json " + dir_.file("stats.json"),
          "classify.jsonl");
  std::ifstream labels(images + "/labels.txt");
  int total = 0, correct = 0;
  for (std::string label; total < static_cast<int>(lines.size()) && std::getline(labels, label);
       ++total) {
    ASSERT_EQ(lines[total]["seq"], total) << "pictures in file order";
    correct +=
        lines[total]["classifications"][0]["class_id"].get<int>() == std::stoi(label) ? 1 : 0;
  }
  ASSERT_EQ(total, 10000);
  // The first 100 predictions are Python's, one by one.
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(lines[i]["classifications"][0]["class_id"], python["first_100_predictions"][i])
        << "picture " << i;
  EXPECT_EQ(correct, python["correct"].get<int>());
  EXPECT_DOUBLE_EQ(static_cast<double>(correct) / total, python["accuracy"].get<double>());
  // The onnx node ran, and batched (a mean batch well above 1).
  const json stats = json::parse(read_file(dir_.file("stats.json")));
  bool found = false;
  for (const auto& n : stats["nodes"])
    if (n["name"] == "model") {
      found = true;
      EXPECT_EQ(n["plugin"], "onnx") << n.dump();
      EXPECT_LT(n["counters"]["forward_passes"].get<int>(), 10000 / 2);
    }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace sluice::test
