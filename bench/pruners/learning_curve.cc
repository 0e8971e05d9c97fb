// bench/pruners/learning_curve.cc: see learning_curve.h.
#include "bench/pruners/learning_curve.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

namespace nasq::bench {
namespace {

SearchSpace MakeSpace() {
  std::vector<ParamSpec> params = {
      {"lr", FloatDistribution{1e-4, 1.0, /*log=*/true, std::nullopt}, {}},
      {"width", IntDistribution{16, 512, /*log=*/true, 1}, {}},
      {"dropout", FloatDistribution{0.0, 0.5, /*log=*/false, std::nullopt}, {}},
  };
  return SearchSpace::Create(std::move(params)).value();
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A uniform variate in (0, 1) from 53 random bits.
double OpenUnit(uint64_t bits) { return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53; }

}  // namespace

double StandardNormal(uint64_t seed, int64_t index) {
  const uint64_t h = SplitMix64(SplitMix64(seed) ^ static_cast<uint64_t>(index));
  const double u1 = OpenUnit(h), u2 = OpenUnit(SplitMix64(h));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

const char* CurveFamilyName(CurveFamily family) {
  return family == CurveFamily::kCrossing ? "crossing" : "ordered";
}

LearningCurveSurrogate::LearningCurveSurrogate(CurveFamily family, double noise)
    : space_(MakeSpace()), family_(family), noise_(noise) {}

CurveShape LearningCurveSurrogate::Shape(const InternalParams& params) const {
  const double u = std::log10(params.at("lr"));
  const double width = params.at("width"), dropout = params.at("dropout");
  const double narrow = 1.0 - std::log2(width / 16.0) / 5.0;
  CurveShape shape;
  shape.asymptote = 0.05 + 0.06 * (u + 2.5) * (u + 2.5) + 0.15 * narrow * narrow +
                    0.4 * (dropout - 0.15) * (dropout - 0.15);
  shape.initial = 1.0 + shape.asymptote;
  shape.rate = family_ == CurveFamily::kCrossing
                   ? std::min(1.0, 0.1 * std::pow(10.0, 0.6 * (u + 2.0)))
                   : 0.15 * std::pow(10.0, -0.5 * std::abs(u + 2.5));
  return shape;
}

double LearningCurveSurrogate::Loss(const InternalParams& params, uint64_t seed,
                                    int64_t step) const {
  const CurveShape shape = Shape(params);
  return shape.asymptote +
         (shape.initial - shape.asymptote) * std::exp(-shape.rate * static_cast<double>(step)) +
         noise_ * StandardNormal(seed, step);
}

}  // namespace nasq::bench
