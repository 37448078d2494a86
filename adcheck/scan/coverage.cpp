#include "adcheck/scan/coverage.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "adcheck/scan/dn.h"
#include "adcheck/security/access_mask.h"
#include "adcheck/security/guid_names.h"
#include "adcheck/security/inheritance.h"
#include "adcheck/security/sddl.h"

namespace adcheck::scan {
namespace {

namespace sec = adcheck::security;

constexpr std::uint32_t kReadProperty = 0x10;
constexpr std::uint32_t kListContents = 0x4;

enum class InputKind {
  kAttribute,     // user:<attr>
  kDescriptor,    // user:nTSecurityDescriptor
  kDevices,
  kPolicies,
  kAdminSdHolder,
  kDsHeuristics,
  kGroupMembers,
  kUnknown,
};

InputKind kindOf(std::string_view input) {
  if (input == "user:nTSecurityDescriptor") return InputKind::kDescriptor;
  if (input.starts_with("user:")) return InputKind::kAttribute;
  if (input == "devices") return InputKind::kDevices;
  if (input == "policies") return InputKind::kPolicies;
  if (input == "adminsdholder") return InputKind::kAdminSdHolder;
  if (input == "dsheuristics") return InputKind::kDsHeuristics;
  if (input == "groups:member") return InputKind::kGroupMembers;
  return InputKind::kUnknown;
}

// Checked on every scanned object (as opposed to once for the directory).
bool perObject(InputKind k) {
  return k == InputKind::kAttribute || k == InputKind::kDescriptor || k == InputKind::kDevices ||
         k == InputKind::kPolicies;
}

struct InputState {
  std::string input;
  InputKind kind = InputKind::kUnknown;
  std::string attribute;  // lower-case lDAPDisplayName for kAttribute
  // Node of the attribute in each class's type list; -1: the schema has no such attribute.
  long node[3] = {-1, -1, -1};
  std::size_t objects = 0;
  std::size_t unreadable = 0;
  std::size_t unknown = 0;
  std::vector<std::string> dns;
  bool now = false;  // unreadable on the current object
};

struct RuleState {
  std::string rule;
  std::vector<std::size_t> inputs;  // indices into Impl::inputs
  bool hasPerObject = false;
  std::size_t unreadable = 0;
};

CoverageVerdict verdictOf(std::size_t objects, std::size_t unreadable, std::size_t unknown) {
  if (objects > 0 && unreadable == objects) return CoverageVerdict::kUnreadable;
  if (unreadable > 0) return CoverageVerdict::kPartial;
  if (unknown > 0) return CoverageVerdict::kUnknown;
  return CoverageVerdict::kComplete;
}

}  // namespace

std::string_view coverageVerdictName(CoverageVerdict v) {
  switch (v) {
    case CoverageVerdict::kComplete: return "complete";
    case CoverageVerdict::kPartial: return "partial";
    case CoverageVerdict::kUnreadable: return "unreadable";
    case CoverageVerdict::kUnknown: return "unknown";
  }
  return "unknown";
}

const RuleCoverage* Coverage::find(std::string_view rule) const {
  for (const auto& r : rules)
    if (r.rule == rule) return &r;
  return nullptr;
}

Poco::JSON::Object::Ptr Coverage::toJson() const {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("account", account);
  o->set("computed", computed);
  o->set("complete", complete);
  Poco::JSON::Array::Ptr rs = new Poco::JSON::Array;
  for (const auto& r : rules) {
    Poco::JSON::Object::Ptr ro = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    ro->set("rule", r.rule);
    ro->set("verdict", std::string(coverageVerdictName(r.verdict)));
    ro->set("objects", static_cast<Poco::UInt64>(r.objects));
    ro->set("unreadable", static_cast<Poco::UInt64>(r.unreadable));
    Poco::JSON::Array::Ptr ins = new Poco::JSON::Array;
    for (const auto& in : r.inputs) {
      Poco::JSON::Object::Ptr io = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      io->set("input", in.input);
      io->set("verdict", std::string(coverageVerdictName(in.verdict)));
      io->set("checked", static_cast<Poco::UInt64>(in.objects));
      io->set("unreadable", static_cast<Poco::UInt64>(in.unreadable));
      io->set("unknown", static_cast<Poco::UInt64>(in.unknown));
      Poco::JSON::Array::Ptr dns = new Poco::JSON::Array;
      for (const auto& dn : in.dns) dns->add(dn);
      io->set("objects", dns);
      io->set("right", in.right);
      io->set("fix", in.fix);
      ins->add(io);
    }
    ro->set("inputs", ins);
    rs->add(ro);
  }
  o->set("rules", rs);
  return o;
}

struct CoverageTracker::Impl {
  const Context& ctx;
  bool computed = false;
  std::vector<InputState> inputs;
  std::vector<RuleState> rules;
  // Type lists per class of scanned object: user, computer, inetOrgPerson.
  std::vector<sec::ObjectTypeList> lists;
  long homeMdbNode[3] = {-1, -1, -1};
  sec::TypeListAccess access;
  std::unordered_set<std::string> policyKeys;
  std::unordered_set<std::string> userParents;  // DN keys of the containers of scanned objects
  // Devices: the classes' defaults, parsed once; predictions cached by the user's inheritable
  // ACEs (most users share them, so this is a handful of entries).
  std::optional<sec::SecurityDescriptor> containerDefault;
  std::optional<sec::SecurityDescriptor> deviceDefault;
  std::optional<sec::Guid> deviceClass;
  std::unordered_map<std::string, std::optional<bool>> predictionCache;
  std::string cacheKey;

  explicit Impl(const Context& c) : ctx(c) {}

  std::size_t listFor(const UserObject& u) const {
    if (lists.size() < 3) return 0;
    return u.isComputer ? 1 : (u.isInetOrgPerson ? 2 : 0);
  }

  // May the token read a device container with this DACL, and a device below it?
  std::optional<bool> containerReadable(const sec::SecurityDescriptorView& container) {
    const auto& token = *ctx.scannerToken;
    if (!sec::checkAccess(container, token, kListContents | kReadProperty, nullptr).isGranted())
      return false;
    if (!deviceDefault || !deviceClass) return true;  // no device class: nothing below to read
    auto device = sec::newObjectDescriptor(*deviceDefault, &container, *deviceClass);
    if (!device) return std::nullopt;
    auto bytes = device->toBytes();
    if (!bytes) return std::nullopt;
    auto view = sec::parseSecurityDescriptor(std::span<const std::uint8_t>(*bytes));
    if (!view) return std::nullopt;
    return sec::checkAccess(*view, token, kReadProperty, nullptr).isGranted();
  }

  std::optional<bool> devicesReadable(const UserObject& u) {
    if (!u.sd) return false;  // without the user's DACL nothing below it can be predicted
    const auto& token = *ctx.scannerToken;
    if (!sec::checkAccess(*u.sd, token, kListContents, nullptr).isGranted()) return false;
    if (!ctx.easDevicesClass) return true;  // no Exchange schema: no device objects can exist
    if (auto it = ctx.containersByUser.find(u.dnKey); it != ctx.containersByUser.end()) {
      if (it->second.sd.empty()) return true;  // returned, descriptor not asked for
      auto sd = sec::parseSecurityDescriptor(std::string_view(it->second.sd));
      if (!sd) return std::nullopt;
      return containerReadable(*sd);
    }
    if (!containerDefault) return std::nullopt;
    cacheKey.clear();
    if (const auto* dacl = u.sd->dacl())
      for (auto ace : *dacl)
        if ((ace.flags() & (sec::kAceContainerInherit | sec::kAceObjectInherit)) != 0) {
          auto raw = ace.raw();
          cacheKey.append(reinterpret_cast<const char*>(raw.data()), raw.size());
        }
    if (auto hit = predictionCache.find(cacheKey); hit != predictionCache.end()) return hit->second;
    std::optional<bool> answer;
    if (auto predicted = sec::newObjectDescriptor(*containerDefault, &*u.sd, *ctx.easDevicesClass)) {
      if (auto bytes = predicted->toBytes()) {
        if (auto view = sec::parseSecurityDescriptor(std::span<const std::uint8_t>(*bytes)))
          answer = containerReadable(*view);
      }
    }
    if (predictionCache.size() > 4096) predictionCache.clear();
    predictionCache.emplace(cacheKey, answer);
    return answer;
  }
};

CoverageTracker::CoverageTracker(const Context& ctx, const std::vector<const rules::Rule*>& rules)
    : impl_(std::make_unique<Impl>(ctx)) {
  Impl& m = *impl_;
  auto guid_of = [&](std::string_view name) -> std::optional<sec::Guid> {
    auto it = ctx.schemaGuidByName.find(std::string(name));
    if (it == ctx.schemaGuidByName.end()) return std::nullopt;
    return it->second;
  };
  auto user_class = guid_of("user");
  m.computed = ctx.scannerToken.has_value() && user_class.has_value();
  if (m.computed) {
    m.lists.emplace_back(*user_class);
    m.lists.emplace_back(guid_of("computer").value_or(sec::kGuidClassComputer));
    m.lists.emplace_back(guid_of("inetorgperson").value_or(sec::kGuidClassInetOrgPerson));
  }
  auto add_attribute = [&](const std::string& key, long (&node)[3]) {
    auto attr = guid_of(key);
    if (!attr) return;  // not in the schema: nothing to read
    auto set = ctx.propertySetByAttribute.find(key);
    for (std::size_t i = 0; i < m.lists.size(); ++i)
      node[i] = static_cast<long>(m.lists[i].addProperty(
          *attr, set != ctx.propertySetByAttribute.end() ? &set->second : nullptr));
  };
  add_attribute("homemdb", m.homeMdbNode);
  for (const auto* r : rules) {
    RuleState rs;
    rs.rule = std::string(r->meta.id);
    for (auto in : r->meta.inputs) {
      auto it = std::find_if(m.inputs.begin(), m.inputs.end(),
                             [&](const InputState& s) { return s.input == in; });
      if (it == m.inputs.end()) {
        InputState s;
        s.input = std::string(in);
        s.kind = kindOf(in);
        if (s.kind == InputKind::kAttribute) {
          s.attribute = dnKey(in.substr(5));
          add_attribute(s.attribute, s.node);
        }
        m.inputs.push_back(std::move(s));
        it = m.inputs.end() - 1;
      }
      rs.inputs.push_back(static_cast<std::size_t>(it - m.inputs.begin()));
      if (perObject(it->kind)) rs.hasPerObject = true;
    }
    m.rules.push_back(std::move(rs));
  }
  for (const auto& p : ctx.policies) m.policyKeys.insert(dnKey(p.dn));
  if (!ctx.easDevicesDefaultSd.empty())
    if (auto sd = sec::parseSddl(ctx.easDevicesDefaultSd, ctx.domainSid)) m.containerDefault = *sd;
  if (!ctx.easDeviceDefaultSd.empty())
    if (auto sd = sec::parseSddl(ctx.easDeviceDefaultSd, ctx.domainSid)) m.deviceDefault = *sd;
  m.deviceClass = guid_of("msexchactivesyncdevice");
}

CoverageTracker::~CoverageTracker() = default;

std::uint64_t CoverageTracker::addObject(const UserObject& u) {
  Impl& m = *impl_;
  lastHomeMdbReadable_ = true;
  if (!m.computed) return 0;
  m.userParents.insert(dnKey(parentDn(u.dn)));
  const std::size_t list = m.listFor(u);
  if (u.sd)
    sec::checkAccessByTypeList(*u.sd, *m.ctx.scannerToken, kReadProperty, m.lists[list], m.access);
  auto readable_node = [&](long node) {
    if (node < 0) return true;
    return m.access.isGranted(static_cast<std::size_t>(node));
  };
  lastHomeMdbReadable_ = !u.sd || readable_node(m.homeMdbNode[list]);
  for (auto& in : m.inputs) {
    in.now = false;
    std::optional<bool> ok;
    switch (in.kind) {
      case InputKind::kAttribute:
        ok = u.sd ? readable_node(in.node[list]) : false;
        break;
      case InputKind::kDescriptor:
        ok = u.sd.has_value();
        break;
      case InputKind::kDevices:
        ok = m.devicesReadable(u);
        break;
      case InputKind::kPolicies:
        if (u.policyLink.empty()) continue;
        ok = m.policyKeys.contains(dnKey(u.policyLink));
        break;
      default:
        continue;
    }
    ++in.objects;
    if (!ok) {
      ++in.unknown;
      continue;
    }
    if (*ok) continue;
    in.now = true;
    ++in.unreadable;
    if (in.dns.size() < kCoverageDnCap) in.dns.push_back(u.dn);
  }
  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < m.rules.size(); ++i) {
    auto& r = m.rules[i];
    bool any = false;
    for (auto idx : r.inputs) any = any || m.inputs[idx].now;
    if (!any) continue;
    ++r.unreadable;
    if (i < 64) mask |= std::uint64_t{1} << i;
  }
  return mask;
}

std::vector<CoverageTracker::ObjectInput> CoverageTracker::explainLast(const UserObject& u) const {
  const Impl& m = *impl_;
  std::vector<ObjectInput> out;
  if (!m.computed) return out;
  const auto& token = *m.ctx.scannerToken;
  for (const auto& in : m.inputs) {
    if (!perObject(in.kind) || (in.kind == InputKind::kPolicies && u.policyLink.empty())) continue;
    ObjectInput o{in.input, in.now ? "unreadable" : "readable", ""};
    if (in.now && !u.sd) {
      o.why = "the object's nTSecurityDescriptor was not returned (no Read Permissions)";
    } else if (in.now && in.kind == InputKind::kAttribute && u.sd && u.sd->dacl() != nullptr) {
      // The first deny that takes Read Property on the attribute, its set or everything.
      auto attr = m.ctx.schemaGuidByName.find(in.attribute);
      auto set = m.ctx.propertySetByAttribute.find(in.attribute);
      for (auto ace : *u.sd->dacl()) {
        if (ace.inheritOnly() || !ace.hasSid() || !token.contains(ace.sid())) continue;
        if (ace.type() != sec::AceType::kAccessDenied && ace.type() != sec::AceType::kAccessDeniedObject)
          continue;
        if ((sec::mapGenericDs(ace.mask()) & kReadProperty) == 0) continue;
        auto type = ace.objectType();
        if (type && !(attr != m.ctx.schemaGuidByName.end() && *type == attr->second) &&
            !(set != m.ctx.propertySetByAttribute.end() && *type == set->second))
          continue;
        o.why = "denied by ACE " + std::to_string(ace.index()) + " (" +
                sec::aceToSddl(ace, m.ctx.domainSid) + ")";
        break;
      }
      if (o.why.empty()) o.why = "no ACE grants the scan account Read Property on it";
    } else if (in.now && in.kind == InputKind::kDevices) {
      o.why = "List Contents on the user, or List Contents / Read Property on the (predicted) "
              "device container or devices, is not granted";
    } else if (in.now && in.kind == InputKind::kPolicies) {
      o.why = "the policy it names was not returned by the scan";
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> CoverageTracker::addUnreadableObjects() {
  Impl& m = *impl_;
  std::vector<std::pair<std::string, std::uint64_t>> held;
  if (!m.computed) return held;
  // An unreadable object beside users is most likely a user hidden from this account; one in a
  // container without users (CN=IP Security, CN=System, ...) is a system object no rule reads.
  for (const auto& dn : m.ctx.unreadableObjects) {
    if (!m.userParents.contains(dnKey(parentDn(dn)))) continue;
    for (auto& in : m.inputs) {
      in.now = in.kind == InputKind::kAttribute || in.kind == InputKind::kDescriptor ||
               in.kind == InputKind::kDevices;
      if (!in.now) continue;
      ++in.objects;
      ++in.unreadable;
      if (in.dns.size() < kCoverageDnCap) in.dns.push_back(dn);
    }
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < m.rules.size(); ++i) {
      bool any = false;
      for (auto idx : m.rules[i].inputs) any = any || m.inputs[idx].now;
      if (!any) continue;
      ++m.rules[i].unreadable;
      if (i < 64) mask |= std::uint64_t{1} << i;
    }
    if (mask != 0) held.emplace_back(dnKey(dn), mask);
  }
  return held;
}

Coverage CoverageTracker::finish() const {
  const Impl& m = *impl_;
  const Context& ctx = m.ctx;
  Coverage out;
  out.account = ctx.scannerDn;
  out.computed = m.computed;
  const std::string account =
      ctx.scannerDn.empty() ? std::string("the scan account") : firstRdnValue(ctx.scannerDn);
  const std::string base = ctx.baseDn.empty() ? std::string("<domain>") : ctx.baseDn;
  std::size_t objects = 0;
  for (const auto& in : m.inputs)
    if (in.kind != InputKind::kPolicies && perObject(in.kind)) objects = std::max(objects, in.objects);

  std::vector<InputCoverageResult> results;
  for (const auto& in : m.inputs) {
    InputCoverageResult r;
    r.input = in.input;
    r.objects = in.objects;
    r.unreadable = in.unreadable;
    r.unknown = in.unknown;
    r.dns = in.dns;
    switch (in.kind) {
      case InputKind::kAttribute: {
        auto name = in.input.substr(5);
        std::string set_name;
        if (auto set = ctx.propertySetByAttribute.find(in.attribute);
            set != ctx.propertySetByAttribute.end()) {
          const auto* e = ctx.names.find(set->second);
          set_name = e != nullptr ? e->name : set->second.toString();
        }
        r.right = "Read Property on " + name +
                  (set_name.empty() ? "" : " (property set " + set_name + ")");
        r.fix = "Grant " + account + " read-only Read Property on " +
                (set_name.empty() ? name : "the " + set_name + " property set") +
                " for descendant user objects at " + base + " (dsacls \"" + base +
                "\" /I:S /G \"<domain>\\" + account + ":RP;" + (set_name.empty() ? name : set_name) +
                ";user\"), or put it in a group that holds it; users with inheritance disabled "
                "need the grant on themselves or inheritance re-enabled";
        break;
      }
      case InputKind::kDescriptor:
        r.right = "Read Permissions (READ_CONTROL)";
        r.fix = "Grant " + account + " Read Permissions on descendant user objects at " + base +
                " (dsacls \"" + base + "\" /I:S /G \"<domain>\\" + account +
                ":RC;;user\"), or restore the default Authenticated Users: Read Permissions ACE "
                "on the objects listed";
        break;
      case InputKind::kDevices:
        r.right = "List Contents on the user, List Contents and Read Property on its "
                  "ExchangeActiveSyncDevices container and Read Property on the devices";
        r.fix = "Grant " + account + " read-only List Contents and Read Property inherited to "
                "msExchActiveSyncDevices and msExchActiveSyncDevice objects at " + base +
                " (dsacls \"" + base + "\" /I:S /G \"<domain>\\" + account +
                ":LCRP;;msExchActiveSyncDevices\" and the same for msExchActiveSyncDevice), and "
                "List Contents on the users; check the classes' defaultSecurityDescriptor";
        if (!m.containerDefault && ctx.easDevicesClass)
          r.right += " (the schema's defaultSecurityDescriptor of msExchActiveSyncDevices was "
                     "not read: users without a container could not be predicted)";
        break;
      case InputKind::kPolicies:
        r.right = "Read on the msExchMobileMailboxPolicy objects the users' "
                  "msExchMobileMailboxPolicyLink names (listed: the users)";
        r.fix = "Grant " + account + " read-only List Contents and Read Property on the Exchange "
                "organisation's Mobile Mailbox Policies container in " +
                (ctx.configDn.empty() ? std::string("the configuration partition") : ctx.configDn) +
                ", inherited to its policies";
        break;
      case InputKind::kAdminSdHolder:
        r.objects = 1;
        if (ctx.adminSdHolderSd.empty()) {
          r.unreadable = 1;
          r.dns = {ctx.adminSdHolderDn.empty() ? "CN=AdminSDHolder,CN=System," + base
                                               : ctx.adminSdHolderDn};
        }
        r.right = "Read Permissions (READ_CONTROL) on CN=AdminSDHolder";
        r.fix = "Grant " + account + " Read Permissions and Read Property on CN=AdminSDHolder,"
                "CN=System," + base + " (Authenticated Users hold it by default)";
        break;
      case InputKind::kDsHeuristics:
        r.objects = 1;
        if (!ctx.dsHeuristicsRead) {
          r.unreadable = 1;
          r.dns = {ctx.directoryServiceDn.empty()
                       ? "CN=Directory Service,CN=Windows NT,CN=Services," +
                             (ctx.configDn.empty() ? std::string("<configuration>") : ctx.configDn)
                       : ctx.directoryServiceDn};
        }
        r.right = "Read Property (dSHeuristics) on CN=Directory Service";
        r.fix = "Grant " + account + " Read Property on CN=Directory Service,CN=Windows NT,"
                "CN=Services in the configuration partition (Authenticated Users hold it by "
                "default)";
        break;
      case InputKind::kGroupMembers:
        r.objects = ctx.groupsWithSd;
        r.unreadable = ctx.groupsMemberUnreadable;
        r.dns = ctx.groupsMemberUnreadableDns;
        if (ctx.groupsWithSd == 0 && !ctx.groups.empty()) r.unknown = ctx.groups.size();
        r.right = "Read Property on member (property set Membership) of the groups";
        r.fix = "Grant " + account + " read-only Read Property on the Membership property set "
                "for descendant group objects at " + base + " (dsacls \"" + base +
                "\" /I:S /G \"<domain>\\" + account + ":RP;Membership;group\")";
        break;
      case InputKind::kUnknown:
        r.unknown = 1;
        r.right = "unknown input";
        break;
    }
    r.verdict = m.computed ? verdictOf(r.objects, r.unreadable, r.unknown) : CoverageVerdict::kUnknown;
    // A directory-wide input the scan did not find at all is unreadable, not "0 of 0".
    if (m.computed && (in.kind == InputKind::kAdminSdHolder || in.kind == InputKind::kDsHeuristics) &&
        r.unreadable > 0)
      r.verdict = CoverageVerdict::kUnreadable;
    results.push_back(std::move(r));
  }

  out.complete = m.computed;
  for (const auto& rs : m.rules) {
    RuleCoverage rc;
    rc.rule = rs.rule;
    rc.unreadable = rs.unreadable;
    rc.objects = rs.hasPerObject ? objects : 0;
    bool any_unreadable = false, any_partial = false, any_unknown = false;
    for (auto idx : rs.inputs) {
      const auto& r = results[idx];
      rc.inputs.push_back(r);
      if (!rs.hasPerObject) {
        rc.objects = std::max(rc.objects, r.objects);
        rc.unreadable = std::max(rc.unreadable, r.unreadable);
      }
      any_unreadable = any_unreadable || r.verdict == CoverageVerdict::kUnreadable;
      any_partial = any_partial || r.verdict == CoverageVerdict::kPartial;
      any_unknown = any_unknown || r.verdict == CoverageVerdict::kUnknown;
    }
    rc.verdict = !m.computed       ? CoverageVerdict::kUnknown
                 : any_unreadable ? CoverageVerdict::kUnreadable
                 : any_partial    ? CoverageVerdict::kPartial
                 : any_unknown    ? CoverageVerdict::kUnknown
                                  : CoverageVerdict::kComplete;
    if (rc.verdict != CoverageVerdict::kComplete) out.complete = false;
    out.rules.push_back(std::move(rc));
  }
  return out;
}

bool coverageInputIsPerObject(std::string_view input) { return perObject(kindOf(input)); }

std::string CoverageGap::text() const {
  if (verdict == "unknown") return "INCOMPLETE: could not check " + input + " (" + right + ")";
  return "INCOMPLETE: could not read " + input + " on " + std::to_string(unreadable) +
         (checked > 0 ? " of " + std::to_string(checked) : std::string()) + " object(s) (" +
         right + ")";
}

CoverageGaps coverageGaps(const std::string& json) {
  CoverageGaps out;
  if (json.empty()) return out;
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    if (!root) return out;
    out.stored = true;
    out.computed = root->optValue<bool>("computed", false);
    auto rules = root->getArray("rules");
    if (!rules) return out;
    for (std::size_t i = 0; i < rules->size(); ++i) {
      auto r = rules->getObject(i);
      if (!r || r->optValue<std::string>("verdict", "") == "complete") continue;
      auto inputs = r->getArray("inputs");
      if (!inputs) continue;
      for (std::size_t j = 0; j < inputs->size(); ++j) {
        auto in = inputs->getObject(j);
        if (!in || in->optValue<std::string>("verdict", "") == "complete") continue;
        CoverageGap g;
        g.rule = r->optValue<std::string>("rule", "");
        g.input = in->optValue<std::string>("input", "");
        g.verdict = in->optValue<std::string>("verdict", "");
        g.unreadable = in->optValue<Poco::UInt64>("unreadable", 0);
        g.checked = in->optValue<Poco::UInt64>("checked", 0);
        g.right = in->optValue<std::string>("right", "");
        g.fix = in->optValue<std::string>("fix", "");
        if (auto dns = in->getArray("objects"); dns && dns->size() > 0)
          g.firstObject = dns->getElement<std::string>(0);
        out.gaps.push_back(std::move(g));
      }
    }
  } catch (const Poco::Exception&) {
    // A damaged stored value: say nothing rather than something wrong.
  }
  return out;
}

}  // namespace adcheck::scan
