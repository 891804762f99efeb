#include "vigia/core/yaml_doc.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigia {

YamlDoc::YamlDoc(std::string file, std::string text, Diagnostics& diags)
    : file_(std::move(file)), text_(std::move(text)), diags_(&diags) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
  try {
    root_ = YAML::Load(text_);
    ok_ = true;
  } catch (const YAML::Exception& e) {
    // yaml-cpp marks are 0-based; diagnostics are 1-based.
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    const int column = e.mark.is_null() ? 0 : e.mark.column + 1;
    diags.error("yaml.syntax", e.msg, {file_, line, column}, line_text(line));
  }
}

YamlDoc YamlDoc::load_file(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error("io.read", "cannot read file: " + std::string(std::strerror(errno)), {path, 0, 0});
    Diagnostics ignored;
    YamlDoc doc(path, "", ignored);
    doc.ok_ = false;
    doc.diags_ = &diags;
    return doc;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return YamlDoc(path, buf.str(), diags);
}

SourceLocation YamlDoc::where(const YAML::Node& node) const {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return {file_, 0, 0};
  return {file_, m.line + 1, m.column + 1};
}

std::string YamlDoc::resolve_path(const std::string& path) const {
  if (path.empty() || path.front() == '/') return path;
  const std::filesystem::path base = std::filesystem::path(file_).parent_path();
  return (base / path).lexically_normal().string();
}

std::string YamlDoc::line_text(int line) const {
  if (line < 1 || static_cast<std::size_t>(line) > line_starts_.size()) return {};
  const std::size_t start = line_starts_[static_cast<std::size_t>(line - 1)];
  std::size_t end = text_.find('\n', start);
  if (end == std::string::npos) end = text_.size();
  if (end > start && text_[end - 1] == '\r') --end;
  return text_.substr(start, end - start);
}

void YamlDoc::error(const YAML::Node& at, std::string code, std::string message) const {
  const SourceLocation loc = where(at);
  diags_->error(std::move(code), std::move(message), loc, line_text(loc.line));
}

void YamlDoc::warning(const YAML::Node& at, std::string code, std::string message) const {
  const SourceLocation loc = where(at);
  diags_->warning(std::move(code), std::move(message), loc, line_text(loc.line));
}

bool YamlDoc::check_keys(const YAML::Node& node, const std::vector<std::string>& allowed, std::string_view prefix,
                         std::string_view what) const {
  if (!node.IsMap()) {
    error(node, std::string(prefix) + ".type", std::string(what) + " must be a mapping");
    return false;
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = "unknown key '" + key + "' in " + std::string(what);
    const std::string suggestion = closest_match(key, allowed);
    if (!suggestion.empty()) {
      msg += " (did you mean '" + suggestion + "'?)";
    } else {
      msg += " (valid keys:";
      for (const auto& a : allowed) msg += " " + a;
      msg += ")";
    }
    error(kv.first, std::string(prefix) + ".unknown-key", msg);
  }
  return true;
}

std::optional<std::string> YamlDoc::string_at(const YAML::Node& node, std::string_view prefix) const {
  if (!node.IsScalar()) {
    error(node, std::string(prefix) + ".type", "expected a string");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<double> YamlDoc::number_at(const YAML::Node& node, std::string_view prefix) const {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) return v;
  }
  error(node, std::string(prefix) + ".type", "expected a number");
  return std::nullopt;
}

std::optional<long long> YamlDoc::integer_at(const YAML::Node& node, std::string_view prefix) const {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && ptr == s.data() + s.size()) return v;
  }
  error(node, std::string(prefix) + ".type", "expected an integer");
  return std::nullopt;
}

std::optional<bool> YamlDoc::bool_at(const YAML::Node& node, std::string_view prefix) const {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  error(node, std::string(prefix) + ".type", "expected true or false");
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> YamlDoc::duration_at(const YAML::Node& node, std::string_view prefix) const {
  if (node.IsScalar()) {
    if (auto d = parse_duration(node.Scalar())) return d;
  }
  error(node, std::string(prefix) + ".type", "expected a duration such as 90s, 15m, 2h or 500ms");
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlDoc::strings_at(const YAML::Node& node, std::string_view prefix) const {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (node.IsSequence()) {
    for (const auto& e : node) {
      if (!e.IsScalar()) {
        error(e, std::string(prefix) + ".type", "expected a string");
        return std::nullopt;
      }
      out.push_back(e.Scalar());
    }
    return out;
  }
  error(node, std::string(prefix) + ".type", "expected a string or a list of strings");
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return std::nullopt;
  const std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  double ms = 0;
  if (unit.empty() || unit == "s") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m") {
    ms = value * 60'000;
  } else if (unit == "h") {
    ms = value * 3'600'000;
  } else if (unit == "d") {
    ms = value * 86'400'000;
  } else {
    return std::nullopt;
  }
  return std::chrono::milliseconds{static_cast<std::int64_t>(ms)};
}

}  // namespace vigia
