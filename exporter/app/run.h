#pragma once

namespace farrier {

// The whole program: parse configuration, start polling and serving, wait for SIGINT/SIGTERM.
// Returns the process exit code (0 normal, 1 runtime failure such as an unbindable port,
// 2 invalid configuration).
int Run(int argc, char** argv, char** envp);

}  // namespace farrier
