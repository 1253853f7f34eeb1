// json_fields: the typed readers every parser uses, Go duration and RFC 3339 conversion.
#include "core/json_fields.h"

#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"

namespace farrier {
namespace {

using json_fields::Json;
using json_fields::SchemaError;
using test::FixtureJson;

// The SchemaError message of `f`, or "" when it does not throw.
template <class F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const SchemaError& e) {
    return e.what();
  }
  return "";
}

TEST(GoDurationSeconds, FormatsTheServerPrints) {
  // Spellings seen in the 2.9.10 captures (rtt fields) plus the multi-unit forms Go prints.
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("335\xC2\xB5s"), 335e-6);  // "335µs"
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("1.761626ms"), 1.761626e-3);
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("0s"), 0);
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("0"), 0);
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("120ns"), 120e-9);
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("2m3.5s"), 123.5);
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("1h0m1s"), 3601);
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("3us"), 3e-6);
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("3\xCE\xBCs"), 3e-6);  // Greek mu
  EXPECT_DOUBLE_EQ(json_fields::GoDurationSeconds("-1.5s"), -1.5);
}

TEST(GoDurationSeconds, RejectsNonDurations) {
  EXPECT_LT(json_fields::GoDurationSeconds(""), 0);
  EXPECT_LT(json_fields::GoDurationSeconds("5"), 0);  // no unit
  EXPECT_LT(json_fields::GoDurationSeconds("fast"), 0);
  EXPECT_LT(json_fields::GoDurationSeconds("1.2.3s"), 0);
  EXPECT_LT(json_fields::GoDurationSeconds("3d"), 0);  // Go has no day unit
  EXPECT_LT(json_fields::GoDurationSeconds("ms"), 0);
}

// A lone "-" is not a duration.
TEST(GoDurationSeconds, RejectsLoneSign) { EXPECT_LT(json_fields::GoDurationSeconds("-"), 0); }

TEST(GoDurationSeconds, EveryRttInTheConnzCaptureIsAPlausibleRoundTrip) {
  Json connz = FixtureJson("connz.json");
  ASSERT_FALSE(connz["connections"].empty());
  for (const Json& c : connz["connections"]) {
    double rtt = json_fields::GoDurationSeconds(c["rtt"].get<std::string>());
    EXPECT_GT(rtt, 0) << c["rtt"];
    EXPECT_LT(rtt, 1) << c["rtt"];  // loopback
  }
}

TEST(Rfc3339Seconds, ServerTimestamps) {
  // 2026-11-23T05:26:11Z is 1795411571 (date -u -d ... +%s).
  EXPECT_DOUBLE_EQ(json_fields::Rfc3339Seconds("2026-11-23T05:26:11Z"), 1795411571);
  EXPECT_NEAR(json_fields::Rfc3339Seconds("2026-11-23T05:26:11.892317193Z"), 1795411571.892317193, 1e-6);
  EXPECT_DOUBLE_EQ(json_fields::Rfc3339Seconds("2026-11-23T06:26:11+01:00"), 1795411571);
  EXPECT_DOUBLE_EQ(json_fields::Rfc3339Seconds("2026-11-23T00:26:11-05:00"), 1795411571);
  EXPECT_DOUBLE_EQ(json_fields::Rfc3339Seconds("1970-01-01T00:00:00Z"), 0);
}

TEST(Rfc3339Seconds, RejectsOtherText) {
  EXPECT_LT(json_fields::Rfc3339Seconds(""), 0);
  EXPECT_LT(json_fields::Rfc3339Seconds("yesterday"), 0);
  EXPECT_LT(json_fields::Rfc3339Seconds("2026-11-23 05:26:11Z"), 0);
  EXPECT_LT(json_fields::Rfc3339Seconds("2026-11-23T05:26:11"), 0);  // no zone
  EXPECT_LT(json_fields::Rfc3339Seconds("2026-11-23T05:26:11Zjunk"), 0);
}

TEST(Rfc3339Seconds, CapturedStartPrecedesNow) {
  Json varz = FixtureJson("varz.json");
  double start = json_fields::Rfc3339Seconds(varz["start"].get<std::string>());
  double now = json_fields::Rfc3339Seconds(varz["now"].get<std::string>());
  EXPECT_GT(start, 1.7e9);  // after 2023
  EXPECT_LE(start, now);
  EXPECT_LT(now - start, 3600);  // the capture script runs for seconds
}

TEST(TypedFields, ReadValuesOfTheRightType) {
  Json varz = FixtureJson("varz.json");
  EXPECT_EQ(json_fields::U64(varz, "connections", "$"), varz["connections"].get<uint64_t>());
  EXPECT_EQ(json_fields::I64(varz, "max_pending", "$"), 67108864);
  EXPECT_DOUBLE_EQ(json_fields::F64(varz, "cpu", "$"), varz["cpu"].get<double>());
  EXPECT_DOUBLE_EQ(json_fields::F64(varz, "max_payload", "$"), 1048576);  // integer as number
  EXPECT_EQ(json_fields::Str(varz, "version", "$"), "2.9.10");
  EXPECT_TRUE(json_fields::Object(varz, "jetstream", "$").is_object());
  EXPECT_TRUE(json_fields::Array(FixtureJson("connz.json"), "connections", "$").is_array());
  // 2.9.10 prints "unlimited" reservations as uint64 max: it must survive as unsigned.
  Json jsz = FixtureJson("jsz-full.json");
  EXPECT_EQ(json_fields::U64(jsz["account_details"][0], "reserved_memory", "$"), 18446744073709551615ull);
}

TEST(TypedFields, AbsentAndNullAreZeroUnlessRequired) {
  Json obj = Json::parse(R"({"n": null})");
  EXPECT_EQ(json_fields::U64(obj, "missing", "$"), 0u);
  EXPECT_EQ(json_fields::U64(obj, "n", "$"), 0u);
  EXPECT_EQ(json_fields::Str(obj, "missing", "$"), "");
  EXPECT_FALSE(json_fields::Bool(obj, "missing", "$"));
  EXPECT_TRUE(json_fields::Object(obj, "missing", "$").is_null());
  EXPECT_TRUE(json_fields::Array(obj, "n", "$").is_null());
  EXPECT_EQ(ErrorOf([&] { json_fields::U64(obj, "n", "$.x", true); }),
            "$.x.n: expected unsigned integer, field missing");
  EXPECT_EQ(ErrorOf([&] { json_fields::Str(obj, "missing", "$", true); }), "$.missing: expected string, field missing");
}

TEST(TypedFields, WrongTypesNameThePath) {
  Json wrong = FixtureJson("wrong-type-varz.json");  // "connections": "many"
  EXPECT_EQ(ErrorOf([&] { json_fields::U64(wrong, "connections", "$"); }),
            "$.connections: expected unsigned integer, got string");
  EXPECT_EQ(ErrorOf([&] { json_fields::I64(wrong, "connections", "$"); }),
            "$.connections: expected integer, got string");
  EXPECT_EQ(ErrorOf([&] { json_fields::F64(wrong, "connections", "$"); }),
            "$.connections: expected number, got string");
  EXPECT_EQ(ErrorOf([&] { json_fields::Str(wrong, "port", "$"); }), "$.port: expected string, got number");
  EXPECT_EQ(ErrorOf([&] { json_fields::Bool(wrong, "version", "$"); }), "$.version: expected boolean, got string");
  EXPECT_EQ(ErrorOf([&] { json_fields::Object(wrong, "version", "$"); }), "$.version: expected object, got string");
  EXPECT_EQ(ErrorOf([&] { json_fields::Array(wrong, "cluster", "$"); }), "$.cluster: expected array, got object");
  // A negative count is not an unsigned integer; a fraction is not an integer.
  Json nums = Json::parse(R"({"neg": -1, "frac": 1.5})");
  EXPECT_EQ(ErrorOf([&] { json_fields::U64(nums, "neg", "$"); }), "$.neg: expected unsigned integer, got number");
  EXPECT_EQ(ErrorOf([&] { json_fields::I64(nums, "frac", "$"); }), "$.frac: expected integer, got number");
  // The container itself must be an object.
  EXPECT_EQ(ErrorOf([&] { json_fields::U64(Json::array(), "x", "$.list[0]"); }), "$.list[0]: expected object");
}

TEST(ParseObject, RejectsWhatIsNotAJsonObject) {
  EXPECT_EQ(ErrorOf([] { json_fields::ParseObject(test::ReadFixture("empty.json")); }), "empty body");
  EXPECT_EQ(ErrorOf([] { json_fields::ParseObject(test::ReadFixture("garbage.txt")); }), "body is not valid JSON");
  EXPECT_EQ(ErrorOf([] { json_fields::ParseObject(test::ReadFixture("truncated-varz.json")); }),
            "body is not valid JSON");
  EXPECT_EQ(ErrorOf([] { json_fields::ParseObject(test::ReadFixture("not-found.txt")); }), "body is not valid JSON");
  EXPECT_EQ(ErrorOf([] { json_fields::ParseObject("[1, 2]"); }), "$: expected object, got array");
  EXPECT_EQ(ErrorOf([] { json_fields::ParseObject(test::ReadFixture("varz.json")); }), "");
}

TEST(ParseWith, PrefixesTheSourceName) {
  Result<int> bad = json_fields::ParseWith<int>("varz", test::ReadFixture("wrong-type-varz.json"), [](const Json& j) {
    return static_cast<int>(json_fields::U64(j, "connections", "$"));
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "varz: $.connections: expected unsigned integer, got string");
  Result<int> good = json_fields::ParseWith<int>("varz", test::ReadFixture("varz.json"), [](const Json& j) {
    return static_cast<int>(json_fields::U64(j, "connections", "$"));
  });
  ASSERT_TRUE(good.ok()) << good.error();
  EXPECT_EQ(*good, 7);  // README: 5 idle + svc-workers + orders-setup
}

}  // namespace
}  // namespace farrier
