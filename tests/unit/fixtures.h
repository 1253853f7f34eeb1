// Access to the bodies captured from a real nats-server 2.9.10 (tests/fixtures/nats-2.9.10).
//
// Values that depend on the capture run (ids, ports, byte counts, timings) are asserted against
// the fixture's own JSON read here with nlohmann::json, independently of the parser under test;
// values the capture script fixes (names, counts, README's table) are asserted as literals.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

namespace farrier::test {

inline std::string FixturePath(const std::string& name) {
  return std::string(FARRIER_FIXTURES_DIR) + "/" + name;
}

// The file's bytes; throws (failing the test with the path in the message) when it is missing.
inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + FixturePath(name));
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline nlohmann::json FixtureJson(const std::string& name) {
  return nlohmann::json::parse(ReadFixture(name));
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
