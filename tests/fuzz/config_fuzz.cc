// libFuzzer target: the text of a --config file through LoadConfigText, i.e. the file parsing
// and every check LoadConfig makes. The files the text names are answered by a reader that has
// none: the fuzzer's invented paths never reach the real file system (/dev/zero, a FIFO, ...).
#include "config/config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const farrier::FileReader kNoFiles = [](const std::string&, std::string*, std::string* why) {
    *why = "No such file or directory (fuzzing: no file is read)";
    return false;
  };
  auto loaded = farrier::LoadConfigText(farrier::fuzz::Text(data, size), "fuzz.json", kNoFiles);
  if (loaded.ok()) return 0;
  // Errors name the file, or (checks across options) say where the values came from.
  const std::string& error = loaded.error();
  const std::string_view across = "configuration (flags, env, fuzz.json): --";
  farrier::fuzz::RequireNamed(error, error.rfind(across, 0) == 0 ? across : "fuzz.json: ");
  return 0;
}
