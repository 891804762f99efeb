// Metrics: one prometheus-cpp registry per process, shared by every stage. Stages register
// their own families (names vigia_<stage>_..., bounded labels) against it.
#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace vigia {

using MetricsRegistry = prometheus::Registry;
using MetricsRegistryPtr = std::shared_ptr<prometheus::Registry>;

// The Prometheus text exposition format (0.0.4) of everything registered.
std::string serialize_metrics(const MetricsRegistry& registry);

// Shorthands that keep call sites readable.
prometheus::Family<prometheus::Counter>& counter_family(MetricsRegistry& r, const std::string& name,
                                                         const std::string& help);
prometheus::Family<prometheus::Gauge>& gauge_family(MetricsRegistry& r, const std::string& name,
                                                     const std::string& help);
prometheus::Family<prometheus::Histogram>& histogram_family(MetricsRegistry& r, const std::string& name,
                                                             const std::string& help);

}  // namespace vigia
