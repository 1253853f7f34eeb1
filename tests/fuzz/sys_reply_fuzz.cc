// libFuzzer target: a $SYS monitoring reply (cluster mode), unwrapped; its data must lie inside
// the input.
#include "fuzz_check.h"
#include "transport/sys_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = farrier::fuzz::Text(data, size);
  auto parsed = farrier::ParseSysReply(text);
  if (!farrier::fuzz::Accepted(parsed, "not a $SYS reply: ")) return 0;
  if (!parsed->data.empty() &&
      (parsed->data.data() < text.data() || parsed->data.data() + parsed->data.size() > text.data() + text.size())) {
    __builtin_trap();
  }
  return 0;
}
