// tests/worker/quant/toy_model.h: a tiny module tree with HF-style Linear names, built the way
// worker/model holds its layers (see the MODEL PROTOCOL in worker/quant/quant_config.h).
#ifndef NASQ_TESTS_WORKER_QUANT_TOY_MODEL_H_
#define NASQ_TESTS_WORKER_QUANT_TOY_MODEL_H_

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include "worker/quant/quant_linear.h"

namespace nasq {

// encoder.layer.{0,1}.attention.self.query (8 -> 8) and classifier (8 -> 2).
struct ToySelfAttention : torch::nn::Module {
  ToySelfAttention() { query = register_module("query", QuantLinear(8, 8)); }
  QuantLinear query{nullptr};
};
struct ToyAttention : torch::nn::Module {
  ToyAttention() { self = register_module("self", std::make_shared<ToySelfAttention>()); }
  std::shared_ptr<ToySelfAttention> self;
};
struct ToyLayer : torch::nn::Module {
  ToyLayer() { attention = register_module("attention", std::make_shared<ToyAttention>()); }
  std::shared_ptr<ToyAttention> attention;
};
struct ToyEncoder : torch::nn::Module {
  ToyEncoder() {
    layer = register_module("layer", torch::nn::ModuleList());
    for (int i = 0; i < 2; ++i) layer->push_back(std::make_shared<ToyLayer>());
  }
  torch::nn::ModuleList layer{nullptr};
};
struct ToyModel : torch::nn::Module {
  ToyModel() {
    encoder = register_module("encoder", std::make_shared<ToyEncoder>());
    classifier = register_module("classifier", QuantLinear(8, 2));
  }
  QuantLinear& query(int i) { return encoder->layer->at<ToyLayer>(i).attention->self->query; }
  at::Tensor forward(const at::Tensor& x) { return classifier(query(1)(query(0)(x))); }
  std::shared_ptr<ToyEncoder> encoder;
  QuantLinear classifier{nullptr};
};

}  // namespace nasq

#endif  // NASQ_TESTS_WORKER_QUANT_TOY_MODEL_H_
