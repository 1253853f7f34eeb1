// Properties shared by every source: each parser rejects the broken captures with an error
// prefixed by its own name, and all renderers together produce disjoint, well-formed families.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "fixtures.h"
#include "rendered.h"
#include "sources/accstatz.h"
#include "sources/connz.h"
#include "sources/gatewayz.h"
#include "sources/healthz.h"
#include "sources/jsz.h"
#include "sources/leafz.h"
#include "sources/routez.h"
#include "sources/subsz.h"
#include "sources/varz.h"

namespace farrier {
namespace {

using test::ReadFixture;

// Parses `body` with one source's parser; returns its error, or "" on success.
using ErrorOf = std::function<std::string(std::string_view)>;
// Likewise, the kind of its error (nullopt on success).
using KindOf = std::function<std::optional<ErrorKind>(std::string_view)>;

template <class T>
ErrorOf Wrap(Result<T> (*parse)(std::string_view)) {
  return [parse](std::string_view body) {
    Result<T> r = parse(body);
    return r.ok() ? std::string() : r.error();
  };
}

template <class T>
KindOf WrapKind(Result<T> (*parse)(std::string_view)) {
  return [parse](std::string_view body) -> std::optional<ErrorKind> {
    Result<T> r = parse(body);
    return r.ok() ? std::nullopt : r.error_kind();
  };
}

struct SourceCase {
  std::string name;
  ErrorOf parse;
  std::string good_fixture;
  KindOf kind;
};

const std::vector<SourceCase>& AllParsers() {
  static const std::vector<SourceCase> cases = {
      {"varz", Wrap(ParseVarz), "varz.json", WrapKind(ParseVarz)},
      {"connz", Wrap(ParseConnzPage), "connz.json", WrapKind(ParseConnzPage)},
      {"routez", Wrap(ParseRoutez), "cluster-node1-routez.json", WrapKind(ParseRoutez)},
      {"subsz", Wrap(ParseSubsz), "subsz.json", WrapKind(ParseSubsz)},
      {"jsz", Wrap(ParseJsz), "jsz-full.json", WrapKind(ParseJsz)},
      {"healthz", Wrap(ParseHealthz), "healthz.json", WrapKind(ParseHealthz)},
      {"leafz", Wrap(ParseLeafz), "leafz-hub.json", WrapKind(ParseLeafz)},
      {"gatewayz", Wrap(ParseGatewayz), "gatewayz.json", WrapKind(ParseGatewayz)},
      {"accstatz", Wrap(ParseAccstatz), "accstatz.json", WrapKind(ParseAccstatz)},
  };
  return cases;
}

TEST(AllParsers, AcceptTheirOwnCapture) {
  for (const SourceCase& c : AllParsers()) {
    EXPECT_EQ(c.parse(ReadFixture(c.good_fixture)), "") << c.name;
  }
}

TEST(AllParsers, RejectBrokenBodiesNamingTheSource) {
  // The message may go on with detail (where the syntax broke), but must start like this; the
  // error's kind says invalid_json (the registry's reason), never the text.
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"garbage.txt", "body is not valid JSON"},    // the monitor port's HTML index
      {"not-found.txt", "body is not valid JSON"},  // "404 page not found": not a number
      {"truncated-varz.json", "body is not valid JSON"},
      {"empty.json", "empty body"},
  };
  for (const SourceCase& c : AllParsers()) {
    for (const auto& [file, message] : broken) {
      std::string error = c.parse(ReadFixture(file));
      EXPECT_EQ(error.rfind(c.name + ": " + message, 0), 0u) << file << ": " << error;
      EXPECT_EQ(c.kind(ReadFixture(file)), ErrorKind::kInvalidJson) << c.name << " " << file;
    }
    EXPECT_EQ(c.parse("[]"), c.name + ": $: expected object, got array");
    EXPECT_EQ(c.kind("[]"), ErrorKind::kSchema) << c.name;
  }
}

TEST(AllParsers, RejectEachOthersBodies) {
  // A misrouted request (wrong path, a proxy rewriting it) must fail, not read as zeros: each
  // parser requires a field that only its endpoint prints. Not asserted for jsz, which today
  // accepts any object with a server_id (everything else is optional in ParseJsz).
  for (const SourceCase& parser : AllParsers()) {
    if (parser.name == "jsz") continue;
    for (const SourceCase& body : AllParsers()) {
      if (parser.name == body.name) continue;
      std::string error = parser.parse(ReadFixture(body.good_fixture));
      EXPECT_EQ(error.rfind(parser.name + ": $", 0), 0u)
          << parser.name << " accepted " << body.good_fixture << " (" << error << ")";
      EXPECT_EQ(parser.kind(ReadFixture(body.good_fixture)), ErrorKind::kSchema) << parser.name;
    }
  }
}

TEST(AllRenderers, TogetherGiveDisjointWellFormedFamilies) {
  // Each renderer alone, to know which family is whose; then all into one Families, as a
  // scrape does: a name claimed by two sources with different types would throw there.
  auto must = [](auto result) {
    if (!result.ok()) throw std::runtime_error(result.error());
    return std::move(result).value();
  };
  Varz varz = must(ParseVarz(ReadFixture("varz.json")));
  ServerVersion version = ServerVersion::Parse(varz.version);
  ConnzAccumulator acc(10);
  acc.Add(must(ParseConnzPage(ReadFixture("connz.json"))));
  Connz connz = std::move(acc).Finish();
  Routez routez = must(ParseRoutez(ReadFixture("cluster-node1-routez.json")));
  Subsz subsz = must(ParseSubsz(ReadFixture("subsz.json")));
  Jsz jsz = must(ParseJsz(ReadFixture("jsz-full.json")));
  Healthz healthz = must(ParseHealthz(ReadFixture("healthz.json")));
  Leafz leafz = must(ParseLeafz(ReadFixture("leafz-hub.json")));
  Gatewayz gatewayz = must(ParseGatewayz(ReadFixture("gatewayz.json")));
  Accstatz accstatz = must(ParseAccstatz(ReadFixture("accstatz.json")));

  const std::vector<std::pair<std::string, std::function<void(Families&)>>> renderers = {
      {"varz", [&](Families& f) { RenderVarz(varz, f); }},
      {"connz", [&](Families& f) { RenderConnz(connz, ConnzListsLeafnodes(version), f); }},
      {"routez", [&](Families& f) { RenderRoutez(routez, f); }},
      {"subsz", [&](Families& f) { RenderSubsz(subsz, f); }},
      {"jsz", [&](Families& f) { RenderJsz(jsz, {}, varz.server_name, version, f); }},
      {"healthz", [&](Families& f) { RenderHealthz(healthz, HealthzHasDetails(version), f); }},
      {"leafz", [&](Families& f) { RenderLeafz(leafz, f); }},
      {"gatewayz", [&](Families& f) { RenderGatewayz(gatewayz, f); }},
      {"accstatz", [&](Families& f) { RenderAccstatz(accstatz, f); }},
  };
  std::map<std::string, std::string> owner;  // family -> source
  size_t total = 0;
  for (const auto& [source, render] : renderers) {
    Families alone;
    render(alone);
    test::Rendered r(alone);
    test::ExpectWellFormed(r, source);
    EXPECT_FALSE(r.families().empty()) << source;
    for (const std::string& name : r.Names()) {
      auto [it, fresh] = owner.emplace(name, source);
      EXPECT_TRUE(fresh) << name << " rendered by both " << it->second << " and " << source;
    }
    total += r.families().size();
  }
  Families together;
  for (const auto& [source, render] : renderers) render(together);
  EXPECT_EQ(test::Rendered(together).families().size(), total);
}

}  // namespace
}  // namespace farrier
