// libFuzzer target: a /subsz body (statistics only), parsed and rendered.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/subsz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = farrier::ParseSubsz(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(parsed, "subsz: ")) return 0;
  farrier::Families out;
  farrier::RenderSubsz(*parsed, out);
  out.Take();
  return 0;
}
