#include "mot_source.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "source_util.h"

namespace sluice::sources {
namespace {

namespace fs = std::filesystem;

// How many frames one process() call emits: enough to be quick, few enough that a stop
// is seen at once.
constexpr std::size_t kFramesPerCall = 64;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool parse_number(const std::string& text, double& out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && end == t.data() + t.size() && std::isfinite(out);
}

}  // namespace

Result<MotSequenceInfo> read_seqinfo(const std::string& path) {
  SLUICE_RETURN_IF_ERROR(check_readable_file(path));
  std::ifstream in(path);
  MotSequenceInfo info;
  std::string line, image_dir;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == ';' || line[0] == '#' || line[0] == '[') continue;
    const auto eq = line.find('=');
    const std::string where = quoted(path) + ":" + std::to_string(number) + ": ";
    if (eq == std::string::npos) return invalid_argument(where + "expected key=value");
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    double v = 0;
    const bool numeric = parse_number(value, v);
    auto need_number = [&](const char* what) {
      return invalid_argument(where + what + " is not a number: '" + value + "'");
    };
    if (key == "name") {
      info.name = value;
    } else if (key == "imDir") {
      image_dir = value;
    } else if (key == "imExt") {
      info.image_ext = value;
    } else if (key == "seqLength") {
      if (!numeric || v < 0 || v != std::floor(v)) return need_number("seqLength");
      info.length = static_cast<int64_t>(v);
    } else if (key == "frameRate") {
      if (!numeric || v < 0) return need_number("frameRate");
      info.frame_rate = v;
    } else if (key == "imWidth" || key == "imHeight") {
      if (!numeric || v < 0 || v > 100000) return need_number(key.c_str());
      (key == "imWidth" ? info.width : info.height) = static_cast<int>(v);
    }
  }
  if (!image_dir.empty())
    info.image_folder = (fs::path(path).parent_path() / image_dir).lexically_normal().string();
  return info;
}

Result<std::vector<Detections>> read_mot_file(const std::string& path, int64_t frames,
                                              bool ignore_zero_conf, const std::string& label) {
  SLUICE_RETURN_IF_ERROR(check_readable_file(path));
  std::ifstream in(path);
  std::vector<Detections> out(static_cast<std::size_t>(frames));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (trim(line).empty()) continue;
    const std::string where = quoted(path) + ":" + std::to_string(number) + ": ";
    std::vector<double> v;
    std::stringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) {
      double x = 0;
      if (!parse_number(field, x))
        return invalid_argument(where + "column " + std::to_string(v.size() + 1) +
                                " is not a number: '" + trim(field) + "'");
      v.push_back(x);
    }
    if (v.size() < 7)
      return invalid_argument(where +
                              "expected at least 7 comma-separated numbers (frame, id, "
                              "x, y, w, h, conf), got " +
                              std::to_string(v.size()));
    if (v[0] < 1 || v[0] != std::floor(v[0]) || v[0] > 1e8)
      return invalid_argument(where + "the frame must be a whole number from 1, got " +
                              trim(line.substr(0, line.find(','))));
    if (v[4] <= 0 || v[5] <= 0)
      return invalid_argument(where + "the box's width and height must be positive");
    const auto frame = static_cast<int64_t>(v[0]);
    if (frames > 0 && frame > frames)
      return invalid_argument(where + "frame " + std::to_string(frame) + " is beyond the " +
                              std::to_string(frames) + " frames of the sequence");
    if (ignore_zero_conf && v[6] == 0) continue;
    if (static_cast<int64_t>(out.size()) < frame) out.resize(static_cast<std::size_t>(frame));
    Detection d;
    d.box = cv::Rect2f(static_cast<float>(v[2]), static_cast<float>(v[3]), static_cast<float>(v[4]),
                       static_cast<float>(v[5]));
    d.score = static_cast<float>(v[6]);
    d.track_id = v[1] >= 0 ? static_cast<int64_t>(v[1]) : -1;
    d.class_id = v.size() >= 8 && v[7] >= 0 ? static_cast<int>(v[7]) : -1;
    d.label = label;
    out[static_cast<std::size_t>(frame - 1)].items.push_back(std::move(d));
  }
  return out;
}

Status MotSource::open(const Params& p) {
  const std::string path = p.get(kPath);
  std::string seqinfo = p.get(kSeqinfo);
  if (seqinfo.empty()) {
    // MOTChallenge: <sequence>/det/det.txt and <sequence>/gt/gt.txt beside seqinfo.ini.
    const fs::path beside = fs::path(path).parent_path().parent_path() / "seqinfo.ini";
    std::error_code ec;
    if (fs::is_regular_file(beside, ec)) seqinfo = beside.string();
  }
  if (!seqinfo.empty()) {
    auto info = read_seqinfo(seqinfo);
    if (!info.ok()) return Status(info.status().code(), "seqinfo: " + info.status().message());
    info_ = *info;
  }
  const int64_t frames = p.get(kFrames) > 0 ? p.get(kFrames) : info_.length;
  SLUICE_ASSIGN_OR_RETURN(frames_,
                          read_mot_file(path, frames, p.get(kIgnoreZeroConf), p.get(kLabel)));
  fps_ = p.get(kFps) > 0 ? p.get(kFps) : info_.frame_rate;
  std::error_code ec;
  images_ =
      p.get(kImages) && !info_.image_folder.empty() && fs::is_directory(info_.image_folder, ec);
  if (!images_ && info_.width > 0 && info_.height > 0)
    canvas_ = std::make_shared<const Frame>(Frame{
        cv::Mat(info_.height, info_.width, CV_8UC3, cv::Scalar(64, 64, 64)), PixelFormat::kBGR});
  return ok();
}

Result<std::shared_ptr<const Frame>> MotSource::frame_for(int64_t seq) const {
  if (!images_) return canvas_;
  char name[32];
  std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(seq + 1));
  const std::string file = (fs::path(info_.image_folder) / (name + info_.image_ext)).string();
  cv::Mat image = cv::imread(file, cv::IMREAD_COLOR);
  if (image.empty()) return not_found("cannot read the sequence's image " + quoted(file));
  return std::make_shared<const Frame>(Frame{std::move(image), PixelFormat::kBGR});
}

Status MotSource::process(Context& ctx) {
  for (std::size_t n = 0; n < kFramesPerCall && next_ < frames_.size(); ++n, ++next_) {
    const auto seq = static_cast<int64_t>(next_);
    const int64_t pts = fps_ > 0 ? std::llround(static_cast<double>(seq) * 1e6 / fps_) : 0;
    PacketHeader h = ctx.source_header(0, seq, pts);
    SLUICE_ASSIGN_OR_RETURN(h.source_frame, frame_for(seq));
    ctx.send(kOut, std::move(frames_[next_]), std::move(h));
  }
  return next_ < frames_.size() ? ok() : end_of_stream();
}

}  // namespace sluice::sources

SLUICE_EXPORT_NODES(sluice::sources::MotSource)
