#include "web/web_server.h"

#include <httplib.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <prometheus/text_serializer.h>

#include "core/render.h"

namespace farrier {

WebServer::WebServer(const Config& config,
                     std::vector<std::shared_ptr<prometheus::Collectable>> sources)
    : config_(config), sources_(std::move(sources)), server_(std::make_unique<httplib::Server>()) {
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderMetrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    // The process is alive and serving; whether NATS is reachable is nats_up's job.
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  server_->Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(LandingPage(), "text/html; charset=utf-8");
  });
  // Headers and body go out in separate writes; without TCP_NODELAY a keep-alive client (such
  // as Prometheus) waits for the delayed ACK, ~40 ms per scrape.
  server_->set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which lets a second farrier bind the same address
  // without error and silently take half of the scrapes. SO_REUSEADDR alone still allows a quick
  // restart while old connections linger in TIME_WAIT.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Slow or stuck clients must not hold a worker thread for long.
  server_->set_read_timeout(std::chrono::seconds(10));
  server_->set_write_timeout(std::chrono::seconds(10));
}

WebServer::~WebServer() { Stop(); }

void WebServer::ServeScaling(JsonEndpoint endpoint) {
  auto answer = [endpoint](const std::string& name, httplib::Response& res) {
    auto [status, body] = endpoint(name);
    res.status = status;
    res.set_content(body, "application/json");
  };
  server_->Get("/api/v1/scaling", [answer](const httplib::Request&, httplib::Response& res) { answer("", res); });
  server_->Get(R"(/api/v1/scaling/services/([A-Za-z0-9_.\-]+))",
               [answer](const httplib::Request& req, httplib::Response& res) { answer(req.matches[1], res); });
  scaling_ = true;
}

bool WebServer::Start(std::string* error) {
  const ListenAddress& la = config_.listen_address;
  if (la.port == 0) {
    port_ = server_->bind_to_any_port(la.host);
  } else {
    port_ = server_->bind_to_port(la.host, la.port) ? la.port : -1;
  }
  if (port_ <= 0) {
    *error = "cannot listen on " + config_.listen_address_text + " (--web.listen-address): " +
             std::strerror(errno);
    return false;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return true;
}

void WebServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string WebServer::RenderMetrics() const {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& source : sources_) {
    auto collected = source->Collect();
    families.insert(families.end(), std::make_move_iterator(collected.begin()),
                    std::make_move_iterator(collected.end()));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

std::string WebServer::LandingPage() const {
  std::string monitor = config_.monitor_url.Origin() + config_.monitor_url.base_path;
  return "<!doctype html>\n<html><head><title>Farrier</title></head><body>\n"
         "<h1>Farrier " + FarrierVersion() + "</h1>\n"
         "<p>Prometheus exporter for NATS, polling <code>" + monitor +
         "</code> every " + std::to_string(config_.poll_interval.count()) + " ms.</p>\n"
         "<ul>\n"
         "<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics from the latest poll</li>\n"
         "<li><a href=\"/healthz\">/healthz</a>: liveness of this process</li>\n" +
         std::string(scaling_ ? "<li><a href=\"/api/v1/scaling\">/api/v1/scaling</a>: capacity signals (JSON)</li>\n" : "") +
         "</ul>\n</body></html>\n";
}

}  // namespace farrier
