// natskit js-reply: pulls messages from a JetStream pull consumer one at a time and answers each
// with a fixed acknowledgement body (-NAK, +TERM, +ACK, ...): how the tests and the advisory
// captures cause io.nats.jetstream.advisory.v1.nak, terminated and max_deliver for real.
#include <nats/nats.h>

#include <iostream>
#include <memory>
#include <string>

#include "natskit.h"

namespace natskit {

int cmd_js_reply(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit js-reply --url U --stream S --consumer C --reply BODY [--count N]\n"
                 "                       [--timeout MS]\n\n"
                 "Pulls up to N messages (default 1) one at a time from the pull consumer C of\n"
                 "stream S ($JS.API.CONSUMER.MSG.NEXT.S.C) and publishes BODY (e.g. -NAK, +TERM,\n"
                 "+ACK) to each message's reply subject. A pull that gets nothing within MS\n"
                 "milliseconds (default 2000) ends the loop. Prints \"replied K\" and exits 0.\n";
    return 0;
  }
  const std::string url = args.str("url", "nats://127.0.0.1:4222");
  const std::string next = "$JS.API.CONSUMER.MSG.NEXT." + args.str("stream") + "." + args.str("consumer");
  const std::string body = args.str("reply");
  const long long count = args.num("count", 1, 0, 1000000);
  const long long timeout_ms = args.num("timeout", 2000, 1, 600000);
  if (nats_Open(-1) != NATS_OK) throw Failure("nats_Open failed");
  natsConnection* nc = nullptr;
  if (natsStatus s = natsConnection_ConnectTo(&nc, url.c_str()); s != NATS_OK) {
    throw Failure("cannot connect to " + url + ": " + natsStatus_GetText(s));
  }
  long long replied = 0;
  for (; replied < count; ++replied) {
    natsMsg* msg = nullptr;
    // "1": one message, waiting on the server until one is there (the request's timeout ends it).
    if (natsConnection_RequestString(&msg, nc, next.c_str(), "1", timeout_ms) != NATS_OK) break;
    const char* reply = natsMsg_GetReply(msg);
    const bool is_message = reply != nullptr && std::string(reply).rfind("$JS.ACK.", 0) == 0;
    if (is_message) natsConnection_PublishString(nc, reply, body.c_str());
    natsMsg_Destroy(msg);
    if (!is_message) break;  // a status (404/408) instead of a message
  }
  natsConnection_Flush(nc);
  natsConnection_Close(nc);
  natsConnection_Destroy(nc);
  nats_CloseAndWait(2000);
  std::cout << "replied " << replied << std::endl;
  return 0;
}

}  // namespace natskit
