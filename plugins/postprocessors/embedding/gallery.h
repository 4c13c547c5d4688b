// A gallery: labelled embeddings to compare new ones with (faces of known people, images
// of known products), read from a JSON Lines file. Each line is one entry:
//
//   {"label": "alice", "embedding": [0.12, -0.03, ...]}
//
// or a line that jsonl_sink wrote when the same sub-pipeline ran over a folder of labelled
// images (sluice run pipelines/faces_gallery.toml): its label comes from the image's path,
// "source" (`label_from`: the image's folder, gallery/alice/1.jpg -> "alice", or its file
// name without extension, alice.jpg -> "alice"), its embedding from the line's own
// "embedding" (a whole-image model) or else from the one detection that has one (a face
// found in the image, its crop's embedding attached by attach_embeddings). Lines that
// record a stream's start or end are left out.
//
// The file is checked whole when it is read: every entry must have a label and exactly one
// embedding, all of the same length, finite and not all zero; an error names the file, the
// line and what is wrong. Embeddings are kept normalised to unit length, so a similarity is
// a dot product (cosine similarity).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "sluice/status.h"

namespace sluice::postprocessors {

enum class GalleryLabels { kFolder, kFile };

// How an entry's label is scored against a query: the best of its entries (nearest
// neighbour), or its entries' mean direction (centroid).
enum class GalleryReduce { kNearest, kCentroid };

class Gallery {
 public:
  static Result<Gallery> load(const std::string& path, GalleryLabels labels, GalleryReduce reduce);

  // The labels, sorted; a label's index is its class id.
  const std::vector<std::string>& labels() const { return labels_; }
  std::size_t dimension() const { return dimension_; }
  std::size_t entries() const { return entry_label_.size(); }
  const std::string& path() const { return path_; }

  // The cosine similarity of `unit` (of length dimension(), normalised) to each label, by
  // class id.
  std::vector<float> similarities(std::span<const float> unit) const;

 private:
  std::string path_;
  GalleryReduce reduce_ = GalleryReduce::kNearest;
  std::size_t dimension_ = 0;
  std::vector<std::string> labels_;
  std::vector<std::size_t> entry_label_;  // entry i's class id
  std::vector<float> entries_;            // entry i at [i * dimension_, (i + 1) * dimension_)
  std::vector<float> centroids_;          // kCentroid: label j's normalised mean, likewise
};

// Scales `v` to unit length; false when it is all zeros (or not finite), leaving it as it is.
bool normalise(std::span<float> v);

}  // namespace sluice::postprocessors
