// Metrics: one prometheus-cpp registry per process, shared by every stage. Stages register
// their own families (names vigia_<stage>_..., bounded labels) against it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace vigia {

// A prometheus-cpp registry that also remembers every family registered through the shorthands
// below. prometheus-cpp leaves a family out of a scrape until it has a series, so reason-labelled
// counters would be invisible until their first event; with the list, every scrape names (HELP
// and TYPE) everything the process exports, which is what dashboards, alert rules and the
// metrics catalogue are checked against.
class MetricsRegistry : public prometheus::Registry {
 public:
  struct FamilyInfo {
    std::string name;
    std::string help;
    prometheus::MetricType type;
  };
  void remember(FamilyInfo family);
  std::vector<FamilyInfo> families() const;

 private:
  mutable std::mutex mu_;
  std::vector<FamilyInfo> families_;
};
using MetricsRegistryPtr = std::shared_ptr<MetricsRegistry>;

// The Prometheus text exposition format (0.0.4) of everything registered; a family without
// series yet is listed by its HELP and TYPE lines alone.
std::string serialize_metrics(const MetricsRegistry& registry);

// Shorthands that keep call sites readable.
prometheus::Family<prometheus::Counter>& counter_family(MetricsRegistry& r, const std::string& name,
                                                        const std::string& help);
prometheus::Family<prometheus::Gauge>& gauge_family(MetricsRegistry& r, const std::string& name,
                                                    const std::string& help);
prometheus::Family<prometheus::Histogram>& histogram_family(MetricsRegistry& r, const std::string& name,
                                                            const std::string& help);

}  // namespace vigia
