// The NATS-client half of the configuration, read into the types of services/definitions.h: how
// farrier connects to NATS (`nats` section), the API services it probes (`services` list) and
// the JetStream consumers it sizes (`consumers` list). Services exist only in the JSON file: a list of
// objects does not fit flags or environment variables. The probe defaults (`probe.*`) are plain
// options and apply to every service that does not set its own.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/files.h"
#include "services/definitions.h"
#include "sources/jsz.h"

namespace farrier {

// Parses the `consumers` array; errors like ParseServices.
std::string ParseConsumers(const nlohmann::json& consumers, const std::string& file, std::vector<ConsumerConfig>* out);

// Parses the `expect` object: {"streams": [{"account", "stream"}], "consumers": [{"account",
// "stream", "consumer"}]}, every field required; errors like ParseServices. `out` is sorted.
std::string ParseExpect(const nlohmann::json& expect, const std::string& file, std::vector<ExpectedAsset>* out);

// The assets whose presence is exported: the expected ones and every sized consumer (whose
// empty account matches any), sorted and without repeats.
std::vector<ExpectedAsset> ExpectedAssets(std::vector<ExpectedAsset> expected,
                                          const std::vector<ConsumerConfig>& sized);

// Parses the `services` array of the file named `file`. Errors say "<file>: $.services[i].field:
// expected ..., got ...". Payload files are read here; relative paths are taken from the
// current directory.
std::string ParseServices(const nlohmann::json& services, const std::string& file, std::vector<ServiceConfig>* out,
                          const FileReader& read = RegularFiles());

// Checks that need the whole configuration: fills probe defaults, reads secret files, requires
// a NATS URL when services exist. Returns an error naming the option or service field.
std::string FinishServices(std::vector<ServiceConfig>& services, NatsClientConfig& nats,
                           std::chrono::milliseconds default_interval, std::chrono::milliseconds default_timeout,
                           const std::vector<double>& default_buckets, const FileReader& read = RegularFiles());

// Checks the credentials of `auth` (one way to authenticate, files readable) and reads its
// secret files; `prefix` names the options in errors ("nats", "nats.probe"). Only the
// credential fields are looked at.
std::string FinishNatsAuth(NatsClientConfig& auth, const std::string& prefix, const FileReader& read = RegularFiles());
// True when `auth` names any credential.
bool HasNatsAuth(const NatsClientConfig& auth);
// `nats` with the credentials of `auth` in place of its own (URLs, name and TLS stay): the
// probing connection's settings when --nats.probe.* is set.
NatsClientConfig WithNatsAuth(NatsClientConfig nats, const NatsClientConfig& auth);

// "" when `path` is empty or a readable, non-empty file; else "<option>: cannot read <path>:
// <why>" (never the contents: these are secrets and certificates).
std::string CheckReadable(const std::string& option, const std::string& path, const FileReader& read = RegularFiles());

// "0.005,0.01,0.1" -> sorted strictly increasing positive bounds; error text on failure.
std::string ParseBuckets(const std::string& text, std::vector<double>* out);

}  // namespace farrier
