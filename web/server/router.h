// Maps (method, path) to a handler. Patterns are '/'-separated segments; "{name}" matches one
// non-empty segment and hands it to the handler. A path that matches some route but not with this
// method is a 405, one that matches none a 404 (the App turns both into the JSON errors).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "web/server/http_util.h"
#include "web/server/sessions.h"

namespace adcheck::web {

using Params = std::map<std::string, std::string>;
// caller is null only on public routes (minRole kNone).
using Handler = std::function<HttpResult<Response>(const Request&, const Params&, const Caller*)>;

struct Route {
  std::string method;
  std::vector<std::string> segments;
  Role minRole = Role::kViewer;
  Handler handler;
};

class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Role min_role, Handler handler);

  struct Match {
    const Route* route = nullptr;  // null: no route for this method
    Params params;
    bool pathKnown = false;  // some route has this path (so: 405 rather than 404)
  };
  Match match(const std::string& method, const std::string& path) const;

 private:
  std::vector<Route> routes_;
};

std::vector<std::string> splitPath(const std::string& path);

}  // namespace adcheck::web
