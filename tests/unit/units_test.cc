#include "core/units.h"

#include <gtest/gtest.h>

namespace farrier {
namespace {

using namespace std::chrono_literals;

TEST(Units, DurationsAreGoStyleAndBounded) {
  EXPECT_EQ(ParseDuration("5s"), 5000ms);
  EXPECT_EQ(ParseDuration("1m30s"), 90000ms);
  EXPECT_EQ(ParseDuration("250ms"), 250ms);
  EXPECT_EQ(ParseDuration("8784h"), std::chrono::milliseconds(kMaxDuration));
  // Beyond a year, and near the end of int64 nanoseconds, where clock arithmetic would overflow.
  EXPECT_EQ(ParseDuration("8785h"), std::nullopt);
  EXPECT_EQ(ParseDuration("2562047h"), std::nullopt);
  EXPECT_EQ(ParseDuration("1e300s"), std::nullopt);
  EXPECT_EQ(ParseDuration("-1s"), std::nullopt);
  EXPECT_EQ(ParseDuration("fast"), std::nullopt);
}

}  // namespace
}  // namespace farrier
