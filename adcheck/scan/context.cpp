#include "adcheck/scan/context.h"

#include <deque>
#include <set>

#include "adcheck/scan/dn.h"
#include "adcheck/security/well_known.h"

namespace adcheck::scan {
namespace {

namespace sec = adcheck::security;

bool hasClass(const std::vector<std::string>& oc, std::string_view name) {
  for (const auto& c : oc)
    if (ldap::iequals(c, name)) return true;
  return false;
}

// Protected groups by well-known SID (MS-ADTS 3.1.1.6.1.2); excludable bit of dwAdminSDExMask.
struct ProtectedRid {
  bool builtin;
  std::uint32_t rid;
  unsigned exclusionBit;
};
constexpr ProtectedRid kProtectedRoots[] = {
    {true, 544, 0},   {true, 548, 0x1}, {true, 549, 0x2}, {true, 550, 0x4},
    {true, 551, 0x8}, {true, 552, 0},   {false, 512, 0}, {false, 518, 0}, {false, 519, 0},
};

// Protected themselves, without conferring protection on members.
constexpr std::uint32_t kSelfProtectedGroups[] = {516, 521};

const char* wellKnownName(const std::string& sid) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"S-1-1-0", "Everyone"},
      {"S-1-3-0", "CREATOR OWNER"},
      {"S-1-5-9", "Enterprise Domain Controllers"},
      {"S-1-5-10", "SELF"},
      {"S-1-5-11", "Authenticated Users"},
      {"S-1-5-18", "SYSTEM"},
      {"S-1-5-32-544", "Administrators"},
      {"S-1-5-32-548", "Account Operators"},
      {"S-1-5-32-549", "Server Operators"},
      {"S-1-5-32-550", "Print Operators"},
      {"S-1-5-32-551", "Backup Operators"},
      {"S-1-5-32-552", "Replicator"},
      {"S-1-5-32-554", "Pre-Windows 2000 Compatible Access"},
      {"S-1-5-32-560", "Windows Authorization Access Group"},
      {"S-1-5-32-561", "Terminal Server License Servers"},
  };
  for (auto [s, n] : kNames)
    if (sid == s) return n;
  return nullptr;
}

// "<pszAttributeName>adminCount</pszAttributeName>...<ftimeLastOriginatingChange>T</...>"
std::optional<std::string> adminCountChange(const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (v.find("<pszAttributeName>adminCount</pszAttributeName>") == std::string::npos) continue;
    auto open = v.find("<ftimeLastOriginatingChange>");
    auto close = v.find("</ftimeLastOriginatingChange>");
    if (open == std::string::npos || close == std::string::npos) continue;
    open += std::string_view("<ftimeLastOriginatingChange>").size();
    if (close > open) return v.substr(open, close - open);
  }
  return std::nullopt;
}

}  // namespace

EntryKind classify(const ldap::Entry& e) {
  if (e.dn().empty()) return EntryKind::kRootDse;
  const auto* oc = e.values("objectClass");
  if (oc == nullptr) {
    if (e.has("msDS-ReplAttributeMetaData")) return EntryKind::kReplMetadata;
    if (e.has("tokenGroups")) return EntryKind::kScannerToken;
    if (e.has(kUnreadableObjectMarker)) return EntryKind::kUnreadableObject;
    return EntryKind::kOther;
  }
  if (hasClass(*oc, "msExchActiveSyncDevice")) return EntryKind::kDevice;
  if (hasClass(*oc, "msExchActiveSyncDevices")) return EntryKind::kDeviceContainer;
  if (hasClass(*oc, "msExchMobileMailboxPolicy")) return EntryKind::kPolicy;
  if (hasClass(*oc, "group")) return EntryKind::kGroup;
  if (hasClass(*oc, "user")) return EntryKind::kScannedObject;
  if (hasClass(*oc, "domainDNS")) return EntryKind::kDomainRoot;
  if (hasClass(*oc, "classSchema") || hasClass(*oc, "attributeSchema")) return EntryKind::kSchema;
  if (hasClass(*oc, "controlAccessRight")) return EntryKind::kExtendedRight;
  if (hasClass(*oc, "nTDSService")) return EntryKind::kDirectoryService;
  if (ldap::iequals(firstRdnValue(e.dn()), "AdminSDHolder") &&
      firstRdnType(e.dn()) == "cn" && ldap::iequals(firstRdnValue(parentDn(e.dn())), "System"))
    return EntryKind::kAdminSdHolder;
  return EntryKind::kOther;
}

ContextBuilder::ContextBuilder(const config::Config& config, std::time_t now)
    : config_(config), ctx_(std::make_unique<Context>()) {
  ctx_->now = now;
  ctx_->rules = config.rules;
  ctx_->baseDn = config.directory.base_dn;
  ctx_->names = sec::GuidNames::builtIn();  // fallback names; the schema's override them
}

void ContextBuilder::add(const ldap::Entry& e, EntryKind kind) {
  Context& c = *ctx_;
  switch (kind) {
    case EntryKind::kRootDse:
      if (c.baseDn.empty()) c.baseDn = e.firstOr("defaultNamingContext");
      c.configDn = e.firstOr("configurationNamingContext");
      c.schemaDn = e.firstOr("schemaNamingContext");
      c.dcName = e.firstOr("dnsHostName");
      break;
    case EntryKind::kDomainRoot: {
      if (auto s = e.first("objectSid")) {
        if (auto sid = sec::Sid::fromBytes(sec::asBytes(*s))) c.domainSid = *sid;
      }
      if (c.baseDn.empty()) c.baseDn = e.dn();
      c.domainName = firstRdnValue(e.dn());
      break;
    }
    case EntryKind::kSchema: {
      auto name = e.firstOr("lDAPDisplayName");
      auto g = e.first("schemaIDGUID");
      if (name.empty() || !g || g->size() != 16) break;
      auto guid = sec::Guid::fromWire(sec::asBytes(*g));
      if (!guid) break;
      bool is_class = hasClass(*e.values("objectClass"), "classSchema");
      c.names.add(*guid, name, is_class ? sec::GuidKind::kClass : sec::GuidKind::kAttribute);
      c.schemaGuidByName[dnKey(name)] = *guid;
      if (!is_class)
        if (auto ps = e.first("attributeSecurityGUID"); ps && ps->size() == 16)
          if (auto set = sec::Guid::fromWire(sec::asBytes(*ps)); set && !set->isNil())
            c.propertySetByAttribute[dnKey(name)] = *set;
      if (is_class && ldap::iequals(name, "msExchActiveSyncDevices")) {
        c.easDevicesClass = *guid;
        c.exchangeSchemaPresent = true;
        c.easDevicesDefaultSd = e.firstOr("defaultSecurityDescriptor");
      }
      if (is_class && ldap::iequals(name, "msExchActiveSyncDevice"))
        c.easDeviceDefaultSd = e.firstOr("defaultSecurityDescriptor");
      break;
    }
    case EntryKind::kExtendedRight: {
      auto name = e.firstOr("displayName", e.firstOr("cn"));
      auto text = e.firstOr("rightsGuid");
      auto guid = sec::Guid::fromString(text);
      if (!guid || name.empty()) break;
      // validAccesses 8 = validated write, 0x30 = property set, 0x100 = extended right
      auto valid = e.integer("validAccesses").value_or(0x100);
      auto kind_of = valid == 8      ? sec::GuidKind::kValidatedWrite
                     : valid == 0x30 ? sec::GuidKind::kPropertySet
                                     : sec::GuidKind::kExtendedRight;
      c.names.add(*guid, name, kind_of);
      break;
    }
    case EntryKind::kDirectoryService: {
      c.directoryServiceDn = e.dn();
      c.dsHeuristicsRead = true;
      c.dsHeuristics = e.firstOr("dSHeuristics");
      // 16th character, hex; characters may only be omitted by truncation (MS-ADTS 6.1.1.2.4.1.2)
      if (c.dsHeuristics.size() >= 16) {
        char ch = c.dsHeuristics[15];
        unsigned v = 0;
        if (ch >= '0' && ch <= '9') v = ch - '0';
        else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
        else c.warnings.push_back("dSHeuristics character 16 '" + std::string(1, ch) +
                                  "' is not a hex digit; no SDProp exclusions assumed");
        c.adminSdExMask = v & 0xF;
      }
      break;
    }
    case EntryKind::kAdminSdHolder:
      c.adminSdHolderDn = e.dn();
      if (auto sd = e.first("nTSecurityDescriptor")) c.adminSdHolderSd.assign(sd->data(), sd->size());
      break;
    case EntryKind::kGroup: {
      GroupInfo g;
      g.dn = e.dn();
      g.sam = e.firstOr("sAMAccountName");
      if (auto v = e.first("objectGUID")) g.guid = guidString(*v);
      if (auto v = e.first("objectSid")) {
        if (auto sid = sec::Sid::fromBytes(sec::asBytes(*v))) {
          g.sid = sid->toString();
          g.rid = sid->rid();
          g.builtin = g.sid.rfind("S-1-5-32-", 0) == 0;
        }
      }
      g.groupType = e.integer("groupType").value_or(0);
      g.adminCount = e.integer("adminCount");
      if (const auto* m = e.values("member")) g.members = *m;
      if (auto sd = e.first("nTSecurityDescriptor")) g.sd = *sd;
      if (!g.sid.empty()) c.sidNames[g.sid] = g.sam.empty() ? firstRdnValue(g.dn) : g.sam;
      c.groups[dnKey(g.dn)] = std::move(g);
      break;
    }
    case EntryKind::kPolicy: {
      PolicyInfo p;
      p.dn = e.dn();
      p.name = e.firstOr("cn", firstRdnValue(e.dn()));
      if (auto v = e.first("objectGUID")) p.guid = guidString(*v);
      p.flags = e.integer("msExchMobileFlags").value_or(0);
      c.policies.push_back(std::move(p));
      break;
    }
    case EntryKind::kDeviceContainer: {
      auto& dc = c.containersByUser[dnKey(parentDn(e.dn()))];
      dc.dn = e.dn();
      if (auto v = e.first("objectGUID")) dc.guid = guidString(*v);
      dc.whenCreated = e.firstOr("whenCreated");
      if (auto sd = e.first("nTSecurityDescriptor")) dc.sd = *sd;
      break;
    }
    case EntryKind::kDevice: {
      DeviceInfo d;
      d.dn = e.dn();
      if (auto v = e.first("objectGUID")) d.guid = guidString(*v);
      d.deviceId = e.firstOr("msExchDeviceID");
      d.deviceType = e.firstOr("msExchDeviceType");
      d.deviceModel = e.firstOr("msExchDeviceModel");
      d.userAgent = e.firstOr("msExchDeviceUserAgent");
      d.firstSyncTime = e.firstOr("msExchFirstSyncTime");
      d.whenChanged = e.firstOr("whenChanged");
      d.whenCreated = e.firstOr("whenCreated");
      devices_.emplace_back(dnKey(parentDn(parentDn(e.dn()))), std::move(d));
      break;
    }
    case EntryKind::kReplMetadata:
      if (const auto* v = e.values("msDS-ReplAttributeMetaData"))
        if (auto t = adminCountChange(*v)) c.adminCountSince[dnKey(e.dn())] = *t;
      break;
    case EntryKind::kScannerToken: {
      sec::Token token;
      for (const char* attr : {"objectSid", "tokenGroups"})
        if (const auto* v = e.values(attr))
          for (const auto& raw : *v)
            if (auto sid = sec::Sid::fromBytes(sec::asBytes(raw))) token.add(*sid);
      // What every authenticated bind holds besides its groups.
      token.add(sec::kSidEveryone);
      token.add(sec::kSidAuthenticatedUsers);
      c.scannerToken = std::move(token);
      c.scannerDn = e.dn();
      break;
    }
    case EntryKind::kUnreadableObject:
      c.unreadableObjects.push_back(e.dn());
      break;
    case EntryKind::kScannedObject:
    case EntryKind::kOther:
      break;
  }
}

std::unique_ptr<Context> ContextBuilder::finish() {
  Context& c = *ctx_;

  for (auto& [user_key, device] : devices_) {
    auto& container = c.containersByUser[user_key];
    if (container.dn.empty()) container.dn = parentDn(device.dn);
    container.devices.push_back(std::move(device));
  }
  devices_.clear();

  if (c.domainSid.subAuthorityCount() == 0)
    c.warnings.push_back("the domain root (objectSid) was not read: protected groups and "
                         "domain-relative SIDs cannot be resolved");

  // --- SDProp: the protected set, by well-known SID, transitively (BFS gives shortest paths).
  const auto domain_sid = c.domainSid.toString();
  auto is_security = [](const GroupInfo& g) { return (g.groupType & 0x80000000LL) != 0 || g.groupType == 0; };
  for (const auto& root : kProtectedRoots) {
    if (root.exclusionBit != 0 && (c.adminSdExMask & root.exclusionBit) != 0) continue;
    const std::string want =
        root.builtin ? "S-1-5-32-" + std::to_string(root.rid) : domain_sid + "-" + std::to_string(root.rid);
    const GroupInfo* start = nullptr;
    std::string start_key;
    for (const auto& [key, g] : c.groups)
      if (g.sid == want) {
        start = &g;
        start_key = key;
      }
    if (start == nullptr) continue;
    const std::string root_name = start->sam.empty() ? firstRdnValue(start->dn) : start->sam;
    c.protectedByDn[start_key].add(root_name, root_name + " (protected group itself)");
    std::set<std::string> seen{start_key};
    std::deque<std::pair<const GroupInfo*, std::string>> queue{{start, root_name}};
    while (!queue.empty()) {
      auto [group, path] = queue.front();
      queue.pop_front();
      for (const auto& member : group->members) {
        auto key = dnKey(member);
        if (!seen.insert(key).second) continue;  // cycles and diamonds: first (shortest) path
        auto it = c.groups.find(key);
        c.protectedByDn[key].add(root_name, path);
        if (it != c.groups.end() && is_security(it->second)) {
          auto name = it->second.sam.empty() ? firstRdnValue(it->second.dn) : it->second.sam;
          queue.emplace_back(&it->second, path + " > " + name);
        }
      }
    }
  }
  // Primary group membership: primaryGroupID is a domain group's RID.
  for (const auto& [key, g] : c.groups) {
    if (g.builtin) continue;
    if (auto it = c.protectedByDn.find(key); it != c.protectedByDn.end()) {
      Protection p;
      p.via = it->second.via;
      std::string name = g.sam.empty() ? firstRdnValue(g.dn) : g.sam;
      for (const auto& v : it->second.paths) {
        auto clean = v;
        auto pos = clean.find(" (protected group itself)");
        if (pos != std::string::npos) clean = clean.substr(0, pos);
        p.paths.push_back(clean == name ? name + " (primary group)"
                                        : clean + " > " + name + " (primary group)");
      }
      c.protectedByPrimaryGroup[g.rid] = std::move(p);
    }
  }
  for (auto rid : kSelfProtectedGroups)
    for (const auto& [key, g] : c.groups)
      if (!g.builtin && g.rid == rid && !c.protectedByDn.contains(key))
        c.protectedByDn[key].add(g.sam, g.sam + " (protected group itself)");

  std::unordered_map<std::string, std::vector<const GroupInfo*>> parents;
  for (const auto& [key, g] : c.groups)
    for (const auto& m : g.members) parents[dnKey(m)].push_back(&g);

  // Groups that hold Everyone or Authenticated Users (as foreign security principals, e.g.
  // Pre-Windows 2000 Compatible Access) and the groups above them belong to every authenticated
  // token, though tokenGroups never lists them.
  std::vector<sec::Sid> everybody_groups;
  {
    std::set<std::string> seen_wk;
    std::deque<std::string> q;
    for (const auto& [key, g] : c.groups)
      for (const auto& m : g.members) {
        auto v = firstRdnValue(m);
        if ((v == "S-1-5-11" || v == "S-1-1-0") && seen_wk.insert(key).second) q.push_back(key);
      }
    while (!q.empty()) {
      auto key = q.front();
      q.pop_front();
      if (auto sid = sec::Sid::fromString(c.groups.at(key).sid)) everybody_groups.push_back(*sid);
      if (auto it = parents.find(key); it != parents.end())
        for (const auto* p : it->second)
          if (seen_wk.insert(dnKey(p->dn)).second) q.push_back(dnKey(p->dn));
    }
  }
  if (c.scannerToken)
    for (const auto& sid : everybody_groups) c.scannerToken->add(sid);

  // groups:member (coverage): may the scan account read `member` (through its property set) on
  // each group? Checked now, with the token complete, and the descriptors dropped after.
  if (c.scannerToken) {
    auto group_class = c.schemaGuidByName.find("group");
    auto member = c.schemaGuidByName.find("member");
    if (group_class != c.schemaGuidByName.end() && member != c.schemaGuidByName.end()) {
      sec::ObjectTypeList list(group_class->second);
      auto set = c.propertySetByAttribute.find("member");
      const auto node = list.addProperty(
          member->second, set != c.propertySetByAttribute.end() ? &set->second : nullptr);
      sec::TypeListAccess access;
      for (const auto& [key, g] : c.groups) {
        if (g.sd.empty()) continue;
        auto sd = sec::parseSecurityDescriptor(std::string_view(g.sd));
        if (!sd) continue;
        ++c.groupsWithSd;
        sec::checkAccessByTypeList(*sd, *c.scannerToken, 0x10 /* Read Property */, list, access);
        if (access.isGranted(node)) continue;
        ++c.groupsMemberUnreadable;
        if (c.groupsMemberUnreadableDns.size() < 1000) c.groupsMemberUnreadableDns.push_back(g.dn);
      }
    }
  }
  for (auto& [key, g] : c.groups) std::string().swap(g.sd);

  // --- The Exchange token: configured groups, every group they are nested in, WD, AU.
  sec::Token token;
  std::set<std::string> seen;
  std::deque<std::string> queue;
  for (const auto& [key, g] : c.groups) {
    for (const auto& want : config_.exchange.server_groups) {
      if (!ldap::iequals(g.sam, want)) continue;
      c.exchangeGroups.push_back(g.sam);
      c.exchangeGroupSids.insert(g.sid);
      if (seen.insert(key).second) queue.push_back(key);
    }
  }
  c.exchangeGroupsFound = !c.exchangeGroups.empty();
  while (!queue.empty()) {
    auto key = queue.front();
    queue.pop_front();
    const auto& g = c.groups.at(key);
    if (auto sid = sec::Sid::fromString(g.sid)) token.add(*sid);
    if (auto it = parents.find(key); it != parents.end())
      for (const auto* p : it->second)
        if (seen.insert(dnKey(p->dn)).second) queue.push_back(dnKey(p->dn));
  }
  token.add(sec::kSidEveryone);
  token.add(sec::kSidAuthenticatedUsers);
  for (const auto& sid : everybody_groups) token.add(sid);
  c.exchangeToken = std::move(token);
  if (!c.exchangeGroupsFound) {
    std::string names;
    for (const auto& n : config_.exchange.server_groups) names += (names.empty() ? "" : ", ") + n;
    c.warnings.push_back("none of the Exchange groups (" + names +
                         ") was found: EAS-DEVICE-RIGHTS-MISSING is not evaluated; set "
                         "[exchange] server_groups to their sAMAccountNames");
  }
  if (!c.exchangeSchemaPresent)
    c.warnings.push_back("the schema has no msExchActiveSyncDevices class (no Exchange schema, or "
                         "the schema was not read): ActiveSync rights are not evaluated");

  // Names for SIDs in ACE descriptions.
  for (const auto* s : {"S-1-1-0", "S-1-3-0", "S-1-5-9", "S-1-5-10", "S-1-5-11", "S-1-5-18",
                        "S-1-5-32-544", "S-1-5-32-548", "S-1-5-32-549", "S-1-5-32-550",
                        "S-1-5-32-551", "S-1-5-32-552", "S-1-5-32-554", "S-1-5-32-560",
                        "S-1-5-32-561"})
    if (!c.sidNames.contains(s)) c.sidNames[s] = wellKnownName(s);

  // Member lists are only needed for the resolution above; drop them to keep memory small.
  for (auto& [key, g] : c.groups) {
    g.members.clear();
    g.members.shrink_to_fit();
  }
  return std::move(ctx_);
}

}  // namespace adcheck::scan
