#include "web/server/proxy.h"

#include <Poco/Exception.h>

#include <algorithm>
#include <cctype>

namespace adcheck::web {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    auto comma = text.find(',', pos);
    out.push_back(trim(std::string_view(text).substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos)));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

// "1.2.3.4", "[::1]" or "1.2.3.4:5678" (some proxies add the port) to an address.
bool parseAddress(std::string text, Poco::Net::IPAddress& out) {
  if (!text.empty() && text.front() == '[') {
    auto end = text.find(']');
    if (end == std::string::npos) return false;
    text = text.substr(1, end - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    text = text.substr(0, text.find(':'));
  }
  return Poco::Net::IPAddress::tryParse(text, out);
}

}  // namespace

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& values) {
  TrustedProxies p;
  for (const auto& value : values) {
    std::string host = value;
    const auto slash = value.find('/');
    if (slash != std::string::npos) host = value.substr(0, slash);
    Poco::Net::IPAddress ip;
    if (!Poco::Net::IPAddress::tryParse(host, ip))
      return fail(ErrorCode::kConfig,
                  "[web] trusted_proxies '" + value + "' is not an IP address or network",
                  "give the proxies' addresses, e.g. trusted_proxies = 127.0.0.1, 10.0.0.0/24");
    const unsigned max = ip.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string::npos) {
      const std::string bits = value.substr(slash + 1);
      if (bits.empty() || bits.size() > 3 ||
          bits.find_first_not_of("0123456789") != std::string::npos || std::stoul(bits) > max)
        return fail(ErrorCode::kConfig,
                    "[web] trusted_proxies '" + value + "': the prefix length must be 0.." +
                        std::to_string(max),
                    "e.g. 10.0.0.0/24");
      prefix = static_cast<unsigned>(std::stoul(bits));
    }
    p.nets_.emplace_back(ip, prefix);
  }
  return p;
}

bool TrustedProxies::trusts(const std::string& address) const {
  Poco::Net::IPAddress ip;
  if (nets_.empty() || !parseAddress(address, ip)) return false;
  try {
    for (const auto& [net, prefix] : nets_) {
      if (net.family() != ip.family()) continue;
      const Poco::Net::IPAddress mask(prefix, net.family());
      if ((ip & mask) == (net & mask)) return true;
    }
  } catch (const Poco::Exception&) {
    return false;
  }
  return false;
}

void TrustedProxies::apply(Request& req) const {
  if (!trusts(req.client)) return;
  if (const std::string xff = req.header("x-forwarded-for"); !xff.empty()) {
    const auto hops = splitList(xff);
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
      Poco::Net::IPAddress ip;
      // Garbage in the header stops the walk: the last believed hop stays the client.
      if (!parseAddress(*it, ip)) break;
      req.client = ip.toString();
      if (!trusts(req.client)) break;
    }
  }
  if (const std::string proto = req.header("x-forwarded-proto"); !proto.empty()) {
    std::string last = splitList(proto).back();
    std::transform(last.begin(), last.end(), last.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (last == "https") req.secure = true;
  }
}

}  // namespace adcheck::web
