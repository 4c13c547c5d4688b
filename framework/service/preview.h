// The live preview of a node (GET /preview/NODE): the picture of an input set the node
// offered (Runner::latest_preview) with that set's results drawn on it, as a JPEG. The
// drawing is the annotating sinks' own (plugins/sinks/common/annotate.h), so a preview
// looks like the video a video_writer there would write.
#pragma once

#include <string>
#include <vector>

#include "sluice/packet.h"
#include "sluice/status.h"

namespace sluice::service {

// The picture: the first packet holding a Frame, else the source frame of the first
// packet that has one; then masks, detections and classifications of the set drawn on
// it. An error when no packet carries a picture.
Result<std::vector<unsigned char>> preview_jpeg(const std::vector<Packet>& packets,
                                                int quality = 80);

}  // namespace sluice::service
