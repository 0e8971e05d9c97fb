#include "worker/model/linear_slot.h"

#include <utility>

namespace nasq {

LinearSlot::LinearSlot(torch::nn::Module& owner, std::string name, int64_t in_features,
                       int64_t out_features, torch::nn::AnyModule module)
    : owner_(&owner),
      name_(std::move(name)),
      in_features_(in_features),
      out_features_(out_features),
      module_(std::move(module)) {
  owner_->register_module(name_, module_.ptr());
}

void LinearSlot::Replace(torch::nn::AnyModule module) {
  module_ = std::move(module);
  owner_->replace_module(name_, module_.ptr());
}

}  // namespace nasq
