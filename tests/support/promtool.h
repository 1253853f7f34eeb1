// Runs the real `promtool check metrics` (Prometheus 2.42 here) on exposition text.
//
// promtool 2.42 exit codes: 0 = clean; 3 = parsed but lint problems (e.g.
// `foo counter metrics should have "_total" suffix`, `foo no help text`); 1 = parse error
// ("error while linting: text format parsing error in line N: ..."). All of it goes to
// stderr. Note it does NOT flag duplicate series or non-contiguous families; PromExposition does.
// Binary: $FARRIER_PROMTOOL if set, else "promtool" on $PATH.
// Thread-safety: stateless (temp files per call), safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace farrier::test {

struct PromtoolResult {
  bool ok = false;       // exit code 0
  int exit_code = -1;    // see above; -1 if it could not be run, 124 if it timed out
  std::string output{};  // stdout followed by stderr (or why it could not run)
};

PromtoolResult PromtoolCheckMetrics(std::string_view text);

}  // namespace farrier::test
