// worker/model/linear_slot.h: a named place in a module tree that holds a Linear layer and can be
// swapped for any module with `Tensor forward(Tensor)` (Identity, quant's QuantLinear, ...).
//
// The slot registers its module as a child of its owner under the HF name ("query", "dense",
// ...), so parameter names stay HF's ("...query.weight") whatever the slot holds.
// Thread-safety: not thread-safe; swap modules only while no forward runs.
#ifndef NASQ_WORKER_MODEL_LINEAR_SLOT_H_
#define NASQ_WORKER_MODEL_LINEAR_SLOT_H_

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace nasq {

class LinearSlot {
 public:
  // Registers `module` as child `name` of `owner`. `owner` must outlive the slot (the owner
  // holds the slot as a member).
  LinearSlot(torch::nn::Module& owner, std::string name, int64_t in_features, int64_t out_features,
             torch::nn::AnyModule module);

  torch::Tensor operator()(const torch::Tensor& x) { return module_.forward(x); }

  // Replaces the held module (same registered name). The caller guarantees it maps
  // [..., in_features] to [..., out_features].
  void Replace(torch::nn::AnyModule module);

  const torch::nn::AnyModule& module() const { return module_; }
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 private:
  torch::nn::Module* owner_;
  std::string name_;
  int64_t in_features_;
  int64_t out_features_;
  torch::nn::AnyModule module_;
};

}  // namespace nasq

#endif  // NASQ_WORKER_MODEL_LINEAR_SLOT_H_
