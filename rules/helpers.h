// Small pieces several rules share.
#pragma once

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>

#include <sstream>

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

// details.descriptor: the raw nTSecurityDescriptor as read (the DACL: the scan uses SD flags 0x4),
// base64. Remediation scripts need the exact bytes: their pre-check compares the object's current
// descriptor with it, the fix is computed from it, and the revert script writes it back.
inline void addDescriptor(Finding& f, const UserObject& u) {
  if (!u.sd) return;
  const auto bytes = u.sd->bytes();
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  enc.close();
  f.details->set("descriptor", out.str());
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
