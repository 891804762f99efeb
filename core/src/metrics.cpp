#include "vigia/core/metrics.h"

#include <prometheus/text_serializer.h>

namespace vigia {

std::string serialize_metrics(const MetricsRegistry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

prometheus::Family<prometheus::Counter>& counter_family(MetricsRegistry& r, const std::string& name,
                                                         const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>& gauge_family(MetricsRegistry& r, const std::string& name,
                                                     const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Histogram>& histogram_family(MetricsRegistry& r, const std::string& name,
                                                             const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

}  // namespace vigia
