// libFuzzer target: a /accstatz body, parsed and rendered.
#include "core/families.h"
#include "fuzz_check.h"
#include "sources/accstatz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = farrier::ParseAccstatz(farrier::fuzz::Text(data, size));
  if (!farrier::fuzz::Accepted(parsed, "accstatz: ")) return 0;
  farrier::Families out;
  farrier::RenderAccstatz(*parsed, out);
  out.Take();
  return 0;
}
