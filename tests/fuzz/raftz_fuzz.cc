// libFuzzer target: a /raftz body (account -> group -> state), parsed and rendered with a cap
// small enough to cut.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/raftz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = farrier::ParseRaftz(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(parsed, "raftz: ")) return 0;
  for (size_t limit : {size_t{1000}, size_t{1}}) {
    farrier::Families out;
    farrier::RenderRaftz(*parsed, limit, out);
    out.Take();
  }
  return 0;
}
