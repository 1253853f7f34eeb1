// An answer body built from pieces, some shared by many answers (every scrape of one snapshot
// serves the same megabytes of exposition), and its gzip form built from the pieces' own
// compressed forms, so a shared piece is compressed once, not once per scrape.
//
// How: each piece is compressed apart into raw deflate blocks ending in a sync flush (byte
// aligned, not final). RFC 1951 lets any sequence of such blocks follow each other, and a piece's
// blocks never refer back into another piece (each starts a fresh compressor), so the gzip
// answer (RFC 1952) is: a header, every piece's blocks in order, one empty final block, the
// CRC-32 of the whole text (combined from the pieces' own) and its length. One gzip member:
// readers that stop after the first member (curl) see all of it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace farrier {

class TextPiece {
 public:
  explicit TextPiece(std::string text) : text_(std::move(text)) {}

  const std::string& text() const { return text_; }

  struct Deflated {
    std::string blocks;  // raw deflate, sync-flushed, not final
    uint32_t crc32 = 0;  // of text()
  };
  // Compressed at the first call (thread-safe: concurrent callers wait for the one compression).
  const Deflated& deflated() const;

 private:
  const std::string text_;
  mutable std::once_flag once_;
  mutable Deflated deflated_;
};

using TextPieces = std::vector<std::shared_ptr<const TextPiece>>;

// The gzip header every gzip answer starts with (no name, no time, OS unknown).
std::string_view GzipHeader();
// What follows the pieces' deflated blocks: the empty final block, the CRC-32 and length of the
// pieces' text together.
std::string GzipTrailer(const TextPieces& pieces);

}  // namespace farrier
