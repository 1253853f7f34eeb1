// libFuzzer target: a /gatewayz body, parsed and rendered.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/gatewayz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = farrier::ParseGatewayz(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(parsed, "gatewayz: ")) return 0;
  farrier::Families out;
  farrier::RenderGatewayz(*parsed, out);
  out.Take();
  return 0;
}
