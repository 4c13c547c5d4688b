// Helpers over the SDK's types for the tests: headers, small tensors, their values.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::test {

// A header of frame `seq` of stream `stream`.
inline PacketHeader at(uint32_t stream, int64_t seq, int64_t pts_us = 0) {
  PacketHeader h;
  h.stream_id = stream;
  h.seq = seq;
  h.pts_us = pts_us;
  return h;
}

// A float32 tensor of `shape` holding start, start + 1, ...
inline Tensor counting_tensor(std::vector<int64_t> shape, float start) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = start + static_cast<float>(i);
  return t;
}

// The values of a packet's float32 tensor; empty when it holds none.
inline std::vector<float> tensor_values(const Packet& p) {
  const Tensor* t = p.get_if<Tensor>();
  if (!t) return {};
  return std::vector<float>(t->as<float>(), t->as<float>() + t->numel());
}

// The float32 values of a raw little-endian file (written by numpy's tofile).
inline std::vector<float> read_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> v;
  for (float f; in.read(reinterpret_cast<char*>(&f), sizeof f);) v.push_back(f);
  return v;
}

}  // namespace sluice::test
