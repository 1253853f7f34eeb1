// Farrier's own HTTP listener: /metrics (text format, serialized from the collectables at each
// scrape), /healthz (the process is alive) and a landing page at /.
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/collectable.h>

#include "config/config.h"

namespace httplib {
class Server;
}

namespace farrier {

class WebServer {
 public:
  WebServer(const Config& config, std::vector<std::shared_ptr<prometheus::Collectable>> sources);
  ~WebServer();

  // GET /api/v1/scaling (argument "") and /api/v1/scaling/services/<name> answer with the
  // returned status and JSON body. Call before Start().
  using JsonEndpoint = std::function<std::pair<int, std::string>(const std::string& name)>;
  void ServeScaling(JsonEndpoint endpoint);

  // Binds and starts serving on a background thread; false with `error` set when the address
  // cannot be bound.
  bool Start(std::string* error);
  void Stop();
  int port() const { return port_; }  // the bound port (useful with port 0)

 private:
  std::string RenderMetrics() const;
  std::string LandingPage() const;

  Config config_;
  std::vector<std::shared_ptr<prometheus::Collectable>> sources_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool scaling_ = false;
};

}  // namespace farrier
