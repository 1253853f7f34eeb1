// A real child process (fork + execve) whose stdout/stderr are captured in files.
//
// Ownership: a ChildProcess owns exactly one PID. It signals and reaps only that PID (never
// by name), and the destructor always SIGKILLs + reaps a child that is still alive, so a
// failing ASSERT cannot leak processes. The child also gets PR_SET_PDEATHSIG=SIGKILL, so it
// dies if the test binary crashes. Caveat: the death signal fires when the *thread* that
// spawned the child exits, so spawn from a thread that outlives the child (e.g. the test body).
// The child inherits only fds 0-2: every other fd is made close-on-exec in the child, so a
// listening socket owned by the test is not kept open by a child after the test closes it.
//
// Thread-safety: not thread-safe; use one ChildProcess from one thread at a time. The log
// files may be read concurrently (ReadStdout/ReadStderr only read files).
//
// Exit codes: a normal exit yields its status (0-255); death by signal yields 128 + signo
// (shell convention: SIGKILL -> 137, SIGTERM -> 143).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/temp_dir.h"

namespace farrier::test {

struct ChildProcessOptions {
  // argv[0] without a '/' is looked up on $PATH (the parent's PATH, before `env` applies).
  std::vector<std::string> argv{};
  // Added to (or overriding) a copy of the parent's environment.
  std::vector<std::pair<std::string, std::string>> env{};
  // Where <log_name>.stdout / <log_name>.stderr are written (truncated). Empty: a private
  // TempDir owned by the ChildProcess and deleted with it.
  std::filesystem::path log_dir{};
  // File stem of the log files; empty: basename of argv[0].
  std::string log_name{};
  // File connected to the child's stdin; empty: /dev/null.
  std::filesystem::path stdin_path{};
};

class ChildProcess {
 public:
  // Spawns immediately. Throws std::runtime_error if the binary is missing or exec fails.
  explicit ChildProcess(ChildProcessOptions options);
  explicit ChildProcess(std::vector<std::string> argv);
  ~ChildProcess();  // SIGKILL + reap by PID if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Non-blocking; reaps the child if it has exited. A SIGSTOPped child counts as running.
  bool Running();
  // Sends sig to the PID. Returns false (and sends nothing) once the child has been reaped,
  // which is what makes signalling by PID safe against PID reuse.
  bool Signal(int sig);
  // Graceful stop: sends `sig` (SIGTERM by default) and SIGCONT (so a paused child can act on
  // it), waits up to `grace`, then SIGKILLs. Returns the exit code. Idempotent.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(5), int sig = SIGTERM);
  // Waits up to `timeout` for the child to exit; nullopt if still running.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  // Exit code if the child has already been reaped.
  std::optional<int> exit_code() const { return exit_code_; }

  std::string ReadStdout() const;
  std::string ReadStderr() const;
  // Polls the captured stdout and stderr until either contains `needle`. Returns false on
  // timeout, or early if the child has exited without printing it.
  bool WaitForOutput(std::string_view needle, std::chrono::milliseconds timeout);

  const std::filesystem::path& stdout_path() const { return stdout_path_; }
  const std::filesystem::path& stderr_path() const { return stderr_path_; }
  // "argv[0] (pid N)", for failure messages.
  std::string Describe() const;

 private:
  void Reap(int wait_status);
  int ReapBlocking();

  std::unique_ptr<TempDir> own_log_dir_;  // only when options.log_dir was empty
  std::string argv0_;
  std::filesystem::path stdout_path_, stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// Whole-file read; "" if the file does not exist.
std::string ReadFileOrEmpty(const std::filesystem::path& path);

}  // namespace farrier::test
