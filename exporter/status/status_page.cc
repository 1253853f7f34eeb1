#include "status/status_page.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

#include "status/svg_chart.h"

namespace farrier {
namespace {

constexpr std::string_view kDocs = "https://github.com/farrier/farrier/tree/main/docs";

constexpr std::string_view kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1f24;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}
table{border-collapse:collapse}th,td{text-align:left;padding:.3em .8em .3em 0;vertical-align:top}
th{font-weight:600;border-bottom:1px solid #d0d7de}tr+tr td{border-top:1px solid #eef1f4}
.up{color:#116329}.down{color:#cf222e;font-weight:600}.idle{color:#6e7781}.small{color:#57606a;font-size:.9em}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.4em .8em}
code{font-size:.95em}.fig{white-space:nowrap}nav a{margin-right:1em}
svg.chart{display:block;margin-top:.2em}svg text{font-size:8px;fill:#57606a}
svg .axis{stroke:#d0d7de;stroke-width:1}
polyline{fill:none;stroke-width:1.5}circle{stroke:none;fill:currentColor}
.now{stroke:#0969da;color:#0969da}.want{stroke:#bc4c00;color:#bc4c00;stroke-dasharray:4 2}
.key{display:inline-block;width:1.6em;height:0;border-top:2px solid #0969da;vertical-align:middle}
.key.want{border-top:2px dashed #bc4c00}
)";

// Replaces the page's #status with a fresh one every data-refresh-ms and says when in #refresh
// (outside #status, so it survives the swap); a failed fetch says so and keeps the figures on
// screen. Without script the page is simply static.
constexpr std::string_view kScript = R"(
(function () {
  var ms = Number(document.body.dataset.refreshMs) || 5000;
  var note = document.getElementById('refresh');
  function tick() {
    fetch(location.href, {cache: 'no-store', credentials: 'same-origin'})
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, 'text/html').getElementById('status');
        if (next) document.getElementById('status').replaceWith(next);
        note.textContent = 'updated ' + new Date().toLocaleTimeString();
      })
      .catch(function (e) { note.textContent = 'not updated: ' + e.message; })
      .finally(function () { setTimeout(tick, ms); });
  }
  setTimeout(tick, ms);
})();
)";

std::string Sha256Base64(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(n));
}

std::string E(std::string_view text) { return HtmlEscape(text); }

std::string Key(std::string_view css_class) { return "<span class=\"key " + std::string(css_class) + "\"></span>"; }

std::string Ago(SteadyTime then, SteadyTime now) { return FormatAge(now - then) + " ago"; }

// Closes a part's table and section, saying how many rows the history's caps left out.
void EndTable(size_t left_out, std::string_view things, std::string& out) {
  out += "</table>";
  if (left_out)
    out += "<p class=\"small\">" + std::to_string(left_out) + " more " + std::string(things) + " not shown.</p>";
  out += "</section>\n";
}

void RenderSources(const StatusState& s, SteadyTime now, std::string& out) {
  out += "<section id=\"sources\"><h2>Sources</h2>\n<table><tr><th>Source</th><th>State</th><th>Last error</th></tr>\n";
  for (const SourceState& src : s.sources) {
    out += "<tr data-source=\"" + E(src.name) + "\"><td><code>" + E(src.name) + "</code></td>";
    if (!src.polled) {
      out += "<td class=\"idle\">not polled yet</td>";
    } else if (src.up) {
      out += "<td class=\"up\">up for " + FormatAge(now - src.since) + "</td>";
    } else {
      out += "<td class=\"down\">down for " + FormatAge(now - src.since) + ": " + E(src.reason) + "</td>";
    }
    if (src.last_error_at) {
      out += "<td>" + Ago(*src.last_error_at, now) + ": <code>" + E(src.last_error_reason) +
             "</code> <span class=\"small\">" + E(src.last_error_detail) + "</span></td>";
    } else {
      out += "<td class=\"idle\">none since start</td>";
    }
    out += "</tr>\n";
  }
  out += "</table></section>\n";
}

void RenderServers(const StatusState& s, SteadyTime now, std::string& out) {
  if (s.servers.empty()) return;
  out += "<section id=\"servers\"><h2>Servers</h2>\n";
  if (s.cluster.enabled) {
    out += "<p>Cluster mode: " + std::to_string(s.cluster.answered) + " server(s) answered the last discovery" +
           (s.cluster.expected ? " of " + std::to_string(s.cluster.expected) + " expected" : std::string()) +
           (s.cluster.failure.empty() ? std::string() : ": " + E(s.cluster.failure)) + ".</p>\n";
  }
  out += "<table><tr><th>Server</th><th>Cluster</th><th>Version</th><th>State</th><th>Client connections</th></tr>\n";
  for (const auto& [id, server] : s.servers) {
    const std::string name = server.name.empty() ? (id.empty() ? "(this server)" : id) : server.name;
    out += "<tr data-server=\"" + E(name) + "\"><td>" + E(name) + "</td><td>" + E(server.cluster) + "</td><td>" +
           E(server.version) + "</td>";
    out += server.up
               ? "<td class=\"up\">up</td>"
               : "<td class=\"down\">not answering" +
                     (server.last_seen == SteadyTime{} ? std::string() : ", last seen " + Ago(server.last_seen, now)) +
                     "</td>";
    out += "<td><span class=\"fig\">" +
           (server.connections ? FormatCount(static_cast<double>(*server.connections)) : std::string("–")) + "</span>" +
           SvgChart(s.timeline, {{&server.connections_series, "now"}}, now, 1, FormatCount,
                    "client connections of " + name) +
           "</td></tr>\n";
  }
  EndTable(s.servers_left_out, "server(s)", out);
}

// Charts for at most this many services and consumers: a chart is about 1.5 KB of SVG, and the
// page is fetched again every poll interval (bench/README.md#status-page-benchstatus-pagesh).
constexpr size_t kChartedServices = 32;
constexpr size_t kChartedConsumers = 64;

// The rows in the order shown, each with or without its charts: all of them, in configured order,
// when there are at most `limit`; otherwise first the `limit` rows that need attention most
// (larger `need` first; ties in configured order), then the rest in configured order, without.
template <typename Row, typename Need>
std::vector<std::pair<const Row*, bool>> ChartedFirst(const std::vector<Row>& rows, size_t limit, Need need) {
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (rows.size() > limit) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return need(rows[a]) > need(rows[b]); });
    std::sort(order.begin() + static_cast<std::ptrdiff_t>(limit), order.end());
  }
  std::vector<std::pair<const Row*, bool>> shown;
  for (size_t i = 0; i < order.size(); ++i) shown.emplace_back(&rows[order[i]], i < limit);
  return shown;
}

std::string ChartLimitNote(size_t total, size_t limit, std::string_view things, std::string_view order) {
  if (total <= limit) return "";
  return "<p class=\"small\">Charts for the " + std::to_string(limit) + " " + std::string(things) +
         " that need attention most (" + std::string(order) + "), first; the other " + std::to_string(total - limit) +
         " below them, figures only.</p>\n";
}

// How far a service is from what it should be: workers missing, then timeouts, then probes down.
double ServiceNeed(const ServiceState& svc) {
  const ServiceSignal& sig = svc.signal;
  double missing = svc.signal_known ? sig.desired_workers - sig.workers : 0;
  double timeouts = svc.signal_known && std::isfinite(sig.observed_timeout_ratio) ? sig.observed_timeout_ratio : 0;
  return 1e6 * missing + 1e3 * timeouts + (svc.probed && !svc.probe_up ? 1 : 0);
}

void RenderServices(const StatusState& s, SteadyTime now, std::string& out) {
  if (s.services.empty()) return;
  out += "<section id=\"services\"><h2>Services</h2>\n";
  if (s.nats_configured && !s.nats_connected)
    out += "<p class=\"down\">Not connected to NATS: no probes are sent.</p>\n";
  out += ChartLimitNote(s.services.size(), kChartedServices, "services",
                        "most workers missing, then most timeouts, then probes failing");
  out += "<table><tr><th>Service</th><th>Workers: " + Key("now") + " now " + Key("want") +
         " desired</th><th>Utilization</th><th>Timeouts: " + Key("now") + " observed " + Key("want") +
         " predicted</th><th>Probe latency (last minute): " + Key("now") + " p50 " + Key("want") + " p99</th></tr>\n";
  for (auto [row, charts] : ChartedFirst(s.services, kChartedServices, ServiceNeed)) {
    const ServiceState& svc = *row;
    const ServiceSignal& sig = svc.signal;
    const std::string& name = sig.name;
    auto chart = [&, charts = charts](std::vector<ChartLine> lines, double min_top, std::string (*format)(double),
                                      const std::string& title) {
      return charts ? SvgChart(s.timeline, lines, now, min_top, format, title) : std::string();
    };
    out += "<tr data-service=\"" + E(name) + "\"><td><code>" + E(name) + "</code><br>";
    if (!svc.probed) {
      out += "<span class=\"idle\">not probed yet</span>";
    } else if (svc.probe_up) {
      out += "<span class=\"up\">answering</span>";
    } else {
      out += "<span class=\"down\">" + std::to_string(svc.consecutive_failures) + " probe(s) failed in a row</span>";
    }
    if (svc.signal_known && !sig.assessment.limited_by.empty()) {
      out += "<br><span class=\"small\">sized by " + E(sig.assessment.limited_by) +
             (sig.warming_up ? ", warming up" : "") + "</span>";
    }
    out += "</td>";
    out += "<td><span class=\"fig workers\">" +
           (svc.signal_known && sig.members_known ? std::to_string(sig.workers) : std::string("–")) + " → " +
           "<span class=\"desired\">" + (svc.signal_known ? std::to_string(sig.desired_workers) : std::string("–")) +
           "</span></span>" +
           chart({{&svc.workers, "now"}, {&svc.desired, "want"}}, 1, FormatCount,
                 "workers now and desired for " + name) +
           "</td>";
    out += "<td><span class=\"fig\">" + (svc.signal_known ? FormatRatio(sig.assessment.utilization) : "–") + "</span>" +
           chart({{&svc.utilization, "now"}}, 1, FormatRatio, "utilization of " + name) + "</td>";
    out += "<td><span class=\"fig\">" +
           (svc.signal_known && sig.window_seconds > 0 ? FormatRatio(sig.observed_timeout_ratio) : std::string("–")) +
           " / " + (svc.signal_known ? FormatRatio(sig.assessment.predicted_timeout_ratio) : "–") + "</span>" +
           chart({{&svc.observed_timeout_ratio, "now"}, {&svc.predicted_timeout_ratio, "want"}}, 0.01, FormatRatio,
                 "timeout ratio observed and predicted for " + name) +
           "</td>";
    out += "<td><span class=\"fig\">" + FormatSeconds(svc.p50_seconds) + " / " + FormatSeconds(svc.p99_seconds) +
           "</span> <span class=\"small\">(" + std::to_string(svc.recent_answers) + " answers)</span>" +
           chart({{&svc.p50, "now"}, {&svc.p99, "want"}}, 0.001, FormatSeconds,
                 "probe latency p50 and p99 for " + name) +
           "</td></tr>\n";
  }
  EndTable(s.services_left_out, "service(s)", out);
}

void RenderConsumers(const StatusState& s, SteadyTime now, std::string& out) {
  if (s.consumers.empty()) return;
  out += "<section id=\"consumers\"><h2>JetStream consumers</h2>\n";
  out += ChartLimitNote(s.consumers.size(), kChartedConsumers, "consumers", "largest lag");
  out += "<table><tr><th>Stream / consumer</th><th>Lag (pending + unacknowledged)</th><th>Desired workers</th></tr>\n";
  auto lag = [](const ConsumerState& c) { return c.signal.found ? static_cast<double>(c.signal.lag) : -1.0; };
  for (auto [row, charts] : ChartedFirst(s.consumers, kChartedConsumers, lag)) {
    const ConsumerState& c = *row;
    const ConsumerSignal& sig = c.signal;
    const std::string label = sig.stream + " / " + sig.consumer;
    out += "<tr data-consumer=\"" + E(label) + "\"><td><code>" + E(sig.stream) + "</code> / <code>" + E(sig.consumer) +
           "</code><br>";
    if (!sig.found) {
      out += "<span class=\"down\">not found in /jsz</span>";
    } else {
      out += std::string(sig.led_here ? "<span class=\"up\">led by this server</span>"
                                      : "<span class=\"idle\">led elsewhere</span>") +
             (sig.paused ? " <span class=\"idle\">paused</span>" : "");
    }
    out += "</td><td><span class=\"fig\">" + (sig.found ? FormatCount(static_cast<double>(sig.lag)) : "–") + "</span>" +
           (charts ? SvgChart(s.timeline, {{&c.lag, "now"}}, now, 1, FormatCount, "lag of " + label) : "") + "</td>";
    out += "<td><span class=\"fig\">" + std::to_string(sig.desired_workers) + "</span>" +
           (charts ? SvgChart(s.timeline, {{&c.desired, "want"}}, now, 1, FormatCount, "desired workers for " + label)
                   : "") +
           "</td></tr>\n";
  }
  EndTable(s.consumers_left_out, "consumer(s)", out);
}

}  // namespace

std::string RenderStatusPage(const StatusState& s, const StatusPageContext& context, SteadyTime now) {
  std::string out;
  out.reserve(16 * 1024 + 6 * 1024 * (s.services.size() + s.consumers.size() + s.servers.size()));
  out +=
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Farrier status</title><style>";
  out += kStyle;
  out += "</style></head>\n<body data-refresh-ms=\"" + std::to_string(context.poll_interval.count()) + "\">\n";
  out += "<header><h1>Farrier " + E(context.version) + "</h1>\n<nav><a href=\"/metrics\">/metrics</a>";
  if (context.scaling_api) out += "<a href=\"/api/v1/scaling\">/api/v1/scaling</a>";
  out += "<a href=\"/healthz\">/healthz</a><a href=\"" + std::string(kDocs) +
         "\">documentation</a><span id=\"refresh\" class=\"small\"></span></nav></header>\n";
  out += "<main id=\"status\">\n<p>Prometheus exporter for NATS, polling <code>" + E(context.polled) +
         "</code> every " + std::to_string(context.poll_interval.count()) + " ms. ";
  out += s.last_poll ? "Last poll " + Ago(*s.last_poll, now) + " (" + std::to_string(s.polls) + " so far)."
                     : std::string("No poll has finished yet.");
  out += " Charts show the last 15 minutes, the newest on the right.";
  out += "</p>\n";
  if (!s.stale_reasons.empty()) {
    out += "<p class=\"warn\">Scaling figures are stale:";
    for (const std::string& why : s.stale_reasons) out += " " + E(why) + ";";
    out += "</p>\n";
  }
  RenderSources(s, now, out);
  RenderServers(s, now, out);
  RenderServices(s, now, out);
  RenderConsumers(s, now, out);
  out += "</main>\n<script>";
  out += kScript;
  out += "</script>\n</body></html>\n";
  return out;
}

const std::string& StatusPageContentSecurityPolicy() {
  static const std::string policy =
      "default-src 'none'; style-src 'sha256-" + Sha256Base64(kStyle) + "'; script-src 'sha256-" +
      Sha256Base64(kScript) + "'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  return policy;
}

}  // namespace farrier
