// What farrier is told about NATS and the API services it watches: how to connect, what to probe
// and size. config/ reads these from flags, environment and the JSON file; the prober, the
// NATS client and the capacity tracker take them from there.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

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
  std::string password_file;  // with user
  std::string tls_ca_file;
  std::string tls_cert_file;  // client certificate, with tls_key_file
  std::string tls_key_file;
  std::string tls_server_name;  // expected host name in the server's certificate
  // Read from the files above by LoadConfig.
  std::string token;
  std::string password;
  // The options the credentials came from ("nats" or "nats.probe"), for errors: "nats.creds-file ...".
  std::string auth_options = "nats";
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
  double worker_rate = 0;                       // messages/s one worker handles; 0 with lag_threshold: KEDA mode
  double lag_threshold = 0;                     // > 0: desired = ceil(lag / lag_threshold), as KEDA's NATS scaler
  std::chrono::milliseconds drain_time{60000};  // rate mode: clear the backlog within this
  int min_workers = 0;
  int max_workers = 100;
};

// The default histogram buckets: 1-2.5-5 steps from 50 µs to 30 s, so that a p99 is readable
// for a 100 µs echo and for a 10 s report alike.
std::vector<double> DefaultProbeBuckets();

}  // namespace farrier
