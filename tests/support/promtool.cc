#include "support/promtool.h"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "support/process.h"
#include "support/temp_dir.h"

namespace farrier::test {

PromtoolResult PromtoolCheckMetrics(std::string_view text) {
  PromtoolResult result;
  try {
    TempDir dir("farrier-promtool");
    // A file on stdin rather than a pipe: no writer thread, and no deadlock on large input.
    const auto input = dir.path() / "metrics.txt";
    std::ofstream(input, std::ios::binary) << text;
    const char* env = std::getenv("FARRIER_PROMTOOL");
    ChildProcess proc(ChildProcessOptions{.argv = {env && *env ? env : "promtool", "check", "metrics"},
                                          .log_dir = dir.path(),
                                          .log_name = "promtool",
                                          .stdin_path = input});
    auto code = proc.WaitExit(std::chrono::seconds(30));
    result.exit_code = code ? *code : 124;
    if (!code) proc.Stop(std::chrono::milliseconds(100), SIGKILL);
    result.output = proc.ReadStdout() + proc.ReadStderr();
    if (!code) result.output += "\n(promtool timed out after 30s)";
  } catch (const std::exception& e) {
    result.exit_code = -1;
    result.output = e.what();
  }
  result.ok = result.exit_code == 0;
  return result;
}

}  // namespace farrier::test
