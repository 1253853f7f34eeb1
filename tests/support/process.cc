#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace farrier::test {
namespace {

std::string ResolveOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw std::runtime_error("executable not found on PATH: " + name);
}

// Parent environment with `extra` overriding same-named variables.
std::vector<std::string> BuildEnv(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    bool overridden = false;
    for (const auto& [k, v] : extra) {
      if (kv.size() > k.size() && kv.substr(0, k.size()) == k && kv[k.size()] == '=') overridden = true;
    }
    if (!overridden) env.emplace_back(kv);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int OpenOrThrow(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("open " + path.string() + ": " + std::strerror(errno));
  if (fd < 3) {  // parent runs with a closed std fd: move it up so the child's dup2s can't clobber it
    int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    ::close(fd);
    fd = high;
  }
  return fd;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string ReadFileOrEmpty(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ChildProcess::ChildProcess(std::vector<std::string> argv)
    : ChildProcess(ChildProcessOptions{.argv = std::move(argv)}) {}

ChildProcess::ChildProcess(ChildProcessOptions o) {
  if (o.argv.empty()) throw std::runtime_error("ChildProcess: empty argv");
  argv0_ = o.argv[0];
  if (o.log_dir.empty()) {
    own_log_dir_ = std::make_unique<TempDir>("farrier-proc");
    o.log_dir = own_log_dir_->path();
  }
  if (o.log_name.empty()) o.log_name = std::filesystem::path(o.argv[0]).filename().string();
  stdout_path_ = o.log_dir / (o.log_name + ".stdout");
  stderr_path_ = o.log_dir / (o.log_name + ".stderr");

  // Everything the child needs is prepared before fork(): between fork and exec in a
  // (possibly multi-threaded) parent only async-signal-safe calls are allowed.
  const std::string exe = ResolveOnPath(o.argv[0]);
  std::vector<std::string> env_strings = BuildEnv(o.env);
  std::vector<char*> argv = CStrings(o.argv), envp = CStrings(env_strings);
  // fds[0..2] become the child's stdin/stdout/stderr; fds[3..4] is a CLOEXEC pipe that closes on
  // a successful exec and otherwise carries exec's errno back to us.
  int fds[5] = {-1, -1, -1, -1, -1};
  auto close_all = [&] {
    for (int& fd : fds) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  };
  try {
    fds[0] = OpenOrThrow(o.stdin_path.empty() ? "/dev/null" : o.stdin_path, O_RDONLY);
    fds[1] = OpenOrThrow(stdout_path_, O_WRONLY | O_CREAT | O_TRUNC);
    fds[2] = OpenOrThrow(stderr_path_, O_WRONLY | O_CREAT | O_TRUNC);
    if (::pipe2(fds + 3, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  } catch (...) {
    close_all();
    throw;
  }
  const int exec_pipe[2] = {fds[3], fds[4]};
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // parent already died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);  // SIG_IGN would survive exec
    for (int i = 0; i < 3; ++i) ::dup2(fds[i], i);
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // don't leak the test's sockets into the child
    ::execve(exe.c_str(), argv.data(), envp.data());
    int err = errno;
    (void)!::write(exec_pipe[1], &err, sizeof(err));
    ::_exit(127);
  }
  const int fork_errno = errno;
  fds[3] = -1;  // read end stays open below
  close_all();
  if (pid_ < 0) {
    ::close(exec_pipe[0]);
    throw std::runtime_error("fork failed: " + std::string(std::strerror(fork_errno)));
  }
  int child_errno = 0;
  ssize_t n;
  do n = ::read(exec_pipe[0], &child_errno, sizeof(child_errno));
  while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (n == sizeof(child_errno)) {
    ReapBlocking();
    throw std::runtime_error("exec " + exe + " failed: " + std::strerror(child_errno));
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    ReapBlocking();
  }
}

void ChildProcess::Reap(int wait_status) { exit_code_ = DecodeWaitStatus(wait_status); }

int ChildProcess::ReapBlocking() {
  int status = 0;
  pid_t r;
  do r = ::waitpid(pid_, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r == pid_) Reap(status);
  else exit_code_ = -1;  // ECHILD: someone else reaped it (e.g. SIGCHLD set to SIG_IGN)
  return *exit_code_;
}

bool ChildProcess::Running() {
  if (exit_code_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) Reap(status);
  else exit_code_ = -1;
  return false;
}

bool ChildProcess::Signal(int sig) {
  if (!Running()) return false;
  return ::kill(pid_, sig) == 0;
}

std::optional<int> ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

int ChildProcess::Stop(std::chrono::milliseconds grace, int sig) {
  if (!Running()) return *exit_code_;
  Signal(sig);
  Signal(SIGCONT);
  if (auto code = WaitExit(grace)) return *code;
  ::kill(pid_, SIGKILL);
  return ReapBlocking();
}

std::string ChildProcess::ReadStdout() const { return ReadFileOrEmpty(stdout_path_); }
std::string ChildProcess::ReadStderr() const { return ReadFileOrEmpty(stderr_path_); }

bool ChildProcess::WaitForOutput(std::string_view needle, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Check liveness first: output written just before exit is still seen by the read below.
    const bool running = Running();
    if (ReadStdout().find(needle) != std::string::npos || ReadStderr().find(needle) != std::string::npos) {
      return true;
    }
    if (!running || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ChildProcess::Describe() const { return argv0_ + " (pid " + std::to_string(pid_) + ")"; }

}  // namespace farrier::test
