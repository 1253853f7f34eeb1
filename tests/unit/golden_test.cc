// The golden /metrics of the captures: every source of every release's servers (single server,
// cluster node, leaf node on a cluster node, lame duck, TLS listeners, mirror/source/limits) polled from the captures
// and rendered as a scrape renders them, compared byte for byte with tests/golden/<release>.prom.
// A refactoring must leave these unchanged; a change of what farrier exports shows here as a
// diff to review and commit:
//
//   FARRIER_UPDATE_GOLDEN=1 build/tests/unit/unit_tests --gtest_filter='Golden.*'
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "polled_snapshot.h"
#include "snapshot/render.h"

namespace farrier {
namespace {

std::string Exposition(const std::string& release) {
  Config config = test::ConfigWith({"--collector.leafz", "--collector.gatewayz", "--collector.accstatz",
                                    "--collector.raftz", "--connz.detail", "--queuegroups.all",
                                    "--queuegroups.subscription-limit", "2"});
  // Expected assets (the file's "expect"): present ones of the single server, the cluster and
  // farrier-health, and one that exists nowhere.
  config.poll.sources.jsz.expected = {{"$G", "JOBS", ""},
                                      {"$G", "JOBS", "WORKERS"},
                                      {"$G", "ORDERS", "PROCESSOR"},
                                      {"APP", "BACKUP", ""},
                                      {"APP", "GONE", ""}};
  std::ostringstream out;
  const std::pair<const char*, test::Scenario> scenarios[] = {
      {"single server", test::SingleServer()},
      {"cluster node 1", test::ClusterNode(1)},
      {"cluster node 1 with a leaf node", test::LeafOnClusterNode()},
      {"cluster node 1 without a meta leader", test::ClusterNodeWithoutMetaLeader()},
      {"lame duck", test::LameDuckServer()},
      {"TLS listeners", test::TlsServer()},
      {"mirror, source and account limits", test::JsHealthServer()}};
  for (const auto& [name, scenario] : scenarios) {
    Snapshot s = test::PolledSnapshot(release, scenario, config);
    out << "# ---- " << name << "\n";
    // Rendered at the moment the snapshot was taken: its age is 0, as nothing else is timed here.
    prometheus::TextSerializer().Serialize(out, RenderSnapshot(s, config.poll.sources, s.taken_at));
  }
  return out.str();
}

TEST(Golden, MetricsOfEveryReleaseAreUnchanged) {
  const bool update = std::getenv("FARRIER_UPDATE_GOLDEN") != nullptr;
  for (const std::string& release : test::CapturedReleases()) {
    SCOPED_TRACE(release);
    const std::string path = std::string(FARRIER_SOURCE_DIR) + "/tests/golden/" + release + ".prom";
    const std::string now = Exposition(release);
    if (update) {
      std::ofstream(path, std::ios::binary) << now;
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "missing " << path << " (make it with FARRIER_UPDATE_GOLDEN=1)";
    std::ostringstream golden;
    golden << in.rdbuf();
    if (golden.str() == now) continue;
    // The first differing line, with its neighbours, is enough to see what changed.
    std::istringstream a(golden.str()), b(now);
    std::string la, lb;
    int line = 0;
    while (true) {
      bool more_a = static_cast<bool>(std::getline(a, la)), more_b = static_cast<bool>(std::getline(b, lb));
      ++line;
      if (!more_a && !more_b) break;
      if (la != lb || more_a != more_b) {
        ADD_FAILURE() << path << ":" << line << " differs\n  golden: " << (more_a ? la : "<end>")
                      << "\n  now:    " << (more_b ? lb : "<end>")
                      << "\n(if the change is meant, FARRIER_UPDATE_GOLDEN=1 and commit the diff)";
        break;
      }
    }
  }
}

}  // namespace
}  // namespace farrier
