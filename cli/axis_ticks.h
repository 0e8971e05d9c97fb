// cli/axis_ticks.h: the range and tick marks of a chart's numeric axis, for every plot the CLI
// draws (cli/svg_plot.h; a terminal plot would use the same).
//
// Linear axes tick at the multiples of a "nice" step, 1, 2 or 5 x 10^k: the smallest such step that
// puts at most kMaxTicks ticks on the axis (at least 1 on an axis of integers, such as trial
// numbers). The axis is the data's range widened by 5% at each end, so that no mark sits on the
// frame; an end at 0 with every value on one side of it stays at 0 (bars, counts). A single
// value is widened to a range around it first (+-1 for integers and for 0, +-5% otherwise).
// Thread-safety: pure functions.
#ifndef NASQ_CLI_AXIS_TICKS_H_
#define NASQ_CLI_AXIS_TICKS_H_

#include <cmath>
#include <string>
#include <vector>

namespace nasq {

inline constexpr int kMaxTicks = 7;

struct AxisTicks {
  double lo = 0, hi = 1;            // the axis' range, lo < hi; log10 of the data's when `log`
  bool log = false;                 // a logarithmic axis (LogTicks)
  double step = 1;                  // linear axes: 1, 2 or 5 x 10^k
  std::vector<double> values;       // the ticks in the data's units, ascending (at least 2)
  std::vector<std::string> labels;  // one per value: FormatTick's, "%g" on a log axis
  int decimals = 0;                 // linear axes: digits after the point that the step needs

  // Where data value `v` (> 0 on a log axis) lies on the axis, in the units of lo and hi.
  double Position(double v) const { return log ? std::log10(v) : v; }
};

// The axis for data in [data_lo, data_hi] (finite, data_lo <= data_hi; a range that overflows
// gets its two ends as ticks); `integers`: the data are whole numbers and so must the ticks be.
AxisTicks NiceTicks(double data_lo, double data_hi, bool integers = false);

// A logarithmic axis for positive data in [data_lo, data_hi] (a log-scale param such as a
// learning rate), padded by 5% of its decades at each end (a single value: half a decade).
// Ticks at the powers of 10 (every n-th when there are more than kMaxTicks), or at 1, 2 and 5
// times them, or at 1..9 times them, whichever first gives at least 3; a range too narrow for
// 2 of those gets NiceTicks' linear axis instead (log false).
AxisTicks LogTicks(double data_lo, double data_hi);

// A tick's label: fixed point with `decimals` digits ("0.92", "2000", never "-0"); scientific
// ("1e+08", "2.5e-07") for magnitudes of 1e7 and above or decimals beyond 6.
std::string FormatTick(double value, int decimals);

}  // namespace nasq

#endif  // NASQ_CLI_AXIS_TICKS_H_
