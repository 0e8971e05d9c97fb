#include "core/distribution.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/field_error.h"
#include "core/limits.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

// Tolerance of the step-grid membership test (Optuna's `_contains`).
constexpr double kGridTolerance = 1e-8;
// Largest number of grid points a stepped float may have: every index must be exact in a double.
constexpr double kMaxFloatGridPoints = 9007199254740992.0;  // 2^53

std::string DoubleToString(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

// Visitor helper: overloaded lambdas.
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Number of whole steps in [low, high], tolerant to rounding (0.3 / 0.1 counts as 3).
double FloatStepCount(double low, double high, double step) {
  return std::floor((high - low) / step + kGridTolerance);
}

absl::Status ValidateFloat(const FloatDistribution& d, const std::string& field) {
  if (!std::isfinite(d.low)) {
    return InvalidFieldError(field,
                             absl::StrCat("low must be finite (low=", DoubleToString(d.low), ")"));
  }
  if (!std::isfinite(d.high)) {
    return InvalidFieldError(
        field, absl::StrCat("high must be finite (high=", DoubleToString(d.high), ")"));
  }
  if (d.low > d.high) {
    return InvalidFieldError(field, absl::StrCat("low > high (low=", DoubleToString(d.low),
                                                 ", high=", DoubleToString(d.high), ")"));
  }
  if (d.log && d.step.has_value()) {
    return InvalidFieldError(field, "step is not supported together with log");
  }
  if (d.log && d.low <= 0) {
    return InvalidFieldError(
        field, absl::StrCat("log requires low > 0 (low=", DoubleToString(d.low), ")"));
  }
  if (d.step.has_value()) {
    const double step = *d.step;
    if (!std::isfinite(step) || step <= 0) {
      return InvalidFieldError(
          field, absl::StrCat("step must be > 0 and finite (step=", DoubleToString(step), ")"));
    }
    if ((d.high - d.low) / step > kMaxFloatGridPoints) {
      return InvalidFieldError(
          field, absl::StrCat("step is too small for the range (step=", DoubleToString(step),
                              ", more than 2^53 grid points)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateInt(const IntDistribution& d, const std::string& field) {
  if (d.low > d.high) {
    return InvalidFieldError(field,
                             absl::StrCat("low > high (low=", d.low, ", high=", d.high, ")"));
  }
  if (d.step <= 0) {
    return InvalidFieldError(field, absl::StrCat("step must be > 0 (step=", d.step, ")"));
  }
  if (d.log && d.step != 1) {
    return InvalidFieldError(field, absl::StrCat("log requires step == 1 (step=", d.step, ")"));
  }
  if (d.log && d.low < 1) {
    return InvalidFieldError(field, absl::StrCat("log requires low >= 1 (low=", d.low, ")"));
  }
  // high - low must fit in int64 so that DiscreteSize and grid arithmetic cannot overflow.
  const uint64_t range = static_cast<uint64_t>(d.high) - static_cast<uint64_t>(d.low);
  if (range >= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return InvalidFieldError(
        field, absl::StrCat("range is too large (low=", d.low, ", high=", d.high, ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCategorical(const CategoricalDistribution& d, const std::string& field) {
  if (d.choices.empty()) return InvalidFieldError(field, "choices must not be empty");
  NASQ_RETURN_IF_ERROR(ValidateCount(d.choices.size(), limits::kMaxChoices,
                                     absl::StrCat(field, ".choices"), "choices"));
  for (size_t i = 0; i < d.choices.size(); ++i) {
    NASQ_RETURN_IF_ERROR(
        ValidateParamValueText(d.choices[i], absl::StrCat(field, ".choices[", i, "]")));
  }
  ChoiceIndex seen;
  seen.reserve(d.choices.size());
  for (size_t i = 0; i < d.choices.size(); ++i) {
    const auto [it, inserted] = seen.emplace(d.choices[i], i);
    if (!inserted) {
      return InvalidFieldError(
          field, absl::StrCat("duplicate choice '", ParamValueToString(d.choices[i]), "' (choices[",
                              it->second, "] and choices[", i, "])"));
    }
  }
  return absl::OkStatus();
}

bool IsIntegral(double x) {
  return std::isfinite(x) && std::fabs(x - std::round(x)) < kGridTolerance;
}

}  // namespace

std::string ParamValueToString(const ParamValue& v) {
  return std::visit(Overloaded{
                        [](bool b) -> std::string { return b ? "true" : "false"; },
                        [](int64_t i) -> std::string { return absl::StrCat(i); },
                        [](double d) -> std::string { return DoubleToString(d); },
                        [](const std::string& s) -> std::string { return s; },
                    },
                    v);
}

absl::Status ValidateParamValueText(const ParamValue& v, absl::string_view field) {
  const auto* text = std::get_if<std::string>(&v);
  return text == nullptr ? absl::OkStatus() : ValidateText(*text, field, limits::kMaxValueBytes);
}

std::optional<double> ParamValueAsNumber(const ParamValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

bool ParamValueEquals(const ParamValue& a, const ParamValue& b) {
  const std::optional<double> na = ParamValueAsNumber(a);
  const std::optional<double> nb = ParamValueAsNumber(b);
  if (na.has_value() && nb.has_value()) {
    if (std::holds_alternative<int64_t>(a) && std::holds_alternative<int64_t>(b)) {
      return std::get<int64_t>(a) == std::get<int64_t>(b);  // exact beyond 2^53
    }
    if (std::isnan(*na) && std::isnan(*nb)) return true;
    return *na == *nb;
  }
  if (a.index() != b.index()) return false;
  return a == b;  // bool == bool, string == string
}

size_t ParamValueHash::operator()(const ParamValue& v) const {
  if (const std::optional<double> number = ParamValueAsNumber(v)) {
    double key = *number;
    if (std::isnan(key)) key = std::numeric_limits<double>::quiet_NaN();  // every NaN alike
    if (key == 0) key = 0.0;                                              // -0.0 == 0.0
    return absl::Hash<std::pair<int, double>>()({0, key});
  }
  if (const auto* b = std::get_if<bool>(&v)) return absl::Hash<std::pair<int, bool>>()({1, *b});
  return absl::Hash<std::pair<int, std::string>>()({2, std::get<std::string>(v)});
}

ChoiceIndex IndexChoices(const std::vector<ParamValue>& choices) {
  ChoiceIndex index;
  index.reserve(choices.size());
  for (size_t i = 0; i < choices.size(); ++i) index.emplace(choices[i], i);
  return index;
}

bool operator==(const CategoricalDistribution& a, const CategoricalDistribution& b) {
  if (a.choices.size() != b.choices.size()) return false;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    if (!ParamValueEquals(a.choices[i], b.choices[i])) return false;
  }
  return true;
}

absl::Status ValidateDistribution(const Distribution& d, const std::string& field) {
  return std::visit(
      Overloaded{
          [&](const FloatDistribution& f) { return ValidateFloat(f, field); },
          [&](const IntDistribution& i) { return ValidateInt(i, field); },
          [&](const CategoricalDistribution& c) { return ValidateCategorical(c, field); },
      },
      d);
}

Distribution NormalizeDistribution(const Distribution& d) {
  if (const auto* f = std::get_if<FloatDistribution>(&d); f != nullptr && f->step.has_value()) {
    FloatDistribution out = *f;
    const double exact = (f->high - f->low) / *f->step;
    // Keep `high` untouched when it is already on the grid (within tolerance), as Optuna does.
    if (std::fabs(exact - std::round(exact)) >= kGridTolerance) {
      out.high = f->low + FloatStepCount(f->low, f->high, *f->step) * *f->step;
    }
    return out;
  }
  if (const auto* i = std::get_if<IntDistribution>(&d)) {
    IntDistribution out = *i;
    out.high = i->low + ((i->high - i->low) / i->step) * i->step;
    return out;
  }
  return d;
}

bool IsSingle(const Distribution& d) {
  return std::visit(
      Overloaded{
          [](const FloatDistribution& f) {
            return f.low == f.high || (f.step.has_value() && f.high - f.low < *f.step);
          },
          [](const IntDistribution& i) { return i.low == i.high || i.high - i.low < i.step; },
          [](const CategoricalDistribution& c) { return c.choices.size() == 1; },
      },
      d);
}

bool Contains(const Distribution& d, double internal) {
  if (std::isnan(internal)) return false;
  return std::visit(
      Overloaded{
          [&](const FloatDistribution& f) {
            if (internal < f.low || internal > f.high) return false;
            if (!f.step.has_value()) return true;
            const double k = (internal - f.low) / *f.step;
            return std::fabs(k - std::round(k)) < kGridTolerance;
          },
          [&](const IntDistribution& i) {
            if (!IsIntegral(internal)) return false;
            const double rounded = std::round(internal);
            if (rounded < static_cast<double>(i.low) || rounded > static_cast<double>(i.high)) {
              return false;
            }
            return (static_cast<int64_t>(rounded) - i.low) % i.step == 0;
          },
          [&](const CategoricalDistribution& c) {
            return IsIntegral(internal) && internal >= 0 &&
                   std::round(internal) < static_cast<double>(c.choices.size());
          },
      },
      d);
}

absl::StatusOr<double> ToInternal(const Distribution& d, const ParamValue& v) {
  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    for (size_t i = 0; i < c->choices.size(); ++i) {
      if (ParamValueEquals(c->choices[i], v)) return static_cast<double>(i);
    }
    return absl::InvalidArgumentError(absl::StrCat("value '", ParamValueToString(v),
                                                   "' is not among the choices of ",
                                                   DistributionToString(d)));
  }
  const std::optional<double> number = ParamValueAsNumber(v);
  if (!number.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("value '", ParamValueToString(v),
                                                   "' is not a number, but the distribution is ",
                                                   DistributionToString(d)));
  }
  if (!Contains(d, *number)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "value ", ParamValueToString(v), " is not contained in ", DistributionToString(d)));
  }
  return std::holds_alternative<IntDistribution>(d) ? std::round(*number) : *number;
}

ParamValue ToExternal(const Distribution& d, double internal) {
  return std::visit(
      Overloaded{
          [&](const FloatDistribution&) -> ParamValue { return internal; },
          [&](const IntDistribution&) -> ParamValue {
            return static_cast<int64_t>(std::llround(internal));
          },
          [&](const CategoricalDistribution& c) -> ParamValue {
            // Clamp so that a contract violation never reads out of bounds.
            const double max_index = static_cast<double>(c.choices.size() - 1);
            const double index =
                std::isnan(internal) ? 0.0 : std::clamp(std::round(internal), 0.0, max_index);
            return c.choices[static_cast<size_t>(index)];
          },
      },
      d);
}

std::optional<int64_t> DiscreteSize(const Distribution& d) {
  return std::visit(Overloaded{
                        [](const FloatDistribution& f) -> std::optional<int64_t> {
                          if (f.step.has_value()) {
                            return static_cast<int64_t>(FloatStepCount(f.low, f.high, *f.step)) + 1;
                          }
                          if (f.low == f.high) return 1;
                          return std::nullopt;
                        },
                        [](const IntDistribution& i) -> std::optional<int64_t> {
                          return (i.high - i.low) / i.step + 1;
                        },
                        [](const CategoricalDistribution& c) -> std::optional<int64_t> {
                          return static_cast<int64_t>(c.choices.size());
                        },
                    },
                    d);
}

double DiscreteValue(const Distribution& d, int64_t i) {
  return std::visit(
      Overloaded{
          [&](const FloatDistribution& f) {
            if (!f.step.has_value()) return f.low;
            // Clip so rounding never steps past high.
            return std::min(f.low + static_cast<double>(i) * *f.step, f.high);
          },
          [&](const IntDistribution& n) { return static_cast<double>(n.low + i * n.step); },
          [&](const CategoricalDistribution&) { return static_cast<double>(i); },
      },
      d);
}

const char* DistributionKind(const Distribution& d) {
  return std::visit(Overloaded{
                        [](const FloatDistribution&) { return "float"; },
                        [](const IntDistribution&) { return "int"; },
                        [](const CategoricalDistribution&) { return "categorical"; },
                    },
                    d);
}

std::string DistributionToString(const Distribution& d) {
  return std::visit(
      Overloaded{
          [](const FloatDistribution& f) {
            std::string s =
                absl::StrCat("float [", DoubleToString(f.low), ", ", DoubleToString(f.high), "]");
            if (f.log) absl::StrAppend(&s, " log");
            if (f.step.has_value()) absl::StrAppend(&s, " step ", DoubleToString(*f.step));
            return s;
          },
          [](const IntDistribution& i) {
            std::string s = absl::StrCat("int [", i.low, ", ", i.high, "]");
            if (i.log) absl::StrAppend(&s, " log");
            if (i.step != 1) absl::StrAppend(&s, " step ", i.step);
            return s;
          },
          [](const CategoricalDistribution& c) {
            return absl::StrCat("categorical [",
                                absl::StrJoin(c.choices, ", ",
                                              [](std::string* out, const ParamValue& v) {
                                                out->append(ParamValueToString(v));
                                              }),
                                "]");
          },
      },
      d);
}

}  // namespace nasq
