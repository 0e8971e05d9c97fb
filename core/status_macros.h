// core/status_macros.h: helpers for propagating absl::Status / absl::StatusOr<T>.
//
// Errors cross module boundaries as absl::Status (docs/design.md, "Conventions"). These macros
// keep the early-return pattern short. Thread-safety: macros only; no state.
#ifndef NASQ_CORE_STATUS_MACROS_H_
#define NASQ_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if not OK.
#define NASQ_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::absl::Status nasq_status_ = (expr);        \
    if (!nasq_status_.ok()) return nasq_status_; \
  } while (0)

#define NASQ_STATUS_CONCAT_INNER_(a, b) a##b
#define NASQ_STATUS_CONCAT_(a, b) NASQ_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, else moves the value
// into `lhs` (which may be a declaration such as `auto x`).
#define NASQ_ASSIGN_OR_RETURN(lhs, rexpr) \
  NASQ_ASSIGN_OR_RETURN_IMPL_(NASQ_STATUS_CONCAT_(nasq_statusor_, __LINE__), lhs, rexpr)
#define NASQ_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#endif  // NASQ_CORE_STATUS_MACROS_H_
