#include "core/files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace farrier {

bool ReadRegularFile(const std::string& path, std::string* out, std::string* why) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    *why = std::filesystem::is_directory(path, ec) ? "is a directory" : "not a regular file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = std::strerror(errno);
    return false;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  *out = std::move(buf).str();
  return true;
}

const FileReader& RegularFiles() {
  static const FileReader reader = ReadRegularFile;
  return reader;
}

}  // namespace farrier
