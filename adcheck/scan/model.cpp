#include "adcheck/scan/model.h"

#include <cstdio>
#include <ctime>

#include "adcheck/scan/dn.h"

namespace adcheck::scan {

std::string_view severityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "info";
}

std::optional<Severity> parseSeverity(std::string_view name) {
  for (auto s : {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh,
                 Severity::kCritical})
    if (ldap::iequals(severityName(s), name)) return s;
  return std::nullopt;
}

void setFindingFields(Poco::JSON::Object& o, const Finding& f) {
  o.set("rule", f.rule);
  o.set("severity", std::string(severityName(f.severity)));
  o.set("dn", f.dn);
  o.set("objectGuid", f.objectGuid);
  o.set("objectSid", f.objectSid);
  o.set("samAccountName", f.samAccountName);
  o.set("summary", f.summary);
  o.set("details", f.details ? f.details : Poco::JSON::Object::Ptr(new Poco::JSON::Object));
  o.set("remediation", f.remediation);
}

std::string Finding::fingerprint() const {
  std::string out = rule;
  out += '|';
  out += objectGuid.empty() ? dnKey(dn) : objectGuid;
  if (!key.empty()) {
    out += '|';
    out += key;
  }
  return out;
}

std::string Context::sidName(const std::string& sid) const {
  if (auto it = sidNames.find(sid); it != sidNames.end()) return it->second;
  return sid;
}

std::string Context::sidName(const security::Sid& sid) const { return sidName(sid.toString()); }

bool UserObject::daclProtected() const { return sd && (sd->control() & kSeDaclProtected) != 0; }

const Protection* UserObject::protection(const Context& ctx) const {
  // Administrator (-500) and krbtgt (-502) are protected themselves (MS-ADTS 3.1.1.6.1.2).
  static const Protection kAdministrator{{"Administrator"},
                                         {"itself (built-in Administrator, RID 500)"}};
  static const Protection kKrbtgt{{"krbtgt"}, {"itself (krbtgt, RID 502)"}};
  if (auto it = ctx.protectedByDn.find(dnKey); it != ctx.protectedByDn.end()) return &it->second;
  if (auto it = ctx.protectedByPrimaryGroup.find(primaryGroupId);
      it != ctx.protectedByPrimaryGroup.end())
    return &it->second;
  auto s = security::Sid::fromString(sid);
  if (s && s->isDomainSid(ctx.domainSid)) {
    if (rid == 500) return &kAdministrator;
    if (rid == 502) return &kKrbtgt;
  }
  return nullptr;
}

std::optional<security::AceView> daclAce(const security::SecurityDescriptorView& sd,
                                         std::size_t index) {
  const auto* dacl = sd.dacl();
  if (dacl == nullptr || index >= dacl->aceCount()) return std::nullopt;
  std::size_t i = 0;
  for (auto ace : *dacl)
    if (i++ == index) return ace;
  return std::nullopt;
}

std::string guidString(std::string_view b) {
  if (b.size() != 16) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  char buf[37];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", p[3], p[2],
                p[1], p[0], p[5], p[4], p[7], p[6], p[8], p[9], p[10], p[11], p[12], p[13], p[14],
                p[15]);
  return buf;
}

std::string sidString(std::string_view b) {
  auto sid = security::Sid::fromBytes(security::asBytes(b));
  return sid ? sid->toString() : std::string();
}

UserObject makeUserObject(const ldap::Entry& e) {
  UserObject u;
  u.entry = &e;
  u.dn = e.dn();
  u.dnKey = scan::dnKey(u.dn);
  u.sam = e.firstOr("sAMAccountName");
  u.upn = e.firstOr("userPrincipalName");
  if (auto g = e.first("objectGUID")) u.guid = guidString(*g);
  if (auto s = e.first("objectSid")) {
    auto sid = security::Sid::fromBytes(security::asBytes(*s));
    if (sid) {
      u.sid = sid->toString();
      u.rid = sid->rid();
    }
  }
  u.uac = static_cast<std::uint32_t>(e.integer("userAccountControl").value_or(0));
  u.adminCount = e.integer("adminCount");
  u.primaryGroupId = static_cast<std::uint32_t>(e.integer("primaryGroupID").value_or(0));
  if (const auto* oc = e.values("objectClass")) {
    for (const auto& c : *oc) {
      if (ldap::iequals(c, "computer")) u.isComputer = true;
      if (ldap::iequals(c, "inetOrgPerson")) u.isInetOrgPerson = true;
    }
  }
  u.isMailbox = e.has("homeMDB") || e.has("msExchMailboxGuid");
  u.wireless = e.integer("msExchOmaAdminWirelessEnable");
  u.policyLink = e.firstOr("msExchMobileMailboxPolicyLink");
  if (auto sd = e.first("nTSecurityDescriptor")) {
    auto parsed = security::parseSecurityDescriptor(security::asBytes(*sd));
    if (parsed) {
      u.sd = *parsed;
    } else {
      u.sdError = parsed.error();
    }
  } else {
    u.sdError = Error{ErrorCode::kNotFound,
                      "nTSecurityDescriptor was not returned for " + u.dn,
                      "the scan must send the SD flags control (it does) and the account needs "
                      "Read permissions on the object"};
  }
  return u;
}

Finding makeFinding(std::string_view rule, Severity severity, const UserObject& user) {
  Finding f;
  f.rule = std::string(rule);
  f.severity = severity;
  f.dn = user.dn;
  f.objectGuid = user.guid;
  f.objectSid = user.sid;
  f.samAccountName = user.sam;
  return f;
}

std::optional<std::time_t> parseGeneralizedTime(std::string_view t) {
  // YYYYMMDDHHMMSS[.f]Z
  if (t.size() < 14) return std::nullopt;
  for (int i = 0; i < 14; ++i)
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
  auto num = [&](int pos, int len) {
    int v = 0;
    for (int i = 0; i < len; ++i) v = v * 10 + (t[pos + i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(8, 2);
  tm.tm_min = num(10, 2);
  tm.tm_sec = num(12, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31) return std::nullopt;
  return timegm(&tm);
}

std::string isoTime(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace adcheck::scan
