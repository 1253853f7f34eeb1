#include "core/text_piece.h"

#include <stdexcept>

#include <zlib.h>

namespace farrier {
namespace {

// Raw deflate (no zlib or gzip framing) of `text`, ended with a sync flush.
std::string RawDeflate(std::string_view text, int flush) {
  z_stream z{};
  // Level 1: exposition text is repetitive enough that level 6 (zlib's default) saves ~10% more
  // for over twice the CPU (8.6 MB, 10,000 consumers: 369 KB in 9 ms against 332 KB in 23 ms).
  if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&z, text.size()) + 16);  // room for the flush marker too
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, flush);
  const bool done = flush == Z_FINISH ? rc == Z_STREAM_END : rc == Z_OK && z.avail_in == 0;
  out.resize(out.size() - z.avail_out);
  out.shrink_to_fit();  // deflateBound is the text's size and more: keep only what is used
  deflateEnd(&z);
  if (!done) throw std::runtime_error("deflate did not finish in one call");
  return out;
}

void AppendLittleEndian32(uint32_t v, std::string& out) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

const TextPiece::Deflated& TextPiece::deflated() const {
  std::call_once(once_, [this] {
    deflated_.blocks = RawDeflate(text_, Z_SYNC_FLUSH);
    deflated_.crc32 = static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(text_.data()),
                                                  static_cast<uInt>(text_.size())));
  });
  return deflated_;
}

std::string_view GzipHeader() {
  // ID1 ID2, CM = deflate, no flags, MTIME 0, XFL 0, OS 255 (unknown).
  static constexpr char kHeader[] = {'\x1f', '\x8b', '\x08', 0, 0, 0, 0, 0, 0, '\xff'};
  return {kHeader, sizeof(kHeader)};
}

std::string GzipTrailer(const TextPieces& pieces) {
  std::string out = RawDeflate({}, Z_FINISH);  // an empty final block
  uLong crc = crc32(0L, Z_NULL, 0);
  uint64_t length = 0;
  for (const auto& piece : pieces) {
    crc = crc32_combine(crc, piece->deflated().crc32, static_cast<z_off_t>(piece->text().size()));
    length += piece->text().size();
  }
  AppendLittleEndian32(static_cast<uint32_t>(crc), out);
  AppendLittleEndian32(static_cast<uint32_t>(length), out);  // ISIZE: the length modulo 2^32
  return out;
}

}  // namespace farrier
