// libFuzzer target: a /subsz?subs=1[&test=<subject>] body (queue groups of the services and
// --queuegroups.all), selected, summarized with a small limit, rendered, and every subject of it
// turned back into a request path.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/queue_groups.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto test = farrier::ParseSubsTest(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(test, "subsz: ")) return 0;
  farrier::SelectQueueGroup(*test, "");
  for (const auto& s : test->subscriptions) {
    farrier::SelectQueueGroup(*test, s.queue_group);
    farrier::HttpTarget(farrier::SubsTestRequest(s.subject));
  }
  farrier::Families out;
  farrier::RenderAllQueueGroups(farrier::SummarizeQueueGroups(*test, /*limit=*/3), /*total_counts_all=*/true, out);
  out.Take();
  return 0;
}
