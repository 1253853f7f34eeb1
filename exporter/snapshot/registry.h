// The table of monitoring-endpoint sources: name, default, how to poll, how to render.
// Like node_exporter's collectors, each is toggled by --[no-]collector.<name>.
#pragma once

#include <string>
#include <string_view>
#include <functional>
#include <optional>
#include <vector>

#include "core/error_kind.h"
#include "core/families.h"
#include "transport/fetcher.h"

namespace farrier {

struct Config;
struct Snapshot;

// What polling one source produced: success with a way to store the parsed data into the
// snapshot under construction, or the kind of failure and what happened.
struct SourceOutcome {
  std::optional<ErrorKind> failure{};  // set on failure
  std::string detail{};
  std::function<void(Snapshot&)> store{};
  // On success, something the operator should know once (logged when it changes), e.g. that
  // this server does not serve an endpoint, so its series are absent.
  std::string note{};

  static SourceOutcome Success(std::function<void(Snapshot&)> store, std::string note = {}) {
    return {std::nullopt, {}, std::move(store), std::move(note)};
  }
  static SourceOutcome Failure(ErrorKind kind, std::string detail) { return {kind, std::move(detail), {}, {}}; }
};

struct SourceSpec {
  std::string_view name;
  bool default_enabled;
  std::string_view summary;  // for --help
  SourceOutcome (*poll)(Fetcher& fetcher, const Config& config);
  void (*render)(const Snapshot& snapshot, const Config& config, Families& out);
};

const std::vector<SourceSpec>& AllSources();

}  // namespace farrier
