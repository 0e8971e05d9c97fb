#include "server/rpc_metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace nasq {

void RpcMetrics::Observe(const std::string& method, double seconds, absl::StatusCode code) {
  MutexLock lock(&mu_);
  Histogram& h = latency_[method];
  for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    if (seconds <= kBucketsSeconds[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
  ++totals_[{method, absl::StatusCodeToString(code)}];
}

std::string RpcMetrics::RenderPrometheus() const {
  MutexLock lock(&mu_);
  std::string out =
      "# HELP nasq_rpc_latency_seconds gRPC handler latency by method.\n"
      "# TYPE nasq_rpc_latency_seconds histogram\n";
  for (const auto& [method, h] : latency_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
      cumulative += h.buckets[i];
      absl::StrAppend(&out, "nasq_rpc_latency_seconds_bucket{method=\"", method, "\",le=\"",
                      absl::StrFormat("%g", kBucketsSeconds[i]), "\"} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "nasq_rpc_latency_seconds_bucket{method=\"", method, "\",le=\"+Inf\"} ",
                    h.count, "\n");
    absl::StrAppend(&out, "nasq_rpc_latency_seconds_sum{method=\"", method, "\"} ",
                    absl::StrFormat("%.9g", h.sum), "\n");
    absl::StrAppend(&out, "nasq_rpc_latency_seconds_count{method=\"", method, "\"} ", h.count,
                    "\n");
  }
  absl::StrAppend(&out,
                  "# HELP nasq_rpc_total gRPC calls by method and status code.\n"
                  "# TYPE nasq_rpc_total counter\n");
  for (const auto& [key, n] : totals_) {
    absl::StrAppend(&out, "nasq_rpc_total{method=\"", key.first, "\",code=\"", key.second, "\"} ",
                    n, "\n");
  }
  return out;
}

}  // namespace nasq
