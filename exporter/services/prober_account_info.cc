// The prober's --jetstream.account-info requests (see prober.h): $JS.API.INFO every interval,
// $SYS.REQ.USER.INFO until this connection's account is known. Apart from prober.cc only to keep
// files short; same class, same lock.
#include <spdlog/spdlog.h>

#include "services/prober.h"

namespace farrier {
void Prober::SendAccountInfoLocked(Clock::time_point now) {
  // A reply later than the next request is a timeout: one request in flight at a time.
  const Clock::time_point deadline = now + micro_interval_;
  // The answer does not name the account. A connection keeps its credentials across cnats'
  // reconnects, so its account is asked once per connection (NatsClient generation), and again
  // after a timeout. 2.9 has no responder: the label is "" (OnUserInfoLocked).
  if (account_generation_ != client_->generation() && !user_info_in_flight_) {
    user_info_in_flight_ = RequestLocked(PendingKind::kUserInfo, kUserInfoSubject, 0, now, deadline);
  }
  if (!RequestLocked(PendingKind::kAccountInfo, kJsAccountInfoSubject, 0, now, deadline)) {
    AccountInfoFailedLocked(AccountInfoFailure::kNotSent, "NATS not connected or the publish failed");
  }
}

void Prober::OnAccountInfoLocked(natsMsg* msg) {
  // No responders: the server runs without JetStream (an account without it gets an API error).
  if (natsMsg_IsNoResponders(msg)) {
    AccountInfoFailedLocked(AccountInfoFailure::kNoResponders, "no responders: the server has no JetStream");
    return;
  }
  Result<JsAccountInfoAnswer> r = ParseJsAccountInfo(MessageBody(msg));
  if (!r) {
    AccountInfoFailedLocked(AccountInfoFailure::kInvalid, r.error());
    return;
  }
  if (r->error) {
    AccountInfoFailedLocked(FailureOf(*r->error), "code " + std::to_string(r->error->code) + ", err_code " +
                                                      std::to_string(r->error->err_code) + ": " +
                                                      r->error->description);
    return;
  }
  JsAccountInfoStats& st = account_info_stats_;
  const JsAccountInfo& info = *r->info;
  if (account_info_logged_ != kAccountInfoOk) {
    spdlog::info("{}: answered: {} streams (max {}), {} consumers (max {}); -1 is unlimited", kJsAccountInfoSubject,
                 info.streams, info.max_streams, info.consumers, info.max_consumers);
    account_info_logged_ = kAccountInfoOk;
  }
  st.asked = st.up = true;
  st.info = info;
}

void Prober::OnUserInfoLocked(natsMsg* msg) {
  user_info_in_flight_ = false;
  account_generation_ = client_->generation();
  std::optional<std::string>& account = account_info_stats_.account;
  if (natsMsg_IsNoResponders(msg)) {
    // 2.9: $SYS.REQ.USER.INFO does not exist. Known for this connection: not asked again.
    if (!account) spdlog::info("{}: no responders (before 2.10); the account label is empty", kUserInfoSubject);
    account = "";
    return;
  }
  Result<std::string> name = ParseUserInfoAccount(MessageBody(msg));
  if (!name) {
    spdlog::warn("{}: {}; the account label is empty", kUserInfoSubject, name.error());
    account = "";
    return;
  }
  if (account != *name) spdlog::info("{}: the connection's account is {}", kUserInfoSubject, *name);
  account = *name;
}

void Prober::AccountInfoFailedLocked(AccountInfoFailure why, std::string_view detail) {
  JsAccountInfoStats& st = account_info_stats_;
  st.asked = true;
  st.up = false;
  st.info.reset();  // the account's series go with the answer: none is stale
  st.errors[static_cast<size_t>(why)]++;
  if (account_info_logged_ != static_cast<int>(why)) {
    spdlog::warn("{}: no account info ({}: {}); counted, not logged again until this changes", kJsAccountInfoSubject,
                 ReasonLabel(why), detail);
    account_info_logged_ = static_cast<int>(why);
  }
}

}  // namespace farrier
