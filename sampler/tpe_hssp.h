// sampler/tpe_hssp.h: greedy hypervolume subset selection (HSSP), the tie-break of
// multi-objective TPE's below set (Optuna 5's optuna/_hypervolume/hssp.py::_solve_hssp as
// called by _split_complete_trials_multi_objective).
//
// Given the loss vectors of one non-domination front (minimisation, in trial order) and a subset
// size k, it chooses k of them whose hypervolume is (1 - 1/e)-close to the largest:
//   * the reference point is core/pareto.h's DefaultReferencePoint of the front (Optuna's
//     _get_reference_point: max(1.1 w, 0.9 w) of the worst value w, 1e-12 where that is 0);
//   * equal vectors count once: the first occurrence (in trial order) of each distinct vector
//     competes, ordered lexicographically; when fewer distinct vectors than k exist, all of them
//     are taken plus the earliest repeats;
//   * a non-finite reference point (an infinite loss) takes the first k distinct vectors in
//     lexicographic order;
//   * otherwise k greedy steps each take the vector whose hypervolume contribution to the ones
//     taken so far is largest (the first in lexicographic order on ties; once the hypervolume is
//     infinite, every contribution counts as infinite). Contributions are re-evaluated lazily,
//     as in Optuna: a vector whose upper bound (its previous contribution, and its contribution
//     to the last vector taken alone) is below the best exact contribution of the step keeps
//     its bound, which by submodularity cannot change the choice.
// Cost: k greedy steps, each evaluating exactly only the few contributions whose bound can win,
// each a hypervolume of up to k vectors (core/pareto.h). Measured on the shared 2-vCPU build
// machine with 3 objectives: under 1 ms for 20 of 50 vectors, 15 ms for 20 of 200, 0.27 s for
// 200 of 400 and 2.8 s for 500 of 1,000 (a study of thousands of trials).
// Pure function; thread-safe.
#ifndef NASQ_SAMPLER_TPE_HSSP_H_
#define NASQ_SAMPLER_TPE_HSSP_H_

#include <cstddef>
#include <vector>

namespace nasq {

// Indices into `front` (all vectors of one size, no NaN) of the `k` vectors chosen, in no
// particular order; all indices when k >= front.size().
std::vector<size_t> SelectHypervolumeSubset(const std::vector<std::vector<double>>& front,
                                            size_t k);

}  // namespace nasq

#endif  // NASQ_SAMPLER_TPE_HSSP_H_
