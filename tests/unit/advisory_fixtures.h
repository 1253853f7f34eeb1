// The JetStream advisories captured from real nats-servers by scripts/capture/advisories.sh:
// tests/fixtures/advisories/nats-<version>/<type>.json, one file per advisory type.
#pragma once

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "services/js_advisories.h"

namespace farrier::test {

inline std::string ReadAdvisoryFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline std::filesystem::path AdvisoriesRoot() { return std::filesystem::path(FARRIER_FIXTURES_ROOT) / "advisories"; }

// Every release with advisory captures ("2.9.10", ...), oldest first.
inline std::vector<std::string> AdvisoryReleases() { return ReleasesUnder(AdvisoriesRoot()); }

// The captured advisory `type` ("max_deliver", "api_audit-error", ...) of a release.
inline std::string ReadAdvisory(const std::string& release, const std::string& type) {
  return ReadAdvisoryFile(AdvisoriesRoot() / ("nats-" + release) / (type + ".json"));
}

// Every captured advisory of a release, by file name without ".json".
inline std::vector<std::pair<std::string, std::string>> AdvisoriesOf(const std::string& release) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : std::filesystem::directory_iterator(AdvisoriesRoot() / ("nats-" + release))) {
    if (entry.path().extension() != ".json") continue;
    out.emplace_back(entry.path().stem().string(), ReadAdvisoryFile(entry.path()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A captured advisory with another type (restores and lost quorums are not caused by the
// capture script: they share their fields with a captured type).
inline std::string RetypedAdvisory(const std::string& release, const std::string& captured, const std::string& type) {
  nlohmann::json j = nlohmann::json::parse(ReadAdvisory(release, captured));
  j["type"] = "io.nats.jetstream.advisory.v1." + type;
  return j.dump();
}

// Every capture of every release observed once, and the uncaptured types as retyped captures:
// every advisory family has a series.
inline void ObserveEveryAdvisory(JsAdvisories& into) {
  for (const std::string& release : AdvisoryReleases()) {
    for (const auto& [name, body] : AdvisoriesOf(release)) into.Observe(body);
  }
  const std::string newest = AdvisoryReleases().back();
  into.Observe(RetypedAdvisory(newest, "snapshot_create", "restore_create"));
  into.Observe(RetypedAdvisory(newest, "snapshot_complete", "restore_complete"));
  into.Observe(RetypedAdvisory(newest, "stream_leader_elected", "stream_quorum_lost"));
  into.Observe(RetypedAdvisory(newest, "consumer_leader_elected", "consumer_quorum_lost"));
}

}  // namespace farrier::test
