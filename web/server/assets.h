// The dashboard's static files (web/assets/), embedded in the binary at build time by
// web/embed_assets.cmake, so `adcheck serve` needs nothing beside the executable.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace adcheck::web {

struct EmbeddedFile {
  const char* path;  // relative to web/assets, '/' separated ("pages/login.js")
  const unsigned char* data;
  std::size_t size;
  const char* etag;  // quoted, from the content's SHA-1
};

// Null-terminated table (generated).
const EmbeddedFile* embeddedFiles();

struct Asset {
  std::string_view path;
  std::string_view content;
  std::string_view contentType;
  std::string_view etag;
};

// The file at `path` ("app.js", "pages/login.js"); nullptr when there is none. Paths with "..",
// empty segments or a leading '/' never match.
const Asset* findAsset(std::string_view path);

// Content type from the extension (".js" -> "text/javascript; charset=utf-8"), octet-stream else.
std::string_view contentTypeFor(std::string_view path);

}  // namespace adcheck::web
