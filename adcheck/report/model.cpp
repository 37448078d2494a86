#include "adcheck/report/model.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "adcheck/output/output.h"
#include "adcheck/scan/dn.h"
#include "adcheck/security/guid.h"
#include "adcheck/security/sd_edit.h"
#include "adcheck/security/security_descriptor.h"
#include "rules/endpoint_rule.h"
#include "rules/rule.h"

namespace adcheck::report::detail {
namespace {

std::optional<std::vector<std::uint8_t>> unbase64(const std::string& text) {
  try {
    std::istringstream in(text);
    Poco::Base64Decoder dec(in);
    std::string raw((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    return std::vector<std::uint8_t>(raw.begin(), raw.end());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string str(const Poco::JSON::Object::Ptr& d, const std::string& key) {
  if (!d || !d->has(key)) return "";
  auto v = d->get(key);
  if (v.isEmpty()) return "";
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    std::string out;
    for (const auto& x : *d->getArray(key)) out += (out.empty() ? "" : "; ") + x.toString();
    return out;
  }
  return v.toString();
}

bool flag(const Poco::JSON::Object::Ptr& d, const std::string& key) {
  return d && d->has(key) && str(d, key) == "true";
}

std::string ruleTitle(const std::string& id) {
  if (const auto* r = rules::findRule(id)) return std::string(r->meta.title);
  if (const auto* e = rules::findEndpointRule(id)) return std::string(e->meta.title);
  return id;
}

bool knownRule(const std::string& id) {
  return rules::findRule(id) != nullptr || rules::findEndpointRule(id) != nullptr;
}

// msExchOmaAdminWirelessEnable in words (SPEC 1: a set bit disables).
std::string decodeWireless(std::int64_t v) {
  if (v < 0) return std::to_string(v) + ": negative, not a valid bitmask";
  static const std::pair<std::int64_t, const char*> kBits[] = {
      {0x1, "1 = up-to-date notifications off (Exchange 2003, no effect on ActiveSync)"},
      {0x2, "2 = OMA browsing off (Exchange 2003, no effect on ActiveSync)"},
      {0x4, "4 = Exchange ActiveSync disabled"},
      {0x8, "8 = OWA for Devices disabled"},
      {0x20, "32 = legacy SCMDM flag"}};
  std::string out = std::to_string(v) + ":";
  std::int64_t rest = v;
  for (const auto& [bit, text] : kBits)
    if (v & bit) {
      out += std::string(" ") + text + ";";
      rest &= ~bit;
    }
  if (rest != 0) out += " unknown bits 0x" + [&] {
    std::ostringstream h;
    h << std::hex << rest;
    return h.str();
  }() + " (Exchange never writes these);";
  if (v == 0) out += " nothing disabled;";
  out.pop_back();
  return out;
}

const std::map<std::string, std::string>& causeWords() {
  static const std::map<std::string, std::string> k = {
      {"deny-ace", "a deny ACE on the user blocks the Exchange servers"},
      {"protected-group",
       "the account is in a protected group: AdminSDHolder/SDProp switches inheritance off every "
       "60 minutes"},
      {"orphaned-admincount",
       "the account left its protected groups, but adminCount=1 and the protected DACL stayed"},
      {"inheritance-disabled", "someone switched inheritance from the domain root off on this user"},
      {"not-granted", "no ACE grants the Exchange servers these rights (the domain-root ACE is missing)"}};
  return k;
}

std::vector<std::pair<std::string, std::string>> evidenceOf(const scan::Finding& f) {
  std::vector<std::pair<std::string, std::string>> ev;
  const auto& d = f.details;
  const std::string cause = str(d, "cause");
  if (!cause.empty()) {
    auto it = causeWords().find(cause);
    ev.emplace_back("Cause", cause + (it != causeWords().end() ? ": " + it->second : ""));
  }
  if (d->has("aceText")) ev.emplace_back("Deciding ACE", str(d, "aceText"));
  if (d->has("ace")) ev.emplace_back("Deciding ACE (SDDL)", str(d, "ace"));
  if (d->has("aceIndex")) ev.emplace_back("ACE position in the DACL", str(d, "aceIndex"));
  if (d->has("paths")) ev.emplace_back("Protected-group path", str(d, "paths"));
  else if (d->has("via")) ev.emplace_back("Protected by", str(d, "via"));
  if (d->has("missingRights")) ev.emplace_back("Rights missing", str(d, "missingRights"));
  if (d->has("grantedRights") && !str(d, "grantedRights").empty())
    ev.emplace_back("Rights granted", str(d, "grantedRights"));
  if (f.rule == "MOB-BITMASK-INVALID" && d->has("value")) {
    try {
      ev.emplace_back("msExchOmaAdminWirelessEnable", decodeWireless(d->getValue<std::int64_t>("value")));
    } catch (const std::exception&) {
      ev.emplace_back("msExchOmaAdminWirelessEnable", str(d, "value"));
    }
  }
  if (d->has("daclProtected"))
    ev.emplace_back("Inheritance", flag(d, "daclProtected") ? "disabled (DACL protected)" : "enabled");
  if (d->has("adminCount")) ev.emplace_back("adminCount", str(d, "adminCount"));
  if (d->has("since")) ev.emplace_back("adminCount set since", str(d, "since"));
  if (flag(d, "activeSyncDisabled")) ev.emplace_back("ActiveSync", "disabled for this user (bit 4)");
  if (flag(d, "disabled")) ev.emplace_back("Account", "disabled");
  // The rest as stored, except what is shown above or too long to read (the descriptor).
  static const std::set<std::string> kShown = {
      "cause", "aceText", "ace", "aceIndex", "paths", "via", "missingRights", "grantedRights",
      "value", "daclProtected", "adminCount", "since", "activeSyncDisabled", "disabled",
      "descriptor"};
  std::vector<std::string> names;
  d->getNames(names);
  for (const auto& n : names)
    if (!kShown.contains(n)) ev.emplace_back(n, str(d, n));
  if (d->has("descriptor"))
    ev.emplace_back("Descriptor", "captured at scan time (the scripts check and restore it)");
  return ev;
}

// What the scripts may do for one finding.
struct Plan {
  bool clearAdminCount = false;
  bool enableInheritance = false;
  std::optional<std::size_t> removeAce;
  std::string aceSddl;
  std::string advice;  // set when nothing is scripted
};

Plan planFor(const scan::Finding& f, const std::optional<std::vector<std::uint8_t>>& sd) {
  Plan p;
  const auto& d = f.details;
  const std::string cause = str(d, "cause");
  auto needDescriptor = [&]() {
    if (sd) return true;
    p = Plan{};
    p.advice = f.remediation +
               " (No script: this scan did not keep the object's descriptor; scan again with this "
               "adcheck version to get one.)";
    return false;
  };
  if (f.rule == "EAS-DEVICE-RIGHTS-MISSING") {
    if (cause == "orphaned-admincount") {
      p.clearAdminCount = p.enableInheritance = true;
      needDescriptor();
    } else if (cause == "inheritance-disabled") {
      p.enableInheritance = true;
      needDescriptor();
    } else if (cause == "deny-ace") {
      if (!needDescriptor()) return p;
      std::optional<std::size_t> index;
      try {
        if (d->has("aceIndex")) index = static_cast<std::size_t>(d->getValue<int>("aceIndex"));
      } catch (const std::exception&) {
      }
      auto view = security::parseSecurityDescriptor(std::span<const std::uint8_t>(*sd));
      bool inherited = false, found = false;
      if (view && view->dacl() && index)
        for (const auto ace : *view->dacl())
          if (ace.index() == *index) {
            found = true;
            inherited = ace.inherited();
          }
      if (!found) {
        p.advice = f.remediation + " (No script: the deciding ACE could not be located in the "
                                   "captured descriptor.)";
      } else if (inherited) {
        p.advice = "The deny ACE " + str(d, "ace") +
                   " is inherited: removing it from the user does nothing, the DC copies it down "
                   "again. Remove it on the parent container where it is set (ADUC > the OU > "
                   "Properties > Security > Advanced), after checking which other objects rely on it.";
      } else {
        p.removeAce = index;
        p.aceSddl = str(d, "ace");
      }
    } else if (cause == "protected-group") {
      p.advice = f.remediation +
                 " No script is generated: any change on this account is undone by SDProp "
                 "within the hour.";
    } else {
      p.advice = f.remediation;
    }
  } else if (f.rule == "EAS-INHERITANCE-DISABLED") {
    p.enableInheritance = true;
    needDescriptor();
  } else if (f.rule == "ADM-ORPHANED-ADMINCOUNT") {
    p.clearAdminCount = true;
    if (flag(d, "daclProtected")) {
      p.enableInheritance = true;
      needDescriptor();
    }
  } else {
    p.advice = f.remediation;
  }
  return p;
}

// The PowerShell lines name the object by its GUID only (no AD text in code), and reach its ACL
// with -LiteralPath: -Path would expand wildcards in the DN ("CN=[B]ob" also matches "CN=Bob").
std::string kindSteps(const Plan& p, const scan::Finding& f, const std::string& guid,
                      std::vector<std::string>& steps) {
  const std::string name = f.samAccountName.empty() ? scan::firstRdnValue(f.dn) : f.samAccountName;
  std::string command;
  const std::string id = psLiteral(guid);
  steps.push_back("In Active Directory Users and Computers, turn on View > Advanced Features.");
  steps.push_back("Find " + name + " in " + ouLabel(scan::parentDn(f.dn)) +
                  " and open Properties.");
  if (p.clearAdminCount) {
    steps.push_back("Attribute Editor tab > adminCount > Edit > Clear > OK (first confirm the "
                    "account is no longer meant to be privileged).");
    command += "Set-ADObject -Identity " + id + " -Clear adminCount\n";
  }
  if (p.removeAce) {
    steps.push_back("Security tab > Advanced: select the Deny entry " + p.aceSddl +
                    " (type Deny, not inherited) and click Remove.");
    command += "# the ps1/ldif report removes DACL entry " + std::to_string(*p.removeAce) +
               " after checking the descriptor is unchanged since the scan\n";
  }
  if (p.enableInheritance) {
    steps.push_back("Security tab > Advanced: click \"Enable inheritance\" (on older Windows, tick "
                    "\"Include inheritable permissions from this object's parent\"), then OK.");
    command += "$path = 'AD:\\' + (Get-ADObject -Identity " + id + ").DistinguishedName\n" +
               "$acl = Get-Acl -LiteralPath $path\n$acl.SetAccessRuleProtection($false, $true)\n" +
               "Set-Acl -LiteralPath $path -AclObject $acl\n";
  }
  steps.push_back("Apply, then run the next adcheck scan: the finding shows as resolved.");
  return command;
}

}  // namespace

std::string base64(const std::vector<std::uint8_t>& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  enc.close();
  return out.str();
}

std::string isoTime(std::time_t t) { return t == 0 ? "" : scan::isoTime(t); }

namespace {

// One UTF-8 code point at s[i]: its value and length, or length 0 for an invalid sequence
// (truncated, bad continuation, overlong, a surrogate, beyond U+10FFFF).
std::pair<char32_t, std::size_t> utf8At(const std::string& s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return {b, 1};
  const std::size_t n = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return {0, 0};
  char32_t c = b & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto t = static_cast<unsigned char>(s[i + k]);
    if ((t & 0xC0) != 0x80) return {0, 0};
    c = (c << 6) | (t & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return {0, 0};
  return {c, n};
}

std::string hex(unsigned value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", digits, value);
  return buf;
}

bool plainAscii(const std::string& value) {
  for (unsigned char c : value)
    if (!std::isalnum(c) && std::string_view(" .,:=@_/+-[]").find(static_cast<char>(c)) == std::string_view::npos)
      return false;
  return true;
}

}  // namespace

std::string psString(const std::string& value) {
  return "([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('" +
         base64(std::vector<std::uint8_t>(value.begin(), value.end())) + "')))";
}

std::string psLiteral(const std::string& value) {
  return plainAscii(value) ? "'" + value + "'" : psString(value);
}

std::string asciiComment(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto [c, n] = utf8At(text, i);
    if (n == 0) {
      out += "\\x" + hex(static_cast<unsigned char>(text[i]), 2);
      ++i;
      continue;
    }
    if (c >= 0x20 && c < 0x7F) out += static_cast<char>(c);
    else if (c < 0x80) out += "\\x" + hex(c, 2);
    else if (c <= 0xFFFF) out += "\\u" + hex(c, 4);
    else out += "\\U+" + hex(c, 6);
    i += n;
  }
  return out;
}

std::string validUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto [c, n] = utf8At(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

bool isGuid(const std::string& text) {
  auto g = security::Guid::parse(text);
  return g && !g->isNil() && g->toString() == text;
}

std::string ouLabel(const std::string& ou) { return ou.empty() ? "(domain root)" : ou; }

std::string dcHost(const store::ScanRecord& scan) {
  const std::string& t = scan.target;
  for (const char* scheme : {"ldap://", "ldaps://"}) {
    if (t.rfind(scheme, 0) == 0) {
      std::string host = t.substr(std::string_view(scheme).size());
      host = host.substr(0, host.find_first_of(":/ "));
      if (!host.empty()) return host;
    }
  }
  return "YOUR-DC.example.com";
}

namespace {

Result<store::ScanRecord> completedScan(store::Store& st, std::int64_t id, const char* what) {
  auto s = st.scanById(id);
  if (!s) {
    if (s.error().code == ErrorCode::kNotFound)
      return fail(ErrorCode::kNotFound,
                  std::string(what) + " " + std::to_string(id) + " does not exist in the store",
                  "adcheck scans list shows the scan ids");
    return fail(s.error());
  }
  if (s->status != scan::ScanStatus::kCompleted)
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + " " + std::to_string(id) + " is " +
                    std::string(scan::scanStatusName(s->status)) +
                    ", not completed: a report needs a scan that looked at everything",
                "pick a completed scan from adcheck scans list");
  return *s;
}

bool passes(const store::StoredFinding& f, const ReportRequest& r) {
  if (!r.rules.empty() &&
      std::find(r.rules.begin(), r.rules.end(), f.finding.rule) == r.rules.end())
    return false;
  return r.ouDn.empty() || scan::dnIsUnder(f.finding.dn, r.ouDn);
}

}  // namespace

Result<Model> buildModel(store::Store& st, const ReportRequest& request) {
  for (const auto& r : request.rules)
    if (!knownRule(r))
      return fail(ErrorCode::kInvalidArgument, "rule id '" + r + "' is not in the catalogue",
                  "adcheck rules lists the rule ids (e.g. EAS-DEVICE-RIGHTS-MISSING)");
  Model m;
  m.request = request;
  m.generated = request.now != 0 ? request.now : std::time(nullptr);
  if (request.scanId) {
    auto s = completedScan(st, *request.scanId, "scan");
    if (!s) return fail(s.error());
    m.scan = *s;
  } else {
    auto latest = st.latestScan(true);
    if (!latest) return fail(latest.error());
    if (!*latest)
      return fail(ErrorCode::kNotFound, "the store holds no completed scan yet",
                  "run adcheck scan with [store] path set in the configuration first");
    m.scan = **latest;
  }

  store::FindingQuery q;
  q.scanId = m.scan.id;
  q.rules = request.rules;
  q.ouDn = request.ouDn;
  q.sort = store::SortField::kDn;
  q.descending = false;
  q.page.limit = 0;  // all
  auto found = st.findings(q);
  if (!found) return fail(found.error());
  if (!request.ouDn.empty() && found->items.empty()) {
    // Name the OUs that do have findings, so the user can pick one.
    store::FindingQuery all = q;
    all.ouDn.clear();
    auto every = st.findings(all);
    std::set<std::string> ous;
    if (every)
      for (const auto& f : every->items) ous.insert(scan::parentDn(f.finding.dn));
    std::string list;
    std::size_t n = 0;
    for (const auto& ou : ous) {
      if (n++ == 5) {
        list += "; ...";
        break;
      }
      list += (list.empty() ? "" : "; ") + ouLabel(ou);
    }
    return fail(ErrorCode::kNotFound,
                "no findings under OU '" + request.ouDn + "' in scan " + std::to_string(m.scan.id) +
                    (request.rules.empty() ? "" : " for the rules given"),
                ous.empty() ? "the scan has no findings for these rules"
                            : "check the DN's spelling; OUs with findings: " + list);
  }

  for (auto& f : found->items) {
    Item it;
    it.ou = scan::parentDn(f.finding.dn);
    it.ruleTitle = ruleTitle(f.finding.rule);
    it.evidence = evidenceOf(f.finding);
    it.stored = std::move(f);
    m.items.push_back(std::move(it));
  }
  std::stable_sort(m.items.begin(), m.items.end(), [](const Item& a, const Item& b) {
    const auto ka = scan::dnKey(a.ou), kb = scan::dnKey(b.ou);
    if (ka != kb) return ka < kb;
    if (a.stored.finding.rule != b.stored.finding.rule) return a.stored.finding.rule < b.stored.finding.rule;
    if (a.stored.finding.severity != b.stored.finding.severity)
      return a.stored.finding.severity > b.stored.finding.severity;
    const auto da = scan::dnKey(a.stored.finding.dn), db = scan::dnKey(b.stored.finding.dn);
    if (da != db) return da < db;
    // Several findings of one rule on one object (AdminSDHolder ACEs, devices): by sub-key, so
    // the order does not depend on the store's.
    if (a.stored.finding.key != b.stored.finding.key) return a.stored.finding.key < b.stored.finding.key;
    return a.stored.fingerprint < b.stored.fingerprint;
  });

  // Fixes, merged per object (one descriptor each).
  std::map<std::string, std::size_t> changeByGuid;
  std::vector<std::vector<std::uint8_t>> captured;
  for (std::size_t i = 0; i < m.items.size(); ++i) {
    Item& it = m.items[i];
    const auto& f = it.stored.finding;
    std::optional<std::vector<std::uint8_t>> sd;
    if (f.details->has("descriptor")) sd = unbase64(str(f.details, "descriptor"));
    Plan p = planFor(f, sd);
    if (it.stored.status == store::kStatusExcepted) {
      it.advice = "Excepted (accepted risk): no script. " + (p.advice.empty() ? f.remediation : p.advice);
      continue;
    }
    if (!p.advice.empty()) {
      it.advice = p.advice;
      continue;
    }
    // Scripts and LDIF address objects by objectGUID only: a DN may name another object by the
    // time the file runs (renamed, moved, recreated).
    const auto guid = security::Guid::parse(f.objectGuid);
    if (!guid || guid->isNil()) {
      it.advice = f.remediation +
                  " (No script: the finding has no valid objectGUID, and the scripts address "
                  "objects only by objectGUID.)";
      continue;
    }
    const std::string guidText = guid->toString();
    it.command = kindSteps(p, f, guidText, it.guiSteps);
    auto [pos, inserted] = changeByGuid.try_emplace(guidText, m.changes.size());
    if (inserted) {
      Change c;
      c.dn = f.dn;
      c.objectGuid = guidText;
      c.samAccountName = f.samAccountName;
      m.changes.push_back(std::move(c));
      captured.emplace_back();
    }
    Change& c = m.changes[pos->second];
    c.items.push_back(i);
    c.clearAdminCount |= p.clearAdminCount;
    c.enableInheritance |= p.enableInheritance;
    if (p.removeAce) {
      c.removeAce = p.removeAce;
      c.removeAceSddl = p.aceSddl;
    }
    if (sd && c.capturedDescriptor.empty() && (p.enableInheritance || p.removeAce)) {
      c.capturedDescriptor = base64(*sd);  // re-encoded: only base64 characters reach a script
      captured[pos->second] = *sd;
    }
    it.change = static_cast<int>(pos->second);
  }
  for (std::size_t ci = 0; ci < m.changes.size(); ++ci) {
    Change& c = m.changes[ci];
    if (!c.enableInheritance && !c.removeAce) continue;
    std::vector<std::uint8_t> bytes = captured[ci];
    Result<std::vector<std::uint8_t>> edited = bytes;
    if (c.removeAce) edited = security::removeDaclAce(bytes, *c.removeAce);
    if (edited && c.enableInheritance) edited = security::enableDaclInheritance(*edited);
    if (!edited) {
      // Not scriptable after all: say so on each finding of the object.
      for (auto i : c.items) {
        m.items[i].advice = m.items[i].stored.finding.remediation +
                            " (No script: the captured descriptor cannot be edited: " +
                            edited.error().message + ")";
        m.items[i].command.clear();
        m.items[i].change = -1;
      }
      c.items.clear();
      continue;
    }
    c.fixedDescriptor = base64(*edited);
  }
  // Drop emptied changes, renumbering the items' references.
  std::vector<Change> kept;
  for (auto& c : m.changes) {
    if (c.items.empty()) continue;
    for (auto i : c.items) m.items[i].change = static_cast<int>(kept.size());
    kept.push_back(std::move(c));
  }
  m.changes = std::move(kept);

  if (request.sinceId) {
    if (*request.sinceId == m.scan.id)
      return fail(ErrorCode::kInvalidArgument,
                  "--since " + std::to_string(*request.sinceId) + " is the reported scan itself",
                  "give an earlier scan id (adcheck scans list)");
    auto from = completedScan(st, *request.sinceId, "since scan");
    if (!from) return fail(from.error());
    auto d = st.diff(from->id, m.scan.id);
    if (!d) return fail(d.error());
    SinceSummary s;
    s.from = *from;
    for (auto& f : d->added)
      if (passes(f, request))
        (f.status == store::kStatusExcepted ? s.excepted : s.added).push_back(std::move(f));
    for (auto& f : d->persisting)
      if (passes(f, request))
        (f.status == store::kStatusExcepted ? s.excepted : s.stillOpen).push_back(std::move(f));
    for (auto& f : d->removed)
      if (passes(f, request)) s.resolved.push_back(std::move(f));
    m.since = std::move(s);
  }
  return m;
}

}  // namespace adcheck::report::detail
