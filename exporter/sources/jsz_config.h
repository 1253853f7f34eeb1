// The configured fields of streams and consumers, kept between polls so that most polls can ask
// /jsz without config=true.
//
// Farrier reads six configured fields from /jsz (a stream's storage, max_bytes, max_msgs and
// num_replicas; a consumer's durable_name and max_ack_pending), yet with config=true every
// stream and consumer brings its whole configuration: about half of the body. Measured at
// 10,000 consumers on nats-server 2.15.3: 12.3 MB and 89-137 ms of the server's CPU per answer
// with config=true, 6.2 MB and 61-64 ms without; Farrier's own cost follows the bytes.
//
// JszConfigMemory keeps those fields from the last answer with config=true, keyed by each
// asset's identity (account, stream, consumer and the creation time, so one deleted and created
// again under the same name is a new asset), and fills them into an answer without config. An
// asset it does not know (new, or created again) means the poll asks again with config=true, so
// new assets show their configured values at once; a configuration edited in place (a stream's
// limits or replicas, a consumer's max_ack_pending) shows within the refresh period.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sources/jsz.h"

namespace farrier {

class JszConfigMemory {
 public:
  using Clock = std::chrono::steady_clock;

  // Whether a poll at `now` may ask without config: fields are remembered, younger than
  // `refresh` (0: never), and the last answer with config held no asset the one before it did
  // not. While assets keep appearing (e.g. short-lived ephemeral consumers) every answer without
  // config would miss one and be followed by one with config, costing more than asking with
  // config at once.
  bool LightAllowed(Clock::time_point now, std::chrono::milliseconds refresh) const;

  // Keeps the configured fields of every stream and consumer of `full` (an answer with
  // config=true), replacing what was kept.
  void Remember(const Jsz& full, Clock::time_point now);

  // Fills the configured fields of every stream and consumer of `light` (an answer without
  // config) from what was kept. False when one of them is not known: `light` is then incomplete
  // and the caller asks with config=true.
  bool Fill(Jsz& light) const;

  size_t streams() const { return streams_.size(); }
  size_t consumers() const { return consumers_.size(); }

 private:
  // Fields by a 64-bit hash of the asset's identity, sorted by it: 24 bytes a consumer (0.24 MB
  // at 10,000) instead of a map of strings. Two identities hash alike with a chance of about
  // n^2 / 2^65 (3e-12 at 10,000 consumers); they would then share configured fields.
  struct StreamFields {
    uint64_t key = 0;
    int64_t max_bytes = -1;
    int64_t max_msgs = -1;
    uint64_t replicas = 1;
    std::string storage;
  };
  struct ConsumerFields {
    uint64_t key = 0;
    int64_t max_ack_pending = -1;
    bool durable = false;
  };

  std::vector<StreamFields> streams_;
  std::vector<ConsumerFields> consumers_;
  std::optional<Clock::time_point> remembered_at_;
  bool stable_ = false;  // the last Remember brought no asset the one before did not have
};

}  // namespace farrier
