// libFuzzer target: the "services" and "consumers" arrays of the configuration file (an object
// holding them, as in the README, or any other JSON value given to both parsers), then the
// defaults FinishServices fills in.
#include <nlohmann/json.hpp>

#include "config/services_config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using Json = nlohmann::json;
  const Json doc = Json::parse(farrier::fuzz::Text(data, size), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  const bool object = doc.is_object();
  std::vector<farrier::ServiceConfig> services;
  if (!object || doc.contains("services")) {
    farrier::fuzz::RequireNamed(farrier::ParseServices(object ? doc["services"] : doc, "fuzz.json", &services),
                                "fuzz.json: $.services");
  }
  std::vector<farrier::ConsumerConfig> consumers;
  if (!object || doc.contains("consumers")) {
    farrier::fuzz::RequireNamed(farrier::ParseConsumers(object ? doc["consumers"] : doc, "fuzz.json", &consumers),
                                "fuzz.json: $.consumers");
  }
  farrier::NatsClientConfig nats;
  farrier::FinishServices(services, nats, std::chrono::seconds(1), std::chrono::seconds(1),
                          farrier::DefaultProbeBuckets());
  return 0;
}
