// libFuzzer target: a /leafz body, parsed and rendered.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/leafz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = farrier::ParseLeafz(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(parsed, "leafz: ")) return 0;
  farrier::Families out;
  farrier::RenderLeafz(*parsed, out);
  out.Take();
  return 0;
}
