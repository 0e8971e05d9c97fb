// sampler/math_constants.h: constants the samplers' numerics share.
#ifndef NASQ_SAMPLER_MATH_CONSTANTS_H_
#define NASQ_SAMPLER_MATH_CONSTANTS_H_

#include <limits>

namespace nasq {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace nasq

#endif  // NASQ_SAMPLER_MATH_CONSTANTS_H_
