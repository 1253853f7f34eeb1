#include "services/js_advisories.h"

#include <spdlog/spdlog.h>

#include "services/js_advisory.h"
#include "sources/jsz.h"

namespace farrier {
namespace {

struct FamilySpec {
  JsAdvisoryKind kind;
  const char* name;
  const char* help;
  std::vector<std::string> labels;
};

const std::vector<std::string> kConsumerLabels{"account", "stream", "consumer"};
const std::vector<std::string> kStreamLabels{"account", "stream"};
const std::vector<std::string> kPhaseLabels{"account", "stream", "phase"};

// One row per counter family; an event of `kind` counts in the family of its row. Snapshot and
// restore have two kinds each (create, complete), told apart by `phase`.
const std::vector<FamilySpec>& Specs() {
  static const std::vector<FamilySpec> specs{
      {JsAdvisoryKind::kMaxDeliver, "nats_jetstream_advisory_max_deliveries_total",
       "Messages that reached the consumer's max_deliver without an ack (advisory "
       "io.nats.jetstream.advisory.v1.max_deliver).",
       kConsumerLabels},
      {JsAdvisoryKind::kNak, "nats_jetstream_advisory_naks_total",
       "Deliveries a client NAKed (advisory io.nats.jetstream.advisory.v1.nak).", kConsumerLabels},
      {JsAdvisoryKind::kTerminated, "nats_jetstream_advisory_terminated_total",
       "Messages a client terminated with +TERM (advisory io.nats.jetstream.advisory.v1.terminated).", kConsumerLabels},
      {JsAdvisoryKind::kStreamLeaderElected, "nats_jetstream_advisory_stream_leader_elections_total",
       "Stream leaders elected (advisory io.nats.jetstream.advisory.v1.stream_leader_elected).", kStreamLabels},
      {JsAdvisoryKind::kConsumerLeaderElected, "nats_jetstream_advisory_consumer_leader_elections_total",
       "Consumer leaders elected (advisory io.nats.jetstream.advisory.v1.consumer_leader_elected).", kConsumerLabels},
      {JsAdvisoryKind::kStreamQuorumLost, "nats_jetstream_advisory_stream_quorum_lost_total",
       "Times a stream's Raft group lost quorum (advisory io.nats.jetstream.advisory.v1.stream_quorum_lost).",
       kStreamLabels},
      {JsAdvisoryKind::kConsumerQuorumLost, "nats_jetstream_advisory_consumer_quorum_lost_total",
       "Times a consumer's Raft group lost quorum (advisory io.nats.jetstream.advisory.v1.consumer_quorum_lost).",
       kConsumerLabels},
      {JsAdvisoryKind::kStreamAction,
       "nats_jetstream_advisory_stream_actions_total",
       "Streams created, deleted or updated, by action: create, delete, modify (advisory "
       "io.nats.jetstream.advisory.v1.stream_action action).",
       {"account", "stream", "action"}},
      {JsAdvisoryKind::kConsumerAction,
       "nats_jetstream_advisory_consumer_actions_total",
       "Consumers created, deleted or updated, by stream and action: create, delete, modify (advisory "
       "io.nats.jetstream.advisory.v1.consumer_action action).",
       {"account", "stream", "action"}},
      {JsAdvisoryKind::kSnapshotCreate, "nats_jetstream_advisory_snapshots_total",
       "Stream snapshots started (phase create) and completed (phase complete) (advisories "
       "io.nats.jetstream.advisory.v1.snapshot_create, snapshot_complete).",
       kPhaseLabels},
      {JsAdvisoryKind::kRestoreCreate, "nats_jetstream_advisory_restores_total",
       "Stream restores started (phase create) and completed (phase complete) (advisories "
       "io.nats.jetstream.advisory.v1.restore_create, restore_complete).",
       kPhaseLabels},
      {JsAdvisoryKind::kApiAudit,
       "nats_jetstream_advisory_api_errors_total",
       "JetStream API calls answered with an error, by the caller's account and JetStream error code (advisory "
       "io.nats.jetstream.advisory.v1.api_audit response error.err_code).",
       {"account", "code"}},
  };
  return specs;
}

// The family row of an event and its label values; false when the event counts in none.
bool SeriesOf(const JsAdvisory& a, size_t* family, std::vector<std::string>* labels) {
  JsAdvisoryKind kind = a.kind;
  std::string phase = "create";
  if (kind == JsAdvisoryKind::kSnapshotComplete) kind = JsAdvisoryKind::kSnapshotCreate, phase = "complete";
  if (kind == JsAdvisoryKind::kRestoreComplete) kind = JsAdvisoryKind::kRestoreCreate, phase = "complete";
  if (kind == JsAdvisoryKind::kApiAudit && !a.api_error_code) return false;
  const auto& specs = Specs();
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].kind != kind) continue;
    *family = i;
    if (kind == JsAdvisoryKind::kApiAudit) {
      *labels = {a.account, std::to_string(*a.api_error_code)};
    } else if (kind == JsAdvisoryKind::kStreamAction || kind == JsAdvisoryKind::kConsumerAction) {
      *labels = {a.account, a.stream, a.action};
    } else if (kind == JsAdvisoryKind::kSnapshotCreate || kind == JsAdvisoryKind::kRestoreCreate) {
      *labels = {a.account, a.stream, phase};
    } else if (specs[i].labels.size() == 2) {
      *labels = {a.account, a.stream};
    } else {
      *labels = {a.account, a.stream, a.consumer};
    }
    return true;
  }
  return false;
}

Labels Zip(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  Labels out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) out.push_back({names[i], values[i]});
  return out;
}

}  // namespace

std::string JsAdvisories::ConsumerLabelLocked(const std::string& stream, const std::string& consumer) const {
  return ephemeral_.count({stream, consumer}) ? std::string(kEphemeralConsumerLabel) : consumer;
}

void JsAdvisories::TrackEphemeralLocked(const JsAdvisory& a) {
  if (a.created_durable == false && ephemeral_.size() < 10 * limit_) ephemeral_.insert({a.stream, a.consumer});
  if (a.kind == JsAdvisoryKind::kConsumerAction && a.action == "delete") ephemeral_.erase({a.stream, a.consumer});
}

JsAdvisories::JsAdvisories(size_t limit, std::vector<double> ack_buckets)
    : limit_(limit), ack_buckets_(std::move(ack_buckets)) {}

void JsAdvisories::CountLocked(size_t family, std::vector<std::string> labels) {
  Key key{family, std::move(labels)};
  auto it = counts_.find(key);
  if (it == counts_.end()) {
    if (counts_.size() + ack_.size() >= limit_) {
      ++dropped_;
      return;
    }
    it = counts_.emplace(std::move(key), 0).first;
  }
  ++it->second;
}

std::string_view AccountOfAdvisorySubject(std::string_view subject) {
  constexpr std::string_view kEvents = ".$JS.EVENT.";
  const size_t at = subject.find(kEvents);
  if (at == std::string_view::npos || at == 0) return {};
  return subject.substr(0, at);
}

void JsAdvisories::Observe(std::string_view payload, std::string_view subject) {
  Result<JsAdvisory> a = ParseJsAdvisory(payload);
  if (a && a->account.empty()) a.value().account = AccountOfAdvisorySubject(subject);
  std::lock_guard lock(mu_);
  const uint64_t dropped_before = dropped_;
  if (!a) {
    ++invalid_;
    if (!invalid_logged_) {
      invalid_logged_ = true;
      spdlog::warn("invalid JetStream advisory ignored (counted in nats_jetstream_advisory_invalid_total): {}",
                   a.error());
    }
    return;
  }
  by_type_[a->kind == JsAdvisoryKind::kOther ? std::string("other") : std::string(JsAdvisoryShortType(a->type))]++;
  TrackEphemeralLocked(*a);
  JsAdvisory event = *a;
  if (!event.consumer.empty()) event.consumer = ConsumerLabelLocked(event.stream, event.consumer);
  if (event.kind == JsAdvisoryKind::kConsumerAck) {
    std::vector<std::string> labels{event.account, event.stream, event.consumer};
    auto it = ack_.find(labels);
    if (it == ack_.end()) {
      if (counts_.size() + ack_.size() >= limit_) {
        ++dropped_;
      } else {
        it = ack_.emplace(std::move(labels), Histogram(ack_buckets_)).first;
      }
    }
    if (it != ack_.end()) it->second.Observe(event.ack_seconds);
  } else {
    size_t family = 0;
    std::vector<std::string> labels;
    if (SeriesOf(event, &family, &labels)) CountLocked(family, std::move(labels));
  }
  if (dropped_ > dropped_before && !dropped_logged_) {
    dropped_logged_ = true;
    spdlog::warn(
        "JetStream advisories: {} label sets reached (--jetstream.advisories-limit); events of new "
        "streams or consumers are counted only in nats_jetstream_advisory_series_dropped_total",
        limit_);
  }
}

void JsAdvisories::Render(Families& out) const {
  std::lock_guard lock(mu_);
  auto types = out.Counter("nats_jetstream_advisories_total",
                           "JetStream advisories and metrics received, by the last part of their type; types "
                           "farrier does not know count as other ($JS.EVENT.ADVISORY.>, $JS.EVENT.METRIC.> type).");
  for (const auto& [type, n] : by_type_) types.Add(static_cast<double>(n), {{"type", type}});
  out.Counter("nats_jetstream_advisory_invalid_total",
              "Messages on $JS.EVENT.ADVISORY.> or $JS.EVENT.METRIC.> that were not valid advisories "
              "($JS.EVENT.> type).")
      .Add(static_cast<double>(invalid_));
  out.Counter("nats_jetstream_advisory_series_dropped_total",
              "Advisories not given a series of their own because --jetstream.advisories-limit label sets "
              "existed ($JS.EVENT.> type).")
      .Add(static_cast<double>(dropped_));
  const auto& specs = Specs();
  for (size_t f = 0; f < specs.size(); ++f) {
    auto first = counts_.lower_bound(Key{f, {}});
    if (first == counts_.end() || std::get<0>(first->first) != f) continue;
    auto family = out.Counter(specs[f].name, specs[f].help);
    for (auto it = first; it != counts_.end() && std::get<0>(it->first) == f; ++it) {
      family.Add(static_cast<double>(it->second), Zip(specs[f].labels, std::get<1>(it->first)));
    }
  }
  if (!ack_.empty()) {
    auto ack = out.Histogram("nats_jetstream_advisory_consumer_ack_seconds",
                             "Time from delivery to ack of sampled messages, for consumers with sample_freq "
                             "(metric io.nats.jetstream.metric.v1.consumer_ack ack_time).");
    for (const auto& [labels, h] : ack_) ack.AddHistogram(h, Zip(kConsumerLabels, labels));
  }
}

}  // namespace farrier
