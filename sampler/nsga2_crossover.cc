// sampler/nsga2_crossover.cc: see nsga2_crossover.h. Each crossover follows its file in
// optuna/samplers/nsgaii/_crossovers/ (Optuna 5), equation for equation.
#include "sampler/nsga2_crossover.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <variant>

#include "sampler/rng.h"

namespace nasq {
namespace {

using Vector = std::vector<double>;

// Optuna's half-to-even np.round / Python round (the default floating-point rounding mode).
double RoundHalfEven(double x) { return std::nearbyint(x); }

Vector Uniform(const CrossoverSetting& s, const std::vector<Vector>& p, std::mt19937_64& rng) {
  Vector child(s.bounds.size());
  for (size_t i = 0; i < child.size(); ++i) {
    child[i] = UniformDouble(rng) >= s.options->swapping_prob ? p[1][i] : p[0][i];
  }
  return child;
}

Vector BlxAlpha(const CrossoverSetting& s, const std::vector<Vector>& p, std::mt19937_64& rng) {
  Vector child(s.bounds.size());
  for (size_t i = 0; i < child.size(); ++i) {
    const double lo = std::min(p[0][i], p[1][i]);
    const double hi = std::max(p[0][i], p[1][i]);
    const double diff = s.options->alpha * (hi - lo);  // Equation (1)
    child[i] = (hi + diff - (lo - diff)) * UniformDouble(rng) + (lo - diff);
  }
  return child;
}

double Eta(const CrossoverSetting& s) {
  if (s.options->eta > 0.0) return s.options->eta;
  return s.multi_objective ? 20.0 : 2.0;
}

// SBX and vSBX make two children c1, c2 and keep one, gene by gene mixing them (or the parents)
// as Optuna does.
Vector OneOfTwoChildren(const CrossoverSetting& s, const Vector& c1, const Vector& c2,
                        const std::vector<Vector>& p, std::mt19937_64& rng) {
  Vector child1(c1.size()), child2(c1.size());
  for (size_t i = 0; i < c1.size(); ++i) {
    const bool use_child = UniformDouble(rng) < s.options->use_child_gene_prob;
    const double a = use_child ? c1[i] : p[0][i];
    const double b = use_child ? c2[i] : p[1][i];
    const bool keep = UniformDouble(rng) >= s.options->uniform_crossover_prob;
    child1[i] = keep ? a : b;
    child2[i] = keep ? b : a;
  }
  return UniformDouble(rng) < 0.5 ? child1 : child2;
}

Vector Sbx(const CrossoverSetting& s, const std::vector<Vector>& p, std::mt19937_64& rng) {
  const size_t n = s.bounds.size();
  const double eta = Eta(s);
  Vector c1(n), c2(n);
  for (size_t i = 0; i < n; ++i) {
    const auto [xl, xu] = s.bounds[i];
    const double x_min = std::min(p[0][i], p[1][i]);
    const double x_max = std::max(p[0][i], p[1][i]);
    const double diff = std::max(x_max - x_min, 1e-10);
    const double beta1 = 1 + 2 * (x_min - xl) / diff;
    const double beta2 = 1 + 2 * (xu - x_max) / diff;
    const double alpha1 = 2 - std::pow(beta1, -(eta + 1));
    const double alpha2 = 2 - std::pow(beta2, -(eta + 1));
    const double u = UniformDouble(rng);
    // Equation (3), with Optuna's alpha1/alpha2 that keep the children inside the bounds.
    auto betaq = [&](double alpha) {
      return u > 1 / alpha ? std::pow(1 / (2 - u * alpha), 1 / (eta + 1))
                           : std::pow(u * alpha, 1 / (eta + 1));
    };
    c1[i] = 0.5 * ((x_min + x_max) - betaq(alpha1) * diff);  // Equation (4)
    c2[i] = 0.5 * ((x_min + x_max) + betaq(alpha2) * diff);  // Equation (5)
  }
  return OneOfTwoChildren(s, c1, c2, p, rng);
}

Vector Vsbx(const CrossoverSetting& s, const std::vector<Vector>& p, std::mt19937_64& rng) {
  const size_t n = s.bounds.size();
  const double eta = Eta(s);
  constexpr double kEps = 1e-10;
  Vector beta1(n), beta2(n);
  for (size_t i = 0; i < n; ++i) {
    const double u = UniformDouble(rng);
    beta1[i] = std::pow(1 / std::max(2 * u, kEps), 1 / (eta + 1));
    beta2[i] = std::pow(1 / std::max(2 * (1 - u), kEps), 1 / (eta + 1));
  }
  const bool first_low = UniformDouble(rng) <= 0.5;
  const bool second_low = UniformDouble(rng) <= 0.5;
  Vector c1(n), c2(n);
  for (size_t i = 0; i < n; ++i) {
    const double x1 = p[0][i], x2 = p[1][i];
    c1[i] = first_low ? 0.5 * ((1 + beta1[i]) * x1 + (1 - beta2[i]) * x2)
                      : 0.5 * ((1 - beta1[i]) * x1 + (1 + beta2[i]) * x2);
    c2[i] = second_low ? 0.5 * ((3 - beta1[i]) * x1 - (1 - beta2[i]) * x2)
                       : 0.5 * (-(1 - beta1[i]) * x1 + (3 - beta2[i]) * x2);
  }
  return OneOfTwoChildren(s, c1, c2, p, rng);
}

Vector Spx(const CrossoverSetting& s, const std::vector<Vector>& p, std::mt19937_64& rng) {
  const size_t n = s.bounds.size();
  const size_t k = p.size();  // 3 parents
  Vector g(n, 0.0);           // Equation (1): the centre of mass
  for (const Vector& parent : p) {
    for (size_t i = 0; i < n; ++i) g[i] += parent[i] / static_cast<double>(k);
  }
  Vector r(k - 1);  // Equation (2)
  for (size_t j = 0; j + 1 < k; ++j) r[j] = std::pow(UniformDouble(rng), 1.0 / (j + 1));
  const double epsilon =
      s.options->epsilon > 0.0 ? s.options->epsilon : std::sqrt(static_cast<double>(n) + 2);
  std::vector<Vector> x(k, Vector(n));  // Equation (3)
  for (size_t j = 0; j < k; ++j) {
    for (size_t i = 0; i < n; ++i) x[j][i] = g[i] + epsilon * (p[j][i] - g[i]);
  }
  Vector c(n, 0.0);  // Equation (4)
  for (size_t j = 1; j < k; ++j) {
    for (size_t i = 0; i < n; ++i) c[i] = r[j - 1] * (x[j - 1][i] - x[j][i] + c[i]);
  }
  Vector child(n);  // Equation (5)
  for (size_t i = 0; i < n; ++i) child[i] = x[k - 1][i] + c[i];
  return child;
}

double Dot(const Vector& a, const Vector& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

// n - 1 orthonormal vectors orthogonal to unit vector `e` (or, when `e` is zero, the standard
// basis vectors 2..n), by Gram-Schmidt on e, e_1, ..., e_n. Optuna takes them from a QR
// decomposition; they may differ by sign and rotation, which the symmetric normal draws that
// weigh them do not see.
std::vector<Vector> OrthogonalBasis(const Vector& e) {
  const size_t n = e.size();
  std::vector<Vector> basis;
  if (Dot(e, e) > 0.0) basis.push_back(e);
  for (size_t j = 0; j < n && basis.size() < n; ++j) {
    Vector v(n, 0.0);
    v[j] = 1.0;
    for (const Vector& b : basis) {
      const double d = Dot(v, b);
      for (size_t i = 0; i < n; ++i) v[i] -= d * b[i];
    }
    const double norm = std::sqrt(Dot(v, v));
    if (norm < 1e-10) continue;
    for (double& x : v) x /= norm;
    basis.push_back(std::move(v));
  }
  basis.erase(basis.begin());
  return basis;
}

Vector Undx(const CrossoverSetting& s, const std::vector<Vector>& p, std::mt19937_64& rng) {
  const size_t n = s.bounds.size();
  Vector xp(n), d(n), v12(n);
  for (size_t i = 0; i < n; ++i) {
    xp[i] = (p[0][i] + p[1][i]) / 2;  // Section 2 (2)
    d[i] = p[0][i] - p[1][i];         // Section 2 (3)
    v12[i] = p[1][i] - p[0][i];
  }
  const double sigma_eta =
      s.options->sigma_eta > 0.0 ? s.options->sigma_eta : 0.35 / std::sqrt(static_cast<double>(n));
  // Optuna draws with standard deviations sigma^2 (rng.normal(0, sigma**2)); so does nasq.
  Vector etas(n);
  for (double& eta : etas) eta = StandardNormal(rng) * sigma_eta * sigma_eta;
  const double xi = StandardNormal(rng) * s.options->sigma_xi * s.options->sigma_xi;
  Vector child(n);
  for (size_t i = 0; i < n; ++i) child[i] = xp[i] + xi * d[i];  // Section 2 (5)
  if (n == 1) return child;
  const double norm12 = std::max(std::sqrt(Dot(v12, v12)), 1e-10);
  Vector e12(n);
  for (size_t i = 0; i < n; ++i) e12[i] = v12[i] / norm12;
  // Section 2 (4): distance from the third parent to the line through the first two.
  Vector v13(n);
  for (size_t i = 0; i < n; ++i) v13[i] = p[2][i] - p[0][i];
  const double along = Dot(v13, e12);
  for (size_t i = 0; i < n; ++i) v13[i] -= along * e12[i];
  const double distance = std::sqrt(Dot(v13, v13));
  const std::vector<Vector> basis = OrthogonalBasis(e12);
  for (size_t j = 0; j < basis.size() && j + 1 < n; ++j) {
    for (size_t i = 0; i < n; ++i) child[i] += distance * etas[j] * basis[j][i];
  }
  return child;
}

}  // namespace

int CrossoverParents(Nsga2Crossover crossover) {
  return crossover == Nsga2Crossover::kSpx || crossover == Nsga2Crossover::kUndx ? 3 : 2;
}

double TransformNumeric(const Distribution& d, double internal) {
  const bool log = std::visit(
      [](const auto& dist) {
        if constexpr (std::is_same_v<std::decay_t<decltype(dist)>, CategoricalDistribution>) {
          return false;
        } else {
          return dist.log;
        }
      },
      d);
  return log ? std::log(internal) : internal;
}

double UntransformNumeric(const Distribution& d, double x) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    const double below_high = std::nextafter(f->high, f->high - 1);
    if (f->log) {
      const double value = std::exp(x);
      return f->low == f->high ? value : std::clamp(value, f->low, below_high);
    }
    if (f->step) {
      return std::clamp(RoundHalfEven((x - f->low) / *f->step) * *f->step + f->low, f->low,
                        f->high);
    }
    return f->low == f->high ? x : std::min(x, below_high);
  }
  const auto& i = std::get<IntDistribution>(d);
  const double low = static_cast<double>(i.low), high = static_cast<double>(i.high);
  if (i.log) return std::clamp(RoundHalfEven(std::exp(x)), low, high);
  const double step = static_cast<double>(i.step);
  return std::clamp(std::floor((x - low) / step + 0.5) * step + low, low, high);
}

std::vector<double> CrossOver(const CrossoverSetting& setting,
                              const std::vector<std::vector<double>>& parents,
                              std::mt19937_64& rng) {
  switch (setting.options->crossover) {
    case Nsga2Crossover::kUniform:
      return Uniform(setting, parents, rng);
    case Nsga2Crossover::kBlxAlpha:
      return BlxAlpha(setting, parents, rng);
    case Nsga2Crossover::kSbx:
      return Sbx(setting, parents, rng);
    case Nsga2Crossover::kVsbx:
      return Vsbx(setting, parents, rng);
    case Nsga2Crossover::kSpx:
      return Spx(setting, parents, rng);
    case Nsga2Crossover::kUndx:
      return Undx(setting, parents, rng);
  }
  return Uniform(setting, parents, rng);
}

}  // namespace nasq
