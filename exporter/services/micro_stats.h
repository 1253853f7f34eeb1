// NATS "micro" services (ADR-32, protocol v1): the $SRV.STATS response and per-endpoint
// counters that stay monotonic while instances come and go.
//
// A service is every instance answering under one name; each instance has a random id, its own
// counters since it started (or since its last Reset()), and may disappear at any time. A
// Prometheus counter per endpoint must therefore be built from many short-lived sources
// without ever going down: MicroCounters keeps the last values of each instance and a base of
// values from instances that reset or went away. Pure code: no I/O, no clock of its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace farrier {

struct MicroEndpointStats {
  std::string name, subject, queue_group;  // queue_group is "" when the instance omits it
  uint64_t num_requests = 0, num_errors = 0;
  double processing_seconds = 0;  // processing_time (integer nanoseconds on the wire)
  std::string last_error;
};

struct MicroStatsResponse {
  std::string name, id, version;
  std::string started;  // RFC 3339 as sent; changes when the instance resets its stats
  std::vector<MicroEndpointStats> endpoints;
};

// One io.nats.micro.v1.stats_response body. Strict about the fields the counters use (name, id,
// version, endpoints and each endpoint's name, subject, num_requests, num_errors,
// processing_time: present, right type, not negative); optional ones (queue_group, last_error,
// started, average_processing_time) only need the right type when present. Errors read
// "micro stats: $.endpoints[0].num_requests: expected unsigned integer, got string".
Result<MicroStatsResponse> ParseMicroStats(std::string_view json);

// Per-endpoint totals of one service across its instances, for counters that never go down
// except when farrier itself restarts. Not thread-safe: one owner updates and reads it.
class MicroCounters {
 public:
  // Instances not seen for `retire_after` are folded into the retired base and forgotten, so
  // memory is bounded by the instances of the last `retire_after`. At most `max_endpoints`
  // distinct endpoint names are tracked; later ones are ignored (see dropped_endpoints()).
  explicit MicroCounters(std::chrono::steady_clock::duration retire_after = std::chrono::hours(1),
                         size_t max_endpoints = 100);

  // One $SRV.STATS round for one service: every instance that answered. `now` is a steady
  // clock time. An instance answering twice in one round counts once (its first answer).
  void Update(const std::vector<MicroStatsResponse>& instances, std::chrono::steady_clock::time_point now);

  struct EndpointTotals {
    std::string endpoint;
    uint64_t requests = 0, errors = 0;
    double processing_seconds = 0;
  };
  std::vector<EndpointTotals> Totals() const;                     // sorted by endpoint name
  size_t Instances() const { return instances_last_round_; }      // instances that answered the last round
  size_t tracked_instances() const { return instances_.size(); }  // answered within the horizon
  // Distinct endpoint names left out of the last round because the cap was reached.
  size_t dropped_endpoints() const { return dropped_last_round_; }

 private:
  struct Values {
    uint64_t requests = 0, errors = 0;
    double processing_seconds = 0;
    void Add(const Values& v);
  };
  struct Instance {
    std::string started;
    std::chrono::steady_clock::time_point last_seen;
    std::map<std::string, Values> endpoints;  // last values reported, by endpoint name
  };

  void Retire(std::chrono::steady_clock::time_point now);

  const std::chrono::steady_clock::duration retire_after_;
  const size_t max_endpoints_;
  std::set<std::string> endpoints_;            // names tracked (at most max_endpoints_)
  std::map<std::string, Instance> instances_;  // by instance id
  std::map<std::string, Values> retired_;      // by endpoint: instances reset or forgotten
  std::map<std::string, Values> totals_;       // by endpoint: what Totals() returns
  size_t instances_last_round_ = 0;
  size_t dropped_last_round_ = 0;
};

}  // namespace farrier
