#include "server/http_router.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/http_json.h"

namespace nasq {
namespace {

std::vector<std::string> Segments(absl::string_view path) {
  absl::ConsumePrefix(&path, "/");
  return absl::StrSplit(path, '/');
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether the path `segments` match the pattern's; fills `vars` with the raw (encoded) values.
bool Match(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
           std::map<std::string, std::string>& vars) {
  if (pattern.size() != segments.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    const std::string& s = segments[i];
    if (!absl::StartsWith(p, "{")) {
      if (p != s) return false;
      continue;
    }
    const size_t close = p.find('}');
    const absl::string_view suffix = absl::string_view(p).substr(close + 1);
    if (s.size() <= suffix.size() || !absl::EndsWith(s, suffix)) return false;
    vars[p.substr(1, close - 1)] = s.substr(0, s.size() - suffix.size());
  }
  return true;
}

absl::StatusOr<std::map<std::string, std::string>> ParseQuery(absl::string_view query) {
  std::map<std::string, std::string> params;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    absl::StatusOr<std::string> name = PercentDecode(parts.first, true);
    absl::StatusOr<std::string> value = PercentDecode(parts.second, true);
    if (!name.ok() || !value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter '", parts.first, "': ", (!name.ok() ? name : value).status().message()));
    }
    if (!params.emplace(*name, *value).second) {
      return absl::InvalidArgumentError(absl::StrCat(*name, ": given more than once"));
    }
  }
  return params;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (text[i] != '%') {
      out.push_back(text[i]);
    } else if (i + 2 < text.size() && HexDigit(text[i + 1]) >= 0 && HexDigit(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigit(text[i + 1]) * 16 + HexDigit(text[i + 2])));
      i += 2;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "' is not valid percent-encoding ('%' needs two hex digits)"));
    }
  }
  return out;
}

void HttpRouter::Add(std::string method, std::string pattern, RouteHandler handler) {
  routes_.push_back(Route{std::move(method), Segments(pattern), std::move(handler)});
}

HttpResponse HttpRouter::Handle(const HttpRequest& request) const {
  const size_t question = request.target.find('?');
  const absl::string_view path = absl::string_view(request.target).substr(0, question);
  const std::vector<std::string> segments = Segments(path);
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> raw;
    if (!Match(route.segments, segments, raw)) continue;
    if (route.method != request.method) {
      allowed.push_back(route.method);
      continue;
    }
    RouteRequest routed{request, {}, {}};
    for (const auto& [name, value] : raw) {
      absl::StatusOr<std::string> decoded = PercentDecode(value);
      if (!decoded.ok())
        return JsonError(400, absl::StrCat(name, ": ", decoded.status().message()));
      routed.path[name] = *std::move(decoded);
    }
    if (question != std::string::npos) {
      auto query = ParseQuery(absl::string_view(request.target).substr(question + 1));
      if (!query.ok()) return JsonError(400, query.status().message());
      routed.query = *std::move(query);
    }
    return route.handler(routed);
  }
  if (allowed.empty()) {
    return JsonError(404, absl::StrCat("no route ", request.method, " ", path));
  }
  HttpResponse refused = JsonError(
      405, absl::StrCat(request.method, " ", path,
                        ": method not allowed (allowed: ", absl::StrJoin(allowed, ", "), ")"));
  refused.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
  return refused;
}

}  // namespace nasq
