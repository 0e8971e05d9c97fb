// cli/axis_ticks.cc: see axis_ticks.h.
#include "cli/axis_ticks.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_format.h"

namespace nasq {
namespace {

constexpr double kPadding = 0.05;       // of the data's range, at each end
constexpr int kScientificDecimals = 7;  // FormatTick writes %g from here on

// The step m x 10^e and its multiple k, exactly as decimals allow: k m / 10^-e when e < 0, so
// that 0.1 x 3 reads 0.3 rather than 0.30000000000000004.
double Multiple(int64_t k, int m, int e) {
  return e >= 0 ? static_cast<double>(k * m) * std::pow(10.0, e)
                : static_cast<double>(k * m) / std::pow(10.0, -e);
}

}  // namespace

AxisTicks NiceTicks(double data_lo, double data_hi, bool integers) {
  double lo = data_lo, hi = data_hi;
  // A range too narrow to tell from its ends' rounding counts as a single value.
  if (!(hi - lo > 1e-9 * std::max(std::abs(lo), std::abs(hi)))) {
    const double half = integers || lo == 0 ? 1.0 : std::abs(lo) * kPadding;
    lo -= half;
    hi += half;
  }
  const double pad = (hi - lo) * kPadding;
  // An end at 0 with every value on one side stays at 0.
  const double padded_lo = data_lo == 0 && data_hi > 0 ? 0.0 : lo - pad;
  const double padded_hi = data_hi == 0 && data_lo < 0 ? 0.0 : hi + pad;
  if (!std::isfinite(padded_hi - padded_lo)) {  // near the largest doubles: just the ends
    return {.lo = lo,
            .hi = hi,
            .step = hi / 2 - lo / 2,
            .values = {lo, hi},
            .decimals = kScientificDecimals};
  }
  AxisTicks axis{.lo = padded_lo, .hi = padded_hi};
  // The smallest 1-2-5 step with at most kMaxTicks multiples in the range: start a decade
  // below range / kMaxTicks and go up.
  int e = static_cast<int>(std::floor(std::log10((axis.hi - axis.lo) / kMaxTicks))) - 1;
  if (integers) e = std::max(e, 0);
  for (;; ++e) {
    for (int m : {1, 2, 5}) {
      const double step = Multiple(1, m, e);
      const auto first = static_cast<int64_t>(std::ceil(axis.lo / step - 1e-9));
      const auto last = static_cast<int64_t>(std::floor(axis.hi / step + 1e-9));
      if (last - first + 1 > kMaxTicks) continue;
      axis.step = step;
      axis.decimals = std::max(0, -e);
      for (int64_t k = first; k <= last; ++k) {
        axis.values.push_back(Multiple(k, m, e));
        axis.labels.push_back(FormatTick(axis.values.back(), axis.decimals));
      }
      return axis;
    }
  }
}

AxisTicks LogTicks(double data_lo, double data_hi) {
  double a = std::log10(data_lo), b = std::log10(data_hi);
  if (!(b > a)) {
    a -= 0.5;
    b += 0.5;
  }
  const double pad = (b - a) * kPadding;
  AxisTicks axis{.lo = a - pad, .hi = b + pad, .log = true, .step = 0};
  const auto first = static_cast<int>(std::floor(axis.lo)),
             last = static_cast<int>(std::ceil(axis.hi));
  const int decades = last - first;
  // Powers of 10 (thinned to every n-th), then 1-2-5 and 1..9 multiples of them.
  const std::vector<int> tiers[] = {{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  std::vector<std::vector<double>> candidates;
  for (const std::vector<int>& multiples : tiers) {
    const int every = multiples.size() == 1 ? (decades + kMaxTicks - 1) / kMaxTicks : 1;
    std::vector<double> values;
    for (int e = first; e <= last; ++e) {
      if (e % std::max(every, 1) != 0) continue;
      for (int m : multiples) {
        const double v = m * std::pow(10.0, e);
        if (std::log10(v) >= axis.lo - 1e-12 && std::log10(v) <= axis.hi + 1e-12) {
          values.push_back(v);
        }
      }
    }
    candidates.push_back(std::move(values));
  }
  // The first tier with 3 to kMaxTicks ticks, else the first with 2.
  for (size_t fewest : {3, 2}) {
    for (const std::vector<double>& values : candidates) {
      if (values.size() < fewest || values.size() > static_cast<size_t>(kMaxTicks)) continue;
      axis.values = values;
      for (double v : values) axis.labels.push_back(absl::StrFormat("%g", v));
      return axis;
    }
  }
  return NiceTicks(data_lo, data_hi);
}

std::string FormatTick(double value, int decimals) {
  if (value == 0) value = 0;  // -0 reads 0
  if (std::abs(value) >= 1e7 || decimals >= kScientificDecimals)
    return absl::StrFormat("%g", value);
  std::string text = absl::StrFormat("%.*f", decimals, value);
  if (text.find_first_not_of("-0.") == std::string::npos && text[0] == '-') text.erase(0, 1);
  return text;
}

}  // namespace nasq
