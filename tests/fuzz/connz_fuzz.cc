// libFuzzer target: a /connz page (the hand-written JsonScanner's only user), folded twice into
// an accumulator with a small per-connection limit (duplicates and dropped details) and rendered.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/connz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto page = farrier::ParseConnzPage(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(page, "connz: ")) return 0;
  farrier::ConnzAccumulator pages(/*detail_limit=*/2);
  pages.Add(*page);
  pages.Add(*page);
  farrier::Connz connz = std::move(pages).Finish();
  for (const auto& c : page->connections) {
    if (!connz.Find(c.cid)) std::abort();  // every connection read must be found by cid
  }
  farrier::Families out;
  farrier::RenderConnz(connz, /*lists_leafnodes=*/true, out);
  out.Take();
  return 0;
}
