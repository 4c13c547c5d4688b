// A repair for a bug of PyTorch 1.13's optimize_for_inference (its MKLDNN conversion pass).
//
// The pass turns hardswish, hardsigmoid, relu6 and hardtanh (MobileNetV3's activations),
// after a oneDNN convolution, into prim::MKLDNNHardSwish, MKLDNNHardSigmoid and
// MKLDNNHardTanh (and clamp into MKLDNNClamp; each also in place). The convolution's output is in a
// blocked layout whose channels are padded to a multiple of 16, but those ops apply the activation
// to the first C x H x W values of the padded buffer only: with C not a multiple of 16 (21, 184,
// 200 channels), part of the last block of channels keeps the convolution's values. A random-weight
// deeplabv3_mobilenet_v3_large flipped the class of up to 11,000 of 442,368 pixels; a
// trained one is hit the same way, since it depends on the channel count alone.
//
// The repair replaces each such node by aten::to_dense -> the ATen activation ->
// aten::to_mkldnn, which is exact and keeps most of the speed (the convolutions stay on
// oneDNN). tests: TorchScript.MobileNetActivationsGiveTheSameOptimizedAsSaved, and the
// torchvision segmenters' parity with Python.
#pragma once

#include <torch/script.h>

namespace sluice::models {

// Repairs every such node of `graph` (nested blocks included); returns how many.
int repair_mkldnn_activations(torch::jit::Graph& graph);

}  // namespace sluice::models
