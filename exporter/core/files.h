// Reading the files farrier is pointed at (configuration, secrets, certificates, probe payloads).
#pragma once

#include <functional>
#include <string>

namespace farrier {

// Reads a whole regular file into *out. On failure *why says why ("No such file or directory",
// "is a directory", "not a regular file", ...), never what was in it: the file may hold a
// secret. Anything but a regular file is refused because a FIFO would block start-up and a
// device such as /dev/zero would never end.
bool ReadRegularFile(const std::string& path, std::string* out, std::string* why);

// How configuration loading reads the files it is pointed at, so that a test or the fuzz target
// can hand it files of its own (or none) instead of the real file system.
using FileReader = std::function<bool(const std::string& path, std::string* out, std::string* why)>;
const FileReader& RegularFiles();  // ReadRegularFile

}  // namespace farrier
