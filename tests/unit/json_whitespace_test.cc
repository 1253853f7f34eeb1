// JsonWhitespaceFilter on every JSON body captured from every supported release, whole and in
// chunks that split tokens, strings and escapes: the same values, fewer bytes; and a text that is
// not JSON must not become JSON.
#include "core/json_whitespace.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sources/jsz.h"

namespace farrier {
namespace {

std::string Filtered(std::string_view text, size_t chunk) {
  JsonWhitespaceFilter filter;
  std::string out;
  for (size_t at = 0; at < text.size(); at += chunk) filter.Append(text.substr(at, chunk), out);
  return out;
}

std::string Read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(JsonWhitespace, EveryCapturedBodyKeepsItsValuesInAnyChunking) {
  size_t bodies = 0;
  size_t before = 0;
  size_t after = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(FARRIER_FIXTURES_ROOT)) {
    if (entry.path().extension() != ".json") continue;
    const std::string text = Read(entry.path());
    nlohmann::json expected = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (expected.is_discarded()) continue;  // a capture of a broken answer, on purpose
    ++bodies;
    const std::string whole = Filtered(text, text.size() + 1);
    EXPECT_EQ(nlohmann::json::parse(whole), expected) << entry.path();
    for (size_t chunk : {1, 3, 64}) {
      EXPECT_EQ(Filtered(text, chunk), whole) << entry.path() << " in chunks of " << chunk;
    }
    before += text.size();
    after += whole.size();
  }
  EXPECT_GT(bodies, 100u);
  EXPECT_LT(after, before * 3 / 4) << "the captures are indented as nats-server sends them";
}

TEST(JsonWhitespace, StringsKeepTheirSpacesAndEscapes) {
  const std::string text = "{ \"a b\" : \"x \\\" y\\\\\" ,\n  \"c\": [ 1 , -2.5e3, true ,null ] }";
  for (size_t chunk : {1, 2, 100}) {
    EXPECT_EQ(Filtered(text, chunk), "{\"a b\":\"x \\\" y\\\\\",\"c\":[1,-2.5e3,true,null]}");
  }
}

// Tokens that whitespace separates stay separated, so the parser still refuses the text.
TEST(JsonWhitespace, WhatIsNotJsonStaysNotJson) {
  for (std::string text : {"[1 2]", "[1\n\n 2]", "[tru e]", "[true false]", "{\"n\": 1 0}", "404 page not found"}) {
    std::string out = Filtered(text, 1);
    EXPECT_TRUE(nlohmann::json::parse(out, nullptr, false).is_discarded()) << text << " -> " << out;
  }
  EXPECT_EQ(Filtered("404 page  not\nfound\n", 5), "404 page not found");
}

// The parser that reads the largest bodies gets the same result from the filtered text.
TEST(JsonWhitespace, JszParsesTheSameFiltered) {
  const std::string text = Read(std::string(FARRIER_FIXTURES_ROOT) + "/nats-2.15.3/jsz-full.json");
  Result<Jsz> plain = ParseJsz(text);
  Result<Jsz> filtered = ParseJsz(Filtered(text, 7));
  ASSERT_TRUE(plain.ok() && filtered.ok()) << plain.error() << filtered.error();
  ASSERT_EQ(plain->consumer_details.size(), filtered->consumer_details.size());
  ASSERT_GT(plain->consumer_details.size(), 0u);
  for (size_t i = 0; i < plain->consumer_details.size(); ++i) {
    EXPECT_EQ(plain->consumer_details[i].name, filtered->consumer_details[i].name);
    EXPECT_EQ(plain->consumer_details[i].num_pending, filtered->consumer_details[i].num_pending);
    EXPECT_EQ(plain->consumer_details[i].last_delivery_seconds, filtered->consumer_details[i].last_delivery_seconds);
  }
}

}  // namespace
}  // namespace farrier
