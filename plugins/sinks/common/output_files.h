// Output files of the sinks: folders made and checked at open (so a bad path fails before
// any packet flows, not minutes into a run), names from patterns, files that appear whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.h"

namespace sluice::sinks {

// Creates `folder` (and its parents) when missing and checks that a file can be created
// in it; the error names the folder at fault and why.
Status prepare_folder(const std::string& folder);

// prepare_folder for the folder that will hold `file` (its parent; "." when none), with
// errors that name `file` too; nothing when that folder's name still holds a "{...}"
// placeholder, which is only known per packet.
Status prepare_parent_of(const std::string& file);

// `text` with every `key` (e.g. "{stream}") replaced by `value`.
std::string replace_all(std::string text, std::string_view key, std::string_view value);

// Writes `bytes` to `path` through a temporary file renamed into place, so a reader
// never sees a half-written file.
Status write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes);

// A sink that writes one stream only (no "{stream}" in its file name): remembers the first
// stream, and for any other returns an error that says how to write one file per stream.
class OneStream {
 public:
  // `what`: the param holding the name, e.g. "path". (The runtime prefixes errors with
  // the node's name.)
  Status check(uint32_t stream_id, const std::string& what, const std::string& value);

 private:
  std::optional<uint32_t> stream_;
};

}  // namespace sluice::sinks
