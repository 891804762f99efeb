#include "vigia/core/metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <set>

namespace vigia {

void MetricsRegistry::remember(FamilyInfo family) {
  std::lock_guard lock(mu_);
  const bool known =
      std::any_of(families_.begin(), families_.end(), [&](const FamilyInfo& f) { return f.name == family.name; });
  if (!known) families_.push_back(std::move(family));
}

std::vector<MetricsRegistry::FamilyInfo> MetricsRegistry::families() const {
  std::lock_guard lock(mu_);
  return families_;
}

std::string serialize_metrics(const MetricsRegistry& registry) {
  auto collected = registry.Collect();
  std::set<std::string> present;
  for (const auto& f : collected) present.insert(f.name);
  for (const auto& f : registry.families()) {
    if (present.count(f.name)) continue;
    prometheus::MetricFamily empty;
    empty.name = f.name;
    empty.help = f.help;
    empty.type = f.type;
    collected.push_back(std::move(empty));
  }
  return prometheus::TextSerializer().Serialize(collected);
}

prometheus::Family<prometheus::Counter>& counter_family(MetricsRegistry& r, const std::string& name,
                                                        const std::string& help) {
  r.remember({name, help, prometheus::MetricType::Counter});
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>& gauge_family(MetricsRegistry& r, const std::string& name,
                                                    const std::string& help) {
  r.remember({name, help, prometheus::MetricType::Gauge});
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Histogram>& histogram_family(MetricsRegistry& r, const std::string& name,
                                                            const std::string& help) {
  r.remember({name, help, prometheus::MetricType::Histogram});
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

}  // namespace vigia
