// natskit js-snapshot and js-restore: a stream's snapshot taken to a file and restored from it
// through the JetStream API itself, as a backup tool does, so tests can cause
// io.nats.jetstream.advisory.v1.restore_create and restore_complete for real.
//
// The protocol, as nats-server implements it (server/jetstream_api.go, 2.9.10 to 2.15):
//  * $JS.API.STREAM.SNAPSHOT.<stream> {"deliver_subject": D, "chunk_size": N} is answered with the
//    stream's {config, state}; the server then publishes the snapshot to D in chunks. A chunk
//    with a reply subject is acknowledged by publishing to that subject (newer servers send no
//    more than a window of unacknowledged chunks, and give up when acks stop); a last partial
//    chunk may come without one. An empty message ends it: without headers (2.9, 2.10) or with a
//    status header, 204 for success, 408 or 500 with a description for a failure (newer ones).
//  * $JS.API.STREAM.RESTORE.<stream> {"config": C, "state": S} is answered with a
//    deliver_subject; each chunk is sent there as a request, answered with an empty message
//    (an error text or JSON error otherwise), and an empty request ends the upload: its answer
//    is the stream-create response of the restored stream, or the restore's error. The stream
//    must not exist, and config.name must be the stream of the subject (2.11+ checks it).
#include <nats/nats.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "natskit.h"

namespace natskit {
namespace {

using Json = nlohmann::json;
using Msg = std::unique_ptr<natsMsg, decltype(&natsMsg_Destroy)>;

// One plain connection (no JetStream context: every call here is a raw API request).
class Connection {
 public:
  explicit Connection(const std::string& url) {
    if (nats_Open(-1) != NATS_OK) throw Failure("nats_Open failed");
    if (natsStatus s = natsConnection_ConnectTo(&nc_, url.c_str()); s != NATS_OK) {
      nats_CloseAndWait(2000);
      throw Failure("cannot connect to " + url + ": " + natsStatus_GetText(s));
    }
  }
  ~Connection() {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
    nats_CloseAndWait(2000);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  natsConnection* get() const { return nc_; }

  // A request whose reply comes back as a message; throws on a timeout or no responders.
  Msg Request(const std::string& subject, const std::string& data, long long timeout_ms) const {
    natsMsg* raw = nullptr;
    natsStatus s = natsConnection_Request(&raw, nc_, subject.c_str(), data.data(), static_cast<int>(data.size()),
                                          timeout_ms);
    if (s != NATS_OK) throw Failure("request " + subject + ": " + natsStatus_GetText(s));
    return Msg(raw, natsMsg_Destroy);
  }

 private:
  natsConnection* nc_ = nullptr;
};

std::string Data(natsMsg* msg) { return std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)); }

// The API reply as JSON; throws with the server's description when it is an error.
Json ApiReply(natsMsg* msg, const std::string& what) {
  Json reply = Json::parse(Data(msg), nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object()) throw Failure(what + ": the reply is no JSON object: " + Data(msg));
  if (reply.contains("error")) throw Failure(what + ": " + reply["error"].dump());
  return reply;
}

std::string MetaPath(const std::string& file) { return file + ".json"; }

}  // namespace

int cmd_js_snapshot(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit js-snapshot --url U --stream S --file F [--chunk-size BYTES]\n"
                 "                          [--timeout MS]\n\n"
                 "Snapshots stream S ($JS.API.STREAM.SNAPSHOT.S, consumers included) to file F,\n"
                 "acknowledging every chunk, and writes the restore request (the reply's config and\n"
                 "state) to F.json. A wait of MS milliseconds (default 5000) for the next chunk, or\n"
                 "an end with a failure status, fails. Prints \"snapshot BYTES\" and exits 0.\n";
    return 0;
  }
  const std::string url = args.str("url", "nats://127.0.0.1:4222");
  const std::string stream = args.str("stream");
  const std::string file = args.str("file");
  const long long chunk_size = args.num("chunk-size", 64 * 1024, 1024, 1024 * 1024);
  const long long timeout_ms = args.num("timeout", 5000, 1, 600000);
  Connection nc(url);
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) throw Failure("natsInbox_Create failed");
  std::unique_ptr<natsInbox, decltype(&natsInbox_Destroy)> inbox_guard(inbox, natsInbox_Destroy);
  natsSubscription* raw_sub = nullptr;
  if (natsConnection_SubscribeSync(&raw_sub, nc.get(), inbox) != NATS_OK) throw Failure("subscribe failed");
  std::unique_ptr<natsSubscription, decltype(&natsSubscription_Destroy)> sub(raw_sub, natsSubscription_Destroy);
  natsSubscription_SetPendingLimits(sub.get(), -1, -1);
  // The server waits (2 s) for interest in the deliver subject; it is there before the request.
  if (natsConnection_FlushTimeout(nc.get(), 5000) != NATS_OK) throw Failure("flush failed");

  const Json request{{"deliver_subject", inbox}, {"chunk_size", chunk_size}};
  Msg reply = nc.Request("$JS.API.STREAM.SNAPSHOT." + stream, request.dump(), timeout_ms);
  const Json info = ApiReply(reply.get(), "snapshot of " + stream);
  const Json restore_request{{"config", info.at("config")}, {"state", info.at("state")}};

  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw Failure("cannot write " + file);
  long long bytes = 0;
  for (;;) {
    natsMsg* raw = nullptr;
    if (natsStatus s = natsSubscription_NextMsg(&raw, sub.get(), timeout_ms); s != NATS_OK) {
      throw Failure("snapshot of " + stream + ": no chunk after " + std::to_string(bytes) +
                    " bytes: " + natsStatus_GetText(s));
    }
    Msg chunk(raw, natsMsg_Destroy);
    const int size = natsMsg_GetDataLength(chunk.get());
    if (size == 0) {
      // The end. A status header other than 204 says why the server gave up.
      const char* status = nullptr;
      if (natsMsgHeader_Get(chunk.get(), "Status", &status) == NATS_OK && std::string(status) != "204") {
        const char* description = "";
        natsMsgHeader_Get(chunk.get(), "Description", &description);
        throw Failure("snapshot of " + stream + " ended with status " + status + " " + description);
      }
      break;
    }
    out.write(natsMsg_GetData(chunk.get()), size);
    bytes += size;
    if (const char* ack = natsMsg_GetReply(chunk.get()); ack != nullptr && *ack != '\0') {
      if (natsConnection_Publish(nc.get(), ack, nullptr, 0) != NATS_OK) throw Failure("chunk ack failed");
    }
  }
  out.close();
  std::ofstream meta(MetaPath(file), std::ios::trunc);
  meta << restore_request.dump() << '\n';
  meta.close();
  if (!out || !meta) throw Failure("cannot write " + file + " or " + MetaPath(file));
  std::cout << "snapshot " << bytes << std::endl;
  return 0;
}

int cmd_js_restore(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit js-restore --url U --stream S --file F [--chunk-size BYTES]\n"
                 "                         [--timeout MS]\n\n"
                 "Restores stream S (which must not exist) from the snapshot js-snapshot wrote to F\n"
                 "and F.json: $JS.API.STREAM.RESTORE.S with F.json's config (named S) and state,\n"
                 "then F in chunks of BYTES (default 65536) as requests to the deliver subject the\n"
                 "server answered with, then an empty request. Prints the final reply (the restored\n"
                 "stream's info, one JSON line) and exits 0; exits 1 when any step fails.\n";
    return 0;
  }
  const std::string url = args.str("url", "nats://127.0.0.1:4222");
  const std::string stream = args.str("stream");
  const std::string file = args.str("file");
  const long long chunk_size = args.num("chunk-size", 64 * 1024, 1, 1024 * 1024);
  const long long timeout_ms = args.num("timeout", 10000, 1, 600000);
  std::ifstream meta(MetaPath(file));
  Json request = Json::parse(meta, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object() || !request.contains("config")) throw Failure("no restore request in " + MetaPath(file));
  request["config"]["name"] = stream;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Failure("cannot read " + file);

  Connection nc(url);
  Msg reply = nc.Request("$JS.API.STREAM.RESTORE." + stream, request.dump(), timeout_ms);
  const std::string deliver = ApiReply(reply.get(), "restore of " + stream).value("deliver_subject", "");
  if (deliver.empty()) throw Failure("restore of " + stream + ": no deliver_subject in " + Data(reply.get()));
  std::vector<char> chunk(static_cast<size_t>(chunk_size));
  long long bytes = 0;
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    const std::string data(chunk.data(), static_cast<size_t>(in.gcount()));
    Msg ack = nc.Request(deliver, data, timeout_ms);
    // Anything but an empty answer is the server refusing the chunk (e.g. "-ERR 'storage ...'").
    if (natsMsg_GetDataLength(ack.get()) != 0) {
      throw Failure("restore of " + stream + ": chunk at byte " + std::to_string(bytes) +
                    " refused: " + Data(ack.get()));
    }
    bytes += static_cast<long long>(data.size());
  }
  Msg done = nc.Request(deliver, "", timeout_ms);
  ApiReply(done.get(), "restore of " + stream + " (" + std::to_string(bytes) + " bytes sent)");
  std::cout << Data(done.get()) << std::endl;
  return 0;
}

}  // namespace natskit
