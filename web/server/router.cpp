#include "web/server/router.h"

namespace adcheck::web {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

void Router::add(const std::string& method, const std::string& pattern, Role min_role, Handler handler) {
  routes_.push_back(Route{method, splitPath(pattern), min_role, std::move(handler)});
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match m;
  // Split first, then decode each segment: an encoded '/' (%2F) inside a DN stays in its segment.
  auto segs = splitPath(path);
  for (auto& seg : segs) {
    bool ok = true;
    std::string decoded = percentDecode(seg, false, &ok);
    if (ok) seg = std::move(decoded);
  }
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    Params params;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& p = r.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') params[p.substr(1, p.size() - 2)] = segs[i];
      else ok = p == segs[i];
    }
    if (!ok) continue;
    m.pathKnown = true;
    if (r.method == method) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
  }
  return m;
}

}  // namespace adcheck::web
