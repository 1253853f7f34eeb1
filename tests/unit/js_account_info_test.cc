// $JS.API.INFO and $SYS.REQ.USER.INFO answers (--jetstream.account-info) as captured from every
// release by scripts/capture/account-info.sh (tests/fixtures/account-info/nats-<version>/): the
// account APP with max_streams 10, max_consumers 20, 64 MiB memory and 256 MiB storage holds 3
// streams and 2 consumers; NOJS has no JetStream. Those numbers are the script's, so literals.
#include <gtest/gtest.h>

#include <filesystem>

#include "fixtures.h"
#include "rendered.h"
#include "services/js_account_info.h"

namespace farrier {
namespace {

const std::filesystem::path kRoot = std::filesystem::path(FARRIER_FIXTURES_ROOT) / "account-info";

std::string Capture(const std::string& release, const std::string& file) {
  return test::ReadFixture("../account-info/nats-" + release + "/" + file);
}

TEST(JsAccountInfo, EveryReleaseHasACapture) {
  // One per release of tests/fixtures/nats-*: a new release is captured here too.
  EXPECT_EQ(test::ReleasesUnder(kRoot), test::CapturedReleases());
}

TEST(JsAccountInfo, ParsesEveryReleasesAnswer) {
  for (const std::string& release : test::ReleasesUnder(kRoot)) {
    SCOPED_TRACE(release);
    const std::string body = Capture(release, "account_info.json");
    Result<JsAccountInfoAnswer> r = ParseJsAccountInfo(body);
    ASSERT_TRUE(r) << r.error();
    ASSERT_FALSE(r->error);
    ASSERT_TRUE(r->info);
    EXPECT_EQ(r->info->streams, 3u);
    EXPECT_EQ(r->info->consumers, 2u);
    EXPECT_EQ(r->info->max_streams, 10);
    EXPECT_EQ(r->info->max_consumers, 20);
    EXPECT_EQ(r->info->max_memory, 64 << 20);
    EXPECT_EQ(r->info->max_storage, 256 << 20);
    // Of the run (the one message's stored size): against the capture's own JSON.
    const auto j = nlohmann::json::parse(body);
    EXPECT_EQ(r->info->storage_bytes, j.at("storage").get<uint64_t>());
    EXPECT_EQ(r->info->memory_bytes, j.at("memory").get<uint64_t>());
  }
}

TEST(JsAccountInfo, AnAccountWithoutJetStreamIsTheApisError) {
  for (const std::string& release : test::ReleasesUnder(kRoot)) {
    SCOPED_TRACE(release);
    Result<JsAccountInfoAnswer> r = ParseJsAccountInfo(Capture(release, "account_info-not_enabled.json"));
    ASSERT_TRUE(r) << r.error();
    EXPECT_FALSE(r->info);
    ASSERT_TRUE(r->error);
    EXPECT_EQ(r->error->code, 503);
    EXPECT_EQ(r->error->err_code, kJsNotEnabledForAccount);
    EXPECT_EQ(FailureOf(*r->error), AccountInfoFailure::kNotEnabled);
    EXPECT_NE(r->error->description, "");
  }
}

TEST(JsAccountInfo, OtherApiErrorsAreApiErrors) {
  EXPECT_EQ(FailureOf(JsApiError{500, 10049, "insufficient resources"}), AccountInfoFailure::kApiError);
}

TEST(JsAccountInfo, UserInfoNamesTheAccountFrom210) {
  for (const std::string& release : test::ReleasesUnder(kRoot)) {
    SCOPED_TRACE(release);
    const bool answered = std::filesystem::exists(kRoot / ("nats-" + release) / "user_info.json");
    // 2.9.10 has no responder for $SYS.REQ.USER.INFO; every later release answers it.
    EXPECT_EQ(answered, release != "2.9.10");
    if (!answered) continue;
    Result<std::string> account = ParseUserInfoAccount(Capture(release, "user_info.json"));
    ASSERT_TRUE(account) << account.error();
    EXPECT_EQ(*account, "APP");
  }
}

TEST(JsAccountInfo, BrokenAnswersGiveTheKindAndPath) {
  struct Case {
    std::string body;
    ErrorKind kind;
    std::string message;
  };
  const std::string good = Capture(test::ReleasesUnder(kRoot).back(), "account_info.json");
  auto without = [&](const std::string& pointer) {
    auto j = nlohmann::json::parse(good);
    j.at(nlohmann::json::json_pointer(pointer).parent_pointer()).erase(nlohmann::json::json_pointer(pointer).back());
    return j.dump();
  };
  auto with = [&](const std::string& pointer, const nlohmann::json& v) {
    auto j = nlohmann::json::parse(good);
    j[nlohmann::json::json_pointer(pointer)] = v;
    return j.dump();
  };
  for (const Case& c : std::vector<Case>{
           {good.substr(0, good.size() / 2), ErrorKind::kInvalidJson, "account info: "},
           {"", ErrorKind::kInvalidJson, "account info: "},
           {"[]", ErrorKind::kSchema, "account info: "},
           {without("/streams"), ErrorKind::kSchema, "account info: $.streams: "},
           {without("/limits"), ErrorKind::kSchema, "account info: $.limits: "},
           {without("/limits/max_consumers"), ErrorKind::kSchema, "account info: $.limits.max_consumers: "},
           {with("/streams", "3"), ErrorKind::kSchema, "account info: $.streams: "},
           {with("/limits/max_streams", -2), ErrorKind::kSchema, "account info: $.limits.max_streams: "},
           {with("/type", "io.nats.jetstream.api.v1.stream_info_response"), ErrorKind::kSchema,
            "account info: $.type: "},
           {with("/error", "down"), ErrorKind::kSchema, "account info: $.error: "},
       }) {
    SCOPED_TRACE(c.body);
    Result<JsAccountInfoAnswer> r = ParseJsAccountInfo(c.body);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_kind(), c.kind);
    EXPECT_EQ(r.error().rfind(c.message, 0), 0u) << r.error();
  }
  Result<std::string> none = ParseUserInfoAccount(R"({"data":{"user":"app"}})");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().rfind("user info: $.data.account: ", 0), 0u) << none.error();
}

TEST(JsAccountInfo, RendersLimitsLeavingOutUnlimitedOnesAndUnnamedAccounts) {
  JsAccountInfoStats st;
  st.asked = st.up = true;
  st.info = *ParseJsAccountInfo(Capture(test::ReleasesUnder(kRoot).back(), "account_info.json"))->info;
  st.account = "APP";
  {
    Families f;
    RenderJsAccountInfo(st, f);
    test::Rendered r(f);
    EXPECT_EQ(r.Value("nats_exporter_jetstream_account_info_up"), 1);
    EXPECT_EQ(r.Value("nats_jetstream_account_info_streams", {{"account", "APP"}}), 3);
    EXPECT_EQ(r.Value("nats_jetstream_account_info_consumers", {{"account", "APP"}}), 2);
    EXPECT_EQ(r.Value("nats_jetstream_account_info_max_streams", {{"account", "APP"}}), 10);
    EXPECT_EQ(r.Value("nats_jetstream_account_info_max_consumers", {{"account", "APP"}}), 20);
    for (std::string_view reason : kAccountInfoFailureNames) {  // every reason from the start
      EXPECT_EQ(r.Value("nats_exporter_jetstream_account_info_errors_total", {{"reason", std::string(reason)}}), 0);
    }
  }
  st.info->max_streams = st.info->max_consumers = -1;  // unlimited: no sample, not -1
  {
    Families f;
    RenderJsAccountInfo(st, f);
    test::Rendered r(f);
    EXPECT_FALSE(r.Has("nats_jetstream_account_info_max_streams"));
    EXPECT_FALSE(r.Has("nats_jetstream_account_info_max_consumers"));
    EXPECT_TRUE(r.Has("nats_jetstream_account_info_streams"));
  }
  st.account.reset();  // the answer without the account's name yet: no series under a wrong label
  {
    Families f;
    RenderJsAccountInfo(st, f);
    EXPECT_FALSE(test::Rendered(f).Has("nats_jetstream_account_info_streams"));
  }
}

}  // namespace
}  // namespace farrier
