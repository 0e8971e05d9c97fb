// cli/axis_ticks.h: the range and tick marks of a chart's numeric axis, for every plot the CLI
// draws (cli/svg_plot.h; a terminal plot would use the same).
//
// Ticks sit at the multiples of a "nice" step, 1, 2 or 5 x 10^k: the smallest such step that
// puts at most kMaxTicks ticks on the axis (at least 1 on an axis of integers, such as trial
// numbers). The axis is the data's range widened by 5% at each end, so that no mark sits on the
// frame; an end at 0 with every value on one side of it stays at 0 (bars, counts). A single
// value is widened to a range around it first (+-1 for integers and for 0, +-5% otherwise).
// Thread-safety: pure functions.
#ifndef NASQ_CLI_AXIS_TICKS_H_
#define NASQ_CLI_AXIS_TICKS_H_

#include <string>
#include <vector>

namespace nasq {

inline constexpr int kMaxTicks = 7;

struct AxisTicks {
  double lo = 0, hi = 1;       // the axis' range, lo < hi
  double step = 1;             // 1, 2 or 5 x 10^k
  std::vector<double> values;  // the multiples of step in [lo, hi], ascending (at least 2)
  int decimals = 0;            // digits after the point that the step needs
};

// The axis for data in [data_lo, data_hi] (finite, data_lo <= data_hi; a range that overflows
// gets its two ends as ticks); `integers`: the data are whole numbers and so must the ticks be.
AxisTicks NiceTicks(double data_lo, double data_hi, bool integers = false);

// A tick's label: fixed point with `decimals` digits ("0.92", "2000", never "-0"); scientific
// ("1e+08", "2.5e-07") for magnitudes of 1e7 and above or decimals beyond 6.
std::string FormatTick(double value, int decimals);

}  // namespace nasq

#endif  // NASQ_CLI_AXIS_TICKS_H_
