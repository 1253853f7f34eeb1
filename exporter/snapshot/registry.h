// The table of monitoring-endpoint sources: name, default, how to poll, how to render.
// Like node_exporter's collectors, each is toggled by --[no-]collector.<name>.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error_kind.h"
#include "core/families.h"
#include "sources/jsz.h"
#include "sources/jsz_config.h"
#include "transport/fetcher.h"

namespace farrier {

struct ServerView;

// What the sources take from the configuration: which are polled, and how. config/ fills it;
// nothing here sees the whole configuration.
struct SourceOptions {
  std::map<std::string, bool, std::less<>> collectors;  // source name -> enabled
  size_t connz_page_size = 4096;                        // see bench/README.md for the trade-off
  bool connz_detail = false;
  size_t connz_detail_limit = 100;
  JszRenderOptions jsz;
  // How long the configured fields of streams and consumers from /jsz?config=true are reused
  // while polls ask /jsz without config (0: config=true on every poll); see sources/jsz_config.h.
  std::chrono::milliseconds jsz_config_refresh{std::chrono::minutes(1)};
  size_t raftz_group_limit = 1000;  // most Raft groups exported by the raftz collector
  // The queue groups of the configured services (source "queuegroups": one /subsz test each),
  // and with queuegroups_all every queue group on the server.
  struct QueueGroupQuery {
    std::string name, subject, queue_group;
  };
  std::vector<QueueGroupQuery> queue_groups;
  bool queuegroups_all = false;                    // also summarize every queue group (/subsz?subs=1)
  size_t queuegroups_limit = 200;                  // most groups exported
  size_t queuegroups_subscription_limit = 100000;  // most subscriptions read per poll

  bool Enabled(std::string_view source) const {
    auto it = collectors.find(source);
    return it != collectors.end() && it->second;
  }
};

// What polling one source of one server produced: success with a way to store the parsed data
// into that server's view in the snapshot under construction, or the kind of failure and what
// happened.
struct SourceOutcome {
  std::optional<ErrorKind> failure{};  // set on failure
  std::string detail{};
  std::function<void(ServerView&)> store{};
  // On success, something the operator should know once (logged when it changes), e.g. that
  // this server does not serve an endpoint, so its series are absent.
  std::string note{};

  static SourceOutcome Success(std::function<void(ServerView&)> store, std::string note = {}) {
    return {std::nullopt, {}, std::move(store), std::move(note)};
  }
  static SourceOutcome Failure(ErrorKind kind, std::string detail) { return {kind, std::move(detail), {}, {}}; }
};

// What a source keeps about one server from one poll to the next (the poller keeps one per
// source and server). Only /jsz keeps anything.
struct SourceMemory {
  JszConfigMemory jsz;
};

// A poll function asks its fetcher for one server's endpoints (the requests name no server; a
// fetcher for a server of a cluster fills that in) and renders one server's view.
struct SourceSpec {
  std::string_view name;
  bool default_enabled;
  std::string_view summary;  // for --help
  SourceOutcome (*poll)(Fetcher& fetcher, const SourceOptions& options, SourceMemory& memory);
  void (*render)(const ServerView& server, const SourceOptions& options, Families& out);
};

const std::vector<SourceSpec>& AllSources();

}  // namespace farrier
