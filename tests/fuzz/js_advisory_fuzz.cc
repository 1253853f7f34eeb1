// libFuzzer target: a JetStream advisory or metric payload ($JS.EVENT.ADVISORY.>,
// $JS.EVENT.METRIC.>), parsed, then counted and rendered as --jetstream.advisories does.
#include "fuzz_check.h"
#include "services/js_advisories.h"
#include "services/js_advisory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = farrier::fuzz::Text(data, size);
  auto advisory = farrier::ParseJsAdvisory(text);
  farrier::fuzz::Accepted(advisory, "js_advisory: ");
  static farrier::JsAdvisories counts(100, {0.001, 1});
  counts.Observe(text);
  farrier::Families out;
  counts.Render(out);
  return 0;
}
