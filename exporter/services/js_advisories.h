// JetStream advisories and metrics turned into counters and an ack-latency histogram: farrier's
// NATS connection subscribes to $JS.EVENT.ADVISORY.> and $JS.EVENT.METRIC.>, and to both under an
// import prefix naming the account (--jetstream.advisories);
// each message is parsed (ParseJsAdvisory) and counted; Render draws the families at scrape time.
//
// Label sets (account, stream, consumer, ...) are capped: past `limit` distinct sets, an event
// of a new set is still counted in nats_jetstream_advisories_total but its own series is not
// created, and nats_jetstream_advisory_series_dropped_total counts it. Ephemeral consumers are
// folded into consumer="_ephemeral" (as /jsz does) when farrier saw their creation: only the API
// audit of a creation tells ephemeral from durable. Ephemerals created before farrier started
// keep their names; the cap bounds them.
//
// The prober subscribes (its thread owns the connection) and feeds Observe(); this class has no
// NATS code, so unit tests drive it with captured payloads.
//
// Thread-safety: Observe() runs on cnats' threads, Render() on the scrape's; a mutex guards the
// counts.
#pragma once

#include <prometheus/collectable.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/families.h"
#include "core/histogram.h"

namespace farrier {

inline constexpr std::string_view kJsAdvisorySubject = "$JS.EVENT.ADVISORY.>";
inline constexpr std::string_view kJsMetricSubject = "$JS.EVENT.METRIC.>";
// The same, imported from another account under a prefix naming it (docs/configuration.md):
// `imports: [{stream: {account: ORDERS, subject: "$JS.EVENT.>"}, to: "ORDERS.$JS.EVENT.>"}]`,
// or `prefix: ORDERS`.
inline constexpr std::string_view kJsAdvisoryPrefixedSubject = "*.$JS.EVENT.ADVISORY.>";
inline constexpr std::string_view kJsMetricPrefixedSubject = "*.$JS.EVENT.METRIC.>";

// The account an advisory was imported from: the prefix of `subject` before ".$JS.EVENT.";
// empty for an unprefixed subject (the event of farrier's own account, or of an account imported
// without a prefix, which the subject cannot tell apart).
std::string_view AccountOfAdvisorySubject(std::string_view subject);

struct JsAdvisory;

class JsAdvisories {
 public:
  JsAdvisories(size_t limit, std::vector<double> ack_buckets);
  JsAdvisories(const JsAdvisories&) = delete;
  JsAdvisories& operator=(const JsAdvisories&) = delete;

  // One message: its payload and the subject it arrived on. The payload's own account (leader
  // elections, lost quorums, the caller of an API audit) wins; where it names none, the
  // subject's import prefix (AccountOfAdvisorySubject) gives the account label.
  void Observe(std::string_view payload, std::string_view subject = kJsAdvisorySubject);
  void Render(Families& out) const;

 private:
  // (family index, label values): one series.
  using Key = std::tuple<size_t, std::vector<std::string>>;
  // Counts one event in the series `family`/`labels`, unless the cap is reached.
  void CountLocked(size_t family, std::vector<std::string> labels);
  // The consumer label: "_ephemeral" for a consumer seen created as ephemeral.
  std::string ConsumerLabelLocked(const std::string& stream, const std::string& consumer) const;
  // Learns and forgets ephemeral consumers from creations and deletions.
  void TrackEphemeralLocked(const JsAdvisory& a);

  const size_t limit_;
  const std::vector<double> ack_buckets_;

  mutable std::mutex mu_;
  std::map<Key, uint64_t> counts_;
  std::map<std::vector<std::string>, Histogram> ack_;        // account, stream, consumer
  std::map<std::string, uint64_t> by_type_;                  // short type, or "other"
  std::set<std::pair<std::string, std::string>> ephemeral_;  // stream, consumer: seen created without durable_name
  uint64_t invalid_ = 0;
  uint64_t dropped_ = 0;
  bool invalid_logged_ = false, dropped_logged_ = false;
};

// Renders the counts at scrape time.
class JsAdvisoriesCollector : public prometheus::Collectable {
 public:
  explicit JsAdvisoriesCollector(const JsAdvisories* advisories) : advisories_(advisories) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    Families out;
    advisories_->Render(out);
    return out.Take();
  }

 private:
  const JsAdvisories* advisories_;
};

}  // namespace farrier
