// /varz: the server's identity and its general counters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/families.h"
#include "core/result.h"

namespace farrier {

struct Varz {
  std::string server_id;
  std::string server_name;
  std::string version;
  std::string cluster;  // cluster.name; empty when not clustered
  double start_time_seconds = 0;  // Unix time the server started
  uint64_t connections = 0;
  uint64_t total_connections = 0;
  uint64_t routes = 0;
  uint64_t remotes = 0;
  uint64_t leafnodes = 0;
  uint64_t subscriptions = 0;
  uint64_t in_msgs = 0;
  uint64_t out_msgs = 0;
  uint64_t in_bytes = 0;
  uint64_t out_bytes = 0;
  uint64_t slow_consumers = 0;
  uint64_t mem_bytes = 0;
  double cpu_percent = 0;  // the server prints percent of one core
  uint64_t cores = 0;
  uint64_t max_connections = 0;
  uint64_t max_payload_bytes = 0;
  uint64_t max_pending_bytes = 0;
};

Result<Varz> ParseVarz(std::string_view body);
void RenderVarz(const Varz& varz, Families& out);

}  // namespace farrier
