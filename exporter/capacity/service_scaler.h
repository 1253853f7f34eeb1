// One configured service's capacity signal, poll after poll: the delivered-request count, the
// rate window, the service-time estimate, the model (model.h), the evidence memory and the
// smoothed answer, put together. Time comes in with each poll. Not thread-safe (one owner).
#pragma once

#include <chrono>
#include <string>

#include "capacity/delivered_counter.h"
#include "capacity/evidence_memory.h"
#include "capacity/scaling_options.h"
#include "capacity/service_desired.h"
#include "capacity/service_window.h"
#include "capacity/signals.h"
#include "services/service_stats.h"
#include "sources/connz.h"
#include "sources/queue_groups.h"

namespace farrier::capacity {

class ServiceScaler {
 public:
  // `options` gives the windows; `service` is one of its services.
  ServiceScaler(const ServiceConfig& service, const ScalingOptions& options);

  // One poll. `members`: the service's queue-group members, null when unknown this poll (only
  // polls with members feed the window, and the answer holds); `connz`: the same poll's /connz
  // or null; `probes`: the prober's figures for the service, or null.
  ServiceSignal Observe(const QueueGroupView* members, const Connz* connz, const ServiceStats* probes,
                        std::chrono::steady_clock::time_point now);

  const std::string& name() const { return config_.name; }

 private:
  ServiceConfig config_;
  DeliveredCounter delivered_;
  ServiceWindow window_;
  EvidenceMemory memory_;
  ServiceDesiredSmoother desired_;
};

}  // namespace farrier::capacity
