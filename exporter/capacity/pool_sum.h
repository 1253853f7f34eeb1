// Cluster mode's answer for a service whose members are spread over several servers: the sum of
// per-server answers, not one pooled Erlang answer. NATS hands a request to a member on the
// server it was published on when there is one (NOTES: local preference), so each server's
// members serve that server's traffic, and each part is sized like a sidecar would size it
// (docs/capacity.md, "Cluster-wide: sum first, then size"). Pure.
#pragma once

#include <vector>

#include "capacity/signals.h"
#include "services/definitions.h"

namespace farrier::capacity {

// One signal for `service` from its per-server parts (each sized with min_workers 0): counts,
// rates, demand and desired workers are summed and the desired counts bounded by the service's
// min_workers/max_workers; utilization is Σ demand / Σ workers; ratios and waits are weighted by
// each part's arrival rate; the worst p99 counts. Members are known only when every part's are.
ServiceSignal SumServiceSignals(const ServiceConfig& service, const std::vector<ServiceSignal>& parts);

}  // namespace farrier::capacity
