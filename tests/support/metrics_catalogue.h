// The metrics catalogue, docs/metrics.md, read as data: its tables list every vigia_* family as
// "| `name{label,...}` | type | ...". The deploy tests hold the daemon's scrapes, the dashboard
// and the alert rules to it, so the page cannot drift from the code. Header-only.
#pragma once

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "support/test_paths.h"

namespace vigia::test {

struct CataloguedMetric {
  std::string type;              // counter, gauge or histogram
  std::set<std::string> labels;  // as documented, without the ones Prometheus adds
};

// name -> entry, for every table row of docs/metrics.md that names a vigia_* family.
inline std::map<std::string, CataloguedMetric> metrics_catalogue() {
  std::map<std::string, CataloguedMetric> out;
  std::istringstream lines(read_file(source_dir() / "docs" / "metrics.md"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("| `vigia_", 0) != 0) continue;
    const std::size_t end = line.find('`', 3);
    if (end == std::string::npos) continue;
    std::string name = line.substr(3, end - 3);
    CataloguedMetric m;
    if (const std::size_t brace = name.find('{'); brace != std::string::npos) {
      std::string labels = name.substr(brace + 1, name.size() - brace - 2);
      name.resize(brace);
      std::istringstream parts(labels);
      for (std::string label; std::getline(parts, label, ',');) m.labels.insert(label);
    }
    const std::size_t cell = line.find('|', end);
    const std::size_t next = line.find('|', cell + 1);
    if (cell == std::string::npos || next == std::string::npos) continue;
    m.type = line.substr(cell + 1, next - cell - 1);
    m.type.erase(0, m.type.find_first_not_of(' '));
    m.type.erase(m.type.find_last_not_of(' ') + 1);
    out[name] = m;
  }
  return out;
}

// The family a sample name belongs to: a histogram's _bucket/_sum/_count series name their family.
inline std::string metric_family_of(const std::string& sample_name,
                                    const std::map<std::string, CataloguedMetric>& catalogue) {
  if (catalogue.count(sample_name)) return sample_name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (sample_name.size() > s.size() && sample_name.compare(sample_name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = sample_name.substr(0, sample_name.size() - s.size());
      auto it = catalogue.find(base);
      if (it != catalogue.end() && it->second.type == "histogram") return base;
    }
  }
  return {};
}

}  // namespace vigia::test
