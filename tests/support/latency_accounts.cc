#include "support/latency_accounts.h"

#include <random>
#include <sstream>
#include <stdexcept>

#include "support/nats_server.h"

namespace farrier::test {
namespace {

// Hex, so it needs no quoting in a URL or the config.
std::string RandomPassword() {
  std::random_device rd;
  std::ostringstream out;
  out << std::hex << rd() << rd();
  return out.str();
}

std::string UrlWithUser(const NatsServer& server, const std::string& user, const std::string& password) {
  return "nats://" + user + ":" + password + "@127.0.0.1:" + std::to_string(server.client_port());
}

}  // namespace

std::string LatencyAccounts::ServiceUrl(const NatsServer& server) const {
  return UrlWithUser(server, service_user, service_password);
}

std::string LatencyAccounts::ClientUrl(const NatsServer& server) const {
  return UrlWithUser(server, client_user, client_password);
}

LatencyAccounts MakeLatencyAccounts(LatencyAccountsOptions options) {
  if (options.sampling_percent < 1 || options.sampling_percent > 100) {
    throw std::invalid_argument("MakeLatencyAccounts: sampling_percent must be 1-100");
  }
  if (options.latency_subject == options.service_subject) {
    throw std::invalid_argument("MakeLatencyAccounts: the latency subject must differ from the service");
  }
  LatencyAccounts a;
  a.options = options;
  a.service_password = RandomPassword();
  a.client_password = RandomPassword();
  std::ostringstream c;
  c << "accounts {\n"
    << "  " << a.service_account << " {\n"
    << "    users: [ { user: \"" << a.service_user << "\", password: \"" << a.service_password << "\" } ]\n";
  if (!options.service_jetstream.empty()) c << "    jetstream: " << options.service_jetstream << "\n";
  c << "    exports: [\n"
    << "      { service: \"" << options.service_subject << "\", response_threshold: \"" << options.response_threshold
    << "\",\n"
    << "        latency: { sampling: " << options.sampling_percent << ", subject: \"" << options.latency_subject
    << "\" } }\n"
    << "    ]\n"
    << "  }\n"
    << "  " << a.client_account << " {\n"
    << "    users: [ { user: \"" << a.client_user << "\", password: \"" << a.client_password << "\" } ]\n"
    << "    imports: [ { service: { account: " << a.service_account << ", subject: \"" << options.service_subject
    << "\" } } ]\n"
    << "  }\n"
    << "}\n";
  if (options.anonymous_is_client) c << "no_auth_user: \"" << a.client_user << "\"\n";
  a.extra_config = c.str();
  return a;
}

}  // namespace farrier::test
