#include "jpeg_decoder.h"

#include <jpeglib.h>

#include <csetjmp>
#include <cstdint>
#include <cstdio>  // jpeglib.h uses FILE without including it

namespace sluice::sources {
namespace {

// cv::imdecode's own limits on a picture's size (OpenCV's CV_IO_MAX_IMAGE_WIDTH and
// CV_IO_MAX_IMAGE_PIXELS); a picture past them is left to OpenCV, which refuses it.
constexpr std::uint64_t kMaxSide = 1u << 20;
constexpr std::uint64_t kMaxPixels = 1u << 30;

// libjpeg reports a fatal error by calling error_exit, which must not return: it jumps back
// to the setjmp of the step that was running. Each step is a function of its own whose
// locals are plain C values, so that the jump skips no C++ destructor.
struct ErrorJump {
  jpeg_error_mgr manager;  // first: libjpeg's err pointer is cast back to this
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jump_back(j_common_ptr info) {
  ErrorJump* e = reinterpret_cast<ErrorJump*>(info->err);
  (*info->err->format_message)(info, e->message);
  std::longjmp(e->jump, 1);
}

void stay_quiet(j_common_ptr) {}

bool read_header(jpeg_decompress_struct* info, ErrorJump* e, const unsigned char* data,
                 unsigned long size) {
  if (setjmp(e->jump)) return false;
  jpeg_mem_src(info, data, size);
  jpeg_save_markers(info, JPEG_APP0 + 1, 0xFFFF);  // Exif, for its orientation
  jpeg_read_header(info, TRUE);  // with TRUE it returns only when it found an image
  return true;
}

bool read_pixels(jpeg_decompress_struct* info, ErrorJump* e, J_COLOR_SPACE order,
                 unsigned char* out, std::size_t stride) {
  if (setjmp(e->jump)) return false;
  info->out_color_space = order;
  jpeg_start_decompress(info);
  while (info->output_scanline < info->output_height) {
    JSAMPROW row = out + info->output_scanline * stride;
    jpeg_read_scanlines(info, &row, 1);
  }
  jpeg_finish_decompress(info);
  return true;
}

// Every Exif block says the picture is upright (orientation 1) or says nothing (0, also
// what an APP1 block of another kind, such as XMP, gives).
bool upright(const jpeg_decompress_struct& info) {
  for (jpeg_saved_marker_ptr m = info.marker_list; m != nullptr; m = m->next) {
    if (m->marker != JPEG_APP0 + 1) continue;
    const std::string_view payload(reinterpret_cast<const char*>(m->data), m->data_length);
    const int orientation = exif_orientation(payload);
    if (orientation != 0 && orientation != 1) return false;
  }
  return true;
}

// The decoder's state, destroyed on every way out.
struct Decompressor {
  jpeg_decompress_struct info{};
  ErrorJump error{};
  Decompressor() {
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = jump_back;
    error.manager.output_message = stay_quiet;
    jpeg_create_decompress(&info);
  }
  ~Decompressor() { jpeg_destroy_decompress(&info); }
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
};

}  // namespace

int exif_orientation(std::string_view p) {
  constexpr std::string_view kExif("Exif\0\0", 6);
  if (p.size() < kExif.size() + 8 || p.substr(0, kExif.size()) != kExif) return 0;
  const std::string_view tiff = p.substr(kExif.size());
  const bool little = tiff.substr(0, 2) == "II";
  if (!little && tiff.substr(0, 2) != "MM") return -1;
  const auto* b = reinterpret_cast<const unsigned char*>(tiff.data());
  auto u16 = [&](std::size_t at) -> std::uint32_t {
    return little ? b[at] | b[at + 1] << 8 : b[at] << 8 | b[at + 1];
  };
  auto u32 = [&](std::size_t at) -> std::uint32_t {
    return little ? u16(at) | u16(at + 2) << 16 : u16(at) << 16 | u16(at + 2);
  };
  const std::uint64_t ifd = u32(4);
  if (ifd + 2 > tiff.size()) return -1;
  const std::uint32_t entries = u16(ifd);
  for (std::uint64_t i = 0; i < entries; ++i) {
    const std::uint64_t entry = ifd + 2 + 12 * i;
    if (entry + 12 > tiff.size()) return -1;
    if (u16(entry) != 0x0112) continue;  // Orientation
    const std::uint32_t value = u16(entry + 8);
    return u16(entry + 2) == 3 && value >= 1 && value <= 8 ? static_cast<int>(value) : -1;
  }
  return 0;
}

JpegDecode decode_jpeg(std::string_view bytes, PixelFormat order) {
  using Outcome = JpegDecode::Outcome;
  Decompressor d;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (!read_header(&d.info, &d.error, data, bytes.size()))
    return {Outcome::kFailed, {}, d.error.message};
  const J_COLOR_SPACE space = d.info.jpeg_color_space;
  const std::uint64_t width = d.info.image_width, height = d.info.image_height;
  if ((space != JCS_YCbCr && space != JCS_GRAYSCALE && space != JCS_RGB) || !upright(d.info) ||
      width > kMaxSide || height > kMaxSide || width * height > kMaxPixels)
    return {Outcome::kNotHandled, {}, {}};
  cv::Mat image(static_cast<int>(height), static_cast<int>(width), CV_8UC3);
  const J_COLOR_SPACE out = order == PixelFormat::kRGB ? JCS_EXT_RGB : JCS_EXT_BGR;
  if (!read_pixels(&d.info, &d.error, out, image.data, image.step))
    return {Outcome::kFailed, {}, d.error.message};
  return {Outcome::kDecoded, image, {}};
}

}  // namespace sluice::sources
