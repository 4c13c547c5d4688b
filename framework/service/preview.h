// The live preview of a node (GET /preview/NODE): the picture of an input set the node
// offered (Runner::latest_preview) with that set's results drawn on it, as a JPEG. The
// drawing is the annotating sinks' own (plugins/sinks/common/annotate.h), so a preview
// looks like the video a video_writer there would write.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sluice/packet.h"
#include "sluice/status.h"

namespace sluice::service {

struct PreviewOptions {
  // The widest picture sent, in pixels: a larger one is scaled down (aspect kept) before
  // anything is drawn, so a browser showing 480 pixels is not sent, and the HTTP thread
  // does not encode, a 1920-pixel JPEG. 0: the picture's own size. Never scaled up.
  int max_width = 0;
  int quality = 80;
};

// The `width` query parameter of /preview/NODE: a whole number of pixels, 16 to 8192;
// "" (absent) gives 0, the picture's own size. An error naming the value otherwise.
Result<int> parse_preview_width(std::string_view text);

// The picture: the first packet holding a Frame, else the source frame of the first
// packet that has one; then masks, event regions, detections and classifications of the
// set drawn on it. An error when no packet carries a picture.
Result<std::vector<unsigned char>> preview_jpeg(const std::vector<Packet>& packets,
                                                const PreviewOptions& options = {});

}  // namespace sluice::service
