// A safety net against series explosions: at most N series per metric family in one scrape.
// The source-specific limits (--connz.detail-limit, --jsz.*-limit, --queuegroups.limit) choose
// *which* objects to export; this cap catches whatever they do not (a new label, a bug, a server
// with far more objects than anyone planned for) before it reaches Prometheus.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace farrier {

// Keeps the first `max_per_family` series of every family, in rendered order (the order of the
// objects in the snapshot), and returns how many it left out of each family that had more. 0
// means no limit.
std::map<std::string, uint64_t> LimitSeries(std::vector<prometheus::MetricFamily>& families, size_t max_per_family);

// nats_exporter_series_dropped{family}: what LimitSeries left out of this scrape. A gauge of the
// scrape itself, not a count over scrapes, so its value does not depend on how many scrapers
// there are (every scrape of one snapshot drops the same series).
prometheus::MetricFamily SeriesDroppedFamily(const std::map<std::string, uint64_t>& dropped);

}  // namespace farrier
