#pragma once
// Small blocking HTTP GET (libcurl) for JSON APIs: the hub's model listing, a running
// server's /api/ps. Downloads of model files go through pull.h instead.
#include <string>

namespace hearth::store {

struct HttpResponse {
  long status = 0;
  std::string body;
};

// Follows redirects. A connection failure is a hearth::Error naming the URL and curl's reason;
// an HTTP error status is returned, not thrown.
HttpResponse http_get(const std::string& url, long timeout_seconds = 30);

}  // namespace hearth::store
