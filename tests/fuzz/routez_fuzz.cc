// libFuzzer target: a /routez body, parsed and rendered.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/routez.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = farrier::ParseRoutez(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(parsed, "routez: ")) return 0;
  farrier::Families out;
  farrier::RenderRoutez(*parsed, out);
  out.Take();
  return 0;
}
