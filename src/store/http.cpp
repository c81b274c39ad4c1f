#include "store/http.h"

#include <curl/curl.h>

#include <memory>

#include "core/error.h"
#include "core/version.h"

namespace hearth::store {

namespace {
size_t append_body(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() > (64u << 20)) return 0;  // a JSON API answer is never this large
  body->append(data, size * n);
  return size * n;
}
}  // namespace

HttpResponse http_get(const std::string& url, long timeout_seconds) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) fail("cannot initialise libcurl");
  HttpResponse r;
  char errbuf[CURL_ERROR_SIZE] = {0};
  const std::string agent = std::string("hearth/") + kVersion;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, timeout_seconds);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, agent.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &r.body);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) fail("{}: {}", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

}  // namespace hearth::store
