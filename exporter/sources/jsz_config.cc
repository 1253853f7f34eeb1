#include "sources/jsz_config.h"

#include <algorithm>

namespace farrier {
namespace {

// FNV-1a over each name with its length in front, so no name can run into the next.
class IdentityHash {
 public:
  IdentityHash& Add(const std::string& part) {
    const uint64_t size = part.size();
    for (int i = 0; i < 8; ++i) Byte(static_cast<unsigned char>(size >> (8 * i)));
    for (char c : part) Byte(static_cast<unsigned char>(c));
    return *this;
  }
  uint64_t value() const { return h_; }

 private:
  void Byte(unsigned char b) {
    h_ ^= b;
    h_ *= 0x100000001b3ull;
  }
  uint64_t h_ = 0xcbf29ce484222325ull;
};

uint64_t StreamKey(const JszStream& s) { return IdentityHash().Add(s.account).Add(s.name).Add(s.created).value(); }

uint64_t ConsumerKey(const JszConsumer& c) {
  return IdentityHash().Add(c.account).Add(c.stream).Add(c.name).Add(c.created).value();
}

template <class Fields>
const Fields* Find(const std::vector<Fields>& sorted, uint64_t key) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), key, [](const Fields& f, uint64_t k) { return f.key < k; });
  return it != sorted.end() && it->key == key ? &*it : nullptr;
}

template <class Fields>
void SortByKey(std::vector<Fields>& v) {
  std::sort(v.begin(), v.end(), [](const Fields& a, const Fields& b) { return a.key < b.key; });
}

}  // namespace

bool JszConfigMemory::LightAllowed(Clock::time_point now, std::chrono::milliseconds refresh) const {
  return refresh.count() > 0 && remembered_at_ && stable_ && now - *remembered_at_ < refresh;
}

void JszConfigMemory::Remember(const Jsz& full, Clock::time_point now) {
  std::vector<StreamFields> streams;
  std::vector<ConsumerFields> consumers;
  streams.reserve(full.stream_details.size());
  consumers.reserve(full.consumer_details.size());
  bool stable = true;
  for (const JszStream& s : full.stream_details) {
    const uint64_t key = StreamKey(s);
    if (remembered_at_ && !Find(streams_, key)) stable = false;
    streams.push_back({key, s.max_bytes, s.max_msgs, s.replicas, s.storage});
  }
  for (const JszConsumer& c : full.consumer_details) {
    const uint64_t key = ConsumerKey(c);
    if (remembered_at_ && !Find(consumers_, key)) stable = false;
    consumers.push_back({key, c.max_ack_pending, c.durable});
  }
  SortByKey(streams);
  SortByKey(consumers);
  streams_ = std::move(streams);
  consumers_ = std::move(consumers);
  remembered_at_ = now;
  stable_ = stable;
}

bool JszConfigMemory::Fill(Jsz& light) const {
  for (JszStream& s : light.stream_details) {
    const StreamFields* f = Find(streams_, StreamKey(s));
    if (!f) return false;
    s.storage = f->storage;
    s.max_bytes = f->max_bytes;
    s.max_msgs = f->max_msgs;
    s.replicas = f->replicas;
  }
  for (JszConsumer& c : light.consumer_details) {
    const ConsumerFields* f = Find(consumers_, ConsumerKey(c));
    if (!f) return false;
    c.durable = f->durable;
    c.max_ack_pending = f->max_ack_pending;
  }
  return true;
}

}  // namespace farrier
