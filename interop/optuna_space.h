// interop/optuna_space.h: the search space of an Optuna study, inferred from its trials' params.
//
// Optuna records no space, only each trial's params with the distribution they were sampled
// from (define-by-run); nasq needs one fixed space. Pure function; thread-safe.
#ifndef NASQ_INTEROP_OPTUNA_SPACE_H_
#define NASQ_INTEROP_OPTUNA_SPACE_H_

#include <span>

#include "absl/status/statusor.h"
#include "core/search_space.h"
#include "core/trial.h"

namespace nasq {

// The space of the finished (COMPLETE, PRUNED, FAIL) trials among `trials`: the union of their
// params, in order of first appearance (by trial number, then name), each with its distribution.
// Refused with INVALID_ARGUMENT naming the param and the trials:
//  * two trials disagree on a param's distribution (nasq's space is fixed for the whole study; no
//    widening is attempted, since a widened range would no longer be what Optuna sampled from);
//  * a COMPLETE or PRUNED trial lacks a param that others have (a conditional param: Optuna does
//    not record the condition, and nasq's samplers need every unconditional param present);
//    FAIL trials may lack params, as a failed objective may stop before suggesting them;
//  * no finished trial has any param.
absl::StatusOr<SearchSpace> InferSearchSpace(std::span<const Trial> trials);

}  // namespace nasq

#endif  // NASQ_INTEROP_OPTUNA_SPACE_H_
