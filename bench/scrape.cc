// bench/scrape: times COUNT sequential HTTP GETs of one path on 127.0.0.1, the way a scraper with
// keep-alive would issue them, and prints the latency distribution.
//
//   scrape [--fresh] [--max-seconds S] PORT PATH COUNT [WARMUP] [BODY_FILE]
//
// Default (keep-alive): one request at a time over one TCP connection (HTTP/1.1 keep-alive).
// When the server closes the connection (cpp-httplib answers "Connection: close" on every 5th
// request of a connection by default), the next request opens a new one and its time includes
// the connect. --fresh: a new TCP connection per request ("Connection: close"), as a scraper
// sees it when the server has dropped the idle connection between scrapes. Each sample is the
// wall time from just before connecting (or writing the request) to the last body byte.
// --max-seconds bounds the timed part: it stops early (count= tells how many were timed).
//
// Output, one line, key=value:
//   count=2000 p50_us=.. p90_us=.. p99_us=.. max_us=.. mean_us=.. bytes=.. connects=..
// Exits non-zero (message on stderr) on any non-200 answer, malformed response or I/O error.
// Built by bench/run.sh with plain g++; no dependencies beyond libstdc++.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "scrape: %s\n", what.c_str());
  std::exit(1);
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Die("connect 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  }
  return fd;
}

struct Response {
  int status = 0;
  bool close = false;
  std::string body;
};

// Appends what the next recv returns to buf; dies on EOF or error (`what` names the part).
void Receive(int fd, std::string& buf, const char* what) {
  char chunk[65536];
  ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) Die(std::string("recv (") + what + "): " + (n == 0 ? "EOF" : std::strerror(errno)));
  buf.append(chunk, static_cast<size_t>(n));
}

// Reads one response from fd. Returns false on EOF before any byte (server closed an idle
// keep-alive connection); dies on anything else unexpected.
bool ReadResponse(int fd, std::string& buf, Response& out) {
  out = Response{};
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n == 0 && buf.empty()) return false;
    if (n <= 0) Die(std::string("recv (headers): ") + (n == 0 ? "EOF" : std::strerror(errno)));
    buf.append(chunk, static_cast<size_t>(n));
  }
  std::string head = buf.substr(0, header_end);
  buf.erase(0, header_end + 4);
  if (head.compare(0, 9, "HTTP/1.1 ") != 0 && head.compare(0, 9, "HTTP/1.0 ") != 0) {
    Die("not an HTTP response: " + head.substr(0, 40));
  }
  out.status = std::atoi(head.c_str() + 9);
  long long length = -1;
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto p = head.find("\r\ncontent-length:"); p != std::string::npos) {
    length = std::atoll(head.c_str() + p + 17);
  }
  if (head.find("\r\nconnection: close") != std::string::npos) out.close = true;
  if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    // farrier writes /metrics chunked (its body comes in pieces): size line, data, CRLF, until a
    // chunk of size 0 and the (empty) trailer.
    for (;;) {
      size_t line_end;
      while ((line_end = buf.find("\r\n")) == std::string::npos) Receive(fd, buf, "chunk size");
      const unsigned long long size = std::strtoull(buf.c_str(), nullptr, 16);
      buf.erase(0, line_end + 2);
      if (size == 0) {
        while (buf.compare(0, 2, "\r\n") != 0) {  // no trailer fields expected
          if (buf.size() >= 2) Die("unexpected trailer after the last chunk");
          Receive(fd, buf, "trailer");
        }
        buf.erase(0, 2);
        return true;
      }
      while (buf.size() < size + 2) Receive(fd, buf, "chunk");
      out.body.append(buf, 0, size);
      buf.erase(0, size + 2);
    }
  }
  if (length < 0) Die("response without Content-Length or chunked encoding");
  while (buf.size() < static_cast<size_t>(length)) Receive(fd, buf, "body");
  out.body = buf.substr(0, static_cast<size_t>(length));
  buf.erase(0, static_cast<size_t>(length));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool fresh = false;
  double max_seconds = 0;  // 0: no bound
  while (argc > 1 && argv[1][0] == '-') {
    if (std::strcmp(argv[1], "--fresh") == 0) {
      fresh = true;
    } else if (std::strcmp(argv[1], "--max-seconds") == 0 && argc > 2) {
      max_seconds = std::atof(argv[2]);
      --argc;
      ++argv;
    } else {
      Die(std::string("unknown option ") + argv[1]);
    }
    --argc;
    ++argv;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: scrape [--fresh] [--max-seconds S] PORT PATH COUNT [WARMUP] [BODY_FILE]\n");
    return 2;
  }
  int port = std::atoi(argv[1]);
  std::string path = argv[2];
  long count = std::atol(argv[3]);
  long warmup = argc > 4 ? std::atol(argv[4]) : 50;
  const char* body_file = argc > 5 ? argv[5] : nullptr;
  if (port <= 0 || count <= 0 || warmup < 0) Die("bad arguments");

  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nUser-Agent: farrier-bench\r\nAccept: */*\r\nConnection: " +
                              (fresh ? "close" : "keep-alive") + "\r\n\r\n";
  int fd = -1;
  std::string buf;
  std::vector<double> samples_us;
  samples_us.reserve(static_cast<size_t>(count));
  long connects = 0;
  size_t last_bytes = 0;
  Response res;
  Clock::time_point timed_start;

  for (long i = 0; i < warmup + count; ++i) {
    auto t0 = Clock::now();
    if (i == warmup) timed_start = t0;
    if (i > warmup && max_seconds > 0 && std::chrono::duration<double>(t0 - timed_start).count() > max_seconds) {
      break;
    }
    bool done = false;
    for (int attempt = 0; attempt < 2 && !done; ++attempt) {
      if (fd < 0) {
        fd = Connect(port);
        buf.clear();
        if (i >= warmup) ++connects;
      }
      const char* p = request.data();
      size_t left = request.size();
      bool write_failed = false;
      while (left > 0) {
        ssize_t n = ::send(fd, p, left, MSG_NOSIGNAL);
        if (n <= 0) {
          write_failed = true;
          break;
        }
        p += n;
        left -= static_cast<size_t>(n);
      }
      if (write_failed || !ReadResponse(fd, buf, res)) {
        // The server dropped an idle keep-alive connection: reconnect once, timing included.
        ::close(fd);
        fd = -1;
        continue;
      }
      done = true;
    }
    if (!done) Die("request " + std::to_string(i) + " failed twice");
    auto t1 = Clock::now();
    if (res.status != 200) Die("HTTP status " + std::to_string(res.status) + " for " + path);
    if (res.close || fresh) {
      ::close(fd);
      fd = -1;
    }
    if (i >= warmup) {
      samples_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    last_bytes = res.body.size();
  }
  if (fd >= 0) ::close(fd);
  if (body_file) {
    std::ofstream(body_file, std::ios::binary) << res.body;
  }

  std::vector<double> sorted = samples_us;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double q) {  // nearest-rank percentile
    size_t rank = static_cast<size_t>(q * static_cast<double>(sorted.size()) + 0.999999);
    rank = std::clamp<size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
  };
  double sum = 0;
  for (double s : sorted) sum += s;
  std::printf(
      "count=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f bytes=%zu "
      "connects=%ld\n",
      sorted.size(), pct(0.50), pct(0.90), pct(0.99), sorted.back(), sum / static_cast<double>(sorted.size()),
      last_bytes, connects);
  return 0;
}
