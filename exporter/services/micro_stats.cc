#include "services/micro_stats.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/json_fields.h"

namespace farrier {

using namespace json_fields;

namespace {

constexpr std::string_view kStatsType = "io.nats.micro.v1.stats_response";

std::string Where(std::string_view path, std::string_view key) { return std::string(path) + "." + std::string(key); }

// A required string that must not be empty (an empty id would merge every such instance).
std::string NonEmpty(const Json& obj, std::string_view key, std::string_view path) {
  std::string s = Str(obj, key, path, /*required=*/true);
  if (s.empty()) throw SchemaError(Where(path, key) + ": expected non-empty string, got empty string");
  return s;
}

// A required count. Negative integers get their own message: "got number" would hide why.
uint64_t Count(const Json& obj, std::string_view key, std::string_view path) {
  auto it = obj.find(key);
  if (it != obj.end() && it->is_number_integer() && !it->is_number_unsigned() && it->get<int64_t>() < 0) {
    throw SchemaError(Where(path, key) + ": expected unsigned integer, got negative number " + it->dump());
  }
  return U64(obj, key, path, /*required=*/true);
}

// Nanoseconds as seconds. ADR-32 sends whole nanoseconds (Go's time.Duration); a fractional
// number is accepted as well, since the value ends up a double anyway.
double NanosAsSeconds(const Json& obj, std::string_view key, std::string_view path, bool required) {
  double ns = F64(obj, key, path, required);
  if (ns < 0) throw SchemaError(Where(path, key) + ": expected non-negative nanoseconds, got " + obj.at(key).dump());
  return ns / 1e9;
}

MicroEndpointStats ParseEndpoint(const Json& o, const std::string& path) {
  if (!o.is_object()) throw SchemaError(path + ": expected object, got " + o.type_name());
  MicroEndpointStats e;
  e.name = NonEmpty(o, "name", path);
  e.subject = NonEmpty(o, "subject", path);
  e.queue_group = Str(o, "queue_group", path);  // absent before ADR-32 revision 2
  e.num_requests = Count(o, "num_requests", path);
  e.num_errors = Count(o, "num_errors", path);
  e.last_error = Str(o, "last_error", path);
  e.processing_seconds = NanosAsSeconds(o, "processing_time", path, /*required=*/true);
  NanosAsSeconds(o, "average_processing_time", path, /*required=*/false);  // derived; type-checked only
  return e;
}

}  // namespace

Result<MicroStatsResponse> ParseMicroStats(std::string_view json) {
  return ParseWith<MicroStatsResponse>("micro stats", json, [](const Json& j) {
    std::string type = Str(j, "type", "$", /*required=*/true);
    if (type != kStatsType) {
      throw SchemaError("$.type: expected \"" + std::string(kStatsType) + "\", got " + Json(type).dump());
    }
    MicroStatsResponse r;
    r.name = NonEmpty(j, "name", "$");
    r.id = NonEmpty(j, "id", "$");
    r.version = Str(j, "version", "$", /*required=*/true);
    r.started = Str(j, "started", "$");
    // Required by the schema; an explicit null is read as "no endpoints".
    if (!j.contains("endpoints")) throw SchemaError("$.endpoints: expected array, field missing");
    const Json& endpoints = Array(j, "endpoints", "$");
    if (endpoints.is_null()) return r;
    r.endpoints.reserve(endpoints.size());
    for (size_t i = 0; i < endpoints.size(); ++i) {
      r.endpoints.push_back(ParseEndpoint(endpoints[i], "$.endpoints[" + std::to_string(i) + "]"));
    }
    return r;
  });
}

void MicroCounters::Values::Add(const Values& v) {
  requests += v.requests;
  errors += v.errors;
  processing_seconds += v.processing_seconds;
}

MicroCounters::MicroCounters(std::chrono::steady_clock::duration retire_after, size_t max_endpoints)
    : retire_after_(retire_after), max_endpoints_(max_endpoints) {}

void MicroCounters::Update(const std::vector<MicroStatsResponse>& instances,
                           std::chrono::steady_clock::time_point now) {
  std::set<std::string> seen, dropped;
  for (const MicroStatsResponse& response : instances) {
    if (!seen.insert(response.id).second) continue;  // answered twice in one round

    // This round's values by endpoint name (ADR-32 allows several endpoints with one name).
    std::map<std::string, Values> current;
    for (const MicroEndpointStats& e : response.endpoints) {
      if (!endpoints_.count(e.name)) {
        if (endpoints_.size() >= max_endpoints_) {
          dropped.insert(e.name);
          continue;
        }
        endpoints_.insert(e.name);  // tracked from now on: its counter must never vanish
      }
      current[e.name].Add({e.num_requests, e.num_errors, e.processing_seconds});
    }

    Instance& inst = instances_[response.id];
    // A new `started` means the instance reset its stats (nats.go's Reset() sets it): its
    // previous values go to the base even if the new ones have already grown past them.
    if (!inst.started.empty() && inst.started != response.started) {
      for (const auto& [name, v] : inst.endpoints) retired_[name].Add(v);
      inst.endpoints.clear();
    }
    inst.started = response.started;
    inst.last_seen = now;
    for (auto& [name, v] : current) {
      Values& last = inst.endpoints[name];
      // Any counter going down is a reset of this endpoint: keep what it had counted so far.
      if (v.requests < last.requests || v.errors < last.errors || v.processing_seconds < last.processing_seconds) {
        retired_[name].Add(last);
      }
      last = v;  // endpoints missing from this answer keep their last values
    }
  }
  instances_last_round_ = seen.size();
  dropped_last_round_ = dropped.size();

  Retire(now);

  std::map<std::string, Values> sums = retired_;
  for (const auto& [id, inst] : instances_) {
    for (const auto& [name, v] : inst.endpoints) sums[name].Add(v);
  }
  // The sums only grow in exact arithmetic; the max() keeps a rounding difference of the
  // floating-point processing time (summed in another order) from showing as a reset.
  for (const auto& [name, v] : sums) {
    Values& t = totals_[name];
    t.requests = std::max(t.requests, v.requests);
    t.errors = std::max(t.errors, v.errors);
    t.processing_seconds = std::max(t.processing_seconds, v.processing_seconds);
  }
}

void MicroCounters::Retire(std::chrono::steady_clock::time_point now) {
  for (auto it = instances_.begin(); it != instances_.end();) {
    if (now - it->second.last_seen > retire_after_) {
      for (const auto& [name, v] : it->second.endpoints) retired_[name].Add(v);
      it = instances_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<MicroCounters::EndpointTotals> MicroCounters::Totals() const {
  std::vector<EndpointTotals> out;
  out.reserve(totals_.size());
  for (const auto& [name, v] : totals_) out.push_back({name, v.requests, v.errors, v.processing_seconds});
  return out;
}

}  // namespace farrier
