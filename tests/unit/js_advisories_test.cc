// JetStream advisories: ParseJsAdvisory and the JsAdvisories counters on the advisories captured
// from every release by scripts/capture/advisories.sh (tests/fixtures/advisories/nats-*), whose
// names (stream ADV; consumers NAKS, TERMS, ACKS; R3/C3 on a cluster) are asserted as literals.
#include <gtest/gtest.h>

#include <string>

#include "advisory_fixtures.h"
#include "rendered.h"
#include "services/js_advisories.h"
#include "services/js_advisory.h"

namespace farrier {
namespace {

using test::AdvisoriesOf;
using test::AdvisoryReleases;
using test::ReadAdvisory;
using Json = nlohmann::json;

JsAdvisory Parsed(const std::string& body) {
  Result<JsAdvisory> a = ParseJsAdvisory(body);
  EXPECT_TRUE(a.ok()) << a.error() << "\n" << body;
  return a.ok() ? *a : JsAdvisory{};
}

std::string ErrorOf(const std::string& body) {
  Result<JsAdvisory> a = ParseJsAdvisory(body);
  EXPECT_FALSE(a.ok()) << "parsed: " << body;
  return a.ok() ? std::string() : a.error();
}

std::string Edited(const std::string& release, const std::string& type, void (*edit)(Json&)) {
  Json j = Json::parse(ReadAdvisory(release, type));
  edit(j);
  return j.dump();
}

TEST(ParseJsAdvisory, EveryReleaseHasEveryCaptureTheScriptPromises) {
  ASSERT_GE(AdvisoryReleases().size(), 6u);
  for (const std::string& release : AdvisoryReleases()) {
    std::vector<std::string> names;
    for (const auto& [name, body] : AdvisoriesOf(release)) names.push_back(name);
    EXPECT_EQ(names,
              (std::vector<std::string>{"api_audit", "api_audit-durable_create", "api_audit-ephemeral_create",
                                        "api_audit-error", "consumer_ack", "consumer_action", "consumer_leader_elected",
                                        "max_deliver", "nak", "snapshot_complete", "snapshot_create", "stream_action",
                                        "stream_leader_elected", "terminated"}))
        << release;
  }
}

TEST(ParseJsAdvisory, EveryCaptureParsesToItsKindWithTheCapturesNames) {
  for (const std::string& release : AdvisoryReleases()) {
    SCOPED_TRACE(release);
    for (const auto& [name, body] : AdvisoriesOf(release)) {
      SCOPED_TRACE(name);
      const Json j = Json::parse(body);
      JsAdvisory a = Parsed(body);
      EXPECT_EQ(a.type, j["type"].get<std::string>());
      EXPECT_NE(a.kind, JsAdvisoryKind::kOther);
      EXPECT_EQ(JsAdvisoryShortType(a.type), name.substr(0, name.find('-')));
      if (j.contains("stream")) {
        EXPECT_EQ(a.stream, j["stream"].get<std::string>());
      }
      if (j.contains("consumer")) {
        EXPECT_EQ(a.consumer, j["consumer"].get<std::string>());
      }
      // Only an API audit takes the account from its client (the caller); snapshots name a client too.
      const bool audit = a.kind == JsAdvisoryKind::kApiAudit;
      EXPECT_EQ(a.account, audit ? j["client"].value("acc", "") : j.value("account", ""));
    }
    EXPECT_EQ(Parsed(ReadAdvisory(release, "max_deliver")).kind, JsAdvisoryKind::kMaxDeliver);
    EXPECT_EQ(Parsed(ReadAdvisory(release, "max_deliver")).consumer, "NAKS");
    EXPECT_EQ(Parsed(ReadAdvisory(release, "nak")).consumer, "NAKS");
    EXPECT_EQ(Parsed(ReadAdvisory(release, "terminated")).consumer, "TERMS");
    EXPECT_EQ(Parsed(ReadAdvisory(release, "terminated")).kind, JsAdvisoryKind::kTerminated);
    JsAdvisory created = Parsed(ReadAdvisory(release, "stream_action"));
    EXPECT_EQ(created.stream, "ADV");
    EXPECT_EQ(created.action, "create");
    EXPECT_EQ(Parsed(ReadAdvisory(release, "consumer_action")).action, "create");
    EXPECT_EQ(Parsed(ReadAdvisory(release, "stream_leader_elected")).stream, "R3");
    EXPECT_EQ(Parsed(ReadAdvisory(release, "consumer_leader_elected")).consumer, "C3");
    EXPECT_EQ(Parsed(ReadAdvisory(release, "snapshot_create")).kind, JsAdvisoryKind::kSnapshotCreate);
    EXPECT_EQ(Parsed(ReadAdvisory(release, "snapshot_complete")).kind, JsAdvisoryKind::kSnapshotComplete);
  }
}

TEST(ParseJsAdvisory, ApiAuditCarriesTheErrorCodeOfAnErrorReply) {
  for (const std::string& release : AdvisoryReleases()) {
    SCOPED_TRACE(release);
    JsAdvisory error = Parsed(ReadAdvisory(release, "api_audit-error"));
    ASSERT_TRUE(error.api_error_code.has_value());
    EXPECT_EQ(*error.api_error_code, 10059);  // INFO of the missing stream: "stream not found"
    EXPECT_EQ(error.account, "$G");
    EXPECT_FALSE(Parsed(ReadAdvisory(release, "api_audit")).api_error_code.has_value());
  }
}

TEST(ParseJsAdvisory, ConsumerCreationAuditsTellEphemeralFromDurable) {
  for (const std::string& release : AdvisoryReleases()) {
    SCOPED_TRACE(release);
    JsAdvisory durable = Parsed(ReadAdvisory(release, "api_audit-durable_create"));
    EXPECT_EQ(durable.created_durable, true);
    EXPECT_EQ(durable.stream, "ADV");
    EXPECT_EQ(durable.consumer, "NAKS");
    const std::string body = ReadAdvisory(release, "api_audit-ephemeral_create");
    JsAdvisory ephemeral = Parsed(body);
    EXPECT_EQ(ephemeral.created_durable, false);
    EXPECT_EQ(ephemeral.stream, "ADV");
    EXPECT_EQ(ephemeral.consumer, Json::parse(Json::parse(body)["response"].get<std::string>())["name"]);
    EXPECT_FALSE(ephemeral.api_error_code);
    EXPECT_FALSE(Parsed(ReadAdvisory(release, "api_audit")).created_durable);  // a stream creation
  }
}

TEST(ParseJsAdvisory, ConsumerAckTimeInSeconds) {
  for (const std::string& release : AdvisoryReleases()) {
    const std::string body = ReadAdvisory(release, "consumer_ack");
    JsAdvisory a = Parsed(body);
    EXPECT_EQ(a.kind, JsAdvisoryKind::kConsumerAck);
    EXPECT_EQ(a.consumer, "ACKS");
    EXPECT_DOUBLE_EQ(a.ack_seconds, Json::parse(body)["ack_time"].get<int64_t>() / 1e9) << release;
    EXPECT_GT(a.ack_seconds, 0) << release;
  }
}

TEST(ParseJsAdvisory, UnknownTypesParseAsOther) {
  JsAdvisory a = Parsed(R"({"type":"io.nats.jetstream.advisory.v1.consumer_pause","stream":"S"})");
  EXPECT_EQ(a.kind, JsAdvisoryKind::kOther);
  EXPECT_EQ(a.type, "io.nats.jetstream.advisory.v1.consumer_pause");
}

TEST(ParseJsAdvisory, BrokenAdvisoriesNameThePath) {
  const std::string v = AdvisoryReleases().back();
  EXPECT_EQ(ErrorOf("{\"type\":").rfind("js_advisory: ", 0), 0u);
  EXPECT_NE(ErrorOf("[]").find("js_advisory: "), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"stream":"S"})").find("$.type"), std::string::npos);
  EXPECT_NE(ErrorOf(Edited(v, "max_deliver", [](Json& j) { j.erase("stream"); })).find("$.stream"), std::string::npos);
  EXPECT_NE(ErrorOf(Edited(v, "nak", [](Json& j) { j["consumer"] = 7; })).find("$.consumer"), std::string::npos);
  EXPECT_NE(ErrorOf(Edited(v, "stream_action", [](Json& j) { j["action"] = "explode"; })).find("$.action"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Edited(v, "consumer_ack", [](Json& j) { j["ack_time"] = -1; })).find("$.ack_time"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Edited(v, "api_audit-error", [](Json& j) { j["response"] = "{not json"; })).find("$.response"),
            std::string::npos);
}

// The counters after each release's captures are observed: one series per captured event.
TEST(JsAdvisories, CountsEachCapturedAdvisoryInItsFamily) {
  for (const std::string& release : AdvisoryReleases()) {
    SCOPED_TRACE(release);
    JsAdvisories counts(1000, {0.001, 0.01, 0.1, 1});
    for (const auto& [name, body] : AdvisoriesOf(release)) counts.Observe(body);
    counts.Observe(ReadAdvisory(release, "nak"));  // a second NAK of the same consumer
    Families families;
    counts.Render(families);
    test::Rendered r(families);
    const test::LabelMap adv{{"account", ""}, {"stream", "ADV"}};
    auto with = [](test::LabelMap m, const std::string& k, const std::string& v) {
      m[k] = v;
      return m;
    };
    EXPECT_EQ(r.Value("nats_jetstream_advisory_naks_total", with(adv, "consumer", "NAKS")), 2);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_max_deliveries_total", with(adv, "consumer", "NAKS")), 1);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_terminated_total", with(adv, "consumer", "TERMS")), 1);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_stream_actions_total", with(adv, "action", "create")), 1);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_consumer_actions_total", with(adv, "action", "create")), 1);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_snapshots_total", with(adv, "phase", "create")), 1);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_snapshots_total", with(adv, "phase", "complete")), 1);
    const std::string account = Parsed(ReadAdvisory(release, "stream_leader_elected")).account;
    EXPECT_EQ(
        r.Value("nats_jetstream_advisory_stream_leader_elections_total", {{"account", account}, {"stream", "R3"}}), 1);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_consumer_leader_elections_total",
                      {{"account", account}, {"stream", "R3"}, {"consumer", "C3"}}),
              1);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_api_errors_total", {{"account", "$G"}, {"code", "10059"}}), 1);
    EXPECT_EQ(r.SampleCount("nats_jetstream_advisory_api_errors_total"), 1u);  // the success is not an error
    EXPECT_EQ(r.Value("nats_jetstream_advisories_total", {{"type", "nak"}}), 2);
    EXPECT_EQ(r.Value("nats_jetstream_advisories_total", {{"type", "api_audit"}}), 4);  // 4 captures
    EXPECT_EQ(r.Value("nats_jetstream_advisories_total", {{"type", "consumer_ack"}}), 1);
    EXPECT_FALSE(r.Value("nats_jetstream_advisories_total", {{"type", "other"}}));
    EXPECT_EQ(r.Value("nats_jetstream_advisory_invalid_total"), 0);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_series_dropped_total"), 0);
    const test::RenderedFamily* ack = r.Family("nats_jetstream_advisory_consumer_ack_seconds");
    ASSERT_NE(ack, nullptr);
    EXPECT_EQ(ack->type, prometheus::MetricType::Histogram);
    ASSERT_EQ(ack->samples.size(), 1u);
    EXPECT_EQ(ack->samples[0].labels, with(adv, "consumer", "ACKS"));
  }
}

TEST(AccountOfAdvisorySubject, ThePrefixBeforeTheEventSubjects) {
  EXPECT_EQ(AccountOfAdvisorySubject("ORDERS.$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.ADV.NAKS"), "ORDERS");
  EXPECT_EQ(AccountOfAdvisorySubject("BILLING.$JS.EVENT.METRIC.CONSUMER.ACK.ADV.ACKS"), "BILLING");
  EXPECT_EQ(AccountOfAdvisorySubject("$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.ADV.NAKS"), "");
  EXPECT_EQ(AccountOfAdvisorySubject("$JS.EVENT.ADVISORY.API"), "");
  EXPECT_EQ(AccountOfAdvisorySubject("unrelated.subject"), "");
}

// Events imported under a prefix naming their account keep equal stream names of two accounts
// apart; an account the payload names (the caller of an API audit) wins over the prefix.
TEST(JsAdvisories, ImportPrefixNamesTheAccountThePayloadDoesNot) {
  for (const std::string& release : AdvisoryReleases()) {
    SCOPED_TRACE(release);
    const std::string nak = ReadAdvisory(release, "nak");
    JsAdvisories counts(1000, {1});
    counts.Observe(nak, "ORDERS.$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.ADV.NAKS");
    counts.Observe(nak, "ORDERS.$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.ADV.NAKS");
    counts.Observe(nak, "BILLING.$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.ADV.NAKS");
    counts.Observe(nak, "$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED.ADV.NAKS");
    counts.Observe(ReadAdvisory(release, "api_audit-error"), "BILLING.$JS.EVENT.ADVISORY.API");
    Families families;
    counts.Render(families);
    test::Rendered r(families);
    auto naks = [&](const std::string& account) {
      return r.Value("nats_jetstream_advisory_naks_total",
                     {{"account", account}, {"stream", "ADV"}, {"consumer", "NAKS"}});
    };
    EXPECT_EQ(naks("ORDERS"), 2);
    EXPECT_EQ(naks("BILLING"), 1);
    EXPECT_EQ(naks(""), 1);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_api_errors_total", {{"account", "$G"}, {"code", "10059"}}), 1);
  }
}

TEST(JsAdvisories, UnknownTypesCountAsOtherAndBrokenOnesAsInvalid) {
  JsAdvisories counts(1000, {1});
  counts.Observe(R"({"type":"io.nats.jetstream.advisory.v1.consumer_pause","stream":"S","consumer":"C"})");
  counts.Observe(R"({"type":"io.nats.jetstream.advisory.v2.something_new"})");
  counts.Observe("not json");
  counts.Observe(R"({"type":"io.nats.jetstream.advisory.v1.max_deliver"})");  // no stream
  Families families;
  counts.Render(families);
  test::Rendered r(families);
  EXPECT_EQ(r.Value("nats_jetstream_advisories_total", {{"type", "other"}}), 2);
  EXPECT_EQ(r.Value("nats_jetstream_advisory_invalid_total"), 2);
  EXPECT_FALSE(r.Has("nats_jetstream_advisory_max_deliveries_total"));
}

TEST(JsAdvisories, LabelSetsBeyondTheLimitAreCountedAsDropped) {
  const std::string v = AdvisoryReleases().back();
  JsAdvisories counts(2, {1});
  for (const char* consumer : {"A", "B", "C", "A", "C"}) {
    Json j = Json::parse(ReadAdvisory(v, "max_deliver"));
    j["consumer"] = consumer;
    counts.Observe(j.dump());
  }
  counts.Observe(ReadAdvisory(v, "consumer_ack"));  // a histogram series is a label set too
  Families families;
  counts.Render(families);
  test::Rendered r(families);
  EXPECT_EQ(r.SampleCount("nats_jetstream_advisory_max_deliveries_total"), 2u);
  EXPECT_EQ(r.Value("nats_jetstream_advisory_max_deliveries_total",
                    {{"account", ""}, {"stream", "ADV"}, {"consumer", "A"}}),
            2);
  EXPECT_EQ(r.Value("nats_jetstream_advisory_max_deliveries_total",
                    {{"account", ""}, {"stream", "ADV"}, {"consumer", "B"}}),
            1);
  EXPECT_EQ(r.Value("nats_jetstream_advisory_series_dropped_total"), 3);  // C twice, the ack once
  EXPECT_EQ(r.Value("nats_jetstream_advisories_total", {{"type", "max_deliver"}}), 5);
  EXPECT_FALSE(r.Has("nats_jetstream_advisory_consumer_ack_seconds"));
}

// A consumer seen created without durable_name is folded into consumer="_ephemeral"; a durable
// keeps its name, and a deleted ephemeral's name is forgotten.
TEST(JsAdvisories, EphemeralConsumersSeenCreatedAreFolded) {
  for (const std::string& release : AdvisoryReleases()) {
    SCOPED_TRACE(release);
    const std::string create = ReadAdvisory(release, "api_audit-ephemeral_create");
    const std::string name = Json::parse(Json::parse(create)["response"].get<std::string>())["name"];
    auto nak_of = [&](const std::string& consumer) {
      Json j = Json::parse(ReadAdvisory(release, "nak"));
      j["consumer"] = consumer;
      return j.dump();
    };
    JsAdvisories counts(1000, {1});
    counts.Observe(nak_of(name));  // before its creation was seen: its own name
    counts.Observe(ReadAdvisory(release, "api_audit-durable_create"));
    counts.Observe(create);
    counts.Observe(nak_of(name));
    counts.Observe(nak_of(name));
    counts.Observe(nak_of("NAKS"));
    Json deleted = Json::parse(ReadAdvisory(release, "consumer_action"));
    deleted["action"] = "delete";
    deleted["consumer"] = name;
    counts.Observe(deleted.dump());
    counts.Observe(nak_of(name));  // the name after the delete: its own again
    Families families;
    counts.Render(families);
    test::Rendered r(families);
    auto consumer = [&](const std::string& c) {
      return test::LabelMap{{"account", ""}, {"stream", "ADV"}, {"consumer", c}};
    };
    EXPECT_EQ(r.Value("nats_jetstream_advisory_naks_total", consumer("_ephemeral")), 2);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_naks_total", consumer(name)), 2);
    EXPECT_EQ(r.Value("nats_jetstream_advisory_naks_total", consumer("NAKS")), 1);
  }
}

}  // namespace
}  // namespace farrier
