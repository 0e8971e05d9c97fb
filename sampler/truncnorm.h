// sampler/truncnorm.h: numerically careful standard-normal and truncated-normal primitives.
//
// A port of the algorithms in Optuna's samplers/_tpe/_truncnorm.py (themselves from SciPy):
// log Phi with an asymptotic series in the far left tail, log Gaussian mass of an interval
// computed on the accurate side of the symmetry, and the truncated-normal inverse CDF through
// ndtri_exp (the inverse of log Phi) solved with Newton's method. All arguments are standardised
// (z = (x - mu) / sigma); truncation bounds satisfy a < b. Pure functions; thread-safe.
#ifndef NASQ_SAMPLER_TRUNCNORM_H_
#define NASQ_SAMPLER_TRUNCNORM_H_

namespace nasq::truncnorm {

// log(sqrt(2 pi)).
inline constexpr double kLogSqrt2Pi = 0.91893853320467274178;

// Standard normal CDF Phi(a).
double Ndtr(double a);

// log Phi(a), accurate for every finite a (asymptotic series below -20).
double LogNdtr(double a);

// log of the standard normal density at x.
inline double NormLogPdf(double x) { return -0.5 * x * x - kLogSqrt2Pi; }

// log(Phi(b) - Phi(a)) for a <= b; -inf when a == b.
double LogGaussMass(double a, double b);

// The x with log Phi(x) = y, for y <= 0 (-inf maps to -inf, 0 to +inf).
double NdtriExp(double y);

// Inverse CDF of the standard normal truncated to [a, b] at probability q in [0, 1]; the result
// lies in [a, b].
double Ppf(double q, double a, double b);

// log density at x of the standard normal truncated to [a, b]; -inf outside [a, b].
double LogPdf(double x, double a, double b);

}  // namespace nasq::truncnorm

#endif  // NASQ_SAMPLER_TRUNCNORM_H_
