// ADM-ADMINSDHOLDER-ACL: a persistence backdoor that SDProp copies onto every admin account.
#include "adcheck/scan/dn.h"
#include "adcheck/security/describe.h"
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

namespace sec = adcheck::security;

constexpr std::uint32_t kGenericAll = 0x10000000;
constexpr std::uint32_t kGenericWrite = 0x40000000;
constexpr std::uint32_t kWriteDac = 0x40000;
constexpr std::uint32_t kWriteOwner = 0x80000;
constexpr std::uint32_t kWriteProp = 0x20;
constexpr std::uint32_t kControlAccess = 0x100;
constexpr std::uint32_t kEasRights = 0x7;
// DS full control as AD stores GenericAll after mapping.
constexpr std::uint32_t kFullControl = 0xF01FF;

// Attributes whose write means takeover of the account (by lDAPDisplayName: resolved against
// the schema, with the well-known schemaIDGUIDs as fallback).
struct Sensitive {
  const char* name;
  const char* guid;
};
constexpr Sensitive kSensitive[] = {
    {"member", "bf9679c0-0de6-11d0-a285-00aa003049e2"},
    {"servicePrincipalName", "f3a64788-5306-11d1-a9c5-0000f80367c1"},
    {"msDS-KeyCredentialLink", "5b47d60f-6090-40b2-9f37-2a4de88f3063"},
    {"userAccountControl", "bf967a68-0de6-11d0-a285-00aa003049e2"},
    {"scriptPath", "bf9679a8-0de6-11d0-a285-00aa003049e2"},
    {"altSecurityIdentities", "00fbf30c-91fe-11d1-aebc-0000f80367c1"},
    {"msDS-AllowedToActOnBehalfOfOtherIdentity", "3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"},
    {"msDS-AllowedToDelegateTo", "800d94d7-b7a1-42a1-b14d-7cae1423d07f"},
    {"userPrincipalName", "28630ebb-41d5-11d1-a9c1-0000f80367c1"},
};
constexpr const char* kResetPassword = "00299570-246d-11d0-a768-00aa006e0529";

bool isDefaultTrustee(const sec::Sid& sid, const Context& ctx) {
  static const char* kBuiltin[] = {"S-1-5-18",     "S-1-5-32-544", "S-1-5-10",     "S-1-1-0",
                                   "S-1-5-11",     "S-1-5-32-554", "S-1-5-32-560", "S-1-5-32-561",
                                   "S-1-5-9",      "S-1-3-0"};
  auto s = sid.toString();
  for (const char* b : kBuiltin)
    if (s == b) return true;
  if (sid.isDomainSid(ctx.domainSid)) {
    auto rid = sid.rid();
    // Domain Admins, Cert Publishers, Schema Admins, Enterprise Admins (single-domain forest;
    // in a child domain the root's SA/EA carry another domain SID and are reported).
    return rid == 512 || rid == 517 || rid == 518 || rid == 519;
  }
  return false;
}

std::optional<std::string> dangerousRight(const sec::AceView& ace, const Context& ctx) {
  auto mask = ace.mask();
  if ((mask & kGenericAll) || (mask & kFullControl) == kFullControl) return "GenericAll";
  if (mask & kGenericWrite) return "GenericWrite";
  if (mask & kWriteDac) return "WriteDACL";
  if (mask & kWriteOwner) return "WriteOwner";
  auto object = ace.objectType();
  if (mask & kWriteProp) {
    if (!object) return "WriteProperty (all properties)";
    for (const auto& s : kSensitive) {
      auto it = ctx.schemaGuidByName.find(scan::dnKey(s.name));
      auto guid = it != ctx.schemaGuidByName.end() ? it->second : *sec::Guid::fromString(s.guid);
      if (*object == guid) return std::string("WriteProperty ") + s.name;
    }
  }
  if (mask & kControlAccess) {
    if (!object) return "All extended rights";
    if (*object == *sec::Guid::fromString(kResetPassword)) return "Reset password";
  }
  return std::nullopt;
}

bool isExchangeTrustee(const sec::Sid& sid, const Context& ctx) {
  return ctx.exchangeGroupSids.contains(sid.toString());
}

void evaluate(const Context& ctx, const Aggregates&, const Emit& emit) {
  if (ctx.adminSdHolderSd.empty()) return;
  auto sd = sec::parseSecurityDescriptor(
      std::span(reinterpret_cast<const std::uint8_t*>(ctx.adminSdHolderSd.data()),
                ctx.adminSdHolderSd.size()));
  if (!sd || sd->dacl() == nullptr) return;  // unreadable: reported in the scan's warnings
  for (const auto ace : *sd->dacl()) {
    const std::size_t i = ace.index();
    if (ace.type() != sec::AceType::kAccessAllowed &&
        ace.type() != sec::AceType::kAccessAllowedObject)
      continue;
    const auto sid = ace.sid().toSid();
    Severity severity;
    std::string why;
    if (isExchangeTrustee(sid, ctx) && ace.objectType() && ctx.easDevicesClass &&
        *ace.objectType() == *ctx.easDevicesClass && (ace.mask() & ~kEasRights) == 0) {
      severity = Severity::kInfo;
      why = "Exchange's own ActiveSync ACE (expected; inherit-only, grants nothing on admins)";
    } else if (isDefaultTrustee(sid, ctx)) {
      continue;
    } else if (auto right = dangerousRight(ace, ctx)) {
      severity = Severity::kCritical;
      why = *right;
    } else {
      continue;
    }
    auto sddl = "(" + sec::aceToSddl(ace, ctx.domainSid) + ")";
    Finding f;
    f.rule = "ADM-ADMINSDHOLDER-ACL";
    f.severity = severity;
    f.dn = ctx.adminSdHolderDn;
    f.key = sddl;
    f.details->set("ace", sddl);
    f.details->set("aceIndex", static_cast<int>(i));
    f.details->set("trustee", ctx.sidName(sid));
    f.details->set("trusteeSid", sid.toString());
    f.details->set("right", why);
    f.details->set("aceText", sec::describeAce(ace, ctx.names, [&](const sec::Sid& s) {
                     return ctx.sidName(s);
                   }));
    if (severity == Severity::kInfo) {
      // Exchange writes one such ACE per class a mailbox can be (user, inetOrgPerson): name the
      // class, or the two findings read the same.
      std::string applies_to = "every object class";
      if (auto cls = ace.inheritedObjectType()) {
        const auto* entry = ctx.names.find(*cls, sec::GuidKind::kClass);
        applies_to = entry ? entry->name + " objects" : "objects of class " + cls->toString();
      }
      f.details->set("appliesTo", applies_to);
      f.summary = "AdminSDHolder holds Exchange's ActiveSync ACE for " + ctx.sidName(sid) +
                  " (ActiveSync device containers under " + applies_to + ")";
      f.remediation = "None needed: Exchange setup writes it. It does not make ActiveSync work "
                      "for protected accounts (it is inherit-only).";
    } else {
      f.summary = "AdminSDHolder grants " + ctx.sidName(sid) + " " + why +
                  ": SDProp copies it onto every protected account";
      f.remediation =
          "Remove the ACE from CN=AdminSDHolder (ADUC > View > Advanced Features > System > "
          "AdminSDHolder > Properties > Security > Advanced), then check every protected account "
          "and group for the same ACE (SDProp has copied it) and investigate who added it: a "
          "rights grant on AdminSDHolder is a known persistence technique.";
    }
    emit(std::move(f));
  }
}

}  // namespace

extern const Rule kAdmAdminSdHolderAcl{
    {.id = "ADM-ADMINSDHOLDER-ACL",
     .title = "AdminSDHolder grants dangerous rights to a non-default principal",
     .severity = Severity::kCritical,
     .severityNote = "info for Exchange's own ActiveSync ACE, which is expected",
     .category = "adminsdholder",
     .appliesTo = "CN=AdminSDHolder,CN=System,<domain>",
     .rationale =
         "SDProp copies AdminSDHolder's DACL onto every protected account and group every 60 "
         "minutes. A principal outside the built-in set holding GenericAll, GenericWrite, "
         "WriteDACL, WriteOwner, WriteProperty on all or on sensitive attributes, all extended "
         "rights or reset-password there controls every administrator: a persistence backdoor "
         "that survives removal from the admin accounts themselves.",
     .remediation = "Remove the ACE from AdminSDHolder and from every protected object.",
     .references = {"MS-ADTS 3.1.1.6.1 AdminSDHolder",
                    "PingCastle P-ExchangeAdminSDHolder / P-AdminSDHolder"},
     .inputs = {"adminsdholder"}},
    nullptr, evaluate};

}  // namespace adcheck::rules
