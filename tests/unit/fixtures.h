// Access to the bodies captured from real nats-servers: tests/fixtures/nats-<release>/, one
// directory per supported release (ReadFixture and friends read 2.9.10's; the *Of variants any
// release's). Each directory's status-codes.json holds the HTTP status of every capture.
//
// Values that depend on the capture run (ids, ports, byte counts, timings) are asserted against
// the fixture's own JSON read here with nlohmann::json, independently of the parser under test;
// values the capture script fixes (names, counts, README's table) are asserted as literals.
#pragma once

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace farrier::test {

inline std::string FixturePath(const std::string& name) { return std::string(FARRIER_FIXTURES_DIR) + "/" + name; }

// The file's bytes; throws (failing the test with the path in the message) when it is missing.
inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + FixturePath(name));
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline nlohmann::json FixtureJson(const std::string& name) { return nlohmann::json::parse(ReadFixture(name)); }

// The releases of the nats-<version> directories under `root`, oldest first.
inline std::vector<std::string> ReleasesUnder(const std::filesystem::path& root) {
  std::vector<std::tuple<int, int, int, std::string>> found;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    std::string name = entry.path().filename().string();
    int a, b, c;
    if (name.rfind("nats-", 0) == 0 && std::sscanf(name.c_str(), "nats-%d.%d.%d", &a, &b, &c) == 3) {
      found.emplace_back(a, b, c, name.substr(5));
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (const auto& f : found) out.push_back(std::get<3>(f));
  return out;
}

// Every captured release ("2.9.10", ..., "2.15.3"), oldest first.
inline std::vector<std::string> CapturedReleases() {
  std::vector<std::string> out = ReleasesUnder(FARRIER_FIXTURES_ROOT);
  if (out.size() < 2) throw std::runtime_error(std::string("no captures under ") + FARRIER_FIXTURES_ROOT);
  return out;
}

inline std::filesystem::path FixturePathOf(const std::string& release, const std::string& name) {
  return std::filesystem::path(FARRIER_FIXTURES_ROOT) / ("nats-" + release) / name;
}

inline bool HasFixtureOf(const std::string& release, const std::string& name) {
  return std::filesystem::exists(FixturePathOf(release, name));
}

inline std::string ReadFixtureOf(const std::string& release, const std::string& name) {
  std::ifstream in(FixturePathOf(release, name), std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + FixturePathOf(release, name).string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline nlohmann::json FixtureJsonOf(const std::string& release, const std::string& name) {
  return nlohmann::json::parse(ReadFixtureOf(release, name));
}

// The HTTP status the server answered the capture with.
inline int StatusOf(const std::string& release, const std::string& name) {
  nlohmann::json codes = FixtureJsonOf(release, "status-codes.json");
  if (!codes.contains(name)) throw std::runtime_error("no status recorded for " + release + "/" + name);
  return codes[name].get<int>();
}

// A real capture with one change, for error paths: the result of `edit` on the parsed fixture,
// serialized again.
template <class Edit>
std::string EditedFixture(const std::string& name, Edit&& edit) {
  nlohmann::json j = FixtureJson(name);
  edit(j);
  return j.dump();
}

}  // namespace farrier::test
