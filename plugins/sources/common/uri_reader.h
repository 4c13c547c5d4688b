// Opens whatever a uri names as a FrameReader: a video file, a still image file, a
// network stream (rtsp://, http://, udp://, tcp://, ...) or a V4L2 camera (/dev/videoN).
// uri_source opens each of its streams this way, redis_source each job's uri.
#pragma once

#include <memory>
#include <string>

#include "frame_reader.h"
#include "network_stream_reader.h"

namespace sluice::sources {

enum class UriKind { kFile, kNetwork, kCamera };

// /dev/video* is a camera, anything else with "://" (but file://) a network stream, the
// rest a file.
UriKind kind_of(const std::string& uri);

struct UriReaderOptions {
  bool loop = false;             // video files start again at their end (a still image does not)
  bool realtime = false;         // video files are read at their frame rate
  NetworkStreamOptions network;  // timeouts and reconnects; its url is ignored
};

// Opens `uri` and proves it gives frames (a file's first frame decodes): an error names it.
Result<std::unique_ptr<FrameReader>> open_uri_reader(const std::string& uri,
                                                     const UriReaderOptions& options);

}  // namespace sluice::sources
