// The NATS-client half of the configuration: how farrier connects to NATS (`nats` section) and
// the API services it probes (`services` list). Services exist only in the JSON file: a list of
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

namespace farrier {

// How to reach NATS. Secrets are named by file, never given inline, and read at startup; the
// values read are kept here and must never be logged.
struct NatsClientConfig {
  std::vector<std::string> urls;  // from --nats.url (comma-separated) or a JSON string/array
  std::string name = "farrier";   // connection name, shown in the server's /connz
  std::string creds_file;         // JWT + nkey seed (operator mode)
  std::string nkey_seed_file;     // a user nkey seed (SU...); the public key is derived from it
  std::string token_file;
  std::string user;
  std::string password_file;      // with user
  std::string tls_ca_file;
  std::string tls_cert_file;      // client certificate, with tls_key_file
  std::string tls_key_file;
  std::string tls_server_name;    // expected host name in the server's certificate
  // Read from the files above by LoadConfig.
  std::string token;
  std::string password;
};

enum class Overflow { kDrop, kQueue };  // what a worker does with a request while it is full

struct ProbeConfig {
  bool enabled = true;
  std::chrono::milliseconds interval{0};  // 0 here: use --probe.interval
  std::chrono::milliseconds timeout{0};   // 0 here: use --probe.timeout
  std::string payload;                    // from "payload" or the contents of "payload_file"
  std::string payload_file;
  std::map<std::string, std::string> headers;
  int max_outstanding = 1;  // probes in flight at once; the next waits for a free slot
};

struct ServiceConfig {
  std::string name;         // the `service` label: [A-Za-z0-9_.-]+, unique
  std::string subject;      // what requests are sent to (no wildcards)
  std::string queue_group;  // the workers' queue group (for the capacity view)
  ProbeConfig probe;
  // Capacity facts and objectives (used by the capacity model).
  int worker_concurrency = 1;
  Overflow overflow = Overflow::kDrop;
  double target_utilization = 0.7;
  double max_timeout_ratio = 0.01;
  std::chrono::milliseconds latency_slo{1000};
  int min_workers = 1;
  int max_workers = 100;
  // Optional extras.
  std::string micro_service;    // poll $SRV.STATS.<micro_service> when set
  std::string latency_subject;  // subscribe to service-latency events published here when set
  std::vector<double> buckets;  // histogram upper bounds; empty: use --probe.buckets
};

// A JetStream consumer whose workers farrier sizes (the "consumers" list of the file).
struct ConsumerConfig {
  std::string account;  // empty: any account
  std::string stream, consumer;
  double worker_rate = 0;    // messages/s one worker handles; 0 with lag_threshold: KEDA mode
  double lag_threshold = 0;  // > 0: desired = ceil(lag / lag_threshold), as KEDA's NATS scaler
  std::chrono::milliseconds drain_time{60000};  // rate mode: clear the backlog within this
  int min_workers = 0;
  int max_workers = 100;
};

// Parses the `consumers` array; errors like ParseServices.
std::string ParseConsumers(const nlohmann::json& consumers, const std::string& file, std::vector<ConsumerConfig>* out);

// The default histogram buckets: 1-2.5-5 steps from 50 µs to 30 s, so that a p99 is readable
// for a 100 µs echo and for a 10 s report alike.
std::vector<double> DefaultProbeBuckets();

// Parses the `services` array of the file named `file`. Errors say "<file>: $.services[i].field:
// expected ..., got ...". Payload files are read here; relative paths are taken from the
// current directory.
std::string ParseServices(const nlohmann::json& services, const std::string& file,
                          std::vector<ServiceConfig>* out, const FileReader& read = RegularFiles());

// Checks that need the whole configuration: fills probe defaults, reads secret files, requires
// a NATS URL when services exist. Returns an error naming the option or service field.
std::string FinishServices(std::vector<ServiceConfig>& services, NatsClientConfig& nats,
                           std::chrono::milliseconds default_interval,
                           std::chrono::milliseconds default_timeout,
                           const std::vector<double>& default_buckets,
                           const FileReader& read = RegularFiles());

// "" when `path` is empty or a readable, non-empty file; else "<option>: cannot read <path>:
// <why>" (never the contents: these are secrets and certificates).
std::string CheckReadable(const std::string& option, const std::string& path,
                          const FileReader& read = RegularFiles());

// "0.005,0.01,0.1" -> sorted strictly increasing positive bounds; error text on failure.
std::string ParseBuckets(const std::string& text, std::vector<double>* out);

}  // namespace farrier
