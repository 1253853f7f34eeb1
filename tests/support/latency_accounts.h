// Two accounts with a latency-tracked service, for tests of service-latency events
// (io.nats.server.metric.v1.service_latency):
//
//   SVC     exports `service_subject` with latency {sampling: 100, subject: latency_subject}
//           and a response threshold; its user runs the responders and reads the events.
//   CLIENT  imports that service under the same subject; its user sends the requests.
//
// Usage:
//   LatencyAccounts acc = MakeLatencyAccounts();
//   NatsServer server(NatsServerOptions{.extra_config = acc.extra_config});
//   worker --url acc.ServiceUrl(server)   loadgen --url acc.ClientUrl(server)
//   subscribe to acc.latency_subject with acc.ServiceUrl(server)
//
// On nats-server 2.9.10 the events need a system account, which the server creates itself
// ($SYS) when none is configured; this config does not name one. Passwords are random per
// call and appear only in the server's config file and the URLs. Thread-safety: plain data.
#pragma once

#include <string>

namespace farrier::test {

class NatsServer;

struct LatencyAccountsOptions {
  std::string service_subject = "api.echo";
  std::string latency_subject = "latency.echo";  // must differ from service_subject
  int sampling_percent = 100;                    // 1-100
  // After this long without an answer the server drops the request and emits a 504 event
  // (checked on a timer of the same period, so 1-2x this). The server's default is 2m.
  std::string response_threshold = "2s";
  // Clients connecting without credentials join CLIENT (no_auth_user); e.g. for natskit
  // idle-conns, which cannot send credentials.
  bool anonymous_is_client = false;
  // The SVC account's JetStream block, e.g. "{ max_file: 1GB, max_streams: 10 }" (its limits);
  // empty: no JetStream for it. The server then needs JetStream on (NatsServerOptions::jetstream).
  std::string service_jetstream{};
};

struct LatencyAccounts {
  LatencyAccountsOptions options;
  std::string extra_config;  // for NatsServerOptions::extra_config
  std::string service_account = "SVC", client_account = "CLIENT";
  std::string service_user = "svc", service_password;
  std::string client_user = "client", client_password;

  // nats://user:password@127.0.0.1:<client port> of a server started with extra_config.
  std::string ServiceUrl(const NatsServer& server) const;
  std::string ClientUrl(const NatsServer& server) const;
};

LatencyAccounts MakeLatencyAccounts(LatencyAccountsOptions options = {});

}  // namespace farrier::test
