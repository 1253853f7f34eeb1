// RAII temporary directory for test artefacts (logs, configs, JetStream stores).
//
// Ownership: the object owns the directory tree and removes it in the destructor, unless
// FARRIER_KEEP_TEST_DIRS is set in the environment (handy when debugging a failing test: the
// path is then printed to stderr so logs can be inspected afterwards).
// Thread-safety: immutable after construction; safe to share read-only.
#pragma once

#include <filesystem>
#include <string_view>

namespace farrier::test {

class TempDir {
 public:
  // Creates a fresh directory "<$TMPDIR or /tmp>/<prefix>-XXXXXX". Throws std::runtime_error.
  explicit TempDir(std::string_view prefix = "farrier-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace farrier::test
