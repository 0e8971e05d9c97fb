// sampler/truncnorm.cc: see truncnorm.h.
#include "sampler/truncnorm.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "sampler/math_constants.h"

namespace nasq::truncnorm {
namespace {

// log(exp(p) + exp(q)).
double LogSum(double p, double q) {
  if (p < q) std::swap(p, q);
  if (q == -kInf) return p;
  return p + std::log1p(std::exp(q - p));
}

// log(exp(p) - exp(q)) for q <= p.
double LogDiff(double p, double q) {
  if (q == -kInf) return p;
  return p + std::log1p(-std::exp(q - p));
}

// log Phi(a) for a <= -20 by the asymptotic expansion of Mills' ratio.
double LogNdtrLeftTail(double a) {
  const double log_lhs = -0.5 * a * a - std::log(-a) - kLogSqrt2Pi;
  double last_total = 0.0;
  double right_hand_side = 1.0;
  double numerator = 1.0;
  double denom_factor = 1.0;
  const double denom_cons = 1.0 / (a * a);
  double sign = 1.0;
  for (int i = 1; std::abs(last_total - right_hand_side) > DBL_EPSILON && i < 200; ++i) {
    last_total = right_hand_side;
    sign = -sign;
    denom_factor *= denom_cons;
    numerator *= 2.0 * i - 1.0;
    right_hand_side += sign * numerator * denom_factor;
  }
  return log_lhs + std::log(right_hand_side);
}

}  // namespace

double Ndtr(double a) { return 0.5 * std::erfc(-a / std::sqrt(2.0)); }

double LogNdtr(double a) {
  if (a > 6.0) return std::log1p(-Ndtr(-a));
  if (a > -20.0) return std::log(Ndtr(a));
  return LogNdtrLeftTail(a);
}

double LogGaussMass(double a, double b) {
  if (b <= 0.0) return LogDiff(LogNdtr(b), LogNdtr(a));
  if (a > 0.0) return LogDiff(LogNdtr(-a), LogNdtr(-b));
  // Central case: 1 - (left tail + right tail) avoids cancellation near mass 1.
  return std::log1p(-Ndtr(a) - Ndtr(-b));
}

double NdtriExp(double y) {
  if (std::isnan(y)) return y;
  if (y == -kInf) return -kInf;
  if (y >= 0.0) return kInf;
  // Near y = 0 solve for -x in the left tail, where log Phi is well conditioned.
  const bool flipped = y > -1e-2;
  const double z = flipped ? std::log(-std::expm1(y)) : y;
  // Initial guess; log Phi is concave and increasing, so Newton converges from anywhere
  // (after the first step the iterates approach the root monotonically from the left).
  double x =
      z < -5.0 ? -std::sqrt(-2.0 * (z + kLogSqrt2Pi)) : (std::exp(z) - 0.5) * std::sqrt(2.0 * M_PI);
  for (int i = 0; i < 100; ++i) {
    const double log_ndtr_x = LogNdtr(x);
    const double dx = (log_ndtr_x - z) * std::exp(log_ndtr_x - NormLogPdf(x));
    x -= dx;
    if (std::abs(dx) <= 1e-15 * std::max(1.0, std::abs(x))) break;
  }
  return flipped ? -x : x;
}

double Ppf(double q, double a, double b) {
  if (q <= 0.0) return a;
  if (q >= 1.0) return b;
  const double log_mass = LogGaussMass(a, b);
  double x;
  if (a < 0.0) {
    x = NdtriExp(LogSum(LogNdtr(a), std::log(q) + log_mass));
  } else {
    x = -NdtriExp(LogSum(LogNdtr(-b), std::log1p(-q) + log_mass));
  }
  return std::clamp(x, a, b);
}

double LogPdf(double x, double a, double b) {
  if (x < a || x > b) return -kInf;
  return NormLogPdf(x) - LogGaussMass(a, b);
}

}  // namespace nasq::truncnorm
