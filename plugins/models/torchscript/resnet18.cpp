#include "resnet18.h"

namespace sluice::models {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
  conv1 = register_module("conv1", conv(in, out, 3, stride, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(out));
  conv2 = register_module("conv2", conv(out, out, 3, 1, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
  if (stride != 1 || in != out)
    downsample = register_module("downsample", torch::nn::Sequential(conv(in, out, 1, stride, 0),
                                                                     torch::nn::BatchNorm2d(out)));
}

at::Tensor BasicBlockImpl::forward(const at::Tensor& x) {
  at::Tensor y = torch::relu(bn1(conv1(x)));
  y = bn2(conv2(y));
  return torch::relu(y + (downsample ? downsample->forward(x) : x));
}

ResNet18Impl::ResNet18Impl(int64_t num_classes) {
  conv1 = register_module("conv1", conv(3, 64, 7, 2, 3));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  auto layer = [](int64_t in, int64_t out, int64_t stride) {
    return torch::nn::Sequential(BasicBlock(in, out, stride), BasicBlock(out, out, 1));
  };
  layer1 = register_module("layer1", layer(64, 64, 1));
  layer2 = register_module("layer2", layer(64, 128, 2));
  layer3 = register_module("layer3", layer(128, 256, 2));
  layer4 = register_module("layer4", layer(256, 512, 2));
  fc = register_module("fc", torch::nn::Linear(512, num_classes));
}

at::Tensor ResNet18Impl::forward(const at::Tensor& x) {
  at::Tensor y = torch::relu(bn1(conv1(x)));
  y = torch::max_pool2d(y, 3, 2, 1);
  y = layer4->forward(layer3->forward(layer2->forward(layer1->forward(y))));
  y = torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
  return fc(y);
}

}  // namespace sluice::models
