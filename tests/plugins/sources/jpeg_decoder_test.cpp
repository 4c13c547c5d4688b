// jpeg_decoder.h: libjpeg-turbo's own BGR output gives the same pixels as cv::imdecode for
// every kind of JPEG it takes, leaves to OpenCV the ones OpenCV treats its own way (CMYK,
// a turning Exif orientation), and fails on what does not decode. The JPEGs are written
// here, by OpenCV or by libjpeg itself for the colour spaces OpenCV does not write.
#include "jpeg_decoder.h"

#include <gtest/gtest.h>
#include <jpeglib.h>

#include <cstdio>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "image_body.h"

namespace sluice::testing {
namespace {

using sources::decode_jpeg;
using sources::exif_orientation;
using Outcome = sources::JpegDecode::Outcome;

// A 97x61 picture (odd sides: partial MCUs) of gradients and noise, so that every DCT
// coefficient and the chroma upsampling matter.
cv::Mat picture() {
  cv::Mat image(61, 97, CV_8UC3);
  cv::randu(image, 0, 255);
  for (int y = 0; y < image.rows; ++y)
    for (int x = 0; x < image.cols; ++x) image.at<cv::Vec3b>(y, x)[1] = (x * 255) / image.cols;
  return image;
}

std::string opencv_jpeg(const cv::Mat& image, const std::vector<int>& settings = {}) {
  std::vector<unsigned char> bytes;
  EXPECT_TRUE(cv::imencode(".jpg", image, bytes, settings));
  return {bytes.begin(), bytes.end()};
}

// A JPEG written by libjpeg with `components` per pixel, stored in `stored` (JCS_RGB: no
// YCbCr transform; JCS_CMYK: four channels), its first component sampled `h` x `v` times
// as often as the others (YCbCr: 2 x 2 is 4:2:0, 2 x 1 is 4:2:2, 1 x 1 is 4:4:4).
std::string libjpeg_jpeg(int components, J_COLOR_SPACE input, J_COLOR_SPACE stored, int h = 1,
                         int v = 1) {
  jpeg_compress_struct info{};
  jpeg_error_mgr error{};
  info.err = jpeg_std_error(&error);
  jpeg_create_compress(&info);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&info, &out, &size);
  info.image_width = 40;
  info.image_height = 30;
  info.input_components = components;
  info.in_color_space = input;
  jpeg_set_defaults(&info);
  jpeg_set_colorspace(&info, stored);
  info.comp_info[0].h_samp_factor = h;
  info.comp_info[0].v_samp_factor = v;
  jpeg_start_compress(&info, TRUE);
  std::vector<unsigned char> row(40 * components);
  while (info.next_scanline < info.image_height) {
    for (std::size_t i = 0; i < row.size(); ++i) row[i] = (i * 7 + info.next_scanline * 13) % 256;
    JSAMPROW rows[] = {row.data()};
    jpeg_write_scanlines(&info, rows, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::string bytes(reinterpret_cast<char*>(out), size);
  std::free(out);
  return bytes;
}

// `jpeg` with an APP1 Exif block (little-endian TIFF, one IFD entry: Orientation) right
// after its SOI marker.
std::string with_orientation(const std::string& jpeg, int orientation) {
  const std::string tiff = std::string("II*\0\x08\0\0\0", 8) + std::string("\x01\0", 2) +
                           std::string("\x12\x01\x03\0\x01\0\0\0", 8) +
                           static_cast<char>(orientation) + std::string(3, '\0') +
                           std::string(4, '\0');
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const std::size_t length = payload.size() + 2;
  const std::string app1 = std::string("\xFF\xE1") + static_cast<char>(length >> 8) +
                           static_cast<char>(length & 0xFF) + payload;
  return jpeg.substr(0, 2) + app1 + jpeg.substr(2);
}

cv::Mat opencv_decode(const std::string& jpeg) {
  return cv::imdecode(
      cv::Mat(1, static_cast<int>(jpeg.size()), CV_8U, const_cast<char*>(jpeg.data())),
      cv::IMREAD_COLOR);
}

// In BGR, cv::imdecode's pixels; in RGB, cv::imdecode's with their channels swapped.
void expect_same_pixels_as_opencv(const std::string& jpeg, const char* what) {
  const cv::Mat bgr = opencv_decode(jpeg);
  ASSERT_FALSE(bgr.empty()) << what;
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  for (const auto& [order, expected] :
       {std::pair{PixelFormat::kBGR, bgr}, std::pair{PixelFormat::kRGB, rgb}}) {
    const auto d = decode_jpeg(jpeg, order);
    ASSERT_EQ(d.outcome, Outcome::kDecoded) << what << ": " << d.error;
    ASSERT_EQ(d.image.size(), expected.size()) << what;
    ASSERT_EQ(d.image.type(), CV_8UC3) << what;
    EXPECT_EQ(cv::norm(d.image, expected, cv::NORM_INF), 0)
        << what << (order == PixelFormat::kRGB ? ", in RGB" : ", in BGR");
  }
}

TEST(JpegDecoder, GivesCvImdecodesPixelsForEveryKindItTakes) {
  const cv::Mat image = picture();
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  expect_same_pixels_as_opencv(opencv_jpeg(image), "colour, OpenCV's defaults (4:2:0)");
  expect_same_pixels_as_opencv(opencv_jpeg(image, {cv::IMWRITE_JPEG_QUALITY, 100}),
                               "colour, quality 100");
  expect_same_pixels_as_opencv(libjpeg_jpeg(3, JCS_RGB, JCS_YCbCr, 1, 1), "colour, 4:4:4");
  expect_same_pixels_as_opencv(libjpeg_jpeg(3, JCS_RGB, JCS_YCbCr, 2, 1), "colour, 4:2:2");
  expect_same_pixels_as_opencv(opencv_jpeg(image, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}),
                               "progressive");
  expect_same_pixels_as_opencv(opencv_jpeg(grey), "greyscale, as three equal channels");
  expect_same_pixels_as_opencv(libjpeg_jpeg(3, JCS_RGB, JCS_RGB), "stored as RGB, no YCbCr");
  expect_same_pixels_as_opencv(with_orientation(opencv_jpeg(image), 1), "Exif, upright");
}

TEST(JpegDecoder, CorruptDataItDecodesPastGivesOpenCVsPixelsToo) {
  std::string jpeg = opencv_jpeg(picture());
  for (std::size_t at = jpeg.size() / 2; at < jpeg.size() / 2 + 40; at += 4)
    if (jpeg[at] != '\xFF' && jpeg[at - 1] != '\xFF') jpeg[at] = static_cast<char>(jpeg[at] ^ 0x5A);
  expect_same_pixels_as_opencv(jpeg, "flipped bits in the entropy-coded data");
}

TEST(JpegDecoder, LeavesCmykAndTurningOrientationsToOpenCV) {
  EXPECT_EQ(decode_jpeg(libjpeg_jpeg(4, JCS_CMYK, JCS_CMYK), PixelFormat::kBGR).outcome,
            Outcome::kNotHandled);
  const std::string turned = with_orientation(opencv_jpeg(picture()), 6);  // 90 degrees
  EXPECT_EQ(decode_jpeg(turned, PixelFormat::kBGR).outcome, Outcome::kNotHandled);
  // ... which the request's decoding then hands to cv::imdecode: turned, as OpenCV turns it.
  const auto d = sources::decode_image_body(turned, "image/jpeg");
  ASSERT_EQ(d.status, 200) << d.error;
  EXPECT_EQ(d.image.size(), cv::Size(61, 97));
  EXPECT_EQ(cv::norm(d.image, opencv_decode(turned), cv::NORM_INF), 0);
  // In RGB too, and a PNG (always OpenCV's), with the channels swapped after decoding.
  std::vector<unsigned char> png;
  ASSERT_TRUE(cv::imencode(".png", picture(), png));
  for (const std::string& body : {turned, std::string(png.begin(), png.end())}) {
    const auto bgr = sources::decode_image_body(body, "application/octet-stream");
    const auto rgb =
        sources::decode_image_body(body, "application/octet-stream", PixelFormat::kRGB);
    ASSERT_EQ(rgb.status, 200) << rgb.error;
    cv::Mat swapped;
    cv::cvtColor(bgr.image, swapped, cv::COLOR_BGR2RGB);
    EXPECT_EQ(cv::norm(rgb.image, swapped, cv::NORM_INF), 0);
  }
}

TEST(JpegDecoder, FailsWithLibjpegsMessageOnWhatDoesNotDecode) {
  const std::string jpeg = opencv_jpeg(picture());
  for (const std::string& bad : {std::string("\xFF\xD8\xFF") + std::string(100, 'x'),
                                 jpeg.substr(0, 20), std::string("\xFF\xD8\xFF\xD9", 4)}) {
    const auto d = decode_jpeg(bad, PixelFormat::kRGB);
    EXPECT_EQ(d.outcome, Outcome::kFailed);
    EXPECT_FALSE(d.error.empty());
    EXPECT_TRUE(d.image.empty());
  }
}

TEST(JpegDecoder, ReadsTheExifOrientationAndDistrustsWhatItCannotRead) {
  const std::string exif("Exif\0\0", 6);
  auto payload_of = [](const std::string& jpeg) { return jpeg.substr(6, jpeg.size()); };
  // with_orientation's APP1 payload starts 6 bytes in (SOI, marker, length).
  const std::string little = payload_of(with_orientation("\xFF\xD8", 3));
  EXPECT_EQ(exif_orientation(little), 3);
  const std::string big =
      exif + std::string("MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x08\0\0", 22);
  EXPECT_EQ(exif_orientation(big), 8);
  EXPECT_EQ(exif_orientation(exif + std::string("II*\0\x08\0\0\0\0\0", 10)), 0) << "no entry";
  EXPECT_EQ(exif_orientation("http://ns.adobe.com/xap/1.0/"), 0) << "not Exif";
  EXPECT_EQ(exif_orientation(little.substr(0, little.size() - 10)), -1) << "cut in its entry";
  EXPECT_EQ(exif_orientation(exif + std::string("II*\0\xFF\xFF\xFF\x7F", 8)), -1)
      << "IFD offset past the end";
  EXPECT_EQ(exif_orientation(exif + std::string("XX*\0\x08\0\0\0\0\0", 10)), -1)
      << "neither byte order";
}

}  // namespace
}  // namespace sluice::testing
