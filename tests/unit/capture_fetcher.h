// A Fetcher (transport/fetcher.h) that answers from one release's captures instead of a network:
// each request's HTTP path and query maps to a capture file, answered with the status the server gave it
// (status-codes.json). An unmapped path answers 404 with the Go mux's body, as a server without
// that endpoint does. Lets the sources' real poll functions run on real bodies of every release.
#pragma once

#include <map>
#include <string>

#include "fixtures.h"
#include "transport/fetcher.h"

namespace farrier::test {

class CaptureFetcher : public Fetcher {
 public:
  CaptureFetcher(std::string release, std::map<std::string, std::string> files)
      : release_(std::move(release)), files_(std::move(files)) {}

  void StartPoll(const FetchLimits&) override {}

  FetchResult Fetch(const EndpointRequest& request) override {
    const std::string path = HttpTarget(request);
    requests_[path]++;
    auto it = files_.find(path);
    if (it == files_.end() && path.rfind("/connz?", 0) == 0) it = files_.find("/connz");
    if (it == files_.end()) {
      body_ = "404 page not found\n";
      return {404, body_};
    }
    // A release without the endpoint has its 404 page saved as .txt instead of .json.
    std::string file = it->second;
    if (!HasFixtureOf(release_, file) && file.size() > 5 && file.compare(file.size() - 5, 5, ".json") == 0) {
      file = file.substr(0, file.size() - 5) + ".txt";
    }
    body_ = ReadFixtureOf(release_, file);
    return {StatusOf(release_, file), body_};
  }

  int Requests(const std::string& path) const {
    auto it = requests_.find(path);
    return it == requests_.end() ? 0 : it->second;
  }

 private:
  std::string release_;
  std::map<std::string, std::string> files_;
  std::map<std::string, int> requests_;
  std::string body_;
};

}  // namespace farrier::test
