#include "spec/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/limits.h"

namespace nasq {
namespace {

// YAML marks quoted scalars with the non-specific tag "!"; plain scalars carry "?".
bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

bool IsNullText(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> ParseYamlBool(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> ParseYamlInt(const std::string& text) {
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseYamlFloat(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == ".inf" || lower == "+.inf") return std::numeric_limits<double>::infinity();
  if (lower == "-.inf") return -std::numeric_limits<double>::infinity();
  if (lower == ".nan") return std::numeric_limits<double>::quiet_NaN();
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  // from_chars would accept "inf"/"nan"; YAML spells those with a leading dot only.
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s.front())) || s.front() == '-' ||
                     s.front() == '.')) {
    return std::nullopt;
  }
  if (s.front() == '-' && s.size() > 1 && std::isalpha(static_cast<unsigned char>(s[1]))) {
    return std::nullopt;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

YamlScalar TypeScalar(const YAML::Node& node) {
  if (node.IsNull()) return YamlNull{};
  const std::string& text = node.Scalar();
  if (IsQuoted(node)) return text;
  if (IsNullText(text)) return YamlNull{};
  if (auto b = ParseYamlBool(text)) return *b;
  if (auto i = ParseYamlInt(text)) return *i;
  if (auto d = ParseYamlFloat(text)) return *d;
  return text;
}

absl::StatusOr<nlohmann::ordered_json> YamlToJson(const YAML::Node& node, const std::string& path,
                                                  const YamlErrorFn& error) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nlohmann::ordered_json(nullptr);
    case YAML::NodeType::Scalar: {
      // JSON text must be UTF-8 (nlohmann's dump() throws on anything else).
      if (!IsValidUtf8(node.Scalar())) return error(node, path, "must be valid UTF-8");
      YamlScalar v = TypeScalar(node);
      return std::visit(
          [](const auto& x) -> nlohmann::ordered_json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, YamlNull>) {
              return nullptr;
            } else if constexpr (std::is_same_v<T, double>) {
              // JSON has no NaN/inf; nlohmann would write null silently, so keep the YAML text.
              if (!std::isfinite(x)) return std::isnan(x) ? ".nan" : (x > 0 ? ".inf" : "-.inf");
              return x;
            } else {
              return x;
            }
          },
          v);
    }
    case YAML::NodeType::Sequence: {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        auto item = YamlToJson(node[i], absl::StrCat(path, "[", i, "]"), error);
        if (!item.ok()) return item.status();
        out.push_back(*std::move(item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::ordered_json out = nlohmann::ordered_json::object();
      std::set<std::string> seen;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) return error(kv.first, path, "mapping keys must be scalars");
        const std::string& key = kv.first.Scalar();
        if (!IsValidUtf8(key)) return error(kv.first, path, "mapping keys must be valid UTF-8");
        const std::string child = absl::StrCat(path, ".", key);
        if (!seen.insert(key).second) return error(kv.first, child, "duplicate key");
        auto value = YamlToJson(kv.second, child, error);
        if (!value.ok()) return value.status();
        // Appended directly: the key is new (`seen`), and ordered_json's operator[] would scan
        // every key before it, quadratic in the size of the mapping.
        out.get_ref<nlohmann::ordered_json::object_t&>().emplace_back(key, *std::move(value));
      }
      return out;
    }
  }
  return nlohmann::ordered_json(nullptr);
}

}  // namespace nasq
