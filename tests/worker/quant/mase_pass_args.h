// tests/worker/quant/mase_pass_args.h: reads MASE's quantize_transform_pass `pass_args` into a
// QuantisationConfig, so that tests can state MASE's tutorial configs as MASE writes them and
// check that nasq's config expresses the same thing. Test-only: studies configure quantisation
// through the task spec (docs/task-spec.md), not through pass_args.
// Thread-safety: a pure function.
#ifndef NASQ_TESTS_WORKER_QUANT_MASE_PASS_ARGS_H_
#define NASQ_TESTS_WORKER_QUANT_MASE_PASS_ARGS_H_

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "worker/quant/quant_config.h"

namespace nasq {

// Parses MASE's pass_args dict (key order is the rule order, hence ordered_json), e.g.
//   {"by": "type", "default": {"config": {"name": null}},
//    "linear": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
//                          "weight_width": 8, ..., "bias_frac_width": 4}}}
// `name` is a MASE format name (null = fp32) and `bypass: true` means fp32. Per-operand keys are
// `<P>_width`, `<P>_frac_width`, `<P>_exponent_width`, `<P>_exponent_bias` (null = default),
// `<P>_exponent_bias_width`, `<P>_block_size` (list or int), `<P>_stochastic`, `<P>_bipolar`,
// `<P>_scaling_factor` (ternary: scaled) for P in data_in, weight, bias, plus `floor`,
// `data_in_levels` and `data_in_residual_sign` (binary_residual). An operand with no `<P>_` key
// at all stays fp32 (so binary quantises only W, as MASE's LinearBinary); an operand with some
// keys must have every key its format needs (InvalidArgument naming the missing key, where MASE
// raises KeyError). binary_residual quantises data_in with residual sign and W as binary.
absl::StatusOr<QuantisationConfig> ParseQuantisationConfig(const nlohmann::ordered_json& pass_args);

}  // namespace nasq

#endif  // NASQ_TESTS_WORKER_QUANT_MASE_PASS_ARGS_H_
