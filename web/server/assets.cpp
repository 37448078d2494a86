#include "web/server/assets.h"

#include <map>
#include <string>

namespace adcheck::web {

std::string_view contentTypeFor(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"}};
  for (auto [ext, type] : kTypes)
    if (path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext) return type;
  return "application/octet-stream";
}

const Asset* findAsset(std::string_view path) {
  // Built once; the table is immutable afterwards, so concurrent lookups are safe.
  static const std::map<std::string, Asset, std::less<>> kIndex = [] {
    std::map<std::string, Asset, std::less<>> index;
    for (const EmbeddedFile* f = embeddedFiles(); f->path != nullptr; ++f) {
      std::string_view p(f->path);
      index.emplace(std::string(p),
                    Asset{p, std::string_view(reinterpret_cast<const char*>(f->data), f->size),
                          contentTypeFor(p), f->etag});
    }
    return index;
  }();
  auto it = kIndex.find(path);
  return it == kIndex.end() ? nullptr : &it->second;
}

}  // namespace adcheck::web
