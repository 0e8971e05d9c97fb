// pruner/hyperband_pruner.cc: Optuna's HyperbandPruner (optuna/pruners/_hyperband.py).
//
// floor(log_{reduction_factor}(max_resource / min_resource)) + 1 brackets, bracket b running
// successive halving with min_early_stopping_rate b. A trial belongs to the bracket chosen by
// crc32("<study name>_<trial number>") modulo the total budget, each bracket taking a share of
// ceil(n_brackets * reduction_factor ^ s / (s + 1)), s = n_brackets - 1 - b; it competes only
// with the trials of its bracket.
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "pruner/pruners.h"

namespace nasq {
namespace {

// The brackets for one max_resource: each one's trial allocation budget.
struct Brackets {
  std::vector<int64_t> budgets;  // by bracket id
  int64_t total = 0;

  int BracketOf(absl::string_view study_name, int64_t number) const {
    int64_t n = Crc32(absl::StrCat(study_name, "_", number)) % total;
    for (size_t b = 0; b < budgets.size(); ++b) {
      n -= budgets[b];
      if (n < 0) return static_cast<int>(b);
    }
    return static_cast<int>(budgets.size()) - 1;  // unreachable: the budgets sum to total
  }
};

Brackets MakeBrackets(int64_t min_resource, int64_t max_resource, int reduction_factor) {
  // As Optuna computes it (math.log(x, base) is log(x) / log(base)).
  const int n_brackets =
      static_cast<int>(std::floor(
          std::log(static_cast<double>(max_resource) / static_cast<double>(min_resource)) /
          std::log(static_cast<double>(reduction_factor)))) +
      1;
  Brackets brackets;
  for (int b = 0; b < n_brackets; ++b) {
    const int s = n_brackets - 1 - b;
    double power = 1;  // reduction_factor ^ s, exact: at most max_resource / min_resource
    for (int i = 0; i < s; ++i) power *= reduction_factor;
    const auto budget = static_cast<int64_t>(std::ceil(n_brackets * power / (s + 1)));
    brackets.budgets.push_back(budget);
    brackets.total += budget;
  }
  return brackets;
}

class HyperbandPruner : public Pruner {
 public:
  explicit HyperbandPruner(const HyperbandPrunerOptions& options) : options_(options) {}

  PruneDecision ShouldPrune(const PruningContext& ctx) const override {
    int64_t max_resource = options_.max_resource;
    if (max_resource == 0) {  // auto (Optuna's _try_initialization)
      const Trial* first = FirstCompleteWithSteps(ctx.history);
      if (first == nullptr) return {};
      max_resource = *LastStep(*first) + 1;
    }
    const Brackets brackets =
        MakeBrackets(options_.min_resource, max_resource, options_.reduction_factor);
    if (brackets.total == 0) return {};  // max_resource < min_resource: no bracket
    const int bracket = brackets.BracketOf(ctx.study_name, ctx.trial->number);
    const SuccessiveHalvingPrunerOptions sha{.min_resource = options_.min_resource,
                                             .reduction_factor = options_.reduction_factor,
                                             .min_early_stopping_rate = bracket,
                                             .bootstrap_count = options_.bootstrap_count};
    return SuccessiveHalving(ctx, sha, [&](const Trial& t) {
      return brackets.BracketOf(ctx.study_name, t.number) == bracket;
    });
  }

 private:
  const HyperbandPrunerOptions options_;
};

}  // namespace

std::unique_ptr<Pruner> MakeHyperbandPruner(const HyperbandPrunerOptions& options) {
  return std::make_unique<HyperbandPruner>(options);
}

}  // namespace nasq
