// libFuzzer target: an io.nats.server.metric.v1.service_latency event payload.
#include "fuzz_check.h"
#include "services/service_latency.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto event = farrier::ParseServiceLatency(farrier::fuzz::Text(data, size));
  farrier::fuzz::Accepted(event, "service_latency: ");
  return 0;
}
