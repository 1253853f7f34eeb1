// libFuzzer target: a /varz body, parsed and rendered.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/varz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = farrier::ParseVarz(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(parsed, "varz: ")) return 0;
  farrier::Families out;
  farrier::RenderVarz(*parsed, out);
  out.Take();
  return 0;
}
