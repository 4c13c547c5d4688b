// The ready pipelines of pipelines/, end to end on real models and real video, against
// a Python reference (/usr/bin/python3, same model, same preprocessing).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "test_support.h"

namespace sluice::test {
namespace {

using nlohmann::json;

const std::string kRoot = SLUICE_SOURCE_DIR;

class Pipelines : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(missing_assets({"assets/models/centernet_mbv3_coco512.pt",
                              "assets/models/selfie_seg256.pt", "assets/models/fmnist_cnn.pt",
                              "assets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                              "assets/media/vtest.avi", "assets/media/Megamind.avi"}),
              "");
  }
  // The first `frames` frames of a video, losslessly, so Python and sluice see the same pixels.
  std::string clip(const std::string& video, int frames) {
    const std::string out = dir_.file("clip.mkv");
    const auto r = run_command("ffmpeg -v error -y -i " + kRoot + "/assets/media/" + video +
                               " -frames:v " + std::to_string(frames) + " -an -c:v ffv1 " + out);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return out;
  }
  json reference(const std::string& task, const std::string& clip, const std::string& model) {
    const std::string out = dir_.file(task + "_reference.json");
    const auto r =
        run_command("/usr/bin/python3 " + kRoot + "/tests/pipelines/reference.py " + task + " " +
                        clip + " " + kRoot + "/assets/models/" + model + " " + out,
                    600);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return json::parse(read_file(out));
  }
  std::vector<json> run_pipeline(const std::string& name, const std::string& clip,
                                 const std::string& extra_args = "") {
    const auto r = run_sluice("run -q " + kRoot + "/pipelines/" + name +
                                  ".toml --set nodes.video.path=" + clip + " " + extra_args,
                              {.env = "SLUICE_OUT=" + dir_.path().string(), .timeout_s = 600});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    // A clean run with -q prints nothing: no LibTorch or glog warnings that a newcomer
    // would read as errors.
    EXPECT_EQ(r.output, "") << "pipeline " << name << " printed this on a clean run";
    std::vector<json> lines;
    std::ifstream in(dir_.file(name + ".jsonl"));
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    return lines;
  }
  // COCO uncompressed RLE (column-major runs, starting outside; jsonl_sink's mask_rle and
  // reference.py's person_rle) to one bit per pixel.
  static std::vector<bool> rle_bits(const json& rle) {
    std::vector<bool> bits;
    bool inside = false;
    for (const auto& run : rle["counts"]) {
      bits.insert(bits.end(), run.get<std::size_t>(), inside);
      inside = !inside;
    }
    return bits;
  }
  // The pixels of class `id` in a JSONL line's mask (all false when the class is absent).
  static std::vector<bool> class_bits(const json& line, int id, std::size_t pixels) {
    for (const auto& c : line["mask"]["classes"])
      if (c["class_id"] == id) return rle_bits(c["rle"]);
    return std::vector<bool>(pixels, false);
  }
  // A JSONL line's person mask (class 1; jsonl_sink with mask_rle = true) against Python's
  // frame from reference.py, pixel by pixel: pixels right at 0.5 may fall either way, at
  // most 0.1% of the 65536, and the IoU is at least 0.99. Returns the line's person pixels.
  static int64_t expect_person_mask_matches(const json& line, const json& python, std::size_t f) {
    int64_t ours = 0;  // no "person" entry: no person pixel
    for (const auto& c : line["mask"]["classes"])
      if (c["class_id"] == 1) {
        ours = c["pixels"];
        EXPECT_EQ(c["rle"]["size"], python["person_rle"]["size"]) << "frame " << f;
      }
    const std::vector<bool> theirs = rle_bits(python["person_rle"]);
    const std::vector<bool> mine = class_bits(line, 1, theirs.size());
    EXPECT_EQ(mine.size(), theirs.size()) << "frame " << f;
    if (mine.size() != theirs.size()) return ours;
    int64_t both = 0, either = 0, differ = 0;
    for (std::size_t i = 0; i < mine.size(); ++i) {
      both += mine[i] && theirs[i];
      either += mine[i] || theirs[i];
      differ += mine[i] != theirs[i];
    }
    EXPECT_LE(differ, 66) << "frame " << f << ": pixels on which the masks differ";
    if (either > 0) {
      EXPECT_GE(static_cast<double>(both) / either, 0.99) << "frame " << f << ": IoU";
    }
    EXPECT_NEAR(ours, python["person_pixels"].get<int64_t>(), 66) << "frame " << f;
    return ours;
  }
  // The node named "model" in a --stats-json file; a failure when there is none, so a
  // renamed node fails the check that uses it instead of skipping it.
  json model_stats(const std::string& stats_file) {
    const json stats = json::parse(read_file(stats_file));
    for (const auto& n : stats["nodes"])
      if (n["name"] == "model") return n;
    ADD_FAILURE() << "no node named 'model' in " << stats_file;
    return json{{"plugin", ""}, {"counters", {{"forward_passes", 0}}}};
  }
  // Boxes within 1 pixel, scores within 1e-3, same classes, both ways; detections within
  // 1e-3 of the 0.3 threshold may be on either side. Returns how many were compared.
  static int expect_detections_match(const json& expected, const std::vector<json>& got) {
    // Ours ({"box": {x, y, w, h}}) against Python's ({"box": [x1, y1, x2, y2]}).
    const auto same_box = [](const json& o, const json& e) {
      const auto& b = o["box"];
      const double x1 = b["x"], y1 = b["y"], x2 = x1 + b["w"].get<double>(),
                   y2 = y1 + b["h"].get<double>();
      return o["class_id"] == e["class_id"] && std::abs(x1 - e["box"][0].get<double>()) <= 1 &&
             std::abs(y1 - e["box"][1].get<double>()) <= 1 &&
             std::abs(x2 - e["box"][2].get<double>()) <= 1 &&
             std::abs(y2 - e["box"][3].get<double>()) <= 1;
    };
    int compared = 0;
    for (std::size_t f = 0; f < got.size(); ++f) {
      const auto& ours = got[f]["detections"];
      for (const auto& e : expected["frames"][f]["detections"]) {
        const bool must = e["score"].get<double>() > 0.301;
        bool found = false;
        for (const auto& o : ours) {
          if (same_box(o, e)) {
            EXPECT_NEAR(o["score"].get<double>(), e["score"].get<double>(), 1e-3);
            found = true;
            ++compared;
            break;
          }
        }
        if (must) {
          EXPECT_TRUE(found) << "frame " << f << ": Python's " << e.dump() << " is missing";
        }
      }
      // And the other way: each of ours above the threshold is one of Python's, box included.
      for (const auto& o : ours)
        if (o["score"].get<double>() > 0.301) {
          bool in_python = false;
          for (const auto& e : expected["frames"][f]["detections"])
            in_python |= same_box(o, e) &&
                         std::abs(e["score"].get<double>() - o["score"].get<double>()) <= 1e-3;
          EXPECT_TRUE(in_python) << "frame " << f << ": " << o.dump()
                                 << " is not in Python's results";
        }
    }
    return compared;
  }
  TempDir dir_;
};

// CenterNet's detections equal Python's (expect_detections_match), and the video is valid.
TEST_F(Pipelines, DetectMatchesPythonAndWritesAValidVideo) {
  const std::string video = clip("vtest.avi", 8);
  const json expected = reference("detect", video, "centernet_mbv3_coco512.pt");
  const auto got = run_pipeline("detect", video);
  ASSERT_EQ(got.size(), 8u);
  ASSERT_EQ(expected["frames"].size(), 8u);
  const int compared = expect_detections_match(expected, got);
  EXPECT_GT(compared, 8 * 3) << "vtest.avi has several people in every frame";
  const auto frames = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=nb_read_frames -of csv=p=0 " +
      dir_.file("detect.mp4"));
  EXPECT_EQ(frames.output, "8\n");
}

// pipelines/track.toml over the whole of vtest.avi counts the people crossing its line as
// they were counted by hand, frame by frame (tests/pipelines/vtest_line_count.md: 10
// crossings, 6 "in" right to left, 4 "out"). The issue's check is each count within 1;
// each hand-counted crossing is also looked for among the pipeline's events, same
// direction within 5 frames, and at most one may be missing.
TEST_F(Pipelines, TrackCountsThePeopleCrossingTheDoorAsCountedByHand) {
  const auto lines = run_pipeline("track", kRoot + "/assets/media/vtest.avi");
  ASSERT_EQ(lines.size(), 795u);
  const std::vector<std::pair<int64_t, std::string>> by_hand{
      {192, "in"}, {216, "in"},  {270, "in"},  {286, "out"}, {548, "in"},
      {616, "in"}, {634, "out"}, {648, "out"}, {720, "in"},  {741, "out"}};
  std::vector<std::pair<int64_t, std::string>> events;
  json counts;
  std::set<int64_t> ids;
  for (const json& line : lines) {
    for (const json& e : line["events"]) events.push_back({line["seq"], e["direction"]});
    if (line.contains("counts")) counts = line["counts"]["door"];
    for (const json& d : line["detections"]) ids.insert(d.value("track_id", int64_t{-1}));
  }
  ASSERT_TRUE(counts.is_object()) << "no crossing at all";
  EXPECT_NEAR(counts.value("in:person", 0), 6, 1);
  EXPECT_NEAR(counts.value("out:person", 0), 4, 1);
  int found = 0;
  for (const auto& [frame, direction] : by_hand) {
    bool seen = false;
    for (const auto& [seq, d] : events) seen |= d == direction && std::abs(seq - frame) <= 5;
    found += seen;
    EXPECT_TRUE(seen || found >= 9) << "the crossing at frame " << frame << " (" << direction
                                    << ") is not among the pipeline's";
  }
  EXPECT_GE(found, 9);
  EXPECT_LE(events.size(), by_hand.size() + 1) << "crossings nobody made";
  // Every detection out of the tracker has an id, and the video has every frame.
  EXPECT_FALSE(ids.contains(-1));
  const auto frames = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=nb_read_frames -of csv=p=0 " +
      dir_.file("track.mp4"));
  EXPECT_EQ(frames.output, "795\n");
}

// CenterNet's detections re-encoded in YOLOv8's and YOLOv5's layouts
// (scripts/models/yolo_layouts.py) give, through yolo_decoder without NMS, exactly what
// CenterNet gives through box_decoder: same detections in the same order, boxes within
// 1e-3 px, scores equal.
TEST_F(Pipelines, YoloDecoderGivesCenterNetsDetectionsFromBothYoloLayouts) {
  const std::string video = clip("vtest.avi", 6);
  const auto expected = run_pipeline("detect", video);
  ASSERT_EQ(expected.size(), 6u);
  for (const std::string layout : {"v8", "v5"}) {
    const std::string model = kRoot + "/assets/models/centernet_yolo" + layout + "_layout512.pt";
    ASSERT_EQ(missing_assets({"assets/models/centernet_yolo" + layout + "_layout512.pt"}), "");
    const auto got = run_pipeline(
        "detect", video,
        "--set nodes.model.model=" + model +
            " --set nodes.boxes.plugin=yolo_decoder --set nodes.boxes.iou_threshold=1");
    ASSERT_EQ(got.size(), 6u) << layout;
    int compared = 0;
    for (std::size_t f = 0; f < got.size(); ++f) {
      const json& e = expected[f]["detections"];
      const json& g = got[f]["detections"];
      ASSERT_EQ(g.size(), e.size()) << layout << " frame " << f;
      for (std::size_t i = 0; i < g.size(); ++i, ++compared) {
        EXPECT_EQ(g[i]["class_id"], e[i]["class_id"]) << layout << " frame " << f;
        EXPECT_EQ(g[i]["label"], e[i]["label"]);
        EXPECT_NEAR(g[i]["score"].get<double>(), e[i]["score"].get<double>(), 1e-6);
        for (const char* k : {"x", "y", "w", "h"})
          EXPECT_NEAR(g[i]["box"][k].get<double>(), e[i]["box"][k].get<double>(), 1e-3)
              << layout << " frame " << f << " " << k;
      }
    }
    EXPECT_GT(compared, 6 * 3) << layout;
  }
}

// pipelines/pose.toml: MoveNet's 17 keypoints on two photos equal Python's (same
// letterbox, same model), mapped back onto each photo.
TEST_F(Pipelines, PoseMatchesPython) {
  ASSERT_EQ(missing_assets({"assets/models/movenet_lightning_192.pt"}), "");
  const std::vector<std::string> photos{kRoot + "/assets/media/messi5.jpg",
                                        kRoot + "/assets/media/person.jpg"};
  std::filesystem::create_directories(dir_.path() / "photos");
  for (const auto& p : photos)
    std::filesystem::copy_file(p, dir_.path() / "photos" / std::filesystem::path(p).filename());
  const std::string out = dir_.file("pose_reference.json");
  const auto r = run_command("/usr/bin/python3 " + kRoot + "/tests/pipelines/reference_pose.py " +
                                 kRoot + "/assets/models/movenet_lightning_192.pt " + out + " " +
                                 photos[0] + " " + photos[1],
                             300);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json expected = json::parse(read_file(out));
  const auto run = run_sluice(
      "run -q " + kRoot + "/pipelines/pose.toml --set nodes.photos.path=" + dir_.file("photos"),
      {.env = "SLUICE_OUT=" + dir_.path().string(), .timeout_s = 300});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::vector<json> got;
  std::ifstream in(dir_.file("pose.jsonl"));
  for (std::string line; std::getline(in, line);) got.push_back(json::parse(line));
  ASSERT_EQ(got.size(), 2u);
  for (std::size_t f = 0; f < 2; ++f) {
    const json& e = expected["images"][f]["keypoints"];
    ASSERT_EQ(got[f]["detections"].size(), 1u) << photos[f];
    const json& d = got[f]["detections"][0];
    ASSERT_EQ(d["landmarks"].size(), 17u);
    int sure = 0;
    for (std::size_t k = 0; k < 17; ++k) {
      EXPECT_NEAR(d["landmarks"][k][0].get<double>(), e[k][0].get<double>(), 0.05)
          << photos[f] << k;
      EXPECT_NEAR(d["landmarks"][k][1].get<double>(), e[k][1].get<double>(), 0.05)
          << photos[f] << k;
      EXPECT_NEAR(d["landmark_scores"][k].get<double>(), e[k][2].get<double>(), 1e-4);
      sure += e[k][2].get<double>() >= 0.3;
    }
    EXPECT_GE(sure, 6) << photos[f] << ": a person is there";
  }
  EXPECT_TRUE(std::filesystem::exists(dir_.file("pose/0_000001.png")));
}

// pipelines/faces_attributes.toml: every face BlazeFace finds gets FaceRes's age and P(male)
// attached (two attach_values in a row), ages those of adults. Then the model and the
// regression nodes against Python on the same face crops: age and P(male) within 1e-4, and the
// embedding node's unit descriptor value by value.
TEST_F(Pipelines, FacesGetTheirAgeAndGenderAttachedAsPythonComputesThem) {
  ASSERT_EQ(missing_assets({"assets/models/faceres_224.pt", "assets/models/blazeface_front128.pt"}),
            "");
  const std::string video = clip("Megamind.avi", 30);
  const auto lines = run_pipeline("faces_attributes", video);
  ASSERT_EQ(lines.size(), 30u);
  int faces = 0;
  std::vector<json> boxes;  // (frame, box) of some faces, to crop below
  for (std::size_t f = 0; f < lines.size(); ++f)
    for (const json& d : lines[f]["detections"]) {
      ++faces;
      ASSERT_TRUE(d.contains("values")) << "frame " << f;
      const double age = d["values"]["age"], male = d["values"]["male"];
      EXPECT_GT(age, 15) << "frame " << f;
      EXPECT_LT(age, 60) << "frame " << f;
      EXPECT_GE(male, 0);
      EXPECT_LE(male, 1);
      if (f % 10 == 0) boxes.push_back({{"frame", f}, {"box", d["box"]}});
    }
  EXPECT_GE(faces, 20);
  ASSERT_GE(boxes.size(), 2u);
  // The crops as PNG files (a square around each box), through sluice and through Python.
  std::filesystem::create_directories(dir_.path() / "crops");
  std::string script = "import cv2, json\ncap = cv2.VideoCapture('" + video +
                       "')\nframes = []\n"
                       "while True:\n    ok, f = cap.read()\n    if not ok: break\n"
                       "    frames.append(f)\n";
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const json& b = boxes[i]["box"];
    const int side = static_cast<int>(std::max(b["w"].get<double>(), b["h"].get<double>()) * 1.4);
    const int x =
        std::max(0, static_cast<int>(b["x"].get<double>() + b["w"].get<double>() / 2 - side / 2));
    const int y =
        std::max(0, static_cast<int>(b["y"].get<double>() + b["h"].get<double>() / 2 - side / 2));
    script += "cv2.imwrite('" + dir_.file("crops/" + std::to_string(100 + i) + ".png") +
              "', frames[" + std::to_string(boxes[i]["frame"].get<int>()) + "][" +
              std::to_string(y) + ":" + std::to_string(y + side) + ", " + std::to_string(x) + ":" +
              std::to_string(x + side) + "])\n";
  }
  const auto cropped = run_command("/usr/bin/python3 -c \"" + script + "\"", 120);
  ASSERT_EQ(cropped.exit_code, 0) << cropped.output;
  std::string images;
  for (std::size_t i = 0; i < boxes.size(); ++i)
    images += " " + dir_.file("crops/" + std::to_string(100 + i) + ".png");
  const std::string out = dir_.file("faceres_reference.json");
  const auto r =
      run_command("/usr/bin/python3 " + kRoot + "/tests/pipelines/reference_faceres.py " + kRoot +
                      "/assets/models/faceres_224.pt " + out + images,
                  300);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json expected = json::parse(read_file(out));
  const std::string toml = dir_.write("crops.toml", R"([pipeline]
links = ["crops -> rgb -> size -> tensor -> faceres", "faceres.out -> male -> json.values",
         "faceres.out1 -> age -> json2.values", "faceres.out2 -> embedding -> json3.embedding"]
[nodes.crops]
plugin = "image_source"
path = ")" + dir_.file("crops") + R"("
[nodes.rgb]
plugin = "color_convert"
to = "RGB"
[nodes.size]
plugin = "resize"
size = [224, 224]
[nodes.tensor]
plugin = "to_tensor"
[nodes.faceres]
plugin = "torchscript"
model = ")" + kRoot + R"(/assets/models/faceres_224.pt"
optimize = false
[nodes.male]
plugin = "regression"
names = ["male"]
[nodes.age]
plugin = "regression"
mode = "expectation"
names = ["age"]
probabilities = true
[nodes.json]
plugin = "jsonl_sink"
path = ")" + dir_.file("male.jsonl") + R"("
[nodes.json2]
plugin = "jsonl_sink"
path = ")" + dir_.file("age.jsonl") + R"("
[nodes.embedding]
plugin = "embedding"
size = 1024
[nodes.json3]
plugin = "jsonl_sink"
path = ")" + dir_.file("descriptor.jsonl") + R"("
)");
  const auto run = run_sluice("run -q " + toml, {.timeout_s = 300});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::vector<json> male, age, descriptor;
  for (auto [file, into] : {std::pair{"male.jsonl", &male}, std::pair{"age.jsonl", &age},
                            std::pair{"descriptor.jsonl", &descriptor}}) {
    std::ifstream in(dir_.file(file));
    for (std::string line; std::getline(in, line);) into->push_back(json::parse(line));
  }
  ASSERT_EQ(male.size(), boxes.size());
  ASSERT_EQ(age.size(), boxes.size());
  ASSERT_EQ(descriptor.size(), boxes.size());
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    // The unit descriptor (the embedding node), value by value.
    const json& ours = descriptor[i]["embedding"];
    const json& theirs = expected["faces"][i]["descriptor"];
    ASSERT_EQ(ours.size(), 1024u) << i;
    ASSERT_EQ(theirs.size(), 1024u) << i;
    double worst = 0;
    for (std::size_t k = 0; k < 1024; ++k)
      worst = std::max(worst, std::abs(ours[k].get<double>() - theirs[k].get<double>()));
    EXPECT_LT(worst, 1e-5) << "crop " << i << ": the largest difference of a descriptor value";
    EXPECT_NEAR(male[i]["values"]["male"].get<double>(), expected["faces"][i]["male"].get<double>(),
                1e-4)
        << i;
    EXPECT_NEAR(age[i]["values"]["age"].get<double>(), expected["faces"][i]["age"].get<double>(),
                1e-3)
        << i;
  }
}

// pipelines/faces_gallery.toml makes a gallery from one frame of each character's first shot
// (scripts/megamind_gallery.py, which also holds the ground truth: the characters of the
// clip's four shots, labelled by eye frame by frame and checked against the clip's cuts);
// pipelines/faces_identify.toml then names every face of the clip. Same face: cosine
// similarity 0.699 to 1.0; different faces: 0.48 to 0.676 (measured here, 266 faces).
TEST_F(Pipelines, FacesAreNamedByAGalleryThatTheSameSubPipelineMade) {
  ASSERT_EQ(missing_assets({"assets/models/faceres_224.pt", "assets/models/blazeface_front128.pt"}),
            "");
  const std::string photos = dir_.file("photos");
  const auto made =
      run_command("/usr/bin/python3 " + kRoot + "/scripts/megamind_gallery.py " + photos, 120);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const json truth = json::parse(read_file(photos + "/truth.json"));
  const auto who = [&](int64_t seq) {
    for (const json& shot : truth["shots"])
      if (seq >= shot["first"].get<int64_t>() && seq <= shot["last"].get<int64_t>())
        return shot["label"].get<std::string>();
    return std::string("(no shot)");
  };

  // The gallery: one line per photo, its face's unit descriptor, the photo's path.
  const auto gallery =
      run_sluice("run -q " + kRoot + "/pipelines/faces_gallery.toml",
                 {.env = "SLUICE_OUT=" + dir_.path().string() + " SLUICE_GALLERY=" + photos,
                  .timeout_s = 300});
  ASSERT_EQ(gallery.exit_code, 0) << gallery.output;
  std::vector<json> entries;
  {
    std::ifstream in(dir_.file("faces_gallery.jsonl"));
    for (std::string line; std::getline(in, line);) entries.push_back(json::parse(line));
  }
  ASSERT_EQ(entries.size(), 2u);
  for (const json& e : entries) {
    ASSERT_EQ(e["detections"].size(), 1u) << e["source"];
    const json& v = e["detections"][0]["embedding"];
    ASSERT_EQ(v.size(), 1024u);
    double norm = 0;
    for (const json& x : v) norm += x.get<double>() * x.get<double>();
    EXPECT_NEAR(norm, 1.0, 1e-4);
  }
  EXPECT_THAT(entries[0]["source"].get<std::string>(),
              ::testing::EndsWith("bernard/megamind_130.png"));

  // Every third frame of the whole clip (all four shots; FaceRes costs about 0.2 s a face
  // here), losslessly: clip frame k is frame 3k.
  const std::string thirds = dir_.file("thirds.mkv");
  const auto cut = run_command("ffmpeg -v error -y -i " + kRoot +
                               "/assets/media/Megamind.avi -vf select='not(mod(n\\,3))' "
                               "-fps_mode passthrough -an -c:v ffv1 " +
                               thirds);
  ASSERT_EQ(cut.exit_code, 0) << cut.output;

  // Every face gets its character's name, the similarity at the threshold or above.
  const auto lines = run_pipeline("faces_identify", thirds);
  ASSERT_EQ(lines.size(), 90u);
  int faces = 0;
  std::map<std::string, int> named;
  for (const json& line : lines)
    for (const json& d : line["detections"]) {
      const int64_t frame = 3 * line["seq"].get<int64_t>();
      ++faces;
      ASSERT_EQ(d["classes"].size(), 1u) << "frame " << frame;
      const json& c = d["classes"][0];
      EXPECT_EQ(c["label"], who(frame)) << "frame " << frame << ": " << c;
      EXPECT_GE(c["score"].get<double>(), 0.685) << "frame " << frame;
      ++named[c["label"].get<std::string>()];
    }
  EXPECT_GE(faces, 85) << "one face on nearly every frame";
  EXPECT_GE(named["roxanne"], 40);
  EXPECT_GE(named["bernard"], 40);

  // Different faces do not match: with Bernard alone in the gallery, Roxanne is unknown on
  // every frame, and Bernard still Bernard.
  std::string bernard_only;
  for (const json& e : entries)
    if (e["source"].get<std::string>().find("/bernard/") != std::string::npos)
      bernard_only = e.dump() + "\n";
  ASSERT_FALSE(bernard_only.empty());
  const std::string only = dir_.write("bernard_only.jsonl", bernard_only);
  const auto again = run_pipeline("faces_identify", thirds, "--set nodes.who.gallery=" + only);
  ASSERT_EQ(again.size(), 90u);
  int unknown = 0;
  for (const json& line : again)
    for (const json& d : line["detections"]) {
      const int64_t frame = 3 * line["seq"].get<int64_t>();
      const json& c = d["classes"][0];
      if (who(frame) == "bernard") {
        EXPECT_EQ(c["label"], "bernard") << "frame " << frame;
        continue;
      }
      EXPECT_EQ(c["label"], "unknown") << "frame " << frame;
      EXPECT_LT(c["score"].get<double>(), 0.685) << "frame " << frame;
      ++unknown;
    }
  EXPECT_EQ(unknown, named["roxanne"]);
}

// The person mask pixel by pixel: a shifted or flipped mask with the right size fails.
TEST_F(Pipelines, SegmentMatchesPython) {
  const std::string video = clip("Megamind.avi", 6);
  const json expected = reference("segment", video, "selfie_seg256.pt");
  const auto got = run_pipeline("segment", video, "--set nodes.json.mask_rle=true");
  ASSERT_EQ(got.size(), 6u);
  int64_t person_pixels = 0;
  for (std::size_t f = 0; f < got.size(); ++f)
    person_pixels += expect_person_mask_matches(got[f], expected["frames"][f], f);
  EXPECT_GT(person_pixels, 10000) << "Megamind.avi shows a person";
}

// Two stages: faces found by BlazeFace, each classified by the emotion model on its crop,
// the emotion attached to its own face.
TEST_F(Pipelines, FacesMatchPythonAndGetTheirEmotionsAttached) {
  const std::string video = clip("Megamind.avi", 20);
  const auto got = run_pipeline("faces", video);
  ASSERT_EQ(got.size(), 20u);
  const std::set<std::string> emotions{"angry", "disgust",  "fear",   "happy",
                                       "sad",   "surprise", "neutral"};
  int faces = 0;
  for (const auto& line : got)
    for (const auto& face : line["detections"]) {
      ++faces;
      EXPECT_EQ(face["label"], "face");
      EXPECT_GE(face["score"].get<double>(), 0.75);
      EXPECT_EQ(face["landmarks"].size(), 6u);
      ASSERT_EQ(face["classes"].size(), 1u) << line.dump();
      EXPECT_TRUE(emotions.count(face["classes"][0]["label"].get<std::string>())) << face.dump();
      // The landmarks (eyes, nose, mouth) lie inside the face box.
      const auto& b = face["box"];
      const double cx = face["landmarks"][2][0], cy = face["landmarks"][2][1];
      EXPECT_GT(cx, b["x"].get<double>());
      EXPECT_LT(cx, b["x"].get<double>() + b["w"].get<double>());
      EXPECT_GT(cy, b["y"].get<double>());
      EXPECT_LT(cy, b["y"].get<double>() + b["h"].get<double>());
    }
  EXPECT_GE(faces, 15) << "Megamind.avi's first frames show a face";

  // Parity with Python: the same faces (boxes within 1 px, scores within 1e-3), found by
  // Python on its own (BlazeFace, threshold, weighted NMS: independent of sluice's
  // output); and for each face the emotion the model gives on the same crop. The crops
  // are cut from sluice's boxes (reference_faces.py reads its JSONL): the faces check
  // above already holds those boxes to Python's, so the emotion check tests the crop,
  // the grey 64x64 preprocessing and the model, one face at a time.
  const std::string reference = dir_.file("faces_reference.json");
  const auto r = run_command("/usr/bin/python3 " + kRoot + "/tests/pipelines/reference_faces.py " +
                                 video + " " + kRoot + "/assets/models/blazeface_front128.pt " +
                                 kRoot + "/assets/models/emotion_fer7_64gray.pt " +
                                 dir_.file("faces.jsonl") + " " + reference,
                             600);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json expected = json::parse(read_file(reference));
  ASSERT_EQ(expected["frames"].size(), got.size());
  int compared = 0;
  for (std::size_t f = 0; f < got.size(); ++f) {
    const auto& ours = got[f]["detections"];
    const auto& theirs = expected["frames"][f]["faces"];
    auto same = [](const json& o, const json& e) {
      const auto& b = o["box"];
      return std::abs(b["x"].get<double>() - e["box"][0].get<double>()) <= 1 &&
             std::abs(b["y"].get<double>() - e["box"][1].get<double>()) <= 1 &&
             std::abs(b["w"].get<double>() - e["box"][2].get<double>()) <= 1 &&
             std::abs(b["h"].get<double>() - e["box"][3].get<double>()) <= 1 &&
             std::abs(o["score"].get<double>() - e["score"].get<double>()) <= 1e-3;
    };
    for (const auto& e : theirs) {
      if (e["score"].get<double>() < 0.751) continue;  // at the threshold either side is right
      bool found = false;
      for (const auto& o : ours) found |= same(o, e);
      EXPECT_TRUE(found) << "frame " << f << ": Python's face " << e.dump() << " is missing";
    }
    for (const auto& o : ours) {
      if (o["score"].get<double>() < 0.751) continue;
      bool found = false;
      for (const auto& e : theirs) found |= same(o, e);
      EXPECT_TRUE(found) << "frame " << f << ": face " << o.dump() << " is not in Python's";
    }
    const auto& emotions = expected["frames"][f]["emotions"];
    ASSERT_EQ(emotions.size(), ours.size());
    for (std::size_t i = 0; i < ours.size(); ++i, ++compared) {
      EXPECT_EQ(ours[i]["classes"][0]["class_id"], emotions[i]["class_id"])
          << "frame " << f << " face " << i;
      EXPECT_NEAR(ours[i]["classes"][0]["score"].get<double>(), emotions[i]["score"].get<double>(),
                  1e-3);
    }
  }
  EXPECT_GE(compared, 15);
  const auto frames = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=nb_read_frames -of csv=p=0 " +
      dir_.file("faces.mp4"));
  EXPECT_EQ(frames.output, "20\n");
}

// Fan-out to two models and join: every frame gets both the detections and the mask, each
// equal to what Python computes for that frame with the same model.
TEST_F(Pipelines, MultiJoinsDetectionAndSegmentationPerFrame) {
  const std::string video = clip("vtest.avi", 6);
  const json detect = reference("detect", video, "centernet_mbv3_coco512.pt");
  const json segment = reference("segment", video, "selfie_seg256.pt");
  const auto joined = run_pipeline("multi", video, "--set nodes.json.mask_rle=true");
  ASSERT_EQ(joined.size(), 6u);
  // Both branches against Python, each frame's results joined onto that frame.
  EXPECT_GT(expect_detections_match(detect, joined), 6 * 3);
  for (std::size_t f = 0; f < joined.size(); ++f) {
    EXPECT_EQ(joined[f]["seq"], f);
    ASSERT_TRUE(joined[f].contains("mask")) << joined[f].dump();
    EXPECT_EQ(joined[f]["mask"]["width"], 256);
    expect_person_mask_matches(joined[f], segment["frames"][f], f);
  }
  const auto frames = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=nb_read_frames -of csv=p=0 " +
      dir_.file("multi.mp4"));
  EXPECT_EQ(frames.output, "6\n");
}

// Batching never changes a result: real frames through the real models, in batches of 4
// through the model node, give each frame what it gets alone (tests/models checks the
// same of the model files in Python; this checks the node's concat and split too).
TEST_F(Pipelines, BatchesOfRealFramesGiveWhatEachFrameGetsAlone) {
  const std::string video = clip("vtest.avi", 8);
  const std::string one = "--set nodes.model.replicas=1 ";
  const std::string batched =
      one + "--set nodes.model.max_batch=4 --set nodes.model.max_delay_ms=2000 ";
  for (const char* name : {"detect", "segment"}) {
    const auto alone = run_pipeline(name, video, one + "--set nodes.json.mask_rle=true");
    const auto lines = run_pipeline(
        name, video,
        batched + "--set nodes.json.mask_rle=true --stats-json " + dir_.file("stats.json"));
    ASSERT_EQ(alone.size(), 8u) << name;
    ASSERT_EQ(lines.size(), 8u) << name;
    // By frame number, as every consumer joins them: results split back onto the wrong
    // packet of a batch must fail here, whatever order the lines come in.
    std::vector<json> together(8);
    for (const auto& l : lines) together.at(l["seq"].get<std::size_t>()) = l;
    for (std::size_t f = 0; f < 8; ++f) ASSERT_EQ(alone[f]["seq"], f) << name;
    EXPECT_LE(model_stats(dir_.file("stats.json"))["counters"]["forward_passes"].get<int>(), 4)
        << name << ": 8 frames in batches of 4";
    for (std::size_t f = 0; f < alone.size(); ++f) {
      if (std::string(name) == "segment") {
        // Pixel by pixel; pixels within 1e-4 of 0.5 may fall either way: at most a handful.
        const std::size_t pixels = 256 * 256;
        const auto a = class_bits(alone[f], 1, pixels), b = class_bits(together[f], 1, pixels);
        ASSERT_EQ(a.size(), b.size()) << "frame " << f;
        int64_t differ = 0;
        for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
        EXPECT_LE(differ, 8) << "frame " << f << ": person pixels that differ in a batch";
        continue;
      }
      const auto& a = alone[f]["detections"];
      const auto& b = together[f]["detections"];
      for (const auto& d : a) {
        bool found_d = false;
        for (const auto& e : b)
          found_d |= e["class_id"] == d["class_id"] &&
                     std::abs(e["score"].get<double>() - d["score"].get<double>()) <= 1e-4 &&
                     std::abs(e["box"]["x"].get<double>() - d["box"]["x"].get<double>()) <= 0.01 &&
                     std::abs(e["box"]["y"].get<double>() - d["box"]["y"].get<double>()) <= 0.01 &&
                     std::abs(e["box"]["w"].get<double>() - d["box"]["w"].get<double>()) <= 0.01 &&
                     std::abs(e["box"]["h"].get<double>() - d["box"]["h"].get<double>()) <= 0.01;
        // A detection within 1e-4 of the 0.3 threshold may be on either side.
        if (d["score"].get<double>() > 0.3001) {
          EXPECT_TRUE(found_d) << "frame " << f << ": " << d.dump() << " alone, not in a batch";
        }
      }
      EXPECT_NEAR(static_cast<double>(b.size()), static_cast<double>(a.size()), 1) << "frame " << f;
    }
  }
}

// Fashion-MNIST's 10,000 test pictures through the pipeline: every prediction Python's (a
// near tie, logits within 1e-3, may fall either way), and so the same accuracy.
TEST_F(Pipelines, ClassifyReachesThePythonAccuracy) {
  const json python = json::parse(read_file(kRoot + "/assets/models/fmnist_reference.json"));
  const std::string images = dir_.file("fmnist");
  auto r = run_command("/usr/bin/python3 " + kRoot + "/tests/pipelines/fmnist_to_png.py " + kRoot +
                           "/assets/fashion-mnist " + images + " --predictions " + kRoot +
                           "/assets/models/fmnist_cnn.pt",
                       600);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_sluice(
      "run -q " + kRoot + "/pipelines/classify.toml --stats-json " + dir_.file("stats.json"),
      {.env = "SLUICE_OUT=" + dir_.path().string(), .timeout_s = 600});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream labels(images + "/labels.txt"), lines(dir_.file("classify.jsonl")),
      predictions(images + "/predictions.txt");
  int total = 0, correct = 0, differ = 0;
  for (std::string line, label; std::getline(lines, line) && std::getline(labels, label); ++total) {
    const json j = json::parse(line);
    ASSERT_EQ(j["seq"], total) << "pictures in file order";
    const int ours = j["classifications"][0]["class_id"].get<int>();
    correct += ours == std::stoi(label) ? 1 : 0;
    int theirs = -1;
    double margin = 0;
    ASSERT_TRUE(predictions >> theirs >> margin) << "predictions.txt ends at picture " << total;
    if (ours != theirs) {
      ++differ;
      EXPECT_LT(margin, 1e-3) << "picture " << total << ": sluice says " << ours << ", Python "
                              << theirs << " with a margin of " << margin;
    }
  }
  ASSERT_EQ(total, 10000);
  EXPECT_LE(differ, 3) << "predictions that differ from Python's (near ties only)";
  const double accuracy = static_cast<double>(correct) / total;
  EXPECT_DOUBLE_EQ(accuracy, python["accuracy"].get<double>());
  EXPECT_GE(accuracy, 0.89);
  // Batching really ran (mean batch well above 1).
  const json model = model_stats(dir_.file("stats.json"));
  EXPECT_EQ(model["plugin"], "torchscript") << model.dump();
  EXPECT_LT(model["counters"]["forward_passes"].get<int>(), 10000 / 2);
}

}  // namespace
}  // namespace sluice::test
