// Small pieces several rules share.
#pragma once

#include <Poco/JSON/Array.h>

#include "rules/rule.h"

namespace adcheck::rules {

// details.via as a JSON array of protection paths.
inline Poco::JSON::Array::Ptr viaArray(const scan::Protection& p) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& v : p.via) a->add(v);
  return a;
}

// Every finding about an account says whether it is disabled (SPEC 3).
inline void markDisabled(Finding& f, const UserObject& u) {
  if (u.disabled()) f.details->set("disabled", true);
}

inline const scan::DeviceContainer* deviceContainer(const UserObject& u, const Context& ctx) {
  auto it = ctx.containersByUser.find(u.dnKey);
  return it == ctx.containersByUser.end() ? nullptr : &it->second;
}

inline Poco::JSON::Array::Ptr pathsArray(const scan::Protection& p) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& v : p.paths) a->add(v);
  return a;
}

inline std::string joinVia(const scan::Protection& p) {
  std::string out;
  for (const auto& v : p.via) out += (out.empty() ? "" : "; ") + v;
  return out;
}

}  // namespace adcheck::rules
