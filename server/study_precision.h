// server/study_precision.h: the resolved weight precision of every Linear layer in each COMPLETE
// trial of a bert-classify study, for the dashboard's GET /api/v1/studies/{name}/precision
// (docs/dashboard.md).
//
// Each trial's params are bound onto the study's task (BindTrialParams) and its stages replayed
// on the architecture it builds, as the cost model does (EstimateCost on
// BertClassifyBaseArchitecture, server/trial_cost.h): every non-Identity Linear layer gets the
// precision its last quantise stage resolves (ResolveQuantiseStage), fp32 without one.
// Per layer and trial: {"type": <the weight's format name: "linear" for fp32, "integer", ...;
// "binary_residual" when the layer's input is residual sign>, "weight_bits": <bits per weight
// element as avg_bitwidth counts them (task/cost_metrics.h): 32 for fp32, the width for integer,
// fractional for block formats>}; a layer the trial replaced by Identity is
// {"type": "identity", "weight_bits": 0}, and a layer its model lacks (fewer encoder layers) is
// null.
//
// Which layers are listed: those whose precision differs between two COMPLETE trials that have
// the layer, in HF module order. A layer of the same precision in every trial is omitted (the
// page compares trials), so `layers` is empty for a study that searches no precision, and also
// while fewer than two COMPLETE trials differ. Also empty (with no trials) for a task of another
// kind or one whose architecture the server cannot know (a checkpoint, a tabular data set
// without declared labels). COMPLETE trials whose params do not bind (an imported trial of
// another space) are left out.
// Thread-safety: pure function.
#ifndef NASQ_SERVER_STUDY_PRECISION_H_
#define NASQ_SERVER_STUDY_PRECISION_H_

#include <span>

#include "core/study.h"
#include "core/trial.h"
#include "nlohmann/json.hpp"

namespace nasq {

// {"layers": [<HF path>], "trials": [{"number", "values", "layers": [<precision or null>, one
// per listed layer]}]} for the COMPLETE trials among `trials` of the study `spec` (see top),
// by number as given. Values that are not finite are written as JsonNumber does.
nlohmann::json StudyPrecisionJson(const StudySpec& spec, std::span<const Trial> trials);

}  // namespace nasq

#endif  // NASQ_SERVER_STUDY_PRECISION_H_
