#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "app/run.h"
#include "services/nats_library.h"

extern char** environ;

int main(int argc, char** argv) {
  int code = farrier::Run(argc, argv, environ);
  // Every NATS connection is closed by now; cnats' own threads still run. Exit handlers
  // (OpenSSL's frees its locks and tables) must not run under them.
  if (!farrier::CloseNatsLibrary(std::chrono::seconds(2))) {
    spdlog::warn("the NATS library's threads did not end within 2 s; exiting without cleanup");
    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}
