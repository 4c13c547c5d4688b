// The payload types every plugin understands, and how a payload type is named.
//
// Links are type-checked by name before a pipeline runs, so every payload type carries
// a stable name. A plugin that adds its own type names it once:
//
//   struct Keypoints { std::vector<cv::Point2f> points; };
//   SLUICE_PAYLOAD_TYPE(Keypoints, "my.Keypoints");
#pragma once

#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

// Specialized once per payload type by SLUICE_PAYLOAD_TYPE.
template <class T>
struct PayloadName;

#define SLUICE_PAYLOAD_TYPE(Type, Name)             \
  template <>                                       \
  struct sluice::PayloadName<Type> {                \
    static constexpr std::string_view value = Name; \
  }

// Stands for "any payload type" in a port declaration (passthrough, sinks that count).
struct Any {};

enum class PixelFormat { kBGR, kRGB, kGRAY, kBGRA, kRGBA };
const char* to_string(PixelFormat f);

// A picture: an image, its pixel format and, when it came from a file of its own, that file.
struct Frame {
  Frame() = default;
  explicit Frame(cv::Mat image_, PixelFormat format_ = PixelFormat::kBGR, std::string origin_ = {})
      : image(std::move(image_)), format(format_), origin(std::move(origin_)) {}

  cv::Mat image;
  PixelFormat format = PixelFormat::kBGR;
  // The file the picture was read from, for sources that read a file per picture
  // (image_source); empty for video files and streams, whose stream id names them.
  // Downstream nodes see it on header().source_frame (jsonl_sink writes it as "source").
  std::string origin;
};

enum class DType { kFloat32, kFloat16, kUInt8, kInt32, kInt64 };
const char* to_string(DType t);
std::size_t element_size(DType t);

struct Device {
  enum class Kind { kCPU, kCUDA } kind = Kind::kCPU;
  int index = 0;
  std::string to_string() const;
};

// An n-dimensional array. `buffer` owns the memory (shared, never copied on fan-out);
// `data` points at the first element inside it, so views share one buffer.
struct Tensor {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  Device device;
  std::shared_ptr<void> buffer;
  void* data = nullptr;

  int64_t numel() const;
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * element_size(dtype); }
  template <class T>
  T* as() const {
    return static_cast<T*>(data);
  }

  // A new CPU tensor of the given shape, its memory owned by the tensor.
  static Tensor zeros(DType dtype, std::vector<int64_t> shape);
  // Shares the memory of a continuous cv::Mat (no copy): shape [rows, cols, channels].
  static Tensor from_mat(const cv::Mat& mat);
  // A 2-d view on the last two dimensions when the others are 1; shares memory.
  cv::Mat to_mat() const;
};

struct Classification {
  int class_id = -1;
  float score = 0;
  std::string label;
};

// A named number a model gives (a regression head: an age, a price, a count).
struct NamedValue {
  std::string name;
  float value = 0;
};

// The named numbers of one frame (or of one detection's crop).
struct Values {
  std::vector<NamedValue> items;
};

// A vector that stands for what a model saw (a face's descriptor, an image's features):
// similar inputs give vectors at a small angle. Of one frame, or of one detection's crop.
struct Embedding {
  std::vector<float> values;
};

// One object found in a frame. `box` is in source-frame pixels.
struct Detection {
  cv::Rect2f box;
  float score = 0;
  int class_id = -1;
  std::string label;
  std::vector<cv::Point2f> landmarks;  // in source-frame pixels
  std::vector<float> landmark_scores;  // per landmark when the model gives them (pose)
  // An instance mask (segmentation models): CV_8U, 255 inside the object, 0 outside, one
  // value per source-frame pixel of `mask_rect`. Empty when the model gives none.
  cv::Rect mask_rect;
  cv::Mat mask;
  int64_t track_id = -1;                // -1: not tracked
  cv::Point2f velocity;                 // of the box centre, source pixels per frame (tracker)
  std::vector<Classification> classes;  // from a second stage on this detection's crop
  std::vector<NamedValue> values;       // likewise, from a regression head (age: 31.5)
  std::vector<float> embedding;         // likewise, from an embedding model (a face descriptor)
};
struct Detections {
  std::vector<Detection> items;
};

// Best first.
struct Classifications {
  std::vector<Classification> top;
};

// Per-pixel class ids (CV_8U or CV_32S) or probabilities (CV_32F), in the geometry of the
// packet's transform; `labels[i]` names class i when known.
struct SegmentationMask {
  cv::Mat mask;
  std::vector<std::string> labels;
};

// Something that happened on a frame to a tracked object: it crossed a line, entered or
// left a zone.
struct Event {
  std::string kind;       // "line_crossing", "zone_enter" or "zone_exit"
  std::string region;     // the line or zone, by name
  std::string direction;  // line crossings: "in" or "out" (see line_crossing); else ""
  int64_t track_id = -1;
  int class_id = -1;
  std::string label;
  cv::Point2f point;   // the object's reference point, in source-frame pixels
  double dwell_s = 0;  // zone_exit: how long the object was inside (from pts)
};

// A live count of a region: `what` ("in", "out", "inside", "entered") for objects of
// `label` ("" for every class).
struct RegionCount {
  std::string what;
  std::string label;
  int64_t value = 0;
};

// A line (2 points) or zone (3 or more, closed) in source-frame pixels, with its counts
// so far in this stream: what an annotating sink draws.
struct Region {
  std::string name;
  std::vector<cv::Point2f> points;
  bool closed = false;
  std::vector<RegionCount> counts;
};

// The analytics of one frame: the events on it, and the regions with their counts.
struct Events {
  std::vector<Event> items;
  std::vector<Region> regions;
};

}  // namespace sluice

SLUICE_PAYLOAD_TYPE(sluice::Any, "Any");
SLUICE_PAYLOAD_TYPE(sluice::Frame, "Frame");
SLUICE_PAYLOAD_TYPE(sluice::Tensor, "Tensor");
SLUICE_PAYLOAD_TYPE(sluice::Detections, "Detections");
SLUICE_PAYLOAD_TYPE(sluice::Classifications, "Classifications");
SLUICE_PAYLOAD_TYPE(sluice::SegmentationMask, "SegmentationMask");
SLUICE_PAYLOAD_TYPE(sluice::Events, "Events");
SLUICE_PAYLOAD_TYPE(sluice::Values, "Values");
SLUICE_PAYLOAD_TYPE(sluice::Embedding, "Embedding");
