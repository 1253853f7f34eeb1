// libFuzzer target: a /jsz?accounts=true&streams=true&consumers=true&config=true body, rendered
// as a leader and as a follower, folding ephemerals or not, with limits small enough to cut.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/jsz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto jsz = farrier::ParseJsz(farrier::fuzz::Text(data, size));
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
        out.Take();
      }
    }
  }
  return 0;
}
