#include "uri_reader.h"

#include "camera_reader.h"
#include "still_image_reader.h"
#include "video_file_reader.h"

namespace sluice::sources {

UriKind kind_of(const std::string& uri) {
  if (uri.rfind("/dev/video", 0) == 0) return UriKind::kCamera;
  if (uri.find("://") != std::string::npos && uri.rfind("file://", 0) != 0)
    return UriKind::kNetwork;
  return UriKind::kFile;
}

Result<std::unique_ptr<FrameReader>> open_uri_reader(const std::string& uri,
                                                     const UriReaderOptions& options) {
  if (uri.empty()) return invalid_argument("the uri is empty");
  switch (kind_of(uri)) {
    case UriKind::kCamera: {
      SLUICE_ASSIGN_OR_RETURN(auto camera, CameraReader::open({.device = uri}));
      return std::unique_ptr<FrameReader>(std::move(camera));
    }
    case UriKind::kNetwork: {
      NetworkStreamOptions network = options.network;
      network.url = uri;
      SLUICE_ASSIGN_OR_RETURN(auto stream, NetworkStreamReader::open(network));
      return std::unique_ptr<FrameReader>(std::move(stream));
    }
    case UriKind::kFile: {
      const std::string path = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
      SLUICE_RETURN_IF_ERROR(check_readable_file(path));
      if (is_image_file(path)) {
        SLUICE_ASSIGN_OR_RETURN(auto still, StillImageReader::open_file(path));
        return std::unique_ptr<FrameReader>(std::move(still));
      }
      SLUICE_ASSIGN_OR_RETURN(
          auto file, VideoFileReader::open(
                         {.path = path, .loop = options.loop, .realtime = options.realtime}));
      return std::unique_ptr<FrameReader>(std::move(file));
    }
  }
  return internal_error("unknown kind of uri");
}

}  // namespace sluice::sources
