#include "config/config.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/host_port.h"
#include "core/json_fields.h"
#include "core/units.h"
#include "snapshot/registry.h"

#include "core/files.h"

namespace farrier {
namespace {

using Json = nlohmann::json;

// An option's setter returns an empty string on success, or what was expected.
using TextSetter = std::function<std::string(Config&, const std::string&)>;

struct Option {
  std::string name;  // "poll.interval"
  std::string hint;  // "DURATION"; empty for booleans
  std::string help;
  std::function<std::string(const Config&)> show;  // current value, for --help defaults
  TextSetter set;
  // JSON values of these types are accepted from the file (besides strings, for all kinds).
  bool json_bool = false;
  bool json_number = false;
  bool json_list = false;  // a JSON array of strings, joined with commas
};

std::string EnvName(std::string_view option) {  // "nats.monitor-url" -> FARRIER_NATS_MONITOR_URL
  std::string env = "FARRIER_";
  for (char c : option) env += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(c));
  return env;
}

template <class Member>
Option StringOption(std::string name, std::string hint, std::string help, Member member) {
  return {std::move(name), std::move(hint), std::move(help),
          [member](const Config& c) {
            Config copy = c;  // members may be reached through non-const accessors
            return std::string(std::invoke(member, copy));
          },
          [member](Config& c, const std::string& v) {
            if (v.empty()) return std::string("a non-empty string");
            std::invoke(member, c) = v;
            return std::string();
          }};
}

// A file name option: "" shows as "none" in --help; existence is checked after all sources.
template <class Member>
Option FileOption(std::string name, std::string help, Member member) {
  Option o = StringOption(std::move(name), "FILE", std::move(help), member);
  auto show = o.show;
  o.show = [show](const Config& c) {
    std::string v = show(c);
    return v.empty() ? std::string("none") : v;
  };
  return o;
}

Option ChoiceOption(std::string name, std::string help, std::vector<std::string> choices, std::string Config::*member) {
  std::string hint;
  for (const auto& c : choices) hint += (hint.empty() ? "" : "|") + c;
  return {std::move(name), hint, std::move(help), [member](const Config& c) { return c.*member; },
          [member, choices, hint](Config& c, const std::string& v) {
            if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
              return "one of " + hint;
            }
            c.*member = v;
            return std::string();
          }};
}

template <class Member>
Option DurationOption(std::string name, std::string help, Member member, bool allow_zero = false) {
  return {std::move(name), "DURATION", std::move(help),
          [member](const Config& c) {
            Config copy = c;  // members may be reached through non-const accessors
            return FormatDuration(std::invoke(member, copy));
          },
          [member, allow_zero](Config& c, const std::string& v) {
            auto d = ParseDuration(v);
            if (!d || d->count() < 0 || (d->count() == 0 && !allow_zero)) {
              return std::string(allow_zero ? "a duration like 0s, 30s or 5m"
                                            : "a positive duration like 5s, 500ms or 1m");
            }
            std::invoke(member, c) = *d;
            return std::string();
          }};
}

template <class Member>
Option CountOption(std::string name, std::string hint, std::string help, Member member, uint64_t min, uint64_t max,
                   bool sizes = false) {
  Option o{std::move(name), std::move(hint), std::move(help),
           [member, sizes](const Config& c) {
             Config copy = c;  // members may be reached through non-const accessors
             uint64_t value = std::invoke(member, copy);
             return sizes ? FormatSize(value) : std::to_string(value);
           },
           [member, min, max, sizes](Config& c, const std::string& v) {
             bool digits_only = v.find_first_not_of("0123456789") == std::string::npos;
             std::optional<uint64_t> n = (sizes || digits_only) ? ParseSize(v) : std::optional<uint64_t>();
             if (!n || *n < min || *n > max) {
               return "an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                      (sizes ? " (suffixes KiB, MiB, GiB allowed)" : "");
             }
             std::invoke(member, c) = *n;
             return std::string();
           }};
  o.json_number = true;
  return o;
}

template <class Member>
Option BoolOption(std::string name, std::string help, Member member) {
  Option o{std::move(name), "", std::move(help),
           [member](const Config& c) {
             Config copy = c;
             return std::string(std::invoke(member, copy) ? "true" : "false");
           },
           [member](Config& c, const std::string& v) {
             if (v != "true" && v != "false") return std::string("true or false");
             std::invoke(member, c) = v == "true";
             return std::string();
           }};
  o.json_bool = true;
  return o;
}

const std::vector<Option>& Options() {
  static const std::vector<Option> options = [] {
    std::vector<Option> o;
    o.push_back(StringOption("nats.monitor-url", "URL",
                             "nats-server monitoring endpoint (http or https, optional base path).",
                             &Config::monitor_url_text));
    o.push_back(FileOption("nats.monitor-tls.ca-file", "CA certificates (PEM) to verify an https monitoring port.",
                           [](Config& c) -> std::string& { return c.monitor_tls.ca_file; }));
    o.push_back(FileOption("nats.monitor-tls.cert-file", "Client certificate (PEM) for an https monitoring port.",
                           [](Config& c) -> std::string& { return c.monitor_tls.cert_file; }));
    o.push_back(FileOption("nats.monitor-tls.key-file", "Client key (PEM) for an https monitoring port.",
                           [](Config& c) -> std::string& { return c.monitor_tls.key_file; }));
    Option monitor_sni = StringOption("nats.monitor-tls.server-name", "NAME",
                                      "Name expected in the monitoring port's certificate (and sent as SNI).",
                                      [](Config& c) -> std::string& { return c.monitor_tls.server_name; });
    monitor_sni.show = [](const Config& c) {
      return c.monitor_tls.server_name.empty() ? std::string("the URL's host") : c.monitor_tls.server_name;
    };
    o.push_back(std::move(monitor_sni));
    o.push_back(BoolOption("nats.monitor-tls.insecure-skip-verify",
                           "Do not verify the monitoring port's certificate (logged as a warning at start).",
                           [](Config& c) -> bool& { return c.monitor_tls.insecure_skip_verify; }));
    Option urls{"nats.url", "URL[,URL...]",
                "NATS server(s) for probing services (only used when the file lists services).",
                [](const Config& c) {
                  std::string out;
                  for (const auto& u : c.nats.urls) out += (out.empty() ? "" : ",") + u;
                  return out.empty() ? std::string("nats://127.0.0.1:4222") : out;
                },
                [](Config& c, const std::string& v) {
                  std::vector<std::string> list;
                  std::stringstream in(v);
                  std::string item;
                  while (std::getline(in, item, ',')) {
                    if (item.empty()) return std::string("a comma-separated list of nats:// or tls:// URLs");
                    list.push_back(item);
                  }
                  if (list.empty()) return std::string("a comma-separated list of nats:// or tls:// URLs");
                  c.nats.urls = std::move(list);
                  return std::string();
                }};
    urls.json_list = true;
    o.push_back(std::move(urls));
    o.push_back(StringOption("nats.name", "NAME", "Connection name of the probing connection (seen in /connz).",
                             [](Config& c) -> std::string& { return c.nats.name; }));
    o.push_back(FileOption("nats.creds-file", "NATS credentials file (JWT and seed) to authenticate with.",
                           [](Config& c) -> std::string& { return c.nats.creds_file; }));
    o.push_back(FileOption("nats.nkey-seed-file", "File holding a user nkey seed (SU...) to authenticate with.",
                           [](Config& c) -> std::string& { return c.nats.nkey_seed_file; }));
    o.push_back(FileOption("nats.token-file", "File holding an authentication token.",
                           [](Config& c) -> std::string& { return c.nats.token_file; }));
    Option user = StringOption("nats.user", "USER", "User name (with --nats.password-file).",
                               [](Config& c) -> std::string& { return c.nats.user; });
    user.show = [](const Config& c) { return c.nats.user.empty() ? std::string("none") : c.nats.user; };
    o.push_back(std::move(user));
    o.push_back(FileOption("nats.password-file", "File holding the password of --nats.user.",
                           [](Config& c) -> std::string& { return c.nats.password_file; }));
    // The probing connection's own credentials (cluster mode: --nats.* is a system-account user).
    o.push_back(FileOption("nats.probe.creds-file",
                           "Credentials file for the probing connection instead of --nats.*'s (cluster mode).",
                           [](Config& c) -> std::string& { return c.probe_auth.creds_file; }));
    o.push_back(FileOption("nats.probe.nkey-seed-file", "User nkey seed file for the probing connection.",
                           [](Config& c) -> std::string& { return c.probe_auth.nkey_seed_file; }));
    o.push_back(FileOption("nats.probe.token-file", "Token file for the probing connection.",
                           [](Config& c) -> std::string& { return c.probe_auth.token_file; }));
    Option probe_user = StringOption("nats.probe.user", "USER",
                                     "User name of the probing connection (with --nats.probe.password-file).",
                                     [](Config& c) -> std::string& { return c.probe_auth.user; });
    probe_user.show = [](const Config& c) {
      return c.probe_auth.user.empty() ? std::string("none") : c.probe_auth.user;
    };
    o.push_back(std::move(probe_user));
    o.push_back(FileOption("nats.probe.password-file", "File holding the password of --nats.probe.user.",
                           [](Config& c) -> std::string& { return c.probe_auth.password_file; }));
    o.push_back(FileOption("nats.tls.ca-file", "CA certificates (PEM) to verify the NATS server with.",
                           [](Config& c) -> std::string& { return c.nats.tls_ca_file; }));
    o.push_back(FileOption("nats.tls.cert-file", "Client certificate (PEM) for NATS TLS.",
                           [](Config& c) -> std::string& { return c.nats.tls_cert_file; }));
    o.push_back(FileOption("nats.tls.key-file", "Client key (PEM) for NATS TLS.",
                           [](Config& c) -> std::string& { return c.nats.tls_key_file; }));
    Option sni = StringOption("nats.tls.server-name", "NAME", "Host name expected in the NATS server's certificate.",
                              [](Config& c) -> std::string& { return c.nats.tls_server_name; });
    sni.show = [](const Config& c) {
      return c.nats.tls_server_name.empty() ? std::string("the URL's host") : c.nats.tls_server_name;
    };
    o.push_back(std::move(sni));
    o.push_back(DurationOption("probe.interval", "Default time between probes of a service.", &Config::probe_interval));
    o.push_back(DurationOption("probe.timeout", "Default time a probe waits for its reply.", &Config::probe_timeout));
    o.push_back({"probe.buckets", "SECONDS[,SECONDS...]",
                 "Default upper bounds of the probe latency histogram buckets.",
                 [](const Config& c) {
                   std::string out;
                   for (double b : c.probe_buckets) {
                     std::ostringstream n;
                     n << b;
                     out += (out.empty() ? "" : ",") + n.str();
                   }
                   return out;
                 },
                 [](Config& c, const std::string& v) {
                   std::string err = ParseBuckets(v, &c.probe_buckets);
                   return err.empty() ? err : "bucket bounds: " + err;
                 }});
    o.back().json_list = true;
    o.push_back(BoolOption("jetstream.advisories",
                           "Count JetStream advisories ($JS.EVENT.ADVISORY.>, $JS.EVENT.METRIC.>) on the NATS "
                           "connection (--nats.*); off by default.",
                           &Config::jetstream_advisories));
    o.push_back(CountOption("jetstream.advisories-limit", "N",
                            "Most label sets of advisory series (the rest counted as dropped).",
                            &Config::jetstream_advisories_limit, 1, 1000000));
    o.push_back(BoolOption("jetstream.account-info",
                           "Ask $JS.API.INFO of the NATS connection's account (--nats.*) every poll interval: "
                           "its streams and consumers against max_streams/max_consumers; off by default.",
                           &Config::jetstream_account_info));
    o.push_back(BoolOption("nats.system-account",
                           "Cluster mode: poll every server of the cluster over $SYS requests on a NATS "
                           "connection (--nats.*) as a system-account user, instead of --nats.monitor-url; "
                           "off by default.",
                           &Config::system_account));
    o.push_back(CountOption("cluster.expected-servers", "N",
                            "Cluster mode: servers expected to answer; discovery ends once they have (0: wait "
                            "for a third of --poll.timeout and take who answered).",
                            &Config::expected_servers, 0, 10000));
    o.push_back(BoolOption("queuegroups.all",
                           "Also export members of every queue group on the server (reads all of /subsz?subs=1).",
                           [](Config& c) -> bool& { return c.poll.sources.queuegroups_all; }));
    o.push_back(CountOption(
        "queuegroups.limit", "N", "Most queue groups exported with --queuegroups.all.",
        [](Config& c) -> size_t& { return c.poll.sources.queuegroups_limit; }, 1, 100000));
    o.push_back(CountOption(
        "queuegroups.subscription-limit", "N", "Most subscriptions read per poll with --queuegroups.all.",
        [](Config& c) -> size_t& { return c.poll.sources.queuegroups_subscription_limit; }, 1, 10000000));
    o.push_back(DurationOption("scaling.window", "Window over which request rates and service times are measured.",
                               &Config::scaling_window));
    o.push_back(DurationOption("scaling.up-window",
                               "A higher desired worker count must hold this long before it is shown (0: at once).",
                               &Config::scaling_up_window, /*allow_zero=*/true));
    o.push_back(DurationOption("scaling.down-window",
                               "Desired workers fall only to the highest answer of this last window.",
                               &Config::scaling_down_window, /*allow_zero=*/true));
    o.push_back(StringOption("web.listen-address", "[HOST]:PORT", "Address to serve /metrics, /healthz and / on.",
                             [](Config& c) -> std::string& { return c.listener.listen_address_text; }));
    o.push_back(FileOption("web.config.file",
                           "Web configuration file (JSON): TLS, client certificates and basic auth for this listener.",
                           [](Config& c) -> std::string& { return c.listener.config_file; }));
    o.push_back(CountOption(
        "web.max-requests", "N", "Most /metrics scrapes served at once; more are answered 503 at once (0: no limit).",
        [](Config& c) -> size_t& { return c.listener.max_requests; }, 0, 100000));
    o.push_back(BoolOption("web.enable-lifecycle", "Serve POST /-/reload, which reloads the configuration file.",
                           [](Config& c) -> bool& { return c.listener.enable_lifecycle; }));
    o.push_back(DurationOption("poll.interval", "How often to poll the monitoring endpoints (scrapes never poll).",
                               [](Config& c) -> std::chrono::milliseconds& { return c.poll.interval; }));
    // Given or not: a default timeout follows a shorter interval (Validate), a given one must fit.
    Option timeout = DurationOption("poll.timeout",
                                    "Deadline for one source per poll, all pages included; when not given, "
                                    "the smaller of 3s and --poll.interval.",
                                    [](Config& c) -> std::chrono::milliseconds& { return c.poll.timeout; });
    timeout.set = [set = timeout.set](Config& c, const std::string& v) {
      std::string err = set(c, v);
      if (err.empty()) c.poll_timeout_given = true;
      return err;
    };
    o.push_back(std::move(timeout));
    o.push_back(CountOption(
        "poll.max-body-bytes", "BYTES", "Largest response accepted from one monitoring request.",
        [](Config& c) -> size_t& { return c.poll.max_body_bytes; }, 1024, 1ull << 32, /*sizes=*/true));
    o.push_back(CountOption("metrics.max-series-per-family", "N",
                            "Most series of one metric family per scrape (0: no limit); the rest are "
                            "counted in nats_exporter_series_dropped.",
                            &Config::max_series_per_family, 0, 100000000));
    o.push_back(ChoiceOption("log.level", "Log level.", {"debug", "info", "warn", "error"}, &Config::log_level));
    o.push_back(ChoiceOption("log.format", "Log format.", {"text", "json"}, &Config::log_format));
    for (const SourceSpec& s : AllSources()) {
      std::string name(s.name);
      o.push_back(BoolOption("collector." + name, std::string(s.summary),
                             [name](Config& c) -> bool& { return c.poll.sources.collectors[name]; }));
    }
    o.push_back(CountOption(
        "connz.page-size", "N", "Connections per /connz request; pages are read until all are seen.",
        [](Config& c) -> size_t& { return c.poll.sources.connz_page_size; }, 1, 100000));
    o.push_back(BoolOption("connz.detail", "Export per-connection series (labels cid, name); off by default.",
                           [](Config& c) -> bool& { return c.poll.sources.connz_detail; }));
    o.push_back(CountOption(
        "connz.detail-limit", "N", "Most connections with per-connection series (lowest cids first).",
        [](Config& c) -> size_t& { return c.poll.sources.connz_detail_limit; }, 1, 100000));
    o.push_back(BoolOption("jsz.leader-only", "Export stream/consumer values only from the replica this server leads.",
                           [](Config& c) -> bool& { return c.poll.sources.jsz.leader_only; }));
    o.push_back(BoolOption("jsz.fold-ephemeral", "Sum ephemeral consumers of a stream into consumer=\"_ephemeral\".",
                           [](Config& c) -> bool& { return c.poll.sources.jsz.fold_ephemeral; }));
    o.push_back(CountOption(
        "jsz.stream-limit", "N", "Most streams exported.",
        [](Config& c) -> size_t& { return c.poll.sources.jsz.stream_limit; }, 0, 1000000));
    o.push_back(CountOption(
        "jsz.consumer-limit", "N", "Most consumers exported.",
        [](Config& c) -> size_t& { return c.poll.sources.jsz.consumer_limit; }, 0, 1000000));
    o.push_back(DurationOption(
        "jsz.config-refresh",
        "How long the configured fields of streams and consumers (from /jsz?config=true) are reused; polls in "
        "between ask /jsz without config, about half the bytes. New assets are read at once. 0: config every poll.",
        [](Config& c) -> std::chrono::milliseconds& { return c.poll.sources.jsz_config_refresh; },
        /*allow_zero=*/true));
    o.push_back(CountOption(
        "raftz.group-limit", "N", "Most Raft groups exported with --collector.raftz (the rest counted).",
        [](Config& c) -> size_t& { return c.poll.sources.raftz_group_limit; }, 0, 1000000));
    return o;
  }();
  return options;
}

const Option* FindOption(std::string_view name) {
  for (const Option& o : Options()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

Config Defaults() {
  Config c;
  for (const SourceSpec& s : AllSources()) c.poll.sources.collectors[std::string(s.name)] = s.default_enabled;
  return c;
}

// Walks the JSON file, applying every leaf to the option of the same dotted name.
std::string ApplyJson(Config& c, const Json& node, const std::string& prefix, const std::string& file,
                      const FileReader& read) {
  for (const auto& [key, value] : node.items()) {
    std::string dotted = prefix.empty() ? key : prefix + "." + key;
    std::string jpath = "$." + dotted;
    if (dotted == "services") {
      std::string err = ParseServices(value, file, &c.services, read);
      if (!err.empty()) return err;
      continue;
    }
    if (dotted == "consumers") {
      std::string err = ParseConsumers(value, file, &c.consumers);
      if (!err.empty()) return err;
      continue;
    }
    if (dotted == "expect") {
      std::string err = ParseExpect(value, file, &c.expected);
      if (!err.empty()) return err;
      continue;
    }
    if (value.is_object()) {
      std::string err = ApplyJson(c, value, dotted, file, read);
      if (!err.empty()) return err;
      continue;
    }
    // Option names use dashes; file keys use underscores.
    std::string name = dotted;
    std::replace(name.begin(), name.end(), '_', '-');
    const Option* o = FindOption(name);
    if (!o) return file + ": " + jpath + ": unknown field (see --help for the options)";
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_boolean() && o->json_bool) {
      text = value.get<bool>() ? "true" : "false";
    } else if (value.is_number_unsigned() && o->json_number) {
      text = std::to_string(value.get<uint64_t>());
    } else if (value.is_array() && o->json_list &&
               std::all_of(value.begin(), value.end(), [](const Json& x) { return x.is_string() || x.is_number(); })) {
      for (const auto& x : value) text += (text.empty() ? "" : ",") + (x.is_string() ? x.get<std::string>() : x.dump());
    } else {
      std::string expected = o->json_bool     ? "true or false"
                             : o->json_number ? "a non-negative integer"
                             : o->json_list   ? "a string or an array"
                                              : "a string";
      return file + ": " + jpath + ": expected " + expected + ", got " + json_fields::Got(value);
    }
    std::string err = o->set(c, text);
    if (!err.empty()) return file + ": " + jpath + ": expected " + err + ", got " + value.dump();
  }
  return {};
}

// The contents of the file named `path`.
std::string ApplyFileText(Config& c, std::string_view text, const std::string& path, const FileReader& read) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) return path + ": not valid JSON";
  if (!doc.is_object()) return path + ": expected a JSON object at the top level";
  return ApplyJson(c, doc, "", path, read);
}

// `origin` says where the name came from ("--config" or "FARRIER_CONFIG"), for the message.
std::string LoadFile(Config& c, const std::string& path, const std::string& origin, const FileReader& read) {
  std::string text, why;
  if (!read(path, &text, &why)) {
    if (why == "is a directory") return origin + " " + path + ": is a directory, expected a JSON file";
    return origin + " " + path + ": cannot read the file: " + why;
  }
  return ApplyFileText(c, text, path, read);
}

// Checks that need more than one option, and parses the structured values.
constexpr size_t kSysConnzPageSize = 1024;

std::string Validate(Config& c, const FileReader& read) {
  std::string err;
  if (!ParseMonitorUrl(c.monitor_url_text, &c.monitor_url, &err)) return "nats.monitor-url: " + err;
  const MonitorTls& mt = c.monitor_tls;
  if (!mt.cert_file.empty() != !mt.key_file.empty()) {
    return "nats.monitor-tls.cert-file and nats.monitor-tls.key-file: set both or neither";
  }
  for (const auto& [option, path] :
       {std::pair<const char*, const std::string*>{"nats.monitor-tls.ca-file", &mt.ca_file},
        {"nats.monitor-tls.cert-file", &mt.cert_file},
        {"nats.monitor-tls.key-file", &mt.key_file}}) {
    if (std::string err = CheckReadable(option, *path, read); !err.empty()) return err;
  }
  const std::string& la = c.listener.listen_address_text;
  HostPort listen;
  if (std::string why; !SplitHostPort(la, &listen, &why) || listen.port < 0) {
    return "web.listen-address: expected [HOST]:PORT like :7778 or 127.0.0.1:7778, got \"" + la + "\"";
  }
  c.listener.listen_address = {listen.host.empty() ? "0.0.0.0" : listen.host, listen.port};
  c.listener.web.reset();
  if (!c.listener.config_file.empty()) {
    Result<WebConfig> web = LoadWebConfig(c.listener.config_file, read);
    if (!web) return "web.config.file: " + web.error();
    c.listener.web = std::make_shared<const WebConfig>(std::move(web).value());
  }
  if (!c.poll_timeout_given) c.poll.timeout = std::min(c.poll.timeout, c.poll.interval);
  if (c.poll.timeout > c.poll.interval) {
    return "poll.timeout: expected at most poll.interval (" + FormatDuration(c.poll.interval) + "), got " +
           FormatDuration(c.poll.timeout);
  }
  if (!c.CollectorEnabled("varz")) {
    return "collector.varz: cannot be disabled: nats_up and the server's identity come from /varz";
  }
  // Without services there is no subject to test: the source would only add noise series.
  if (c.services.empty() && !c.poll.sources.queuegroups_all) c.poll.sources.collectors["queuegroups"] = false;
  if (std::string err = FinishServices(c.services, c.nats, c.probe_interval, c.probe_timeout, c.probe_buckets, read);
      !err.empty()) {
    return err;
  }
  if (std::string err = FinishNatsAuth(c.probe_auth, "nats.probe", read); !err.empty()) return err;
  c.probe_nats = HasNatsAuth(c.probe_auth) ? WithNatsAuth(c.nats, c.probe_auth) : c.nats;
  // A $SYS reply is one NATS message: at ~520 bytes per connection, 1,024 connections keep a
  // CONNZ page near 0.5 MB, inside the default max payload (1 MB) that a client's messages have.
  if (c.system_account)
    c.poll.sources.connz_page_size = std::min<size_t>(c.poll.sources.connz_page_size, kSysConnzPageSize);
  if (c.system_account && c.CollectorEnabled("accstatz")) {
    return "collector.accstatz: not available with nats.system-account (the servers do not serve /accstatz "
           "over $SYS); disable one of them";
  }
  c.poll.sources.jsz.expected = ExpectedAssets(c.expected, c.consumers);
  // What the queuegroups source asks the server about each service.
  c.poll.sources.queue_groups.clear();
  for (const ServiceConfig& s : c.services) c.poll.sources.queue_groups.push_back({s.name, s.subject, s.queue_group});
  return {};
}

// Validate, with the error saying which option and where the values came from.
std::string ValidateAll(Config& c, const FileReader& read) {
  std::string err = Validate(c, read);
  if (err.empty()) return err;
  return (c.config_file.empty() ? "" : "configuration (flags, env, " + c.config_file + "): ") + "--" + err;
}

}  // namespace

Result<LoadedConfig> LoadConfig(const std::vector<std::string>& args, const std::vector<std::string>& env,
                                const FileReader& read) {
  LoadedConfig loaded;
  Config& c = loaded.config = Defaults();

  // Flags are read twice: first for --config/--help/--version, then applied over file and env.
  struct FlagValue {
    const Option* option;
    std::string flag;
    std::string value;
  };
  std::vector<FlagValue> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      loaded.action = Action::kHelp;
      return loaded;
    }
    if (arg == "--version") {
      loaded.action = Action::kVersion;
      return loaded;
    }
    if (arg == "--check-config") {
      // Goes on loading: the check is the whole load, errors and all.
      loaded.action = Action::kCheck;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return Error{"unexpected argument \"" + arg + "\": options start with -- (see --help)"};
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "config") {
      if (!value) {
        if (i + 1 >= args.size()) return Error{"--config: expected a file name"};
        value = args[++i];
      }
      c.config_file = *value;
      continue;
    }
    const Option* o = FindOption(name);
    bool negated = false;
    if (!o && name.rfind("no-", 0) == 0) {
      o = FindOption(name.substr(3));
      negated = o && o->json_bool;
      if (!negated) o = nullptr;
    }
    if (!o) return Error{"unknown flag --" + name + " (see --help)"};
    if (o->json_bool) {
      if (negated && value) return Error{"--" + name + ": takes no value"};
      if (!value) value = negated ? "false" : "true";
    } else if (!value) {
      if (i + 1 >= args.size()) return Error{"--" + name + ": expected a value (" + o->hint + ")"};
      value = args[++i];
    }
    flags.push_back({o, "--" + name, *value});
  }

  std::string config_origin = "--config";
  if (c.config_file.empty()) {
    for (const std::string& kv : env) {
      if (kv.rfind("FARRIER_CONFIG=", 0) == 0) {
        c.config_file = kv.substr(15);
        config_origin = "FARRIER_CONFIG";
      }
    }
  }
  if (!c.config_file.empty()) {
    std::string err = LoadFile(c, c.config_file, config_origin, read);
    if (!err.empty()) return Error{err};
  }
  for (const std::string& kv : env) {
    auto eq = kv.find('=');
    if (kv.rfind("FARRIER_", 0) != 0 || eq == std::string::npos) continue;
    std::string var = kv.substr(0, eq);
    if (var == "FARRIER_CONFIG") continue;
    const Option* match = nullptr;
    for (const Option& o : Options()) {
      if (EnvName(o.name) == var) match = &o;
    }
    if (!match) {
      loaded.warnings.push_back("environment variable " + var + " is not a farrier option; ignored (see --help)");
      continue;
    }
    std::string err = match->set(c, kv.substr(eq + 1));
    if (!err.empty())
      return Error{"environment variable " + var + ": expected " + err + ", got \"" + kv.substr(eq + 1) + "\""};
  }
  for (const FlagValue& f : flags) {
    std::string err = f.option->set(c, f.value);
    if (!err.empty()) return Error{f.flag + ": expected " + err + ", got \"" + f.value + "\""};
  }
  if (std::string err = ValidateAll(c, read); !err.empty()) return Error{err};
  return loaded;
}

Result<LoadedConfig> LoadConfigText(std::string_view text, const std::string& name, const FileReader& read) {
  LoadedConfig loaded;
  Config& c = loaded.config = Defaults();
  c.config_file = name;
  if (std::string err = ApplyFileText(c, text, name, read); !err.empty()) return Error{err};
  if (std::string err = ValidateAll(c, read); !err.empty()) return Error{err};
  return loaded;
}

std::string HelpText() {
  std::ostringstream out;
  Config defaults = Defaults();
  out << "Usage: farrier [options]\n\n"
         "Polls a nats-server's HTTP monitoring endpoints in the background and serves\n"
         "Prometheus metrics from the latest snapshot. Scrapes never trigger a poll.\n\n"
         "Each option can also be set in the JSON file given with --config (option a.b-c is\n"
         "{\"a\": {\"b_c\": ...}}) or by the environment variable FARRIER_A_B_C.\n"
         "Precedence: flags > environment > file > defaults.\n\n"
         "API services to probe over NATS are listed in the file only, as \"services\": [...];\n"
         "see docs/services.md for every field. --nats.* and --probe.* apply to them.\n\n"
         "SIGHUP reloads the configuration (file, environment, secret files); an invalid one is\n"
         "refused and the running one kept. SIGTERM or SIGINT stops farrier within a second.\n\n"
         "  --config FILE\n      JSON configuration file (or FARRIER_CONFIG=FILE).\n"
         "  --help, -h\n      Show this help and exit.\n"
         "  --version\n      Print the version and exit.\n"
         "  --check-config\n      Load the configuration as a start would (file, environment, flags, secret\n"
         "      files, --web.config.file), print a summary and exit: 0 when valid, 2 with the\n"
         "      error otherwise. Nothing is contacted.\n";
  for (const Option& o : Options()) {
    out << "  --" << (o.json_bool ? "[no-]" : "") << o.name;
    if (!o.hint.empty()) out << " " << o.hint;
    out << "\n      " << o.help << " (default: " << o.show(defaults) << ")\n";
  }
  return out.str();
}

}  // namespace farrier
