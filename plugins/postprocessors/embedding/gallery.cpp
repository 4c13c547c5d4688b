#include "gallery.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "sluice/text.h"

namespace sluice::postprocessors {
namespace {

using nlohmann::json;

struct Entry {
  std::string label;
  std::vector<float> values;
};

// A "label" key, or the label the image's path gives.
Result<std::string> label_of(const json& line, GalleryLabels labels) {
  if (line.contains("label")) {
    if (!line["label"].is_string() || line["label"].get<std::string>().empty())
      return invalid_argument("\"label\" is not a non-empty string");
    return line["label"].get<std::string>();
  }
  if (!line.contains("source") || !line["source"].is_string())
    return invalid_argument(
        "no \"label\" and no \"source\" to take one from (make the gallery with image_source, "
        "or give each line a label)");
  const std::filesystem::path source = line["source"].get<std::string>();
  const std::string label = labels == GalleryLabels::kFolder
                                ? source.parent_path().filename().string()
                                : source.stem().string();
  if (label.empty() || label == "." || label == "..")
    return invalid_argument("source '" + printable(source.string()) + "' gives no " +
                            (labels == GalleryLabels::kFolder
                                 ? "folder name for a label (put each label's images in a "
                                   "folder of its name, or use label_from = \"file\")"
                                 : "file name for a label"));
  return label;
}

Result<std::vector<float>> numbers_of(const json& array) {
  if (!array.is_array() || array.empty())
    return invalid_argument("\"embedding\" is not a non-empty list of numbers");
  std::vector<float> values;
  values.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_number())
      return invalid_argument("\"embedding\" value " + std::to_string(i) + " is not a number");
    const auto v = array[i].get<double>();
    if (!std::isfinite(v) || std::abs(v) > 3.4e38)
      return invalid_argument("\"embedding\" value " + std::to_string(i) + " is not finite");
    values.push_back(static_cast<float>(v));
  }
  return values;
}

// The line's own embedding, or that of the one detection that has one.
Result<std::vector<float>> embedding_of(const json& line) {
  if (line.contains("embedding")) return numbers_of(line["embedding"]);
  if (!line.contains("detections"))
    return invalid_argument("no \"embedding\" and no \"detections\" that hold one");
  const json& detections = line["detections"];
  if (!detections.is_array()) return invalid_argument("\"detections\" is not a list");
  const json* found = nullptr;
  std::size_t with = 0;
  for (const json& d : detections)
    if (d.is_object() && d.contains("embedding")) {
      found = &d["embedding"];
      ++with;
    }
  if (with == 0)
    return invalid_argument(std::to_string(detections.size()) +
                            " detections, none with an \"embedding\" (was nothing found in "
                            "the image, or is attach_embeddings missing?)");
  if (with > 1)
    return invalid_argument(std::to_string(with) +
                            " detections have an embedding: a gallery image must show one "
                            "(crop the image, or raise the detector's min_score)");
  return numbers_of(*found);
}

}  // namespace

bool normalise(std::span<float> v) {
  double sum = 0;
  for (const float x : v) sum += static_cast<double>(x) * x;
  if (!(sum > 0) || !std::isfinite(sum)) return false;
  const auto scale = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : v) x *= scale;
  return true;
}

Result<Gallery> Gallery::load(const std::string& path, GalleryLabels labels, GalleryReduce reduce) {
  std::ifstream in(path);
  if (!in)
    return not_found("cannot open the gallery '" + printable(path) + "': " + std::strerror(errno));
  std::vector<Entry> entries;
  std::string text;
  std::size_t line_number = 0, dimension = 0, first_line = 0;
  while (std::getline(in, text)) {
    ++line_number;
    const auto where = [&] {
      return "gallery '" + printable(path) + "' line " + std::to_string(line_number) + ": ";
    };
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    json line;
    try {
      line = json::parse(text);
    } catch (const json::exception& e) {
      return invalid_argument(where() + "not JSON: " + one_line(e.what()));
    }
    if (!line.is_object()) return invalid_argument(where() + "not a JSON object");
    if (line.contains("event")) continue;  // a stream's start or end (stream_records)
    auto label = label_of(line, labels);
    if (!label.ok()) return invalid_argument(where() + label.status().message());
    auto values = embedding_of(line);
    if (!values.ok()) return invalid_argument(where() + values.status().message());
    if (dimension == 0) {
      dimension = values->size();
      first_line = line_number;
    } else if (values->size() != dimension) {
      return invalid_argument(where() + "the embedding has " + std::to_string(values->size()) +
                              " values, line " + std::to_string(first_line) + "'s " +
                              std::to_string(dimension) + ": one model must make them all");
    }
    if (!normalise(*values)) return invalid_argument(where() + "the embedding is all zeros");
    entries.push_back({std::move(*label), std::move(*values)});
  }
  if (in.bad()) return invalid_argument("cannot read the gallery '" + printable(path) + "'");
  if (entries.empty())
    return invalid_argument("the gallery '" + printable(path) + "' has no entries");

  Gallery g;
  g.path_ = path;
  g.dimension_ = dimension;
  g.reduce_ = reduce;
  std::map<std::string, std::size_t> ids;
  for (const Entry& e : entries) ids.emplace(e.label, 0);
  for (auto& [label, id] : ids) {
    id = g.labels_.size();
    g.labels_.push_back(label);
  }
  for (const Entry& e : entries) {
    g.entry_label_.push_back(ids.at(e.label));
    g.entries_.insert(g.entries_.end(), e.values.begin(), e.values.end());
  }
  if (reduce != GalleryReduce::kCentroid) return g;
  g.centroids_.assign(g.labels_.size() * dimension, 0.0f);
  for (std::size_t i = 0; i < g.entry_label_.size(); ++i)
    for (std::size_t k = 0; k < dimension; ++k)
      g.centroids_[g.entry_label_[i] * dimension + k] += g.entries_[i * dimension + k];
  for (std::size_t id = 0; id < g.labels_.size(); ++id)
    if (!normalise(std::span<float>(g.centroids_).subspan(id * dimension, dimension)))
      return invalid_argument("the gallery '" + printable(path) + "': the entries of '" +
                              printable(g.labels_[id]) +
                              "' cancel out (their mean is zero): use reduce = \"nearest\"");
  return g;
}

std::vector<float> Gallery::similarities(std::span<const float> unit) const {
  const auto dot = [&](const float* row) {
    double sum = 0;
    for (std::size_t k = 0; k < dimension_; ++k) sum += static_cast<double>(row[k]) * unit[k];
    return static_cast<float>(sum);
  };
  std::vector<float> best(labels_.size(), -2.0f);  // below any cosine
  if (reduce_ == GalleryReduce::kCentroid) {
    for (std::size_t id = 0; id < labels_.size(); ++id)
      best[id] = dot(centroids_.data() + id * dimension_);
    return best;
  }
  for (std::size_t i = 0; i < entry_label_.size(); ++i)
    best[entry_label_[i]] = std::max(best[entry_label_[i]], dot(entries_.data() + i * dimension_));
  return best;
}

}  // namespace sluice::postprocessors
