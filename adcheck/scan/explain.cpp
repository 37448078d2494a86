#include "adcheck/scan/explain.h"

#include <Poco/JSON/Array.h>

#include "adcheck/scan/coverage.h"
#include "adcheck/scan/dn.h"
#include "adcheck/scan/model.h"
#include "adcheck/security/access_check.h"
#include "adcheck/security/access_mask.h"
#include "adcheck/security/describe.h"
#include "adcheck/security/sddl.h"

namespace adcheck::scan {
namespace {

namespace sec = adcheck::security;

Poco::JSON::Array::Ptr wirelessBits(std::optional<std::int64_t> v) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  if (!v) return a;
  static const std::pair<std::int64_t, const char*> kBits[] = {
      {0x1, "up-to-date notifications disabled (Exchange 2003)"},
      {0x2, "OMA browsing disabled (Exchange 2003)"},
      {0x4, "Exchange ActiveSync disabled"},
      {0x8, "OWA for Devices disabled"},
      {0x20, "SCMDM policy exemption (legacy)"}};
  for (auto [bit, text] : kBits)
    if (*v & bit) a->add(std::string(text));
  if (*v < 0 || (*v & ~scan::kWirelessKnownBits)) a->add(std::string("invalid bits set"));
  return a;
}

}  // namespace

Poco::JSON::Object::Ptr explainObject(const ldap::Entry& entry, const Context& ctx,
                                      const std::vector<const rules::Rule*>& enabled) {
  auto u = scan::makeUserObject(entry);
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("dn", u.dn);
  o->set("samAccountName", u.sam);
  o->set("userPrincipalName", u.upn);
  o->set("objectGuid", u.guid);
  o->set("objectSid", u.sid);
  o->set("kind", u.isComputer ? "computer" : u.isInetOrgPerson ? "inetOrgPerson" : "user");
  o->set("disabled", u.disabled());
  o->set("mailbox", u.isMailbox);
  Poco::JSON::Object::Ptr mobile = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  if (u.wireless) mobile->set("msExchOmaAdminWirelessEnable", *u.wireless);
  else mobile->set("msExchOmaAdminWirelessEnable", Poco::Dynamic::Var());
  mobile->set("activeSyncEnabled", !u.easDisabled());
  mobile->set("decoded", wirelessBits(u.wireless));
  o->set("mobile", mobile);
  if (u.adminCount) o->set("adminCount", *u.adminCount);
  else o->set("adminCount", Poco::Dynamic::Var());
  const auto* prot = u.protection(ctx);
  Poco::JSON::Array::Ptr via = new Poco::JSON::Array;
  if (prot != nullptr)
    for (const auto& v : prot->paths) via->add(v);
  o->set("protectedBySdprop", prot != nullptr);
  o->set("protectedGroupPath", via);
  o->set("daclProtected", u.daclProtected());

  std::size_t deciding = sec::AccessResult::kNoAce;
  if (u.sd) {
    o->set("sddl", sec::toSddl(*u.sd, ctx.domainSid));
    if (ctx.easDevicesClass && ctx.exchangeGroupsFound) {
      auto r = sec::checkAccess(*u.sd, ctx.exchangeToken, 0x7, &*ctx.easDevicesClass);
      deciding = r.decidingAce;
      Poco::JSON::Object::Ptr eff = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      eff->set("token", [&] {
        Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
        for (const auto& s : ctx.exchangeToken.sids()) a->add(ctx.sidName(s));
        return a;
      }());
      eff->set("requested", "Create child, Delete child, List contents of msExchActiveSyncDevices");
      eff->set("decision", std::string(sec::decisionName(r.decision)));
      eff->set("granted", sec::describeDsRights(r.granted));
      if (r.decidingAce != sec::AccessResult::kNoAce) {
        eff->set("decidingAceIndex", static_cast<int>(r.decidingAce));
        if (auto ace = scan::daclAce(*u.sd, r.decidingAce))
          eff->set("decidingAce", "(" + sec::aceToSddl(*ace, ctx.domainSid) + ")");
      }
      o->set("activeSyncRights", eff);
    }
    Poco::JSON::Array::Ptr aces = new Poco::JSON::Array;
    if (const auto* dacl = u.sd->dacl()) {
      for (auto ace : *dacl) {
        Poco::JSON::Object::Ptr a = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        a->set("index", static_cast<int>(ace.index()));
        a->set("sddl", "(" + sec::aceToSddl(ace, ctx.domainSid) + ")");
        a->set("text", sec::describeAce(ace, ctx.names,
                                        [&](const sec::Sid& s) { return ctx.sidName(s); }));
        a->set("deciding", ace.index() == deciding);
        aces->add(a);
      }
    }
    o->set("dacl", aces);
  } else if (u.sdError) {
    o->set("descriptorError", u.sdError->toString());
  }

  Poco::JSON::Array::Ptr devices = new Poco::JSON::Array;
  if (auto it = ctx.containersByUser.find(u.dnKey); it != ctx.containersByUser.end()) {
    o->set("deviceContainer", it->second.dn);
    for (const auto& d : it->second.devices) {
      Poco::JSON::Object::Ptr x = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      x->set("dn", d.dn);
      x->set("deviceId", d.deviceId);
      x->set("type", d.deviceType);
      x->set("model", d.deviceModel);
      x->set("whenChanged", d.whenChanged);
      x->set("firstSyncTime", d.firstSyncTime);
      devices->add(x);
    }
  }
  o->set("devices", devices);

  // What the scan account could read on this object (issue 14): a rule that could not read its
  // inputs here does not "pass", and each unreadable input says why.
  CoverageTracker tracker(ctx, enabled);
  const std::uint64_t gaps = tracker.addObject(u);
  Poco::JSON::Array::Ptr coverage = new Poco::JSON::Array;
  for (const auto& in : tracker.explainLast(u)) {
    Poco::JSON::Object::Ptr x = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    x->set("input", in.input);
    x->set("state", in.state);
    if (!in.why.empty()) x->set("why", in.why);
    coverage->add(x);
  }
  o->set("coverage", coverage);

  Poco::JSON::Array::Ptr verdicts = new Poco::JSON::Array;
  std::size_t rule_index = 0;
  for (const auto* rule : enabled) {
    const bool incomplete = rule_index < 64 && (gaps & (std::uint64_t{1} << rule_index)) != 0;
    ++rule_index;
    Poco::JSON::Object::Ptr v = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    v->set("rule", std::string(rule->meta.id));
    if (rule->evaluateObject == nullptr) {
      v->set("verdict", "domain-level rule (see adcheck scan)");
    } else {
      Poco::JSON::Array::Ptr found = new Poco::JSON::Array;
      try {
        rule->evaluateObject(u, ctx, [&](scan::Finding&& f) {
          Poco::JSON::Object::Ptr x = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
          x->set("severity", std::string(scan::severityName(f.severity)));
          x->set("summary", f.summary);
          x->set("details", f.details);
          x->set("remediation", f.remediation);
          found->add(x);
        });
        v->set("verdict", found->size() != 0 ? "finding"
                          : incomplete       ? "incomplete (the scan account could not read its "
                                               "inputs here; see coverage)"
                                             : "pass");
      } catch (const std::exception& e) {
        v->set("verdict", "error");
        v->set("error", std::string(e.what()));
      }
      v->set("findings", found);
    }
    verdicts->add(v);
  }
  o->set("rules", verdicts);
  Poco::JSON::Array::Ptr warnings = new Poco::JSON::Array;
  for (const auto& w : ctx.warnings) warnings->add(w);
  o->set("warnings", warnings);
  return o;
}

}  // namespace adcheck::scan
