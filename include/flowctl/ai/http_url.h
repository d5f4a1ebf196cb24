// HTTP(S) URLs in configs: the one check every component that takes a URL
// (an AI node's base_url, an agent http tool's base_url) runs at validate
// time, and the parse the HTTP clients are built from at start.
//
// Contract: ParseHttpUrl never throws. It accepts http:// and https:// only,
// with a non-empty host (a name, an IPv4 address or [IPv6]), an optional
// port 1..65535 and an optional path; no user:password@, query, fragment,
// spaces or control characters. The error message says what was wrong and
// what would be valid; callers prefix the node and field.
#ifndef FLOWCTL_AI_HTTP_URL_H_
#define FLOWCTL_AI_HTTP_URL_H_

#include <string>

#include "flowctl/base/status.h"

namespace flowctl::ai {

struct HttpUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // as written; an IPv6 address keeps its brackets
  int port = 0;        // explicit or the scheme's default
  std::string path;    // "" or "/..." without trailing slashes

  // scheme://host:port, the form an HTTP client is built from.
  std::string Origin() const;
};

Result<HttpUrl> ParseHttpUrl(const std::string& url);

}  // namespace flowctl::ai

#endif  // FLOWCTL_AI_HTTP_URL_H_
