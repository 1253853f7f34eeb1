// libFuzzer target: a $JS.API.INFO answer (--jetstream.account-info), parsed and rendered as the
// prober would keep it, and the same bytes as a $SYS.REQ.USER.INFO answer.
#include "fuzz_check.h"
#include "services/js_account_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = farrier::fuzz::Text(data, size);
  farrier::fuzz::Accepted(farrier::ParseUserInfoAccount(text), "user info: ");
  auto answer = farrier::ParseJsAccountInfo(text);
  if (!farrier::fuzz::Accepted(answer, "account info: ")) return 0;
  farrier::JsAccountInfoStats stats;
  stats.asked = true;
  stats.up = answer->info.has_value();
  stats.info = answer->info;
  stats.account = "APP";
  if (answer->error) stats.errors[static_cast<size_t>(farrier::FailureOf(*answer->error))]++;
  farrier::Families out;
  farrier::RenderJsAccountInfo(stats, out);
  out.Take();
  return 0;
}
