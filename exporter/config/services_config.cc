#include "config/services_config.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/units.h"

#include "core/files.h"
#include "core/json_fields.h"

namespace farrier {
namespace {

using Json = nlohmann::json;

using json_fields::Got;

// A NATS subject a request can be sent to: dot-separated non-empty tokens, no wildcards or
// whitespace.
bool IsPublishSubject(const std::string& s) {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos) return false;
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return c == '*' || c == '>' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

bool IsLabelSafeName(const std::string& s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// Walks one JSON object with a table of known fields; anything else is an error.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  using FieldFn = std::function<std::string(const Json&, const std::string& path)>;
  ObjectReader& Field(const std::string& key, FieldFn fn) {
    fields_.emplace_back(key, std::move(fn));
    return *this;
  }
  std::string Run() const {
    for (const auto& item : object_.items()) {
      // Not a structured binding: clang before 16 (the fuzz build) cannot capture one.
      const std::string& key = item.key();
      const Json& value = item.value();
      auto it = std::find_if(fields_.begin(), fields_.end(), [&](const auto& f) { return f.first == key; });
      if (it == fields_.end()) {
        std::string known;
        for (const auto& f : fields_) known += (known.empty() ? "" : ", ") + f.first;
        return path_ + "." + key + ": unknown field (expected one of " + known + ")";
      }
      std::string err = it->second(value, path_ + "." + key);
      if (!err.empty()) return err;
    }
    return {};
  }

 private:
  const Json& object_;
  std::string path_;
  std::vector<std::pair<std::string, FieldFn>> fields_;
};

ObjectReader::FieldFn String(std::string* out, bool allow_empty = false) {
  return [out, allow_empty](const Json& v, const std::string& path) -> std::string {
    if (!v.is_string() || (!allow_empty && v.get<std::string>().empty())) {
      return path + ": expected a non-empty string, got " + Got(v);
    }
    *out = v.get<std::string>();
    return {};
  };
}

ObjectReader::FieldFn Bool(bool* out) {
  return [out](const Json& v, const std::string& path) -> std::string {
    if (!v.is_boolean()) return path + ": expected true or false, got " + Got(v);
    *out = v.get<bool>();
    return {};
  };
}

ObjectReader::FieldFn Int(int* out, int min, int max) {
  return [out, min, max](const Json& v, const std::string& path) -> std::string {
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
      return path + ": expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
             Got(v);
    }
    *out = static_cast<int>(v.get<int64_t>());
    return {};
  };
}

// A fraction in (0, 1] (`include_zero`: [0, 1)).
ObjectReader::FieldFn Ratio(double* out, bool include_zero) {
  return [out, include_zero](const Json& v, const std::string& path) -> std::string {
    double x = v.is_number() ? v.get<double>() : NAN;
    bool ok = include_zero ? (x >= 0 && x < 1) : (x > 0 && x <= 1);
    if (!ok) {
      return path + ": expected a number " +
             (include_zero ? "from 0 up to (not including) 1" : "above 0 and at most 1") + ", got " + Got(v);
    }
    *out = x;
    return {};
  };
}

ObjectReader::FieldFn Duration(std::chrono::milliseconds* out) {
  return [out](const Json& v, const std::string& path) -> std::string {
    auto d = v.is_string() ? ParseDuration(v.get<std::string>()) : std::nullopt;
    if (!d || d->count() <= 0) return path + ": expected a positive duration like \"1s\" or \"250ms\", got " + Got(v);
    *out = *d;
    return {};
  };
}

std::string ParseProbe(const Json& v, const std::string& path, ProbeConfig* probe, bool* has_payload) {
  if (!v.is_object()) return path + ": expected an object, got " + Got(v);
  return ObjectReader(v, path)
      .Field("enabled", Bool(&probe->enabled))
      .Field("interval", Duration(&probe->interval))
      .Field("timeout", Duration(&probe->timeout))
      .Field("payload",
             [probe, has_payload](const Json& p, const std::string& at) -> std::string {
               if (!p.is_string()) return at + ": expected a string, got " + Got(p);
               probe->payload = p.get<std::string>();
               *has_payload = true;
               return {};
             })
      .Field("payload_file", String(&probe->payload_file))
      .Field("headers",
             [probe](const Json& h, const std::string& at) -> std::string {
               if (!h.is_object()) return at + ": expected an object of header names to strings, got " + Got(h);
               for (const auto& [name, value] : h.items()) {
                 if (name.empty() || name.find_first_of(": \r\n") != std::string::npos) {
                   return at + ": header name \"" + name + "\" is not a valid header name";
                 }
                 if (!value.is_string()) return at + "." + name + ": expected a string, got " + Got(value);
                 probe->headers[name] = value.get<std::string>();
               }
               return {};
             })
      .Field("max_outstanding", Int(&probe->max_outstanding, 1, 1000))
      .Run();
}

std::string ParseService(const Json& v, const std::string& path, ServiceConfig* s, const FileReader& read) {
  if (!v.is_object()) return path + ": expected an object, got " + Got(v);
  bool has_payload = false;
  std::string overflow;
  std::string err = ObjectReader(v, path)
                        .Field("name", String(&s->name))
                        .Field("subject", String(&s->subject))
                        .Field("queue_group", String(&s->queue_group))
                        .Field("probe",
                               [&](const Json& p, const std::string& at) {
                                 return ParseProbe(p, at, &s->probe, &has_payload);
                               })
                        .Field("worker_concurrency", Int(&s->worker_concurrency, 1, 1000000))
                        .Field("overflow", String(&overflow))
                        .Field("target_utilization", Ratio(&s->target_utilization, false))
                        .Field("max_timeout_ratio", Ratio(&s->max_timeout_ratio, true))
                        .Field("latency_slo", Duration(&s->latency_slo))
                        .Field("min_workers", Int(&s->min_workers, 0, 1000000))
                        .Field("max_workers", Int(&s->max_workers, 1, 1000000))
                        .Field("micro_service", String(&s->micro_service))
                        .Field("latency_subject", String(&s->latency_subject))
                        .Field("buckets",
                               [s](const Json& b, const std::string& at) -> std::string {
                                 if (!b.is_array() || b.empty())
                                   return at + ": expected a non-empty array of numbers (seconds), got " + Got(b);
                                 std::string text;
                                 for (const auto& x : b) {
                                   if (!x.is_number()) return at + ": expected numbers (seconds), got " + Got(x);
                                   text += (text.empty() ? "" : ",") + x.dump();
                                 }
                                 std::string why = ParseBuckets(text, &s->buckets);
                                 return why.empty() ? why : at + ": " + why;
                               })
                        .Run();
  if (!err.empty()) return err;
  if (s->name.empty()) return path + ".name: required (the service label)";
  if (!IsLabelSafeName(s->name)) {
    return path + ".name: expected letters, digits, '_', '.' or '-' (at most 128), got \"" + s->name + "\"";
  }
  if (s->subject.empty()) return path + ".subject: required (the subject requests are sent to)";
  if (!IsPublishSubject(s->subject)) {
    return path + ".subject: expected a subject without wildcards or spaces, like \"api.echo\", got \"" + s->subject +
           "\"";
  }
  if (!s->latency_subject.empty() && !IsPublishSubject(s->latency_subject)) {
    return path + ".latency_subject: expected a subject without wildcards, got \"" + s->latency_subject + "\"";
  }
  if (!s->micro_service.empty() && !IsPublishSubject(s->micro_service)) {
    return path + ".micro_service: expected a micro service name, got \"" + s->micro_service + "\"";
  }
  if (!overflow.empty()) {
    if (overflow != "drop" && overflow != "queue") {
      return path + ".overflow: expected \"drop\" or \"queue\", got \"" + overflow + "\"";
    }
    s->overflow = overflow == "queue" ? Overflow::kQueue : Overflow::kDrop;
  }
  if (s->min_workers > s->max_workers) {
    return path + ".min_workers: expected at most max_workers (" + std::to_string(s->max_workers) + "), got " +
           std::to_string(s->min_workers);
  }
  if (has_payload && !s->probe.payload_file.empty()) {
    return path + ".probe: set payload or payload_file, not both";
  }
  if (!s->probe.payload_file.empty()) {
    std::string why;
    if (!read(s->probe.payload_file, &s->probe.payload, &why)) {
      return path + ".probe.payload_file: cannot read " + s->probe.payload_file + ": " + why;
    }
  }
  return {};
}

// The first line of a secret file, without trailing whitespace (files written by `echo` end in
// a newline that is not part of the secret).
std::string ReadSecret(const std::string& option, const std::string& path, std::string* out, const FileReader& read) {
  std::string why;
  if (!read(path, out, &why)) return option + ": cannot read " + path + ": " + why;
  out->erase(std::min(out->find_first_of("\r\n"), out->size()));
  while (!out->empty() && std::isspace(static_cast<unsigned char>(out->back()))) out->pop_back();
  if (out->empty()) return option + ": " + path + " is empty";
  return {};
}

}  // namespace

std::string CheckReadable(const std::string& option, const std::string& path, const FileReader& read) {
  if (path.empty()) return {};
  std::string content, why;
  if (!read(path, &content, &why)) return option + ": cannot read " + path + ": " + why;
  if (content.empty()) return option + ": " + path + " is empty";
  return {};
}


std::string ParseBuckets(const std::string& text, std::vector<double>* out) {
  std::vector<double> bounds;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    double x = std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size() || !(x > 0) || !std::isfinite(x)) {
      return "expected positive numbers of seconds separated by commas, got \"" + item + "\"";
    }
    if (!bounds.empty() && x <= bounds.back()) {
      return "expected strictly increasing bounds, got " + item + " after " + std::to_string(bounds.back());
    }
    bounds.push_back(x);
  }
  if (bounds.empty()) return "expected at least one bound";
  if (bounds.size() > 60) return "expected at most 60 bounds";
  *out = std::move(bounds);
  return {};
}

std::string ParseServices(const Json& services, const std::string& file, std::vector<ServiceConfig>* out,
                          const FileReader& read) {
  if (!services.is_array()) return file + ": $.services: expected an array of service objects, got " + Got(services);
  std::vector<ServiceConfig> parsed;
  std::set<std::string> names;
  for (size_t i = 0; i < services.size(); ++i) {
    std::string path = "$.services[" + std::to_string(i) + "]";
    ServiceConfig s;
    std::string err = ParseService(services[i], path, &s, read);
    if (!err.empty()) return file + ": " + err;
    if (!names.insert(s.name).second)
      return file + ": " + path + ".name: \"" + s.name + "\" is used by an earlier service";
    parsed.push_back(std::move(s));
  }
  *out = std::move(parsed);
  return {};
}

std::string ParseConsumers(const Json& consumers, const std::string& file, std::vector<ConsumerConfig>* out) {
  if (!consumers.is_array())
    return file + ": $.consumers: expected an array of consumer objects, got " + Got(consumers);
  std::vector<ConsumerConfig> parsed;
  std::set<std::string> keys;
  for (size_t i = 0; i < consumers.size(); ++i) {
    std::string path = "$.consumers[" + std::to_string(i) + "]";
    const Json& v = consumers[i];
    if (!v.is_object()) return file + ": " + path + ": expected an object, got " + Got(v);
    ConsumerConfig c;
    auto number = [](double* target, double min) {
      return [target, min](const Json& x, const std::string& at) -> std::string {
        if (!x.is_number() || x.get<double>() < min) {
          return at + ": expected a number of at least " + std::to_string(static_cast<int>(min)) + ", got " + Got(x);
        }
        *target = x.get<double>();
        return {};
      };
    };
    std::string err = ObjectReader(v, path)
                          .Field("account", String(&c.account))
                          .Field("stream", String(&c.stream))
                          .Field("consumer", String(&c.consumer))
                          .Field("worker_rate", number(&c.worker_rate, 0))
                          .Field("lag_threshold", number(&c.lag_threshold, 0))
                          .Field("drain_time", Duration(&c.drain_time))
                          .Field("min_workers", Int(&c.min_workers, 0, 1000000))
                          .Field("max_workers", Int(&c.max_workers, 1, 1000000))
                          .Run();
    if (!err.empty()) return file + ": " + err;
    if (c.stream.empty()) return file + ": " + path + ".stream: required";
    if (c.consumer.empty()) return file + ": " + path + ".consumer: required";
    if (c.worker_rate <= 0 && c.lag_threshold <= 0) {
      return file + ": " + path + ": set worker_rate (messages/s one worker handles) or lag_threshold (KEDA mode)";
    }
    if (c.min_workers > c.max_workers) {
      return file + ": " + path + ".min_workers: expected at most max_workers (" + std::to_string(c.max_workers) + ")";
    }
    if (!keys.insert(c.account + "/" + c.stream + "/" + c.consumer).second) {
      return file + ": " + path + ": " + c.stream + "/" + c.consumer + " is listed twice";
    }
    parsed.push_back(std::move(c));
  }
  *out = std::move(parsed);
  return {};
}

namespace {

// One entry of expect.streams (`with_consumer` false) or expect.consumers.
std::string ParseExpected(const Json& v, const std::string& path, bool with_consumer, ExpectedAsset* e) {
  if (!v.is_object()) return path + ": expected an object, got " + Got(v);
  ObjectReader reader(v, path);
  reader.Field("account", String(&e->account)).Field("stream", String(&e->stream));
  if (with_consumer) reader.Field("consumer", String(&e->consumer));
  if (std::string err = reader.Run(); !err.empty()) return err;
  if (e->account.empty()) return path + ".account: required (the JetStream account; \"$G\" without accounts)";
  if (e->stream.empty()) return path + ".stream: required (the stream's name)";
  if (with_consumer && e->consumer.empty()) return path + ".consumer: required (the durable consumer's name)";
  return {};
}

}  // namespace

std::string ParseExpect(const Json& expect, const std::string& file, std::vector<ExpectedAsset>* out) {
  if (!expect.is_object()) {
    return file + ": $.expect: expected an object with \"streams\" and/or \"consumers\" arrays, got " + Got(expect);
  }
  std::vector<ExpectedAsset> parsed;
  for (const auto& item : expect.items()) {
    const std::string& key = item.key();
    const std::string path = "$.expect." + key;
    if (key != "streams" && key != "consumers") {
      return file + ": " + path + ": unknown field (expected one of streams, consumers)";
    }
    const bool consumers = key == "consumers";
    if (!item.value().is_array()) {
      return file + ": " + path + ": expected an array of {\"account\", \"stream\"" +
             (consumers ? ", \"consumer\"" : "") + "} objects, got " + Got(item.value());
    }
    for (size_t i = 0; i < item.value().size(); ++i) {
      const std::string at = path + "[" + std::to_string(i) + "]";
      ExpectedAsset e;
      if (std::string err = ParseExpected(item.value()[i], at, consumers, &e); !err.empty()) return file + ": " + err;
      if (std::find(parsed.begin(), parsed.end(), e) != parsed.end()) {
        return file + ": " + at + ": " + e.account + "/" + e.stream + (consumers ? "/" + e.consumer : "") +
               " is listed twice";
      }
      parsed.push_back(std::move(e));
    }
  }
  std::sort(parsed.begin(), parsed.end());
  *out = std::move(parsed);
  return {};
}

std::vector<ExpectedAsset> ExpectedAssets(std::vector<ExpectedAsset> expected,
                                          const std::vector<ConsumerConfig>& sized) {
  for (const ConsumerConfig& c : sized) expected.push_back({c.account, c.stream, c.consumer});
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  return expected;
}

std::string FinishNatsAuth(NatsClientConfig& auth, const std::string& prefix, const FileReader& read) {
  if (!auth.user.empty() != !auth.password_file.empty()) {
    return prefix + ".user and " + prefix + ".password-file: set both or neither";
  }
  int auth_modes = !auth.creds_file.empty() + !auth.nkey_seed_file.empty() + !auth.token_file.empty() +
                   !auth.user.empty();
  if (auth_modes > 1) return prefix + ": choose one of creds-file, nkey-seed-file, token-file or user/password-file";
  for (const auto& [option, path] : {std::pair<const char*, const std::string*>{".creds-file", &auth.creds_file},
                                     {".nkey-seed-file", &auth.nkey_seed_file}}) {
    if (std::string err = CheckReadable(prefix + option, *path, read); !err.empty()) return err;
  }
  if (!auth.token_file.empty()) {
    if (std::string err = ReadSecret(prefix + ".token-file", auth.token_file, &auth.token, read); !err.empty()) {
      return err;
    }
  }
  if (!auth.password_file.empty()) {
    if (std::string err = ReadSecret(prefix + ".password-file", auth.password_file, &auth.password, read);
        !err.empty()) {
      return err;
    }
  }
  auth.auth_options = prefix;
  return {};
}

bool HasNatsAuth(const NatsClientConfig& auth) {
  return !auth.creds_file.empty() || !auth.nkey_seed_file.empty() || !auth.token_file.empty() || !auth.user.empty();
}

NatsClientConfig WithNatsAuth(NatsClientConfig nats, const NatsClientConfig& auth) {
  nats.creds_file = auth.creds_file;
  nats.nkey_seed_file = auth.nkey_seed_file;
  nats.token_file = auth.token_file;
  nats.token = auth.token;
  nats.user = auth.user;
  nats.password_file = auth.password_file;
  nats.password = auth.password;
  nats.auth_options = auth.auth_options;
  return nats;
}

std::string FinishServices(std::vector<ServiceConfig>& services, NatsClientConfig& nats,
                           std::chrono::milliseconds default_interval, std::chrono::milliseconds default_timeout,
                           const std::vector<double>& default_buckets, const FileReader& read) {
  for (ServiceConfig& s : services) {
    if (s.probe.interval.count() == 0) s.probe.interval = default_interval;
    if (s.probe.timeout.count() == 0) s.probe.timeout = default_timeout;
    if (s.buckets.empty()) s.buckets = default_buckets;
  }
  // Credentials are checked even without services: a broken secret mount should fail at
  // startup, not when the first service is added.
  if (std::string err = FinishNatsAuth(nats, "nats", read); !err.empty()) return err;
  if (!nats.tls_cert_file.empty() != !nats.tls_key_file.empty()) {
    return "nats.tls.cert-file and nats.tls.key-file: set both or neither";
  }
  for (const auto& [option, path] : {std::pair<const char*, const std::string*>{"nats.tls.ca-file", &nats.tls_ca_file},
                                     {"nats.tls.cert-file", &nats.tls_cert_file},
                                     {"nats.tls.key-file", &nats.tls_key_file}}) {
    if (std::string err = CheckReadable(option, *path, read); !err.empty()) return err;
  }
  if (nats.urls.empty()) nats.urls.push_back("nats://127.0.0.1:4222");
  for (const std::string& url : nats.urls) {
    if (url.find('@') != std::string::npos) {
      // Not echoed: the text before '@' is a credential.
      return "nats.url: credentials in the URL are not accepted (they would end up in logs); use "
             "nats.user with nats.password-file, nats.token-file, nats.nkey-seed-file or nats.creds-file";
    }
  }
  return {};
}

}  // namespace farrier
