// /jsz polled without config=true between answers with it (sources/jsz_config.h): on every
// release's captures, the series of a poll without config equal those of a poll with it, new or
// re-created assets are read with config at once, and --jsz.config-refresh bounds how long
// configured fields are reused.
#include "sources/jsz_config.h"

#include <gtest/gtest.h>

#include <set>

#include "capture_fetcher.h"
#include "fixtures.h"
#include "rendered.h"
#include "snapshot/registry.h"
#include "snapshot/snapshot.h"

namespace farrier {
namespace {

using namespace std::chrono_literals;

const std::string kFull = "/jsz?accounts=true&streams=true&consumers=true&config=true";
const std::string kLight = "/jsz?accounts=true&streams=true&consumers=true&config=false";

const SourceSpec& JszSource() {
  for (const SourceSpec& s : AllSources()) {
    if (s.name == "jsz") return s;
  }
  throw std::runtime_error("no jsz source");
}

// jsz-full.json and jsz-light.json were captured one after the other from the same server.
test::CaptureFetcher SameStateFetcher(const std::string& release) {
  return test::CaptureFetcher(release, {{kFull, "jsz-full.json"}, {kLight, "jsz-light.json"}});
}

// One poll of the jsz source, rendered; fails the test when the poll fails.
test::Rendered PollAndRender(Fetcher& fetcher, const SourceOptions& options, SourceMemory& memory) {
  SourceOutcome outcome = JszSource().poll(fetcher, options, memory);
  EXPECT_FALSE(outcome.failure) << outcome.detail;
  ServerView view;
  if (outcome.store) outcome.store(view);
  Families families;
  JszSource().render(view, options, families);
  return test::Rendered(families);
}

// Every series of a family as "labels=value" (value left out for families that change between
// two captures).
std::set<std::string> Series(const test::Rendered& r, const std::string& family, bool with_values) {
  std::set<std::string> out;
  const test::RenderedFamily* f = r.Family(family);
  if (!f) return out;
  for (const test::RenderedSample& s : f->samples) {
    std::string line;
    for (const auto& [k, v] : s.labels) line += k + "=" + v + ",";
    if (with_values) line += std::to_string(s.value);
    out.insert(line);
  }
  return out;
}

TEST(JszConfig, AnswerWithoutConfigLacksTheConfiguredFields) {
  // What makes the memory necessary: the server leaves them out (so the tests below can fail).
  for (const std::string& release : test::CapturedReleases()) {
    SCOPED_TRACE(release);
    Result<Jsz> light = ParseJsz(test::ReadFixtureOf(release, "jsz-light.json"));
    ASSERT_TRUE(light) << light.error();
    ASSERT_FALSE(light->consumer_details.empty());
    for (const JszStream& s : light->stream_details) EXPECT_EQ(s.storage, "") << s.name;
    for (const JszConsumer& c : light->consumer_details) {
      EXPECT_EQ(c.max_ack_pending, -1) << c.name;
      EXPECT_FALSE(c.durable) << c.name;
      EXPECT_FALSE(c.created.empty()) << c.name;
    }
  }
}

TEST(JszConfig, PollWithoutConfigRendersWhatThePollWithConfigDid) {
  for (const std::string& release : test::CapturedReleases()) {
    SCOPED_TRACE(release);
    test::CaptureFetcher fetcher = SameStateFetcher(release);
    SourceOptions options;
    SourceMemory memory;
    const test::Rendered full = PollAndRender(fetcher, options, memory);
    EXPECT_EQ(fetcher.Requests(kFull), 1);
    EXPECT_EQ(fetcher.Requests(kLight), 0);
    const test::Rendered light = PollAndRender(fetcher, options, memory);
    EXPECT_EQ(fetcher.Requests(kFull), 1) << "the second poll asks without config";
    EXPECT_EQ(fetcher.Requests(kLight), 1);

    // Configured values, from the memory.
    for (const char* family : {"nats_stream_replicas", "nats_stream_max_bytes", "nats_stream_max_msgs",
                               "nats_consumer_max_ack_pending", "nats_jetstream_max_memory_bytes"}) {
      SCOPED_TRACE(family);
      EXPECT_EQ(Series(light, family, true), Series(full, family, true));
    }
    EXPECT_FALSE(Series(full, "nats_consumer_max_ack_pending", true).empty());
    // The same series (ephemerals folded by durable_name, storage labels) in every family.
    for (const char* family : {"nats_consumer_num_pending", "nats_consumer_num_ack_pending", "nats_stream_messages",
                               "nats_stream_bytes", "nats_consumer_leader", "nats_stream_leader"}) {
      SCOPED_TRACE(family);
      EXPECT_FALSE(Series(full, family, false).empty());
      EXPECT_EQ(Series(light, family, false), Series(full, family, false));
    }
  }
}

TEST(JszConfig, ZeroRefreshAsksWithConfigEveryPoll) {
  test::CaptureFetcher fetcher = SameStateFetcher("2.15.3");
  SourceOptions options;
  options.jsz_config_refresh = 0ms;
  SourceMemory memory;
  for (int i = 0; i < 3; ++i) PollAndRender(fetcher, options, memory);
  EXPECT_EQ(fetcher.Requests(kFull), 3);
  EXPECT_EQ(fetcher.Requests(kLight), 0);
}

TEST(JszConfig, AnAssetNotSeenBeforeIsReadWithConfigInTheSamePoll) {
  for (const std::string& release : test::CapturedReleases()) {
    SCOPED_TRACE(release);
    test::CaptureFetcher fetcher = SameStateFetcher(release);
    SourceOptions options;
    SourceMemory memory;
    // The memory of a poll that happened before the last consumer was created.
    Result<Jsz> parsed = ParseJsz(test::ReadFixtureOf(release, "jsz-full.json"));
    ASSERT_TRUE(parsed) << parsed.error();
    Jsz before = std::move(parsed).value();
    const std::string newest = before.consumer_details.back().name;
    before.consumer_details.pop_back();
    memory.jsz.Remember(before, JszConfigMemory::Clock::now());

    const test::Rendered now = PollAndRender(fetcher, options, memory);
    EXPECT_EQ(fetcher.Requests(kLight), 1);
    EXPECT_EQ(fetcher.Requests(kFull), 1) << "the miss asks again with config in the same poll";
    test::CaptureFetcher fresh = SameStateFetcher(release);
    SourceMemory no_memory;
    const test::Rendered expected = PollAndRender(fresh, options, no_memory);
    EXPECT_EQ(Series(now, "nats_consumer_max_ack_pending", true),
              Series(expected, "nats_consumer_max_ack_pending", true));
    EXPECT_EQ(memory.jsz.consumers(), before.consumer_details.size() + 1) << newest;

    // That answer brought an asset the memory lacked: the next poll asks with config again
    // (assets may be appearing all the time); one that brings nothing new lets polls go light.
    PollAndRender(fetcher, options, memory);
    EXPECT_EQ(fetcher.Requests(kFull), 2);
    EXPECT_EQ(fetcher.Requests(kLight), 1);
    PollAndRender(fetcher, options, memory);
    EXPECT_EQ(fetcher.Requests(kFull), 2);
    EXPECT_EQ(fetcher.Requests(kLight), 2);
  }
}

TEST(JszConfig, AnAssetCreatedAgainUnderItsNameIsNotKnown) {
  Result<Jsz> full = ParseJsz(test::ReadFixtureOf("2.15.3", "jsz-full.json"));
  Result<Jsz> light = ParseJsz(test::ReadFixtureOf("2.15.3", "jsz-light.json"));
  ASSERT_TRUE(full && light);
  JszConfigMemory memory;
  memory.Remember(*full, JszConfigMemory::Clock::now());
  Jsz same = *light;
  EXPECT_TRUE(memory.Fill(same));

  Jsz consumer_again = *light;
  consumer_again.consumer_details.front().created = "2099-01-01T00:00:00Z";
  EXPECT_FALSE(memory.Fill(consumer_again));
  Jsz stream_again = *light;
  stream_again.stream_details.front().created = "2099-01-01T00:00:00Z";
  EXPECT_FALSE(memory.Fill(stream_again));
  // Names are told apart whole: moving a character from the stream to the consumer is not a match.
  Jsz shifted = *light;
  JszConsumer& c = shifted.consumer_details.front();
  c.name = c.stream.back() + c.name;
  c.stream.pop_back();
  EXPECT_FALSE(memory.Fill(shifted));
}

TEST(JszConfig, ConfiguredFieldsAreReusedForTheRefreshPeriodOnly) {
  Result<Jsz> full = ParseJsz(test::ReadFixtureOf("2.9.10", "jsz-full.json"));
  ASSERT_TRUE(full);
  JszConfigMemory memory;
  const auto t0 = JszConfigMemory::Clock::now();
  EXPECT_FALSE(memory.LightAllowed(t0, 1min)) << "nothing remembered yet";
  memory.Remember(*full, t0);
  EXPECT_TRUE(memory.LightAllowed(t0 + 59s, 1min));
  EXPECT_FALSE(memory.LightAllowed(t0 + 60s, 1min));
  EXPECT_FALSE(memory.LightAllowed(t0 + 1s, 0ms));
  memory.Remember(*full, t0 + 60s);
  EXPECT_TRUE(memory.LightAllowed(t0 + 61s, 1min)) << "the same assets again: stable";
}

}  // namespace
}  // namespace farrier
