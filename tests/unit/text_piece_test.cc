// TextPiece and the gzip framing around pieces compressed apart: what a scraper inflates must be
// the pieces' text, in order, checked with zlib's own gzip reader and with gzip(1).
#include "core/text_piece.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <zlib.h>

namespace farrier {
namespace {

std::string Gzipped(const TextPieces& pieces) {
  std::string out(GzipHeader());
  for (const auto& piece : pieces) out += piece->deflated().blocks;
  out += GzipTrailer(pieces);
  return out;
}

// zlib's gzip reader (windowBits 16 + 15), which checks the CRC-32 and length of the trailer;
// an error or trailing bytes fail the test.
std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + 15), Z_OK);
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END) << (z.msg ? z.msg : "");
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the gzip member";
  inflateEnd(&z);
  return out;
}

// Exposition-like text: repetitive, as /metrics is, but not trivially so.
std::string Exposition(int series, const std::string& name) {
  std::string text = "# HELP " + name + " Something.\n# TYPE " + name + " gauge\n";
  for (int i = 0; i < series; ++i) {
    text += name + "{stream=\"S" + std::to_string(i / 10) + "\",consumer=\"c" + std::to_string(i % 10) + "\"} " +
            std::to_string(i * 7919 % 100003) + "\n";
  }
  return text;
}

TEST(TextPiece, PiecesCompressedApartInflateToTheirTextInOrder) {
  TextPieces pieces = {std::make_shared<const TextPiece>(Exposition(20000, "nats_consumer_num_pending")),
                       std::make_shared<const TextPiece>(std::string()),
                       std::make_shared<const TextPiece>(Exposition(3, "nats_exporter_snapshot_age_seconds"))};
  const std::string gz = Gzipped(pieces);
  const std::string text = pieces[0]->text() + pieces[2]->text();
  EXPECT_EQ(Gunzip(gz), text);
  EXPECT_LT(gz.size(), text.size() / 4) << "compressed at all";

  // gzip(1) agrees (it also checks the CRC and length).
  const std::string path = ::testing::TempDir() + "/farrier-text-piece.gz";
  std::ofstream(path, std::ios::binary) << gz;
  FILE* in = popen(("gzip -dc " + path).c_str(), "r");
  ASSERT_NE(in, nullptr);
  std::string inflated;
  char buf[1 << 16];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), in)) > 0;) inflated.append(buf, n);
  EXPECT_EQ(pclose(in), 0);
  EXPECT_EQ(inflated, text);
  std::remove(path.c_str());
}

TEST(TextPiece, NoPiecesIsAnEmptyGzip) { EXPECT_EQ(Gunzip(Gzipped({})), ""); }

// A piece shared by concurrent scrapes is compressed once; every caller sees the same bytes.
TEST(TextPiece, CompressedOnceForConcurrentCallers) {
  auto piece = std::make_shared<const TextPiece>(Exposition(5000, "nats_stream_messages"));
  std::vector<const std::string*> seen(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] { seen[i] = &piece->deflated().blocks; });
  }
  for (auto& t : threads) t.join();
  for (const std::string* s : seen) EXPECT_EQ(s, seen[0]);
  EXPECT_EQ(Gunzip(Gzipped({piece})), piece->text());
}

}  // namespace
}  // namespace farrier
