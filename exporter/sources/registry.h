// The table of monitoring-endpoint sources: name, default, how to poll, how to render.
// Like node_exporter's collectors, each is toggled by --[no-]collector.<name>.
#pragma once

#include <string>
#include <string_view>
#include <functional>
#include <vector>

#include "core/families.h"
#include "poll/fetcher.h"

namespace farrier {

struct Config;
struct Snapshot;

// What polling one source produced: success with a way to store the parsed data into the
// snapshot under construction, or a failure reason from poll/fetcher.h.
struct SourceOutcome {
  std::string reason;  // empty on success
  std::string detail;
  std::function<void(Snapshot&)> store;
  // On success, something the operator should know once (logged when it changes), e.g. that
  // this server does not serve an endpoint, so its series are absent.
  std::string note{};
};

struct SourceSpec {
  std::string_view name;
  bool default_enabled;
  std::string_view summary;  // for --help
  SourceOutcome (*poll)(Fetcher& fetcher, const Config& config);
  void (*render)(const Snapshot& snapshot, const Config& config, Families& out);
};

const std::vector<SourceSpec>& AllSources();
const SourceSpec* FindSource(std::string_view name);

}  // namespace farrier
