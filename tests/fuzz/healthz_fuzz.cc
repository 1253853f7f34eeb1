// libFuzzer target: a /healthz body, parsed and rendered.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/healthz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = farrier::ParseHealthz(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(parsed, "healthz: ")) return 0;
  farrier::Families out;
  farrier::RenderHealthz(*parsed, /*has_details=*/true, out);
  out.Take();
  return 0;
}
