// Farrier's configuration: one table of options, read from (lowest to highest precedence)
// defaults, a JSON file (--config), FARRIER_* environment variables and command-line flags.
//
// An option named `--poll.interval` is `{"poll": {"interval": "5s"}}` in the file and
// FARRIER_POLL_INTERVAL in the environment: the same table drives all three and --help.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/services_config.h"
#include "core/files.h"
#include "core/result.h"
#include "poll/poller.h"
#include "transport/fetcher.h"
#include "web/web_server.h"

namespace farrier {

struct Config {
  std::string config_file;  // empty when none
  std::string monitor_url_text = "http://127.0.0.1:8222";
  MonitorUrl monitor_url;
  MonitorTls monitor_tls;  // --nats.monitor-tls.*
  // Farrier's own listener: address, TLS and basic auth from --web.config.file, a cap on
  // parallel scrapes, and whether POST /-/reload is served.
  WebServerOptions listener;
  // Polling: interval, timeout (when not given: at most the interval), body limit, and the
  // sources (which, and how: --collector.*, --connz.*, --jsz.*, --raftz.*, --queuegroups.*).
  PollerOptions poll;
  bool poll_timeout_given = false;
  size_t max_series_per_family = 100000;  // 0: no cap (see core/series_limit.h)
  std::string log_level = "info";
  std::string log_format = "text";
  // Request/reply probing of API services over a NATS client connection (only opened when
  // `services` is not empty).
  NatsClientConfig nats;
  // --nats.probe.*: other credentials for the probing connection (services, JetStream
  // advisories and account info), for cluster mode, where --nats.* is a system-account user.
  // Only its credential fields are used.
  NatsClientConfig probe_auth;
  // The probing connection's settings: `nats`, with probe_auth's credentials if it has any. Set
  // by LoadConfig.
  NatsClientConfig probe_nats;
  std::vector<ServiceConfig> services;    // from the file's "services" array
  std::vector<ConsumerConfig> consumers;  // from the file's "consumers" array
  std::vector<ExpectedAsset> expected;    // from the file's "expect" object
  std::chrono::milliseconds probe_interval{1000};
  std::chrono::milliseconds probe_timeout{1000};
  std::vector<double> probe_buckets = DefaultProbeBuckets();
  // Counters from JetStream advisories ($JS.EVENT.ADVISORY.>, $JS.EVENT.METRIC.>) on the same
  // NATS connection (opened for them when no services are configured); a cap on label sets.
  bool jetstream_advisories = false;
  size_t jetstream_advisories_limit = 1000;
  // $JS.API.INFO of the connection's account every poll interval (also opens the connection).
  bool jetstream_account_info = false;
  // Cluster mode: every server's monitoring data over $SYS requests on a connection of its own
  // (the --nats.* settings, as a system-account user) instead of HTTP to --nats.monitor-url.
  bool system_account = false;
  size_t expected_servers = 0;  // 0: as many as answer discovery
  // Capacity signals: rates over `scaling_window`; desired workers rise after `up_window` and
  // fall only after `down_window` of lower answers.
  std::chrono::milliseconds scaling_window{60000};
  std::chrono::milliseconds scaling_up_window{0};
  std::chrono::milliseconds scaling_down_window{300000};

  bool CollectorEnabled(std::string_view name) const { return poll.sources.Enabled(name); }
};

// What the command line asked for besides a configuration.
// kCheck (--check-config): load and validate everything, read the secret files, then exit.
enum class Action { kRun, kHelp, kVersion, kCheck };

struct LoadedConfig {
  Action action = Action::kRun;
  Config config;
  // Not fatal, logged once logging is set up (e.g. an unknown FARRIER_* variable).
  std::vector<std::string> warnings;
};

// `env` is a list of "NAME=value" strings (environ). FARRIER_CONFIG names the file when
// --config does not. Unknown FARRIER_* variables are warnings, not errors: Kubernetes injects
// FARRIER_PORT, FARRIER_SERVICE_HOST, ... for a Service named farrier. Errors name the flag, variable or file and
// JSON path, and say what was expected.
// `read` reads every file the configuration names (the file itself, secrets, certificates, probe
// payloads); tests and the fuzz target pass their own.
Result<LoadedConfig> LoadConfig(const std::vector<std::string>& args, const std::vector<std::string>& env,
                                const FileReader& read = RegularFiles());

// What `--config <name>` alone would give if the file held `text`: the file's options and every
// check LoadConfig makes, without flags or environment (the files the text names through `read`).
// LoadConfig uses the same code for the file; this entry point is for the fuzz target.
Result<LoadedConfig> LoadConfigText(std::string_view text, const std::string& name,
                                    const FileReader& read = RegularFiles());

std::string HelpText();

}  // namespace farrier
