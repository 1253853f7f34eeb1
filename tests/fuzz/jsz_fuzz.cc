// libFuzzer target: a /jsz?accounts=true&streams=true&consumers=true&config=true body, rendered
// as a leader and as a follower, folding ephemerals or not, with limits small enough to cut, both
// as prometheus-cpp families and as text. The body as the fetcher keeps it (whitespace between
// tokens dropped, in two chunks) must be accepted or refused alike, with the same assets.
#include <cstdlib>

#include "core/families.h"
#include "core/json_whitespace.h"
#include "fuzz_check.h"
#include "sources/jsz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = farrier::fuzz::Text(data, size);
  auto jsz = farrier::ParseJsz(text);
  farrier::JsonWhitespaceFilter filter;
  std::string compact;
  filter.Append(text.substr(0, size / 2), compact);
  filter.Append(text.substr(size / 2), compact);
  auto again = farrier::ParseJsz(compact);
  if (again.ok() != jsz.ok() || (jsz.ok() && (again->stream_details.size() != jsz->stream_details.size() ||
                                              again->consumer_details.size() != jsz->consumer_details.size()))) {
    std::abort();  // dropping the whitespace changed what the body says
  }
  if (!farrier::fuzz::Accepted(jsz, "jsz: ")) return 0;
  for (bool leader_only : {true, false}) {
    farrier::JszRenderOptions options;
    options.leader_only = leader_only;
    options.fold_ephemeral = leader_only;
    options.stream_limit = leader_only ? 1000 : 1;
    options.consumer_limit = leader_only ? 1000 : 1;
    for (std::string_view server : {"", "farrier-single", "node1"}) {
      for (std::string_view version : {"2.9.10", "2.15.3"}) {
        farrier::Families out;
        farrier::RenderJsz(*jsz, options, server, farrier::ServerVersion::Parse(version), out);
        if (leader_only) {
          out.Take();
        } else {
          std::map<std::string, uint64_t> dropped;
          out.Serialize(2, &dropped);
        }
      }
    }
  }
  return 0;
}
