#include "support/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace farrier::test {

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp(" + templ + ") failed: " + std::strerror(errno));
  }
  path_ = templ;
}

TempDir::~TempDir() {
  if (std::getenv("FARRIER_KEEP_TEST_DIRS") != nullptr) {
    std::cerr << "[farrier-test] keeping " << path_ << "\n";
    return;
  }
  std::error_code ec;  // never throw from a destructor; a leftover dir in /tmp is harmless
  std::filesystem::remove_all(path_, ec);
}

}  // namespace farrier::test
