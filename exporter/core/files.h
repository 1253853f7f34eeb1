// Reading the files farrier is pointed at (configuration, secrets, certificates, probe payloads).
#pragma once

#include <string>

namespace farrier {

// Reads a whole regular file into *out. On failure *why says why ("No such file or directory",
// "is a directory", "not a regular file", ...), never what was in it: the file may hold a
// secret. Anything but a regular file is refused because a FIFO would block start-up and a
// device such as /dev/zero would never end.
bool ReadRegularFile(const std::string& path, std::string* out, std::string* why);

}  // namespace farrier
