#include "flowctl/ai/http_url.h"

#include <cctype>

namespace flowctl::ai {
namespace {

const char kValid[] = "valid: http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]";

Status Bad(const std::string& url, const std::string& why) {
  return Status::Invalid("'" + url + "' is not a valid URL: " + why + " (" + kValid + ")");
}

bool HostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string HttpUrl::Origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  for (char c : url)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return Bad(url, "it holds a space or a control character");
  size_t sep = url.find("://");
  if (sep == std::string::npos) return Bad(url, "no scheme");
  HttpUrl u;
  for (size_t i = 0; i < sep; ++i)
    u.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(url[i])));
  if (u.scheme != "http" && u.scheme != "https")
    return Bad(url, "scheme '" + url.substr(0, sep) + "' is not supported");
  size_t start = sep + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  if (end != std::string::npos && url[end] != '/')
    return Bad(url, "a query or fragment has no place in a base URL");
  if (authority.find('@') != std::string::npos)
    return Bad(url, "user:password@ is not supported; use api_key_env for credentials");
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return Bad(url, "'[' without ']' around an IPv6 address");
    u.host = authority.substr(0, close + 1);
    for (size_t i = 1; i < close; ++i)
      if (!std::isxdigit(static_cast<unsigned char>(authority[i])) && authority[i] != ':' &&
          authority[i] != '.')
        return Bad(url, "bad IPv6 address " + u.host);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Bad(url, "text after the IPv6 address");
      port = authority.substr(close + 2);
      if (port.empty()) return Bad(url, "':' without a port");
    }
  } else {
    size_t colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return Bad(url, "':' without a port");
    }
    for (char c : u.host)
      if (!HostChar(c)) return Bad(url, std::string("'") + c + "' in the host");
  }
  if (u.host.empty() || u.host == "[]") return Bad(url, "no host");
  if (!port.empty()) {
    if (port.size() > 5) return Bad(url, "port " + port + " is out of range 1..65535");
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return Bad(url, "port '" + port + "' is not a number");
    u.port = std::stoi(port);  // at most 5 digits: cannot throw
    if (u.port < 1 || u.port > 65535) return Bad(url, "port " + port + " is out of range 1..65535");
  } else {
    u.port = u.scheme == "https" ? 443 : 80;
  }
  if (end != std::string::npos) u.path = url.substr(end);
  if (u.path.find_first_of("?#") != std::string::npos)
    return Bad(url, "a query or fragment has no place in a base URL");
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  return u;
}

}  // namespace flowctl::ai
