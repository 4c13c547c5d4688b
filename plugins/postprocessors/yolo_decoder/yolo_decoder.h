// Turns YOLO outputs into Detections on the source frame: YOLOv5-style tables (a row per
// anchor: box, objectness, class scores) and YOLOv8/YOLO11-style ones (a column per
// anchor: box, class scores; no objectness), with instance masks (segmentation models:
// prototype masks times each box's coefficients) or keypoints (pose models).
//
//   [nodes.decode]
//   plugin = "yolo_decoder"
//   min_score = 0.25
//   iou_threshold = 0.45     # class-wise NMS; 1: none (an nms node may follow instead)
//   labels = "coco80_labels.txt"
//
// Boxes are centre and size in model-input pixels, mapped back through the packet's
// geometry (resize, letterbox, crop), so they land on the source frame.
#pragma once

#include "labels.h"
#include "sluice/sluice.h"

namespace sluice::postprocessors {

class YoloDecoder final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "yolo_decoder",
      .kind = NodeKind::kPostprocessor,
      .description =
          "YOLOv5/v8/11 outputs (detect, segment, pose) to Detections on the "
          "source frame, with NMS.",
      .stateless = true};
  static constexpr Input<Tensor> kIn{
      "in", "one image's predictions: v8 [1, 4 + C + extra, A], v5 [1, A, 5 + C + extra]"};
  static constexpr Input<Tensor> kProtos{
      .name = "protos",
      .description = "segmentation models' prototype masks [1, M, h, w] (their second output)",
      .required = false};
  static constexpr Output<Detections> kOut{
      "out", "detections in source-frame pixels, best first, with masks or keypoints"};
  static inline const Param<std::string> kLayout{
      .name = "layout",
      .default_value = "auto",
      .description =
          "v8 (YOLOv8, YOLO11: a column per anchor), v5 (a row per anchor, with "
          "objectness); auto: v8 when the table has fewer rows than columns",
      .choices = {"auto", "v8", "v5"}};
  static inline const Param<std::string> kTask{
      .name = "task",
      .default_value = "detect",
      .description =
          "detect; segment (mask coefficients follow the class scores; connect "
          "protos); pose (keypoints x, y, score follow them)",
      .choices = {"detect", "segment", "pose"}};
  static inline const Param<int> kClasses{
      .name = "classes",
      .default_value = 0,
      .description = "class scores per anchor; 0: what the table's size leaves for them",
      .min = 0,
      .max = 100000};
  static inline const Param<int> kKeypoints{.name = "keypoints",
                                            .default_value = 17,
                                            .description = "keypoints per box (task = pose)",
                                            .min = 1,
                                            .max = 1000};
  static inline const Param<double> kMinScore{
      .name = "min_score",
      .default_value = 0.25,
      .description = "lowest score kept (v8: the best class score; v5: objectness x it)",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<double> kIou{
      .name = "iou_threshold",
      .default_value = 0.45,
      .description =
          "NMS: a box overlapping a better one of its class by more is dropped; "
          "1: no NMS",
      .min = 0.0,
      .max = 1.0};
  static inline const Param<bool> kAgnostic{
      .name = "class_agnostic",
      .default_value = false,
      .description = "NMS across classes (else within a class)"};
  static inline const Param<int> kMax{.name = "max_detections",
                                      .default_value = 300,
                                      .description = "most detections kept",
                                      .min = 1,
                                      .max = 100000};
  static inline const Param<std::string> kLabels{
      .name = "labels",
      .default_value = "",
      .description = "a text file, one class name per line",
      .is_path = true};
  static inline const Param<std::vector<int>> kInputSize{
      .name = "input_size",
      .default_value = {},
      .description =
          "[width, height] of the model's input, for masks; empty: 4x the "
          "prototype masks' size (as YOLOv8-seg)",
      .min = 1,
      .max = 65536};
  SLUICE_CONTRACT(kInfo, kIn, kProtos, kOut, kLayout, kTask, kClasses, kKeypoints, kMinScore, kIou,
                  kAgnostic, kMax, kLabels, kInputSize);

  Status open(const Params& p) override;
  Status process(Context& ctx) override;

 private:
  enum class Task { kDetect, kSegment, kPose };
  std::string layout_ = "auto";
  Task task_ = Task::kDetect;
  int classes_ = 0;
  int keypoints_ = 17;
  float min_score_ = 0.25f;
  float iou_ = 0.45f;
  bool agnostic_ = false;
  int max_ = 300;
  std::vector<std::string> labels_;
  cv::Size input_size_;  // empty: from the prototypes
};

}  // namespace sluice::postprocessors
