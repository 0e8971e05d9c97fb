// server/rpc_metrics.h: per-method RPC latency histograms, rendered as Prometheus text.
//
// Buckets (seconds) follow Prometheus' defaults from 0.5 ms to 10 s. Thread-safety: all methods
// are thread-safe (one mutex; Observe is a few additions).
#ifndef NASQ_SERVER_RPC_METRICS_H_
#define NASQ_SERVER_RPC_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "core/mutex.h"

namespace nasq {

class RpcMetrics {
 public:
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 10.0};

  // Records one call of `method` that took `seconds` and ended with `code`.
  void Observe(const std::string& method, double seconds, absl::StatusCode code);

  // `nasq_rpc_latency_seconds` histogram and `nasq_rpc_total` counter (by method and code), in
  // the Prometheus text exposition format.
  std::string RenderPrometheus() const;

 private:
  struct Histogram {
    std::array<uint64_t, kBucketsSeconds.size()> buckets{};  // non-cumulative
    uint64_t count = 0;
    double sum = 0.0;
  };
  mutable Mutex mu_;
  std::map<std::string, Histogram> latency_ ABSL_GUARDED_BY(mu_);  // by method
  // (method, code)
  std::map<std::pair<std::string, std::string>, uint64_t> totals_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nasq

#endif  // NASQ_SERVER_RPC_METRICS_H_
