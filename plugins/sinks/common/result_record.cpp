#include "result_record.h"

#include <charconv>
#include <cstdlib>

namespace sluice::sinks {
namespace {

using nlohmann::json;

// The shortest decimal that reads back as the same float, as a double: 0.9f is written
// "0.9", not "0.8999999761581421".
double compact(float v) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer - 1, v);
  if (ec != std::errc()) return v;
  *end = '\0';
  return std::strtod(buffer, nullptr);
}

json classification_json(const Classification& c) {
  json j{{"class_id", c.class_id}, {"score", compact(c.score)}};
  if (!c.label.empty()) j["label"] = c.label;
  return j;
}

json values_json(const std::vector<NamedValue>& values) {
  json j = json::object();
  for (const NamedValue& v : values) j[v.name] = compact(v.value);
  return j;
}

json numbers_json(const std::vector<float>& values) {
  json j = json::array();
  for (const float v : values) j.push_back(compact(v));
  return j;
}

// An instance mask: its rect in source-frame pixels, and run lengths over it in row-major
// order, the first run being pixels outside the object.
json instance_mask_json(const Detection& d) {
  json counts = json::array();
  bool inside = false;
  int64_t run = 0;
  for (int y = 0; y < d.mask.rows; ++y) {
    const auto* row = d.mask.ptr<unsigned char>(y);
    for (int x = 0; x < d.mask.cols; ++x) {
      if ((row[x] != 0) != inside) {
        counts.push_back(run);
        inside = !inside;
        run = 0;
      }
      ++run;
    }
  }
  counts.push_back(run);
  const cv::Rect& r = d.mask_rect;
  return json{{"rect", {r.x, r.y, r.width, r.height}},
              {"pixels", cv::countNonZero(d.mask)},
              {"rle", std::move(counts)}};
}

json detection_json(const Detection& d) {
  json j{{"box",
          {{"x", compact(d.box.x)},
           {"y", compact(d.box.y)},
           {"w", compact(d.box.width)},
           {"h", compact(d.box.height)}}},
         {"score", compact(d.score)},
         {"class_id", d.class_id},
         {"label", d.label}};
  if (!d.landmarks.empty()) {
    json points = json::array();
    for (const cv::Point2f& p : d.landmarks) points.push_back({compact(p.x), compact(p.y)});
    j["landmarks"] = std::move(points);
  }
  if (!d.landmark_scores.empty()) j["landmark_scores"] = numbers_json(d.landmark_scores);
  if (!d.mask.empty()) j["mask"] = instance_mask_json(d);
  if (!d.values.empty()) j["values"] = values_json(d.values);
  if (d.track_id >= 0) {
    j["track_id"] = d.track_id;
    j["velocity"] = {compact(d.velocity.x), compact(d.velocity.y)};
  }
  if (!d.classes.empty()) {
    json classes = json::array();
    for (const Classification& c : d.classes) classes.push_back(classification_json(c));
    j["classes"] = std::move(classes);
  }
  if (!d.embedding.empty()) j["embedding"] = numbers_json(d.embedding);
  return j;
}

json event_json(const Event& e) {
  json j{{"kind", e.kind}, {"region", e.region}};
  if (!e.direction.empty()) j["direction"] = e.direction;
  j["track_id"] = e.track_id;
  j["class_id"] = e.class_id;
  if (!e.label.empty()) j["label"] = e.label;
  j["point"] = {compact(e.point.x), compact(e.point.y)};
  if (e.kind == "zone_exit") j["dwell_s"] = e.dwell_s;
  return j;
}

// COCO's uncompressed RLE of the pixels of `ids` equal to `id`: run lengths in
// column-major order, the first run being pixels outside the class (0 when the first
// pixel is in it).
json coco_rle(const cv::Mat& ids, int id) {
  json counts = json::array();
  bool inside = false;
  int64_t run = 0;
  for (int x = 0; x < ids.cols; ++x)
    for (int y = 0; y < ids.rows; ++y) {
      if ((ids.at<int>(y, x) == id) != inside) {
        counts.push_back(run);
        inside = !inside;
        run = 0;
      }
      ++run;
    }
  counts.push_back(run);
  return json{{"size", {ids.rows, ids.cols}}, {"counts", std::move(counts)}};
}

// Size and the share of each class: for class-id masks every id present; for a
// probability mask (one float channel) the mean and the share at or above 0.5 (class 1)
// and below (class 0); a multi-channel float mask by its per-pixel arg-max. With `rle`,
// each class's pixels too (coco_rle).
json mask_json(const SegmentationMask& m, bool rle) {
  json j{{"width", m.mask.cols}, {"height", m.mask.rows}};
  std::map<int, int64_t> pixels;
  cv::Mat ids;  // CV_32S class ids (of a probability mask: only when the RLE needs them)
  const bool floating = m.mask.depth() == CV_32F || m.mask.depth() == CV_64F;
  if (floating && m.mask.channels() == 1) {
    cv::Mat p;
    m.mask.convertTo(p, CV_32F);
    j["kind"] = "probabilities";
    j["mean"] = p.empty() ? 0.0 : compact(static_cast<float>(cv::mean(p)[0]));
    const int64_t above = p.empty() ? 0 : cv::countNonZero(p >= 0.5f);
    pixels[0] = static_cast<int64_t>(p.total()) - above;
    pixels[1] = above;
    if (rle) cv::Mat(p >= 0.5f).convertTo(ids, CV_32S, 1.0 / 255);
  } else {
    j["kind"] = "class_ids";
    if (floating) {
      cv::Mat f;
      m.mask.convertTo(f, CV_32F);
      ids.create(f.rows, f.cols, CV_32S);
      const int n = f.channels();
      for (int y = 0; y < f.rows; ++y) {
        const float* in = f.ptr<float>(y);
        for (int x = 0; x < f.cols; ++x, in += n)
          ids.at<int>(y, x) = static_cast<int>(std::max_element(in, in + n) - in);
      }
    } else {
      cv::Mat single = m.mask;
      if (m.mask.channels() > 1) cv::extractChannel(m.mask, single, 0);
      single.convertTo(ids, CV_32S);
    }
    for (int y = 0; y < ids.rows; ++y) {
      const int* row = ids.ptr<int>(y);
      for (int x = 0; x < ids.cols; ++x) ++pixels[row[x]];
    }
  }
  const double total = static_cast<double>(m.mask.total());
  json classes = json::array();
  for (const auto& [id, n] : pixels) {
    json c{{"class_id", id}};
    if (id >= 0 && static_cast<std::size_t>(id) < m.labels.size() && !m.labels[id].empty())
      c["label"] = m.labels[id];
    c["pixels"] = n;
    c["fraction"] = total > 0 ? compact(static_cast<float>(static_cast<double>(n) / total)) : 0.0;
    if (rle) c["rle"] = coco_rle(ids, id);
    classes.push_back(std::move(c));
  }
  j["classes"] = std::move(classes);
  return j;
}

}  // namespace

nlohmann::json result_record(const PacketHeader& h, const ResultInputs& in, bool mask_rle) {
  json line{{"stream", h.stream_id}, {"seq", h.seq}, {"pts_us", h.pts_us}};
  if (h.sub_index >= 0) {
    line["sub_index"] = h.sub_index;
    line["sub_count"] = h.sub_count;
  }
  if (h.source_frame && !h.source_frame->image.empty())
    line["frame_size"] = {h.source_frame->image.cols, h.source_frame->image.rows};
  if (h.source_frame && !h.source_frame->origin.empty()) line["source"] = h.source_frame->origin;
  if (in.detections) {
    json items = json::array();
    for (const Detection& item : in.detections->items) items.push_back(detection_json(item));
    line["detections"] = std::move(items);
  }
  if (in.classifications) {
    json top = json::array();
    for (const Classification& item : in.classifications->top)
      top.push_back(classification_json(item));
    line["classifications"] = std::move(top);
  }
  if (in.mask) line["mask"] = mask_json(*in.mask, mask_rle);
  if (in.values) line["values"] = values_json(in.values->items);
  if (in.embedding) line["embedding"] = numbers_json(in.embedding->values);
  if (in.events) {
    json items = json::array();
    for (const Event& item : in.events->items) items.push_back(event_json(item));
    line["events"] = std::move(items);
    if (!in.events->items.empty()) {
      json counts = json::object();
      for (const Region& r : in.events->regions)
        for (const RegionCount& c : r.counts)
          counts[r.name][c.label.empty() ? c.what : c.what + ":" + c.label] = c.value;
      line["counts"] = std::move(counts);
    }
  }
  return line;
}

}  // namespace sluice::sinks
