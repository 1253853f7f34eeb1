// bench/status_page: what the status page at / costs, next to the /api/v1/scaling JSON of the same
// figures (the baseline), in one run. For each case it fills a StatusHistory through Record()
// with 200 polls (5 s apart: one ring slot each, so every ring is full and has wrapped) of
// varying figures (sine + noise), then measures:
//   - history memory: MemoryBytes(), the heap in use (mallinfo2) and the anonymous RSS (RssAnon
//     of /proc/self/status) grown while filling it; Record() CPU per poll;
//   - the page: bytes, gzip bytes (zlib level 6, as cpp-httplib compresses a text/html answer),
//     render CPU per page (CLOCK_THREAD_CPUTIME_ID, under Read() as farrier renders it), median
//     and p99 of --renders renders, and the gzip CPU;
//   - the baseline: ScalingJson() on the same ScalingSnapshot, the same way.
// Cases: sidecar (3 services, 5 consumers, 1 server), caps (cluster mode: 256 services, 1,024
// consumers, 128 servers, the page's caps), over-caps (300, 1,200, 150: the page must say how
// many it left out). Each case runs in a process of its own (this binary with --case), so one
// case's freed memory does not hide the next one's growth; with farrier's allocator settings
// (M_ARENA_MAX 2, M_MMAP_THRESHOLD 128 KiB, malloc_trim after every poll).
//
//   status_page_bench [--renders N] [--polls P] [--max-seconds S]   every case: a markdown table
//   status_page_bench --case sidecar|caps|over-caps [...]            one case, key=value lines
// --renders (default 200) timed renders per case and kind (page, JSON), fewer when they take more
// than --max-seconds (default 30; at least 20 are timed); --polls (default 200, at least 180).
//
// Exits 1 when a page does not show what it should (rows per section, "more ... not shown").
#include <malloc.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "capacity/render_scaling.h"
#include "capacity/signals.h"
#include "services/definitions.h"
#include "services/service_stats.h"
#include "snapshot/snapshot.h"
#include "status/history.h"
#include "status/status_page.h"

namespace {

using farrier::SteadyTime;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kPollInterval{5000};  // farrier's default --poll.interval: a slot per poll

struct Case {
  std::string name;
  size_t services, consumers, servers;
  bool cluster;
};

const std::vector<Case> kCases = {
    {"sidecar", 3, 5, 1, false},
    {"caps", farrier::kMaxStatusServices, farrier::kMaxStatusConsumers, farrier::kMaxStatusServers, true},
    {"over-caps", 300, 1200, 150, true},
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Anonymous resident memory (RssAnon): the heap and stacks, not the code pages that running
// something for the first time faults in.
size_t RssAnonBytes() {
  size_t kb = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      if (std::strncmp(line, "RssAnon:", 8) == 0) kb = std::strtoul(line + 8, nullptr, 10);
    }
    std::fclose(f);
  }
  return kb * 1024;
}

size_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;  // allocated from the arenas + mmapped chunks
}

// Nearest-rank percentile of the samples (sorted here).
double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// gzip as cpp-httplib writes it (deflateInit2 level Z_DEFAULT_COMPRESSION, windowBits 31).
std::string Gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

size_t Count(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// A NATS server id: 56 characters of base32, starting with N.
std::string ServerId(std::mt19937& rng) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string id = "N";
  for (int i = 0; i < 55; ++i) id += kAlphabet[rng() % 32];
  return id;
}

// The figures one poll publishes, built once (names and configuration) and updated in place per
// poll, so that filling the history allocates nothing outside it.
struct Inputs {
  farrier::Snapshot snapshot;
  farrier::ScalingSnapshot scaling;
  farrier::ServicesSnapshot probes;
  std::vector<double> phase;  // per service, consumer and server: where its sine starts
};

Inputs MakeInputs(const Case& c, std::mt19937& rng) {
  Inputs in;
  std::uniform_real_distribution<double> unit(0, 1);
  for (const char* source : {"connz", "healthz", "jsz", "queuegroups", "routez", "subsz", "varz"}) {
    in.snapshot.status[source] = farrier::SourceStatus{};
  }
  in.snapshot.cluster.enabled = c.cluster;
  in.snapshot.cluster.expected = c.cluster ? c.servers : 0;
  const std::string version = "2.10.22";
  for (size_t i = 0; i < c.servers; ++i) {
    const std::string id = c.cluster ? ServerId(rng) : std::string();
    farrier::ServerView& view = in.snapshot.servers[id];
    view.server_name = c.cluster ? "nats-" + std::to_string(i) : "nats-0";
    view.server_version = farrier::ServerVersion::Parse(version);
    view.cluster = c.cluster ? (i % 2 ? "east" : "west") : "";
    view.answered = c.cluster;
    view.varz.emplace();
    view.varz->server_id = id.empty() ? ServerId(rng) : id;
    view.varz->server_name = view.server_name;
    view.varz->version = version;
    view.varz->cluster = view.cluster;
  }
  in.probes.nats_configured = in.probes.nats_connected = true;
  for (size_t i = 0; i < c.services; ++i) {
    farrier::ServiceConfig config;
    config.name = "orders-api-" + std::to_string(i);
    config.subject = "api.orders." + std::to_string(i);
    config.queue_group = "orders-workers";
    config.worker_concurrency = 4;
    in.probes.services.push_back(config);
    farrier::ServiceStats stats;
    stats.latency = farrier::Histogram(farrier::DefaultProbeBuckets());
    in.probes.stats.push_back(std::move(stats));
    farrier::ServiceSignal sig;
    sig.name = config.name;
    sig.concurrency = 4;
    sig.members_known = sig.replies_known = sig.pending_known = true;
    sig.service_time_source = "micro";
    in.scaling.services.push_back(std::move(sig));
  }
  for (size_t i = 0; i < c.consumers; ++i) {
    farrier::ConsumerSignal sig;
    sig.stream = "ORDERS_" + std::to_string(i / 8);
    sig.consumer = "order-processor-" + std::to_string(i % 8);
    sig.found = sig.led_here = true;
    in.scaling.consumers.push_back(std::move(sig));
  }
  in.scaling.observed = true;
  for (size_t i = 0; i < c.services + c.consumers + c.servers; ++i)
    in.phase.push_back(2 * std::numbers::pi * unit(rng));
  return in;
}

// Poll `k` at `now`: every figure a sine of period 5 minutes (its own phase) plus noise.
void UpdateInputs(Inputs& in, const Case& c, size_t k, SteadyTime now, std::mt19937& rng) {
  std::normal_distribution<double> noise(0, 1);
  const double t = static_cast<double>(k) * std::chrono::duration<double>(kPollInterval).count();
  auto wave = [&](size_t i) { return std::sin(2 * std::numbers::pi * t / 300 + in.phase[i]); };
  in.snapshot.polls = k + 1;
  in.snapshot.taken_at = now;
  // A source fails now and then, so that the page has a last error to show.
  for (auto& [name, status] : in.snapshot.status) {
    status.polled = true;
    status.up = !(name == "jsz" && k % 50 == 7);
    status.reason = status.up ? "" : "timeout";
    status.detail = status.up ? "" : "GET /jsz: no answer within 3s";
  }
  size_t answered = 0;
  size_t i = c.services + c.consumers;
  for (auto& [id, view] : in.snapshot.servers) {
    view.varz->connections = static_cast<uint64_t>(std::max(0.0, 400 + 250 * wave(i++) + 20 * noise(rng)));
    answered += view.answered;
  }
  in.snapshot.cluster.answered = answered;
  for (size_t s = 0; s < c.services; ++s) {
    farrier::ServiceSignal& sig = in.scaling.services[s];
    farrier::ServiceStats& stats = in.probes.stats[s];
    const double load = std::clamp(0.55 + 0.35 * wave(s) + 0.03 * noise(rng), 0.01, 1.2);
    sig.workers = 3 + static_cast<int>((k / 40 + s) % 3);
    sig.service_seconds = 0.020;
    sig.arrival_rate = load * sig.workers * sig.concurrency / sig.service_seconds;
    sig.delivered_total += static_cast<uint64_t>(sig.arrival_rate * 5);
    sig.replies_total = sig.delivered_total;
    sig.window_seconds = 60;
    sig.observed_timeout_ratio = load > 0.8 ? (load - 0.8) * 0.3 : 0;
    sig.assessment.utilization = load;
    sig.assessment.predicted_timeout_ratio = std::pow(load, 6) * 0.2;
    sig.assessment.demand_workers = load * sig.workers;
    sig.assessment.model_workers = std::max(1, static_cast<int>(std::ceil(sig.assessment.demand_workers / 0.7)));
    sig.assessment.desired_workers = sig.assessment.model_workers;
    sig.assessment.saturated = load >= 1;
    sig.assessment.limited_by = load > 0.8 ? "timeout_ratio" : "utilization";
    sig.desired_workers = sig.assessment.desired_workers;
    sig.p99_seconds = 0.02 + 0.08 * load;
    // Five probe answers per poll (--probe.interval 1s), latency around 20 ms growing with load.
    stats.probed = stats.up = true;
    for (int p = 0; p < 5; ++p) {
      const double latency = 0.020 * (1 + load) * std::exp(0.4 * noise(rng));
      stats.latency.Observe(latency);
      stats.last_latency_seconds = latency;
      ++stats.probes;
    }
  }
  for (size_t j = 0; j < c.consumers; ++j) {
    farrier::ConsumerSignal& sig = in.scaling.consumers[j];
    sig.num_pending = static_cast<uint64_t>(std::max(0.0, 900 + 800 * wave(c.services + j) + 60 * noise(rng)));
    sig.num_ack_pending = static_cast<uint64_t>(std::max(0.0, 40 + 10 * noise(rng)));
    sig.lag = sig.num_pending + sig.num_ack_pending;
    sig.window_seconds = 60;
    sig.ack_rate = 50 + 5 * noise(rng);
    sig.incoming_rate = sig.ack_rate + 10 * wave(c.services + j);
    sig.desired_workers = std::clamp(static_cast<int>(std::ceil(static_cast<double>(sig.lag) / 100.0)), 1, 20);
  }
  in.scaling.taken_at = now;
  in.scaling.taken_at_wall = std::chrono::system_clock::now();
}

using Results = std::vector<std::pair<std::string, std::string>>;

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

Results RunCase(const Case& c, size_t polls, size_t renders, std::chrono::duration<double> max_seconds) {
  Results r;
  std::mt19937 rng(20261205);
  Inputs in = MakeInputs(c, rng);
  const SteadyTime start = std::chrono::steady_clock::now();

  // History memory: what filling it grows, with the inputs (and their histograms) already built.
  std::vector<double> record_cpu;
  record_cpu.reserve(polls);
  malloc_trim(0);
  const size_t heap0 = HeapInUse(), rss0 = RssAnonBytes();
  auto history = std::make_unique<farrier::StatusHistory>(kPollInterval);
  SteadyTime now = start;
  for (size_t k = 0; k < polls; ++k) {
    now = start + k * kPollInterval;
    UpdateInputs(in, c, k, now, rng);
    const double t0 = ThreadCpuSeconds();
    history->Record(in.snapshot, &in.scaling, &in.probes, now);
    record_cpu.push_back(ThreadCpuSeconds() - t0);
    malloc_trim(0);  // as farrier's poller does after every poll
  }
  const size_t heap1 = HeapInUse(), rss1 = RssAnonBytes();

  // The page, as farrier renders it for GET / (under the history's lock), a second after the
  // last poll; then gzip as httplib does it for a browser.
  const farrier::StatusPageContext context{.version = "0.1.0",
                                           .polled = c.cluster ? "every server over $SYS" : "http://127.0.0.1:8222",
                                           .poll_interval = kPollInterval,
                                           .scaling_api = true};
  const SteadyTime render_at = now + seconds(1);
  std::string page, gz, json, json_gz;
  std::vector<double> render_cpu, render_wall, gzip_cpu, json_cpu, json_gzip_cpu;
  // A few untimed first; then `renders`, or fewer when they take longer than `max_seconds` (at
  // least kMinTimed). gzip is timed on the first kGzipTimed pages only: at the caps it costs
  // twice the render, and one page compresses like the next.
  constexpr size_t kWarmup = 3, kMinTimed = 20, kGzipTimed = 20;
  auto more = [&](size_t timed, std::chrono::steady_clock::time_point since) {
    if (timed >= renders) return false;
    return timed < kMinTimed || std::chrono::steady_clock::now() - since < max_seconds;
  };
  for (size_t k = 0; k < kWarmup; ++k) {
    history->Read([&](const farrier::StatusState& state) {
      page = farrier::RenderStatusPage(state, context, render_at);
    });
  }
  for (const auto since = std::chrono::steady_clock::now(); more(render_cpu.size(), since);) {
    const auto w0 = std::chrono::steady_clock::now();
    const double t0 = ThreadCpuSeconds();
    history->Read([&](const farrier::StatusState& state) {
      page = farrier::RenderStatusPage(state, context, render_at);
    });
    const double t1 = ThreadCpuSeconds();
    const auto w1 = std::chrono::steady_clock::now();
    render_cpu.push_back(t1 - t0);
    render_wall.push_back(std::chrono::duration<double>(w1 - w0).count());
    if (gzip_cpu.size() < kGzipTimed) {
      gz = Gzip(page);
      gzip_cpu.push_back(ThreadCpuSeconds() - t1);
    }
  }
  // The baseline: the same figures as GET /api/v1/scaling (fresh, so 200), the same way.
  auto scaling_json = [&] {
    farrier::ScalingResponse response = farrier::ScalingJson(in.scaling, "", render_at, 3 * kPollInterval);
    if (response.status != 200) {
      std::fprintf(stderr, "status_page_bench: ScalingJson answered %d\n", response.status);
      std::exit(1);
    }
    return std::move(response.body);
  };
  for (size_t k = 0; k < kWarmup; ++k) json = scaling_json();
  for (const auto since = std::chrono::steady_clock::now(); more(json_cpu.size(), since);) {
    const double t0 = ThreadCpuSeconds();
    json = scaling_json();
    const double t1 = ThreadCpuSeconds();
    json_cpu.push_back(t1 - t0);
    if (json_gzip_cpu.size() < kGzipTimed) {
      json_gz = Gzip(json);
      json_gzip_cpu.push_back(ThreadCpuSeconds() - t1);
    }
  }

  // What the page shows, against what it should.
  size_t slots = 0, services_left = 0, consumers_left = 0, servers_left = 0;
  history->Read([&](const farrier::StatusState& s) {
    slots = s.timeline.filled;
    services_left = s.services_left_out;
    consumers_left = s.consumers_left_out;
    servers_left = s.servers_left_out;
  });
  const size_t want_services = std::min(c.services, farrier::kMaxStatusServices);
  const size_t want_consumers = std::min(c.consumers, farrier::kMaxStatusConsumers);
  const size_t want_servers = std::min(c.servers, farrier::kMaxStatusServers);
  const size_t rows_services = Count(page, "<tr data-service=\"");
  const size_t rows_consumers = Count(page, "<tr data-consumer=\"");
  const size_t rows_servers = Count(page, "<tr data-server=\"");
  auto says_left_out = [&](size_t n, std::string_view what) {
    return n == 0 ? Count(page, " more " + std::string(what) + "(s) not shown") == 0
                  : Count(page, std::to_string(n) + " more " + std::string(what) + "(s) not shown") == 1;
  };
  const bool ok = rows_services == want_services && rows_consumers == want_consumers && rows_servers == want_servers &&
                  services_left == c.services - want_services && consumers_left == c.consumers - want_consumers &&
                  servers_left == c.servers - want_servers && says_left_out(services_left, "service") &&
                  says_left_out(consumers_left, "consumer") && says_left_out(servers_left, "server") &&
                  slots == farrier::kHistorySlots && Count(page, "<polyline") > 0;

  r = {
      {"case", c.name},
      {"services", std::to_string(c.services)},
      {"consumers", std::to_string(c.consumers)},
      {"servers", std::to_string(c.servers)},
      {"cluster", c.cluster ? "true" : "false"},
      {"polls", std::to_string(polls)},
      {"slots_filled", std::to_string(slots)},
      {"rows_services", std::to_string(rows_services)},
      {"rows_consumers", std::to_string(rows_consumers)},
      {"rows_servers", std::to_string(rows_servers)},
      {"left_out_services", std::to_string(services_left)},
      {"left_out_consumers", std::to_string(consumers_left)},
      {"left_out_servers", std::to_string(servers_left)},
      {"page_ok", ok ? "true" : "false"},
      {"memory_bytes", std::to_string(history->MemoryBytes())},
      {"heap_growth_bytes", std::to_string(static_cast<long long>(heap1) - static_cast<long long>(heap0))},
      {"rss_anon_growth_bytes", std::to_string(static_cast<long long>(rss1) - static_cast<long long>(rss0))},
      {"record_cpu_p50_us", Fixed(Percentile(record_cpu, 0.5) * 1e6, 1)},
      {"record_cpu_p99_us", Fixed(Percentile(record_cpu, 0.99) * 1e6, 1)},
      {"page_bytes", std::to_string(page.size())},
      {"page_gzip_bytes", std::to_string(gz.size())},
      {"polylines", std::to_string(Count(page, "<polyline"))},
      {"renders", std::to_string(render_cpu.size())},
      {"json_renders", std::to_string(json_cpu.size())},
      {"render_cpu_p50_ms", Fixed(Percentile(render_cpu, 0.5) * 1e3, 3)},
      {"render_cpu_p99_ms", Fixed(Percentile(render_cpu, 0.99) * 1e3, 3)},
      {"render_wall_p50_ms", Fixed(Percentile(render_wall, 0.5) * 1e3, 3)},
      {"gzip_cpu_p50_ms", Fixed(Percentile(gzip_cpu, 0.5) * 1e3, 3)},
      {"json_bytes", std::to_string(json.size())},
      {"json_gzip_bytes", std::to_string(json_gz.size())},
      {"json_cpu_p50_ms", Fixed(Percentile(json_cpu, 0.5) * 1e3, 3)},
      {"json_cpu_p99_ms", Fixed(Percentile(json_cpu, 0.99) * 1e3, 3)},
      {"json_gzip_cpu_p50_ms", Fixed(Percentile(json_gzip_cpu, 0.5) * 1e3, 3)},
  };
  return r;
}

std::string Bytes(const std::string& bytes) {
  const double b = std::stod(bytes);
  return b < 1024 * 1024 ? Fixed(b / 1024, 1) + " KiB" : Fixed(b / 1024 / 1024, 2) + " MiB";
}

int Usage() {
  std::fprintf(stderr,
               "usage: status_page_bench [--renders N] [--polls P] [--max-seconds S]\n"
               "       status_page_bench --case sidecar|caps|over-caps [--renders N] [--polls P] [--max-seconds S]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  size_t renders = 200, polls = 200;
  double max_seconds = 30;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return Usage();
    const std::string v = argv[++i];
    if (a == "--renders") {
      renders = std::strtoul(v.c_str(), nullptr, 10);
    } else if (a == "--polls") {
      polls = std::strtoul(v.c_str(), nullptr, 10);
    } else if (a == "--max-seconds") {
      max_seconds = std::strtod(v.c_str(), nullptr);
    } else if (a == "--case") {
      only = v;
    } else {
      return Usage();
    }
  }
  if (renders < 1 || polls < farrier::kHistorySlots || !(max_seconds > 0)) {
    std::fprintf(stderr, "status_page_bench: --renders >= 1, --max-seconds > 0 and --polls >= %zu (every ring full)\n",
                 farrier::kHistorySlots);
    return 2;
  }

  if (!only.empty()) {
    // farrier's allocator settings (app/run.cc): memory and render costs as farrier has them.
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    for (const Case& c : kCases) {
      if (c.name != only) continue;
      Results r = RunCase(c, polls, renders, std::chrono::duration<double>(max_seconds));
      bool ok = true;
      for (const auto& [k, v] : r) {
        std::printf("%s=%s\n", k.c_str(), v.c_str());
        if (k == "page_ok") ok = v == "true";
      }
      return ok ? 0 : 1;
    }
    return Usage();
  }

  // Every case in a process of its own: this binary again, with --case.
  char self[4096];
  const ssize_t self_length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (self_length <= 0) return 1;
  self[self_length] = '\0';
  std::vector<std::map<std::string, std::string>> all;
  bool ok = true;
  for (const Case& c : kCases) {
    const std::string command = "'" + std::string(self) + "' --case " + c.name + " --renders " +
                                std::to_string(renders) + " --polls " + std::to_string(polls) + " --max-seconds " +
                                std::to_string(max_seconds);
    FILE* p = popen(command.c_str(), "r");
    if (!p) return 1;
    std::map<std::string, std::string> r;
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
      std::string s(line);
      if (!s.empty() && s.back() == '\n') s.pop_back();
      if (auto eq = s.find('='); eq != std::string::npos) r[s.substr(0, eq)] = s.substr(eq + 1);
    }
    const int status = pclose(p);
    if (r.empty()) {
      std::fprintf(stderr, "status_page_bench: case %s failed (status %d)\n", c.name.c_str(), status);
      return 1;
    }
    ok = ok && status == 0 && r["page_ok"] == "true";
    all.push_back(std::move(r));
  }

  auto row = [&](const std::string& label, auto cell) {
    std::string line = "| " + label + " |";
    for (auto& r : all) line += " " + cell(r) + " |";
    std::printf("%s\n", line.c_str());
  };
  using R = std::map<std::string, std::string>;
  std::string head = "| |", rule = "|---|";
  for (auto& r : all) {
    head += " " + r["case"] + " |";
    rule += "---|";
  }
  std::printf("%s\n%s\n", head.c_str(), rule.c_str());
  row("services / consumers / servers recorded", [](R& r) {
    return r["services"] + " / " + r["consumers"] + " / " + r["servers"] +
           (r["cluster"] == "true" ? " (cluster mode)" : " (sidecar)");
  });
  row("rows on the page (left out)", [](R& r) {
    return r["rows_services"] + " / " + r["rows_consumers"] + " / " + r["rows_servers"] + " (" +
           r["left_out_services"] + " / " + r["left_out_consumers"] + " / " + r["left_out_servers"] + ")";
  });
  row("history: MemoryBytes()", [](R& r) { return Bytes(r["memory_bytes"]); });
  row("history: heap growth (mallinfo2)", [](R& r) { return Bytes(r["heap_growth_bytes"]); });
  row("history: RssAnon growth", [](R& r) { return Bytes(r["rss_anon_growth_bytes"]); });
  row("Record() CPU per poll p50 / p99", [](R& r) {
    return Fixed(std::stod(r["record_cpu_p50_us"]) / 1e3, 3) + " / " +
           Fixed(std::stod(r["record_cpu_p99_us"]) / 1e3, 3) + " ms";
  });
  row("page: bytes (gzip)", [](R& r) { return Bytes(r["page_bytes"]) + " (" + Bytes(r["page_gzip_bytes"]) + ")"; });
  row("page: render CPU p50 / p99",
      [](R& r) { return r["render_cpu_p50_ms"] + " / " + r["render_cpu_p99_ms"] + " ms"; });
  row("page: gzip CPU p50", [](R& r) { return r["gzip_cpu_p50_ms"] + " ms"; });
  row("page: render + gzip CPU p50 (a browser's GET /)",
      [](R& r) { return Fixed(std::stod(r["render_cpu_p50_ms"]) + std::stod(r["gzip_cpu_p50_ms"]), 3) + " ms"; });
  row("baseline /api/v1/scaling JSON: bytes (gzip)",
      [](R& r) { return Bytes(r["json_bytes"]) + " (" + Bytes(r["json_gzip_bytes"]) + ")"; });
  row("baseline JSON: render CPU p50 / p99",
      [](R& r) { return r["json_cpu_p50_ms"] + " / " + r["json_cpu_p99_ms"] + " ms"; });
  row("baseline JSON: gzip CPU p50", [](R& r) { return r["json_gzip_cpu_p50_ms"] + " ms"; });
  row("page ÷ JSON, render CPU p50",
      [](R& r) { return Fixed(std::stod(r["render_cpu_p50_ms"]) / std::stod(r["json_cpu_p50_ms"]), 1) + "×"; });
  row("timed renders: page / JSON", [](R& r) { return r["renders"] + " / " + r["json_renders"]; });
  std::printf("\nRaw:\n");
  for (auto& r : all) {
    std::string line = "-";
    for (const auto& [k, v] : r) line += " " + k + "=" + v;
    std::printf("%s\n", line.c_str());
  }
  if (!ok) std::fprintf(stderr, "status_page_bench: a page did not show what it should (page_ok=false above)\n");
  return ok ? 0 : 1;
}
