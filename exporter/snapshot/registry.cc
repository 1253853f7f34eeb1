#include "snapshot/registry.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "snapshot/snapshot.h"
#include "transport/endpoint.h"

namespace farrier {
namespace {

// A failed fetch, or an answer with an unexpected status, as an outcome; nullopt when usable.
// /healthz answers an unhealthy verdict as JSON with 503, or since 2.10 with 500 when the server
// is not ready for connections (starting, lame duck): both are answers, not failures.
std::optional<SourceOutcome> FetchFailure(const Fetcher& fetcher, const FetchResult& got,
                                          const EndpointRequest& request, bool accept_unhealthy = false) {
  if (!got.ok()) return SourceOutcome::Failure(*got.failure, got.detail);
  if (got.status == 200 || (accept_unhealthy && (got.status == 500 || got.status == 503))) {
    return std::nullopt;
  }
  return SourceOutcome::Failure(ErrorKind::kHttpStatus,
                                fetcher.Describe(request) + ": HTTP status " + std::to_string(got.status));
}

// A body the parser refused: the parser says whether it was not JSON or of another shape.
template <class T>
SourceOutcome ParseFailure(const Fetcher& fetcher, const EndpointRequest& request, const Result<T>& parsed) {
  return SourceOutcome::Failure(parsed.error_kind().value_or(ErrorKind::kSchema),
                                fetcher.Describe(request) + ": " + parsed.error());
}

// Fetch one endpoint, parse it, and keep the result in `member` of the server's view.
template <class T>
SourceOutcome FetchOne(Fetcher& fetcher, const EndpointRequest& request, Result<T> (*parse)(std::string_view),
                       std::optional<T> ServerView::*member, bool accept_unhealthy = false) {
  FetchResult got = fetcher.Fetch(request);
  if (auto failure = FetchFailure(fetcher, got, request, accept_unhealthy)) return std::move(*failure);
  Result<T> parsed = parse(got.body);
  if (!parsed) return ParseFailure(fetcher, request, parsed);
  return SourceOutcome::Success([member, value = std::move(parsed).value()](ServerView& s) mutable {
    s.*member = std::move(value);
  });
}

SourceOutcome PollConnz(Fetcher& fetcher, const SourceOptions& options, SourceMemory&) {
  ConnzAccumulator acc(options.connz_detail ? options.connz_detail_limit : 0);
  const uint64_t page_size = options.connz_page_size;
  uint64_t offset = 0;
  // Bounded even if the server keeps growing while we page: at most the pages the first answer
  // implies, plus a few for connections that arrived meanwhile.
  uint64_t max_pages = 4;
  for (uint64_t page_no = 0; page_no < max_pages; ++page_no) {
    const EndpointRequest request{"connz", {{"offset", offset}, {"limit", page_size}}};
    FetchResult got = fetcher.Fetch(request);
    if (auto failure = FetchFailure(fetcher, got, request)) return std::move(*failure);
    Result<ConnzPage> page = ParseConnzPage(got.body);
    if (!page) return ParseFailure(fetcher, request, page);
    if (page_no == 0) max_pages = page->total / page_size + 4;
    acc.Add(*page);
    offset += page->connections.size();
    if (page->connections.size() < page_size || offset >= page->total) break;
  }
  return SourceOutcome::Success([connz = std::move(acc).Finish()](ServerView& s) mutable {
    s.connz = std::move(connz);
  });
}

// One /subsz?subs=1&test=<subject> per configured service (services without a subject to test
// are skipped). All or nothing: one failed request fails the source for this poll.
SourceOutcome PollQueueGroups(Fetcher& fetcher, const SourceOptions& options, SourceMemory&) {
  std::map<std::string, QueueGroupView> views;
  for (const SourceOptions::QueueGroupQuery& s : options.queue_groups) {
    const EndpointRequest request = SubsTestRequest(s.subject);
    FetchResult got = fetcher.Fetch(request);
    if (auto failure = FetchFailure(fetcher, got, request)) return std::move(*failure);
    Result<SubsTest> test = ParseSubsTest(got.body);
    if (!test) return ParseFailure(fetcher, request, test);
    views[s.name] = SelectQueueGroup(*test, s.queue_group);
  }
  std::optional<AllQueueGroups> all;
  if (options.queuegroups_all) {
    const EndpointRequest request{"subsz",
                                  {{"subs", true}, {"limit", uint64_t{options.queuegroups_subscription_limit}}}};
    FetchResult got = fetcher.Fetch(request);
    if (auto failure = FetchFailure(fetcher, got, request)) return std::move(*failure);
    Result<SubsTest> list = ParseSubsTest(got.body);
    if (!list) return ParseFailure(fetcher, request, list);
    all = SummarizeQueueGroups(*list, options.queuegroups_limit);
  }
  return SourceOutcome::Success([views = std::move(views), all = std::move(all)](ServerView& snap) mutable {
    snap.queue_groups = std::move(views);
    snap.all_queue_groups = std::move(all);
  });
}

// /raftz lists one account's Raft groups: the system account's (the JetStream meta group) by
// default, an asset account's (its streams' and consumers' groups) with ?acc=. The accounts with
// JetStream come from /jsz?accounts=true. A 404 means no groups for that filter, or (with the
// Go mux's own body) a server older than 2.10.17 that has no /raftz: no data, not a failure.
SourceOutcome PollRaftz(Fetcher& fetcher, const SourceOptions&, SourceMemory&) {
  Raftz all;
  // kNoGroups: "No Raft nodes registered" (none in any account); kNone: none for this filter.
  enum class Page { kRead, kNone, kNoGroups, kNoEndpoint };
  SourceOutcome failure;
  auto read = [&](const EndpointRequest& request) -> std::optional<Page> {
    FetchResult got = fetcher.Fetch(request);
    if (got.ok() && got.status == 404) {
      if (got.body.find("No Raft nodes registered") != std::string::npos) return Page::kNoGroups;
      return got.body.find("No Raft nodes") != std::string::npos ? Page::kNone : Page::kNoEndpoint;
    }
    if (auto bad = FetchFailure(fetcher, got, request)) {
      failure = std::move(*bad);
      return std::nullopt;
    }
    Result<Raftz> parsed = ParseRaftz(got.body);
    if (!parsed) {
      failure = ParseFailure(fetcher, request, parsed);
      return std::nullopt;
    }
    for (RaftGroup& g : std::move(parsed).value().groups) all.groups.push_back(std::move(g));
    return Page::kRead;
  };
  auto empty = [](std::string note) {
    return SourceOutcome::Success([](ServerView& s) { s.raftz = Raftz{}; }, std::move(note));
  };

  std::optional<Page> system = read({"raftz"});
  if (!system) return failure;
  if (*system == Page::kNoEndpoint) {
    return empty("raftz: this server does not serve /raftz (nats-server 2.10.17+); no raft series");
  }
  const std::string no_groups = "raftz: this server has no Raft groups (no clustered JetStream); no raft series";
  if (*system == Page::kNoGroups) return empty(no_groups);
  const EndpointRequest accounts{"jsz", {{"accounts", true}}};
  FetchResult got = fetcher.Fetch(accounts);
  if (auto bad = FetchFailure(fetcher, got, accounts)) return std::move(*bad);
  Result<Jsz> jsz = ParseJsz(got.body);
  if (!jsz) return ParseFailure(fetcher, accounts, jsz);
  for (const JszAccount& account : jsz->account_details) {
    if (!read({"raftz", {{"acc", account.name}}})) return failure;
  }
  if (all.groups.empty()) return empty(no_groups);
  std::sort(all.groups.begin(), all.groups.end(), [](const RaftGroup& a, const RaftGroup& b) {
    return std::tie(a.account, a.name) < std::tie(b.account, b.name);
  });
  return SourceOutcome::Success([raftz = std::move(all)](ServerView& s) mutable { s.raftz = std::move(raftz); });
}

// /jsz with every account, stream and consumer. Their configured fields come from an answer with
// config=true, kept in `memory`; polls in between ask without config, about half the bytes for
// the server to print and for us to read (sources/jsz_config.h). A poll that finds an asset it
// does not know asks again with config=true at once.
SourceOutcome PollJsz(Fetcher& fetcher, const SourceOptions& options, SourceMemory& memory) {
  JszConfigMemory& kept = memory.jsz;
  const auto now = JszConfigMemory::Clock::now();
  auto request = [](bool config) {
    return EndpointRequest{"jsz", {{"accounts", true}, {"streams", true}, {"consumers", true}, {"config", config}}};
  };
  if (kept.LightAllowed(now, options.jsz_config_refresh)) {
    const EndpointRequest light = request(false);
    FetchResult got = fetcher.Fetch(light);
    if (auto failure = FetchFailure(fetcher, got, light)) return std::move(*failure);
    Result<Jsz> parsed = ParseJsz(got.body);
    if (!parsed) return ParseFailure(fetcher, light, parsed);
    Jsz jsz = std::move(parsed).value();
    if (kept.Fill(jsz)) {
      return SourceOutcome::Success([jsz = std::move(jsz)](ServerView& s) mutable { s.jsz = std::move(jsz); });
    }
  }
  const EndpointRequest full = request(true);
  FetchResult got = fetcher.Fetch(full);
  if (auto failure = FetchFailure(fetcher, got, full)) return std::move(*failure);
  Result<Jsz> parsed = ParseJsz(got.body);
  if (!parsed) return ParseFailure(fetcher, full, parsed);
  kept.Remember(*parsed, now);
  return SourceOutcome::Success([jsz = std::move(parsed).value()](ServerView& s) mutable { s.jsz = std::move(jsz); });
}

template <auto Member, auto Render>
void RenderIfPresent(const ServerView& s, const SourceOptions&, Families& out) {
  if (s.*Member) Render(*(s.*Member), out);
}

// The renderers of fields whose meaning depends on the server's release get that release.
void RenderJszOfServer(const ServerView& s, const SourceOptions& c, Families& out) {
  if (s.jsz) RenderJsz(*s.jsz, c.jsz, s.server_name, s.server_version, out);
}
void RenderConnzOfServer(const ServerView& s, const SourceOptions&, Families& out) {
  if (s.connz) RenderConnz(*s.connz, ConnzListsLeafnodes(s.server_version), out);
}
void RenderHealthzOfServer(const ServerView& s, const SourceOptions&, Families& out) {
  if (s.healthz) RenderHealthz(*s.healthz, HealthzHasDetails(s.server_version), out);
}
void RenderQueueGroupsOfServer(const ServerView& s, const SourceOptions&, Families& out) {
  if (s.all_queue_groups) {
    RenderAllQueueGroups(*s.all_queue_groups, SubszTotalCountsAllMatches(s.server_version), out);
  }
}
void RenderRaftzOfServer(const ServerView& s, const SourceOptions& c, Families& out) {
  if (s.raftz) RenderRaftz(*s.raftz, c.raftz_group_limit, out);
}

}  // namespace

const std::vector<SourceSpec>& AllSources() {
  static const std::vector<SourceSpec> sources = {
      {"varz", true, "Server identity and counters from /varz (always on).",
       [](Fetcher& f, const SourceOptions&, SourceMemory&) {
         return FetchOne(f, {"varz"}, ParseVarz, &ServerView::varz);
       },
       RenderIfPresent<&ServerView::varz, RenderVarz>},
      {"connz", true, "Connection totals by kind from every page of /connz.", PollConnz, RenderConnzOfServer},
      {"routez", true, "Cluster routes from /routez.",
       [](Fetcher& f, const SourceOptions&, SourceMemory&) {
         return FetchOne(f, {"routez"}, ParseRoutez, &ServerView::routez);
       },
       RenderIfPresent<&ServerView::routez, RenderRoutez>},
      {"subsz", true, "Subscription table statistics from /subsz.",
       [](Fetcher& f, const SourceOptions&, SourceMemory&) {
         return FetchOne(f, {"subsz"}, ParseSubsz, &ServerView::subsz);
       },
       RenderIfPresent<&ServerView::subsz, RenderSubsz>},
      {"jsz", true,
       "JetStream server, account, stream and consumer metrics from /jsz (configured fields re-read every "
       "--jsz.config-refresh).",
       PollJsz, RenderJszOfServer},
      {"healthz", true, "The server's health verdict from /healthz?details=true.",
       [](Fetcher& f, const SourceOptions&, SourceMemory&) {
         // details=true: errors by type since 2.10; 2.9 ignores the parameter.
         return FetchOne(f, {"healthz", {{"details", true}}}, ParseHealthz, &ServerView::healthz,
                         /*accept_unhealthy=*/true);
       },
       RenderHealthzOfServer},
      {"leafz", false, "Leaf node connections from /leafz.",
       [](Fetcher& f, const SourceOptions&, SourceMemory&) {
         return FetchOne(f, {"leafz"}, ParseLeafz, &ServerView::leafz);
       },
       RenderIfPresent<&ServerView::leafz, RenderLeafz>},
      {"gatewayz", false, "Gateway (super-cluster) connections from /gatewayz.",
       [](Fetcher& f, const SourceOptions&, SourceMemory&) {
         return FetchOne(f, {"gatewayz"}, ParseGatewayz, &ServerView::gatewayz);
       },
       RenderIfPresent<&ServerView::gatewayz, RenderGatewayz>},
      {"accstatz", false, "Per-account traffic from /accstatz?unused=true.",
       [](Fetcher& f, const SourceOptions&, SourceMemory&) {
         // unused=true lists every account, not only those with clients right now, so an
         // account's series do not vanish when its last client leaves.
         return FetchOne(f, {"accstatz", {{"unused", true}}}, ParseAccstatz, &ServerView::accstatz);
       },
       RenderIfPresent<&ServerView::accstatz, RenderAccstatz>},
      // The configured services' members are rendered with the capacity signals (capacity/),
      // which need state across polls; --queuegroups.all's summary is rendered here.
      {"queuegroups", true,
       "Queue-group members of the configured services from /subsz?subs=1&test=<subject> "
       "(one request per service; nothing without services).",
       PollQueueGroups, RenderQueueGroupsOfServer},
      {"raftz", false, "Raft groups (JetStream meta, streams, consumers) from /raftz, at most --raftz.group-limit.",
       PollRaftz, RenderRaftzOfServer},
  };
  return sources;
}

}  // namespace farrier
