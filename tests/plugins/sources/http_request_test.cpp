// http_request on its own: the image check (image_body.h) for every way a body can be
// wrong, and the node through the NodeHarness: a request becomes a frame of a stream of
// its own, a full queue answers 503 at once, a request answered already is dropped before
// it enters the pipeline, a stream done without an answer gets 500, ids are reused.
#include "http_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "image_body.h"
#include "sluice/testing/node_harness.h"

namespace sluice::testing {
namespace {

using sources::decode_image_body;
using sources::HttpRequest;
using ::testing::HasSubstr;

// A 64x48 picture, left half red and right half blue, encoded as `ext`.
std::string encoded(const std::string& ext) {
  cv::Mat image(48, 64, CV_8UC3, cv::Scalar(255, 0, 0));
  image(cv::Rect(0, 0, 32, 48)).setTo(cv::Scalar(0, 0, 255));
  std::vector<unsigned char> bytes;
  EXPECT_TRUE(cv::imencode(ext, image, bytes));
  return {bytes.begin(), bytes.end()};
}

TEST(ImageBody, JpegAndPngDecodeToBgr) {
  for (const auto& [ext, type] : {std::pair{".jpg", "image/jpeg"}, std::pair{".png", "image/png"},
                                  std::pair{".png", "application/octet-stream"},
                                  std::pair{".jpg", "image/jpeg; charset=binary"}}) {
    const auto d = decode_image_body(encoded(ext), type);
    ASSERT_EQ(d.status, 200) << type << ": " << d.error;
    ASSERT_EQ(d.image.size(), cv::Size(64, 48));
    EXPECT_EQ(d.image.type(), CV_8UC3);
    const cv::Vec3b left = d.image.at<cv::Vec3b>(24, 8), right = d.image.at<cv::Vec3b>(24, 56);
    EXPECT_GT(left[2], 200) << "red on the left, in BGR order";
    EXPECT_GT(right[0], 200) << "blue on the right";
  }
}

TEST(ImageBody, EveryWrongBodyIsRefusedWithItsStatusAndWhy) {
  const std::string jpeg = encoded(".jpg"), png = encoded(".png");
  struct Case {
    std::string body, type;
    int status;
    const char* says;
  };
  const std::vector<Case> cases = {
      {jpeg, "text/plain", 415, "content type 'text/plain' is not taken"},
      {jpeg, "", 415, "content type '' is not taken"},
      {"", "image/jpeg", 400, "no body"},
      {"hello, world", "image/jpeg", 400, "is not a JPEG or PNG image"},
      {jpeg.substr(0, jpeg.size() / 2), "image/jpeg", 400, "truncated"},
      {jpeg.substr(0, 3), "image/jpeg", 400, "truncated"},
      {png.substr(0, png.size() - 20), "image/png", 400, "truncated"},
      {png, "image/jpeg", 400, "a PNG image, sent as image/jpeg"},
      {jpeg, "image/png", 400, "a JPEG image, sent as image/png"},
      // The markers at both ends, garbage between: the checks pass, OpenCV cannot decode.
      {std::string("\xFF\xD8\xFF") + std::string(100, 'x') + "\xFF\xD9", "image/jpeg", 400,
       "does not decode"},
  };
  for (const Case& c : cases) {
    const auto d = decode_image_body(c.body, c.type);
    EXPECT_EQ(d.status, c.status) << c.says;
    EXPECT_THAT(d.error, HasSubstr(c.says));
    EXPECT_TRUE(d.image.empty());
  }
}

// A request with a deadline a minute away.
std::shared_ptr<ServedRequest> request_of(std::string body, std::string type = "image/jpeg") {
  return std::make_shared<ServedRequest>(std::move(body), std::move(type),
                                         ServedRequest::Clock::now() + std::chrono::minutes(1));
}

std::optional<ServedAnswer> answer_now(ServedRequest& r) {
  return r.wait_until(ServedRequest::Clock::now());
}

TEST(HttpRequest, ARequestIsAFrameOfAStreamOfItsOwnThatEndsWithIt) {
  auto h = NodeHarness::load("http_request");
  h.set_serving(true);
  RequestIntake* intake = h.request_intake();
  ASSERT_NE(intake, nullptr);
  EXPECT_EQ(intake->max_body_bytes(), 16u << 20);
  EXPECT_EQ(intake->timeout_ms(), 10000);
  auto first = request_of(encoded(".jpg")), second = request_of(encoded(".png"), "image/png");
  intake->submit(first);
  intake->submit(second);
  EXPECT_FALSE(first->answered()) << "taken, waiting for the pipeline";
  EXPECT_TRUE(first->body().empty()) << "the body is freed once decoded";
  ASSERT_TRUE(h.run_source(1).ok());
  ASSERT_EQ(h.pending(HttpRequest::kOut.name), 2u);
  const Packet a = h.pull(HttpRequest::kOut), b = h.pull(HttpRequest::kOut);
  EXPECT_NE(a.header().stream_id, b.header().stream_id);
  EXPECT_EQ(a.header().seq, 0);
  EXPECT_EQ(a.get_if<Frame>()->image.size(), cv::Size(64, 48));
  EXPECT_EQ(a.get_if<Frame>()->format, PixelFormat::kBGR) << "BGR unless asked";
  // Each stream started and ended at once, in order: start a, end a, start b, end b.
  const auto& events = h.stream_events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_TRUE(events[0].started);
  EXPECT_FALSE(events[1].started);
  EXPECT_EQ(events[1].stream.stream_id, a.header().stream_id);
}

TEST(HttpRequest, FormatRgbGivesRgbFramesThatSaySo) {
  for (const char* ext : {".jpg", ".png"}) {
    auto h = NodeHarness::load("http_request", "format = \"RGB\"\n");
    h.set_serving(true);
    h.request_intake()->submit(request_of(encoded(ext), "application/octet-stream"));
    ASSERT_TRUE(h.run_source(1).ok());
    const Packet p = h.pull(HttpRequest::kOut);
    const Frame& frame = *p.get_if<Frame>();
    EXPECT_EQ(frame.format, PixelFormat::kRGB) << ext;
    EXPECT_GT(frame.image.at<cv::Vec3b>(24, 8)[0], 200) << ext << ": red on the left, first";
    EXPECT_GT(frame.image.at<cv::Vec3b>(24, 56)[2], 200) << ext << ": blue on the right, last";
  }
  EXPECT_FALSE(NodeHarness::try_load("http_request", "format = \"YUV\"\n").ok());
}

TEST(HttpRequest, AFullQueueAnswers503AtOnceWithRetryAfter) {
  auto h = NodeHarness::load("http_request", "max_queued = 2\nretry_after_s = 3\n");
  h.set_serving(true);
  RequestIntake* intake = h.request_intake();
  std::vector<std::shared_ptr<ServedRequest>> requests;
  for (int i = 0; i < 3; ++i) {
    requests.push_back(request_of(encoded(".jpg")));
    intake->submit(requests.back());
  }
  EXPECT_FALSE(requests[0]->answered());
  EXPECT_FALSE(requests[1]->answered());
  const auto refused = answer_now(*requests[2]);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->retry_after_s, 3);
  EXPECT_THAT(refused->body, HasSubstr("overloaded: 2 requests are waiting already"));
  ASSERT_TRUE(h.run_source(1).ok());
  EXPECT_EQ(h.pending(HttpRequest::kOut.name), 2u);
}

TEST(HttpRequest, BadImagesAreAnsweredAtOnceAndNeverEnterThePipeline) {
  auto h = NodeHarness::load("http_request");
  h.set_serving(true);
  auto bad = request_of("not an image"), wrong = request_of(encoded(".jpg"), "text/html");
  h.request_intake()->submit(bad);
  h.request_intake()->submit(wrong);
  ASSERT_TRUE(answer_now(*bad));
  EXPECT_EQ(answer_now(*bad)->status, 400);
  EXPECT_EQ(answer_now(*wrong)->status, 415);
  ASSERT_TRUE(h.run_source(1).ok());
  EXPECT_EQ(h.pending(HttpRequest::kOut.name), 0u);
}

TEST(HttpRequest, ARequestAnsweredWhileItWaitedIsDroppedNotRun) {
  auto h = NodeHarness::load("http_request");
  h.set_serving(true);
  auto gone = request_of(encoded(".jpg")), kept = request_of(encoded(".jpg"));
  h.request_intake()->submit(gone);
  h.request_intake()->submit(kept);
  ASSERT_TRUE(gone->answer({504, "{}"}));  // as the service does at the deadline
  ASSERT_TRUE(h.run_source(1).ok());
  EXPECT_EQ(h.pending(HttpRequest::kOut.name), 1u);
}

TEST(HttpRequest, AStreamDoneWithoutAnAnswerGets500AndItsIdIsReused) {
  auto h = NodeHarness::load("http_request");
  h.set_serving(true);
  auto r = request_of(encoded(".jpg"));
  h.request_intake()->submit(r);
  ASSERT_TRUE(h.run_source(1).ok());
  const Packet first = h.pull(HttpRequest::kOut);
  // Every sink is done with it, and none answered (a queue dropped the frame).
  ASSERT_TRUE(h.stream_done({first.header().stream_id, 0, "end"}).ok());
  const auto answer = answer_now(*r);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 500);
  EXPECT_THAT(answer->body, HasSubstr("gave no result for this request"));
  auto next = request_of(encoded(".jpg"));
  h.request_intake()->submit(next);
  ASSERT_TRUE(h.run_source(1).ok());
  EXPECT_EQ(h.pull(HttpRequest::kOut).header().stream_id, first.header().stream_id)
      << "the done stream's id is taken again";
}

TEST(HttpRequest, WithoutHttpTheRunFailsSayingHowToServe) {
  auto h = NodeHarness::load("http_request");
  const Status s = h.run_source(1);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("sluice run --http HOST:PORT"));
}

TEST(HttpRequest, ClosingAnswersWhatStillWaits503) {
  auto h = NodeHarness::load("http_request");
  h.set_serving(true);
  auto r = request_of(encoded(".jpg"));
  h.request_intake()->submit(r);
  ASSERT_TRUE(h.close().ok());
  ASSERT_TRUE(answer_now(*r));
  EXPECT_EQ(answer_now(*r)->status, 503);
  auto late = request_of(encoded(".jpg"));
  h.request_intake()->submit(late);
  ASSERT_TRUE(answer_now(*late));
  EXPECT_EQ(answer_now(*late)->status, 503);
}

}  // namespace
}  // namespace sluice::testing
