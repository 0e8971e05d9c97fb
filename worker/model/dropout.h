// Dropout for the worker's models, with torch::dropout's contract: in training, each element of
// `input` is zeroed with probability `p` and the others are scaled by 1 / (1 - p); otherwise (or
// with p = 0) the result is `input` itself. Gradients flow through the kept elements, scaled the
// same way.
//
// On the CPU, for float inputs and 0 < p < 1, the keep mask comes from a counter-based generator
// (SplitMix64 of the element index and a seed drawn from LibTorch's default CPU generator, so
// torch::manual_seed makes a run repeatable, and the mask does not depend on the thread count).
// LibTorch's bernoulli_ draws each element from a locked Mersenne Twister: it was 13 to 19% of a
// BERT-tiny QAT step on the CPU (bench/trials_per_hour's model, PyTorch's profiler), a cost that
// fusing K models multiplies by K. Elsewhere (CUDA, other dtypes, p = 1) it is torch::dropout.
// The drop probability is exact to 2^-32.
#ifndef NASQ_WORKER_MODEL_DROPOUT_H_
#define NASQ_WORKER_MODEL_DROPOUT_H_

#include <torch/torch.h>

namespace nasq {

torch::Tensor Dropout(const torch::Tensor& input, double p, bool training);

}  // namespace nasq

#endif  // NASQ_WORKER_MODEL_DROPOUT_H_
