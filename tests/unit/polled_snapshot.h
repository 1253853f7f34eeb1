// One poll of every enabled source through its real poll function (snapshot/registry.cc), on a
// release's captures (CaptureFetcher), into a snapshot as the poller builds it: the unit-level
// path from a server's bodies to what a scrape renders.
#pragma once

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include "capture_fetcher.h"
#include "config/config.h"
#include "snapshot/registry.h"
#include "snapshot/snapshot.h"

namespace farrier::test {

// Which capture answers which request, for the servers the capture script sets up.
using Scenario = std::map<std::string, std::string>;

inline const std::string kJszFullPath = "/jsz?accounts=true&streams=true&consumers=true&config=true";

// farrier-single: clients, queue subscribers, JetStream with a paused consumer where the
// release can pause (jsz-paused.json), no cluster, no Raft groups.
inline Scenario SingleServer() {
  return {{"/varz", "varz.json"},
          {"/connz", "connz.json"},
          {"/routez", "routez.json"},
          {"/subsz", "subsz.json"},
          {kJszFullPath, "jsz-paused.json"},
          {"/jsz?accounts=true", "jsz-full.json"},
          {"/healthz?details=true", "healthz-details.json"},
          {"/leafz", "leafz-hub.json"},
          {"/gatewayz", "gatewayz.json"},
          {"/accstatz?unused=true", "accstatz-unused.json"},
          {"/subsz?subs=true&limit=2", "subsz-subs-limit2.json"},
          {"/raftz", "raftz-single.txt"}};
}

// Node n of the 3-node JetStream cluster (R3 stream JOBS, consumer WORKERS). Only node 1's
// account-level /raftz and /healthz?details=true were captured.
inline Scenario ClusterNode(int n) {
  const std::string node = "cluster-node" + std::to_string(n);
  Scenario s{{"/varz", node + "-varz.json"},
             {"/routez", node + "-routez.json"},
             {kJszFullPath, node + "-jsz-full.json"},
             {"/jsz?accounts=true", node + "-jsz-full.json"},
             {"/raftz", node + "-raftz.json"}};
  if (n == 1) {
    s["/raftz?acc=%24G"] = "cluster-node1-raftz-acc.json";
    s["/healthz?details=true"] = "cluster-node1-healthz-details.json";
  }
  return s;
}

// Cluster node 1 with a leaf server attached and no client at all.
inline Scenario LeafOnClusterNode() {
  return {{"/varz", "cluster-node1-leaf-varz.json"},
          {"/connz", "cluster-node1-leaf-connz.json"},
          {"/leafz", "cluster-node1-leafz.json"}};
}

// Cluster node 1 after the two others were stopped: no JetStream meta leader.
inline Scenario ClusterNodeWithoutMetaLeader() {
  return {{"/varz", "cluster-node1-nometa-varz.json"},
          {"/healthz?details=true", "cluster-node1-nometa-healthz-details.json"},
          {kJszFullPath, "cluster-node1-nometa-jsz.json"}};
}

// A server in lame-duck mode (client listener closed, clients still connected).
inline Scenario LameDuckServer() {
  return {{"/varz", "ldm-varz.json"},
          {"/connz", "ldm-connz.json"},
          {"/healthz?details=true", "ldm-healthz-details.json"}};
}

// farrier-health: account APP with JetStream limits, stream SRC with consumer WORKER, its
// mirror BACKUP and AGG sourcing it.
inline Scenario JsHealthServer() { return {{"/varz", "health-varz.json"}, {kJszFullPath, "jsz-health.json"}}; }

// A server with a TLS certificate on every listener.
inline Scenario TlsServer() { return {{"/varz", "tls-varz.json"}}; }

// `flags` as on the command line, e.g. {"--collector.raftz"}; every source enabled in the
// resulting configuration is polled.
inline Config ConfigWith(std::vector<std::string> flags) {
  Result<LoadedConfig> loaded = LoadConfig(flags, {});
  if (!loaded) throw std::runtime_error(loaded.error());
  return loaded->config;
}

inline Snapshot PolledSnapshot(const std::string& release, const Scenario& scenario, const Config& config) {
  CaptureFetcher fetcher(release, scenario);
  Snapshot s;
  s.taken_at = std::chrono::steady_clock::now();
  s.polls = 1;
  for (const SourceSpec& spec : AllSources()) {
    if (!config.CollectorEnabled(spec.name)) continue;
    SourceMemory memory;
    SourceOutcome outcome = spec.poll(fetcher, config.poll.sources, memory);
    SourceStatus& status = s.status[std::string(spec.name)];
    status.polled = true;
    status.up = !outcome.failure;
    if (outcome.failure) status.reason = ReasonLabel(*outcome.failure);
    status.detail = outcome.detail;
    status.note = outcome.note;
    if (status.up) outcome.store(s.MutableLocal());
  }
  ServerView& server = s.MutableLocal();
  if (server.varz) {
    server.server_name = server.varz->server_name;
    server.server_version = ServerVersion::Parse(server.varz->version);
  }
  return s;
}

}  // namespace farrier::test
