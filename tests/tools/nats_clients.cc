// natskit subcommands built on the cnats client library: js-setup, pub, qsub, sub, request, gather.
#include <nats/nats.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "natskit.h"

namespace natskit {
namespace {

// Formats a cnats failure with the library's last error text (which is usually the useful bit,
// e.g. the JetStream API error description).
std::string nats_error(const std::string& what, natsStatus s, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  std::ostringstream os;
  os << what << ": " << natsStatus_GetText(s);
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  if (text != nullptr && *text != '\0') os << " (" << text << ")";
  if (jerr != 0) os << " [JetStream err_code " << static_cast<int>(jerr) << "]";
  return os.str();
}

void check(natsStatus s, const std::string& what) {
  if (s != NATS_OK) throw Failure(nats_error(what, s));
}

// Owns the library-wide state and one connection; tears everything down in order.
class Client {
 public:
  Client(const std::string& url, const std::string& name) {
    check(nats_Open(-1), "nats_Open");
    natsOptions* opts = nullptr;
    check(natsOptions_Create(&opts), "natsOptions_Create");
    std::unique_ptr<natsOptions, decltype(&natsOptions_Destroy)> guard(opts, natsOptions_Destroy);
    check(natsOptions_SetURL(opts, url.c_str()), "natsOptions_SetURL(" + url + ")");
    check(natsOptions_SetName(opts, name.c_str()), "natsOptions_SetName");
    check(natsOptions_SetTimeout(opts, 5000), "natsOptions_SetTimeout");
    // A test helper should fail fast, not reconnect behind the caller's back.
    check(natsOptions_SetAllowReconnect(opts, false), "natsOptions_SetAllowReconnect");
    natsStatus s = natsConnection_Connect(&nc_, opts);
    if (s != NATS_OK) throw Failure(nats_error("cannot connect to " + url, s));
  }
  ~Client() {
    if (js_ != nullptr) jsCtx_Destroy(js_);
    if (nc_ != nullptr) {
      natsConnection_Close(nc_);
      natsConnection_Destroy(nc_);
    }
    nats_CloseAndWait(2000);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  natsConnection* nc() const { return nc_; }
  jsCtx* js() {
    if (js_ == nullptr) {
      jsOptions jo;
      jsOptions_Init(&jo);
      jo.Wait = 10000;  // cluster API calls (R3 stream creation) can take a moment
      check(natsConnection_JetStream(&js_, nc_, &jo), "natsConnection_JetStream");
    }
    return js_;
  }

 private:
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(s);
  while (std::getline(is, cur, ',')) {
    if (!cur.empty()) out.push_back(cur);
  }
  return out;
}

// Turns a stream subject filter into a concrete publish subject: 'orders.>' -> 'orders.msg',
// 'a.*.b' -> 'a.x.b'.
std::string concrete_subject(const std::string& filter) {
  std::istringstream is(filter);
  std::string tok, out;
  while (std::getline(is, tok, '.')) {
    if (!out.empty()) out += '.';
    out += tok == ">" ? "msg" : tok == "*" ? "x" : tok;
  }
  return out;
}

void throw_if_interrupted() {
  if (termination_pending()) throw Failure("interrupted by signal");
}

void reply_ok(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  if (const char* reply = natsMsg_GetReply(msg); reply != nullptr && *reply != '\0') {
    natsConnection_PublishString(nc, reply, "ok");
  }
  natsMsg_Destroy(msg);
}

using SyncSubscription = std::unique_ptr<natsSubscription, decltype(&natsSubscription_Destroy)>;

// A synchronous subscription whose messages the client library never drops as a slow consumer
// (server events and gathered replies can come in bursts).
SyncSubscription subscribe_sync(natsConnection* nc, const std::string& subject, const std::string& what) {
  natsSubscription* raw = nullptr;
  check(natsConnection_SubscribeSync(&raw, nc, subject.c_str()), what);
  SyncSubscription sub(raw, natsSubscription_Destroy);
  natsSubscription_SetPendingLimits(sub.get(), -1, -1);
  return sub;
}

// Prints a message's data as one line (flushed) and frees it.
void print_line(natsMsg* msg) {
  std::cout.write(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  std::cout << std::endl;
  natsMsg_Destroy(msg);
}

}  // namespace

int cmd_js_setup(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit js-setup --url U --stream S --subjects 'a.>[,b.*]'\n"
                 "           [--storage memory|file] [--replicas R] [--publish M]\n"
                 "           [--publish-subject SUBJ] [--consumer C] [--fetch F] [--ack A]\n"
                 "           [--ack-wait SEC] [--ephemeral E] [--name CONN_NAME]\n\n"
                 "1. js_AddStream S (file storage, R1 by default); an existing stream is reused.\n"
                 "2. js_Publish M messages to SUBJ (default: first subject with '>'->'msg', '*'->'x').\n"
                 "3. If --consumer: js_AddConsumer durable pull consumer C (AckExplicit, optional\n"
                 "   AckWait), bind a pull subscription to it, Fetch F messages, AckSync the first A;\n"
                 "   the remaining F-A stay ack-pending. The subscription is destroyed without\n"
                 "   unsubscribing, so the durable stays.\n"
                 "4. If --ephemeral E > 0: create E ephemeral push consumers (js_SubscribeSync, no\n"
                 "   durable, AckExplicit, deliver all), print 'ready' and hold them until\n"
                 "   SIGTERM/SIGINT (they vanish with the subscription). Otherwise print 'ready', exit 0.\n";
    return 0;
  }
  const std::string url = args.str("url", "nats://127.0.0.1:4222");
  const std::string stream = args.str("stream");
  const auto subjects = split_csv(args.str("subjects"));
  if (subjects.empty()) throw UsageError("js-setup: --subjects must list at least one subject");
  const std::string storage = args.str("storage", "file");
  if (storage != "memory" && storage != "file") {
    throw UsageError("js-setup: --storage must be memory or file");
  }
  const long long replicas = args.num("replicas", 1, 1, 5);
  const long long publish = args.num("publish", 0, 0, 10000000);
  const std::string pub_subject = args.str("publish-subject", concrete_subject(subjects.front()));
  const std::string consumer = args.str("consumer", "");
  const long long fetch = args.num("fetch", 0, 0, 1000000);
  const long long ack = args.num("ack", 0, 0, 1000000);
  const long long ack_wait = args.num("ack-wait", 0, 0, 86400 * 365);
  const long long ephemeral = args.num("ephemeral", 0, 0, 10000);
  if (consumer.empty() && (fetch > 0 || ack > 0 || args.has("ack-wait"))) {
    throw UsageError("js-setup: --fetch/--ack/--ack-wait need --consumer");
  }
  if (ack > fetch) throw UsageError("js-setup: --ack cannot exceed --fetch");

  block_termination_signals();
  Client client(url, args.str("name", "natskit-js-setup"));
  jsCtx* js = client.js();

  // 1. Stream.
  std::vector<const char*> subj_ptrs;
  for (const auto& s : subjects) subj_ptrs.push_back(s.c_str());
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = stream.c_str();
  sc.Subjects = subj_ptrs.data();
  sc.SubjectsLen = static_cast<int>(subj_ptrs.size());
  sc.Storage = storage == "memory" ? js_MemoryStorage : js_FileStorage;
  sc.Replicas = replicas;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js, &sc, nullptr, &jerr);
  if (s == NATS_OK) {
    std::cerr << "stream " << stream << ": created/unchanged (" << si->State.Msgs << " msgs)\n";
    jsStreamInfo_Destroy(si);
  } else if (jerr == JSStreamNameExistErr) {
    std::cerr << "stream " << stream << ": exists with a different config, reusing it\n";
  } else {
    throw Failure(nats_error("js_AddStream " + stream, s, jerr));
  }
  throw_if_interrupted();

  // 2. Publish. A replicated stream exists before its replicas have elected a leader; until
  // then a publish finds no responder (seen with R3 on a loaded machine), so that is retried
  // for up to 10 s after the stream was created.
  const auto leader_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (long long i = 0; i < publish; ++i) {
    std::string payload = "{\"seq\":" + std::to_string(i) + ",\"source\":\"natskit\"}";
    jsPubAck* pa = nullptr;
    jerr = static_cast<jsErrCode>(0);
    s = js_Publish(&pa, js, pub_subject.c_str(), payload.data(), static_cast<int>(payload.size()), nullptr, &jerr);
    if (s == NATS_NO_RESPONDERS && i == 0 && std::chrono::steady_clock::now() < leader_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      throw_if_interrupted();
      --i;
      continue;
    }
    if (s != NATS_OK) {
      throw Failure(nats_error("js_Publish #" + std::to_string(i) + " to " + pub_subject, s, jerr));
    }
    jsPubAck_Destroy(pa);
    if (i % 100 == 99) throw_if_interrupted();
  }
  if (publish > 0) std::cerr << "published " << publish << " to " << pub_subject << "\n";

  // 3. Durable pull consumer, fetch F, ack A.
  if (!consumer.empty()) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = consumer.c_str();
    cc.AckPolicy = js_AckExplicit;
    if (ack_wait > 0) cc.AckWait = ack_wait * 1000000000LL;
    jsConsumerInfo* ci = nullptr;
    jerr = static_cast<jsErrCode>(0);
    s = js_AddConsumer(&ci, js, stream.c_str(), &cc, nullptr, &jerr);
    if (s == NATS_OK) {
      std::cerr << "consumer " << stream << "/" << consumer << ": created/unchanged\n";
      jsConsumerInfo_Destroy(ci);
    } else if (jerr == JSConsumerNameExistErr || jerr == JSConsumerExistingActiveErr || jerr == JSConsumerCreateErr) {
      std::cerr << "consumer " << stream << "/" << consumer << ": exists with a different config, binding to it ("
                << nats_error("", s, jerr) << ")\n";
    } else {
      throw Failure(nats_error("js_AddConsumer " + stream + "/" + consumer, s, jerr));
    }
    throw_if_interrupted();

    if (fetch > 0) {
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = stream.c_str();
      so.Consumer = consumer.c_str();
      natsSubscription* sub = nullptr;
      jerr = static_cast<jsErrCode>(0);
      s = js_PullSubscribe(&sub, js, subjects.front().c_str(), consumer.c_str(), nullptr, &so, &jerr);
      if (s != NATS_OK) {
        throw Failure(nats_error("js_PullSubscribe bound to " + stream + "/" + consumer, s, jerr));
      }
      std::unique_ptr<natsSubscription, decltype(&natsSubscription_Destroy)> sub_guard(sub, natsSubscription_Destroy);
      long long got = 0, acked = 0;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
      while (got < fetch && std::chrono::steady_clock::now() < deadline) {
        throw_if_interrupted();
        natsMsgList list{};
        jerr = static_cast<jsErrCode>(0);
        s = natsSubscription_Fetch(&list, sub, static_cast<int>(fetch - got), 5000, &jerr);
        if (s == NATS_TIMEOUT) continue;
        if (s != NATS_OK) {
          natsMsgList_Destroy(&list);
          throw Failure(nats_error("natsSubscription_Fetch", s, jerr));
        }
        for (int k = 0; k < list.Count; ++k) {
          ++got;
          if (acked < ack) {
            jerr = static_cast<jsErrCode>(0);
            natsStatus as = natsMsg_AckSync(list.Msgs[k], nullptr, &jerr);
            if (as != NATS_OK) {
              natsMsgList_Destroy(&list);
              throw Failure(nats_error("natsMsg_AckSync", as, jerr));
            }
            ++acked;
          }
        }
        natsMsgList_Destroy(&list);  // destroys unacked messages without acking them
      }
      if (got < fetch) {
        throw Failure("fetched only " + std::to_string(got) + " of " + std::to_string(fetch) + " messages from " +
                      stream + "/" + consumer + " (does the stream hold enough unconsumed messages?)");
      }
      std::cerr << "fetched " << got << ", acked " << acked << ", left " << (got - acked) << " ack-pending on "
                << consumer << "\n";
      // sub_guard destroys the subscription without unsubscribing: the durable stays.
    }
  }

  // 4. Ephemeral push consumers, held until a signal arrives.
  std::vector<natsSubscription*> ephemerals;
  auto drop_ephemerals = [&] {
    for (auto* e : ephemerals) {
      natsSubscription_Unsubscribe(e);  // deletes the ephemeral consumer on the server
      natsSubscription_Destroy(e);
    }
    ephemerals.clear();
  };
  try {
    for (long long e = 0; e < ephemeral; ++e) {
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = stream.c_str();
      so.ManualAck = true;
      so.Config.AckPolicy = js_AckExplicit;
      natsSubscription* sub = nullptr;
      jerr = static_cast<jsErrCode>(0);
      s = js_SubscribeSync(&sub, js, subjects.front().c_str(), nullptr, &so, &jerr);
      if (s != NATS_OK) {
        throw Failure(nats_error("js_SubscribeSync (ephemeral #" + std::to_string(e) + ")", s, jerr));
      }
      ephemerals.push_back(sub);
    }
    check(natsConnection_FlushTimeout(client.nc(), 5000), "flush");
  } catch (...) {
    drop_ephemerals();
    throw;
  }

  std::cout << "ready" << std::endl;
  if (ephemeral > 0) {
    std::cerr << "holding " << ephemeral << " ephemeral consumer(s) until SIGTERM/SIGINT\n";
    wait_for_termination();
    drop_ephemerals();
  }
  return 0;
}

int cmd_pub(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit pub --url U --subject S [--count M] [--size BYTES] [--name N]\n\n"
                 "Core-NATS publishes M (default 1) messages to S, flushes, prints "
                 "'published M'.\nWith --size the payload is BYTES bytes of 'x', otherwise a small "
                 "JSON document.\n";
    return 0;
  }
  const std::string url = args.str("url", "nats://127.0.0.1:4222");
  const std::string subject = args.str("subject");
  const long long count = args.num("count", 1, 0, 100000000);
  const bool sized = args.has("size");
  const long long size = args.num("size", 0, 0, 64LL * 1024 * 1024);
  Client client(url, args.str("name", "natskit-pub"));
  std::string fixed(static_cast<size_t>(size), 'x');
  for (long long i = 0; i < count; ++i) {
    std::string payload = sized ? fixed : "{\"seq\":" + std::to_string(i) + "}";
    natsStatus s = natsConnection_Publish(client.nc(), subject.c_str(), payload.data(),
                                          static_cast<int>(payload.size()));
    if (s != NATS_OK) throw Failure(nats_error("publish #" + std::to_string(i), s));
  }
  check(natsConnection_FlushTimeout(client.nc(), 10000), "flush");
  std::cout << "published " << count << std::endl;
  return 0;
}

int cmd_qsub(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit qsub --url U --subject S --queue Q [--count N] [--name N]\n\n"
                 "Opens one connection holding N (default 1) queue subscriptions on S in queue\n"
                 "group Q, each replying 'ok' to requests. Prints 'ready N' once the server has\n"
                 "them (flush), runs until SIGTERM/SIGINT.\n";
    return 0;
  }
  const std::string url = args.str("url", "nats://127.0.0.1:4222");
  const std::string subject = args.str("subject");
  const std::string queue = args.str("queue");
  const long long count = args.num("count", 1, 1, 100000);
  block_termination_signals();
  Client client(url, args.str("name", "natskit-qsub"));
  std::vector<std::unique_ptr<natsSubscription, decltype(&natsSubscription_Destroy)>> subs;
  for (long long i = 0; i < count; ++i) {
    natsSubscription* sub = nullptr;
    check(natsConnection_QueueSubscribe(&sub, client.nc(), subject.c_str(), queue.c_str(), reply_ok, nullptr),
          "queue subscribe #" + std::to_string(i));
    subs.emplace_back(sub, natsSubscription_Destroy);
  }
  check(natsConnection_FlushTimeout(client.nc(), 5000), "flush");
  std::cout << "ready " << count << std::endl;
  wait_for_termination();
  for (auto& sub : subs) natsSubscription_Unsubscribe(sub.get());
  subs.clear();
  return 0;
}

int cmd_sub(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit sub --url U --subject S [--count N] [--timeout SEC] [--name N]\n\n"
                 "Subscribes to S (wildcards allowed) and prints 'ready' once the server has the\n"
                 "subscription (flush). Then prints each message's data followed by a newline, as\n"
                 "is (server events such as service-latency metrics are single-line JSON), and\n"
                 "flushes stdout after each. Exits 0 after N messages (default 0: no limit) or on\n"
                 "SIGTERM/SIGINT; exits 1 if --timeout SEC (default 0: none) passes first.\n";
    return 0;
  }
  const std::string url = args.str("url", "nats://127.0.0.1:4222");
  const std::string subject = args.str("subject");
  const long long count = args.num("count", 0, 0, 100000000);
  const long long timeout_s = args.num("timeout", 0, 0, 86400);
  block_termination_signals();
  Client client(url, args.str("name", "natskit-sub"));
  SyncSubscription sub = subscribe_sync(client.nc(), subject, "subscribe " + subject);
  check(natsConnection_FlushTimeout(client.nc(), 5000), "flush");
  std::cout << "ready" << std::endl;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  long long got = 0;
  // A sync subscription polled in short slices, so a signal or the deadline is noticed quickly.
  while (count == 0 || got < count) {
    if (termination_pending()) break;
    if (timeout_s > 0 && std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "sub: timed out after " << timeout_s << "s with " << got << " message(s)\n";
      return 1;
    }
    natsMsg* msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&msg, sub.get(), 100);
    if (s == NATS_TIMEOUT) continue;
    if (s != NATS_OK) throw Failure(nats_error("next message on " + subject, s));
    print_line(msg);
    ++got;
  }
  natsSubscription_Unsubscribe(sub.get());
  return 0;
}

int cmd_request(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit request --url U --subject S [--data PAYLOAD] [--timeout MS]\n"
                 "                      [--name N]\n\n"
                 "Sends one core-NATS request with PAYLOAD (default empty) to S and waits up to\n"
                 "MS milliseconds (default 5000) for the reply. Prints the reply's data followed by\n"
                 "a newline, as is (JetStream API replies are single-line JSON), and exits 0.\n"
                 "Exits 1 with a message on stderr on no responders or a timeout.\n";
    return 0;
  }
  const std::string url = args.str("url", "nats://127.0.0.1:4222");
  const std::string subject = args.str("subject");
  const std::string data = args.str("data", "");
  const long long timeout_ms = args.num("timeout", 5000, 1, 600000);
  Client client(url, args.str("name", "natskit-request"));
  natsMsg* raw = nullptr;
  natsStatus s = natsConnection_Request(&raw, client.nc(), subject.c_str(), data.data(), static_cast<int>(data.size()),
                                        timeout_ms);
  if (s == NATS_NO_RESPONDERS) throw Failure("request " + subject + ": no responders");
  if (s != NATS_OK) throw Failure(nats_error("request " + subject, s));
  std::unique_ptr<natsMsg, decltype(&natsMsg_Destroy)> reply(raw, natsMsg_Destroy);
  std::cout.write(natsMsg_GetData(reply.get()), natsMsg_GetDataLength(reply.get()));
  std::cout << std::endl;
  return 0;
}

int cmd_gather(const Args& args) {
  if (args.help()) {
    std::cout << "usage: natskit gather --url U --subject S [--count N] [--wait MS] [--data PAYLOAD] [--name N]\n\n"
                 "Sends one request to S (PAYLOAD, default empty) with a reply subject of its own\n"
                 "and prints each reply's data followed by a newline, as `nats req --replies` does:\n"
                 "e.g. every instance's answer to $SRV.STATS.<service>. Stops after N replies\n"
                 "(default 0: no limit) or once --wait MS (default 1000) has passed since the\n"
                 "request. Exits 0, also with no reply at all (the caller counts the lines).\n";
    return 0;
  }
  const std::string url = args.str("url", "nats://127.0.0.1:4222");
  const std::string subject = args.str("subject");
  const std::string payload = args.str("data", "");
  const long long count = args.num("count", 0, 0, 1000000);
  const long long wait_ms = args.num("wait", 1000, 1, 600000);
  Client client(url, args.str("name", "natskit-gather"));
  natsInbox* inbox = nullptr;
  check(natsInbox_Create(&inbox), "natsInbox_Create");
  std::unique_ptr<natsInbox, decltype(&natsInbox_Destroy)> inbox_guard(inbox, natsInbox_Destroy);
  SyncSubscription sub = subscribe_sync(client.nc(), inbox, "subscribe to the reply inbox");
  // The subscription reaches the server before the request does (one connection, in order).
  check(natsConnection_PublishRequest(client.nc(), subject.c_str(), inbox, payload.data(),
                                      static_cast<int>(payload.size())),
        "request " + subject);
  check(natsConnection_Flush(client.nc()), "flush");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  long long got = 0;
  while (count == 0 || got < count) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    natsMsg* msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&msg, sub.get(), left.count());
    if (s == NATS_TIMEOUT) break;
    if (s != NATS_OK) throw Failure(nats_error("next reply to " + subject, s));
    print_line(msg);
    ++got;
  }
  return 0;
}

}  // namespace natskit
