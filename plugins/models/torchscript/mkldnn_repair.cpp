#include "mkldnn_repair.h"

#include <torch/csrc/jit/ir/ir.h>

#include <string>
#include <utility>
#include <vector>

namespace sluice::models {
namespace {

struct Replacement {
  const char* mkldnn_kind;
  const char* aten_kind;
  bool in_place;
  bool bounded;  // the node holds min_val and max_val, the ATen op takes them as arguments
};

// relu6 reaches the graph as MKLDNNHardTanh_ with bounds 0 and 6.
constexpr Replacement kReplacements[] = {
    {"prim::MKLDNNHardSwish", "aten::hardswish", false, false},
    {"prim::MKLDNNHardSwish_", "aten::hardswish", true, false},
    {"prim::MKLDNNHardSigmoid", "aten::hardsigmoid", false, false},
    {"prim::MKLDNNHardSigmoid_", "aten::hardsigmoid", true, false},
    {"prim::MKLDNNHardTanh", "aten::hardtanh", false, true},
    {"prim::MKLDNNHardTanh_", "aten::hardtanh", true, true},
    {"prim::MKLDNNClamp", "aten::clamp", false, true},
    {"prim::MKLDNNClamp_", "aten::clamp", true, true},
};

const Replacement* replacement_for(const torch::jit::Node* n) {
  for (const Replacement& r : kReplacements)
    if (n->kind() == c10::Symbol::fromQualString(r.mkldnn_kind)) return &r;
  return nullptr;
}

int repair_block(torch::jit::Graph& graph, torch::jit::Block* block) {
  int repaired = 0;
  std::vector<torch::jit::Node*> nodes(block->nodes().begin(), block->nodes().end());
  for (torch::jit::Node* n : nodes) {
    for (torch::jit::Block* inner : n->blocks()) repaired += repair_block(graph, inner);
    const Replacement* r = replacement_for(n);
    if (!r) continue;
    const c10::Symbol min_val = c10::Symbol::attr("min_val"),
                      max_val = c10::Symbol::attr("max_val");
    if (r->bounded && (!n->hasAttribute(min_val) || !n->hasAttribute(max_val))) continue;
    torch::jit::Value* x = n->input(0);
    torch::jit::Value* fixed = nullptr;
    {
      torch::jit::WithInsertPoint here(n);
      torch::jit::Value* dense = graph.insert(c10::Symbol::fromQualString("aten::to_dense"), {x});
      std::vector<torch::jit::NamedValue> args{dense};
      if (r->bounded) {
        args.emplace_back(n->f(min_val));
        args.emplace_back(n->f(max_val));
      }
      torch::jit::Value* act = graph.insert(c10::Symbol::fromQualString(r->aten_kind), args);
      fixed = graph.insert(c10::Symbol::fromQualString("aten::to_mkldnn"), {act});
    }
    fixed->setType(n->output()->type());
    // An in-place op changed x itself: what reads x after it reads the activated value.
    if (r->in_place) {
      std::vector<torch::jit::Use> later;
      for (const torch::jit::Use& u : x->uses())
        if (u.user != n && u.user->isAfter(n)) later.push_back(u);
      for (const torch::jit::Use& u : later) u.user->replaceInput(u.offset, fixed);
    }
    n->output()->replaceAllUsesWith(fixed);
    n->destroy();
    ++repaired;
  }
  return repaired;
}

}  // namespace

int repair_mkldnn_activations(torch::jit::Graph& graph) {
  return repair_block(graph, graph.block());
}

}  // namespace sluice::models
