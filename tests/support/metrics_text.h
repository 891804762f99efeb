// Reading a /metrics scrape (Prometheus text format) the way a dashboard query would: samples by
// name and labels, summed over the series that match. Header-only.
#pragma once

#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace vigia::test {

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample line of `text` (comments skipped). Label values are unescaped (\\, \", \n).
inline std::vector<MetricSample> parse_metrics(const std::string& text) {
  std::vector<MetricSample> samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') continue;
    MetricSample s;
    std::size_t i = line.find_first_of("{ ");
    if (i == std::string::npos) continue;
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const std::size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') break;
        const std::string key = line.substr(i, eq - i);
        std::string value;
        std::size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        s.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      i = line.find(' ', i);
      if (i == std::string::npos) continue;
    }
    s.value = std::strtod(line.c_str() + i + 1, nullptr);
    samples.push_back(std::move(s));
  }
  return samples;
}

// The samples named `name` whose labels include every one of `match`.
inline std::vector<MetricSample> metric_samples(const std::string& text, const std::string& name,
                                                const std::map<std::string, std::string>& match = {}) {
  std::vector<MetricSample> out;
  for (auto& s : parse_metrics(text)) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [key, value] : match) {
      auto it = s.labels.find(key);
      all = all && it != s.labels.end() && it->second == value;
    }
    if (all) out.push_back(std::move(s));
  }
  return out;
}

// The sum over metric_samples(); 0 when there is none.
inline double metric_sum(const std::string& text, const std::string& name,
                         const std::map<std::string, std::string>& match = {}) {
  double sum = 0;
  for (const auto& s : metric_samples(text, name, match)) sum += s.value;
  return sum;
}

}  // namespace vigia::test
