// JetStream health beyond backlogs, from the same /jsz body as jsz.h: how far a stream's mirror
// and sources are behind and when they last heard from their origin, when a consumer last
// delivered and last saw its ack floor move, since when an asset's leader leads, and an
// account's JetStream limits next to its usage.
//
// What nats-server means by a mirror's or source's `lag` and `active` (server/stream.go, the same
// from 2.9 to 2.15): it copies through a consumer on the origin with a 1 s idle heartbeat;
// `active` is the time since anything (message, flow control, heartbeat) arrived from it, so it
// stays under about a second over a working link even while the origin is idle, and grows only
// while the link is broken or the origin gone (-1: never heard). `lag` is the pending count the
// last copied message carried: heartbeats do not update it, so it stands still while the link is
// down. tests/integration/origin_link_test.cc shows both against a leaf node link cut for real.
//
// Times are exported as Unix timestamps (`..._timestamp_seconds`), not ages: a timestamp stays
// the same between polls until something happens, and `time() - x` gives the age in a rule.
// RenderJsz calls these for what this server leads (the same rule as every value series).
#pragma once

#include "core/families.h"
#include "sources/jsz.h"

namespace farrier {

// The account's non-tiered limits as /jsz shows them: reserved_memory/reserved_storage hold
// the account's max_mem/max_file (2^64-1 when unlimited, 0 when it only has tiered limits).
// Absent then: an unlimited account has no limit sample.
std::optional<uint64_t> AccountLimit(uint64_t reserved);

void RenderAccountLimits(const JszAccount& account, Families& out);
void RenderStreamHealth(const JszStream& stream, Families& out);
void RenderConsumerHealth(const JszConsumer& consumer, const Labels& labels, Families& out);

// nats_stream_present / nats_consumer_present for every expected asset: 1 on the server that
// leads it (outside a JetStream cluster: that holds it), 0 on every other server, whether it
// holds a follower replica, nobody leads it, it does not exist or JetStream is off. Across a
// cluster's sidecars `max by (account, stream[, consumer])` is 1 exactly while some server
// leads it, so 0 means missing or leaderless: unusable either way.
void RenderPresence(const Jsz& jsz, const std::vector<ExpectedAsset>& expected, std::string_view server_name,
                    Families& out);

}  // namespace farrier
