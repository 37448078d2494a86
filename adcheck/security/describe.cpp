#include "adcheck/security/describe.h"

#include <vector>

#include "adcheck/security/access_mask.h"
#include "adcheck/security/well_known.h"

namespace adcheck::security {
namespace {

std::string trusteeName(const SidView& sid, const SidNameFn& sidName) {
  const Sid s = sid.toSid();
  if (sidName) {
    std::string n = sidName(s);
    if (!n.empty()) return n;
  }
  if (auto wk = wellKnownSidName(s); !wk.empty()) return std::string(wk);
  return s.toString();
}

std::string verb(const AceView& ace) {
  switch (ace.type()) {
    case AceType::kAccessAllowed:
    case AceType::kAccessAllowedObject:
      return "Allow";
    case AceType::kAccessDenied:
    case AceType::kAccessDeniedObject:
      return "Deny";
    case AceType::kAccessAllowedCallback:
    case AceType::kAccessAllowedCallbackObject:
      return "Allow (conditional, condition not evaluated)";
    case AceType::kAccessDeniedCallback:
    case AceType::kAccessDeniedCallbackObject:
      return "Deny (conditional, condition not evaluated)";
    case AceType::kSystemAudit:
    case AceType::kSystemAuditObject:
    case AceType::kSystemAuditCallback:
    case AceType::kSystemAuditCallbackObject:
      return "Audit";
    case AceType::kSystemAlarm:
    case AceType::kSystemAlarmObject:
    case AceType::kSystemAlarmCallback:
    case AceType::kSystemAlarmCallbackObject:
      return "Alarm";
    case AceType::kSystemMandatoryLabel:
      return "Mandatory label";
    case AceType::kSystemResourceAttribute:
      return "Resource attribute";
    case AceType::kSystemScopedPolicyId:
      return "Scoped policy";
    case AceType::kAccessAllowedCompound:
      break;
  }
  return "";
}

// The name of the object type, chosen by what the rights act on.
std::string objectClause(const Guid& guid, std::uint32_t mask, const GuidNames& names) {
  const GuidNames::Entry* e = nullptr;
  const std::uint32_t m = mapGenericDs(mask);
  if ((m & (kDsCreateChild | kDsDeleteChild)) != 0) e = names.find(guid, GuidKind::kClass);
  if (e == nullptr && (m & kDsControlAccess) != 0) e = names.find(guid, GuidKind::kExtendedRight);
  if (e == nullptr && (m & kDsSelfWrite) != 0) e = names.find(guid, GuidKind::kValidatedWrite);
  if (e == nullptr && (m & (kDsReadProperty | kDsWriteProperty)) != 0) {
    e = names.find(guid, GuidKind::kPropertySet);
    if (e == nullptr) e = names.find(guid, GuidKind::kAttribute);
  }
  if (e == nullptr) e = names.find(guid);
  if (e == nullptr) return " of object type " + guid.toString();
  switch (e->kind) {
    case GuidKind::kClass:
      return " of " + e->name;
    case GuidKind::kAttribute:
      return " of attribute " + e->name;
    case GuidKind::kPropertySet:
      return " of property set " + e->name;
    case GuidKind::kExtendedRight:
      return " of extended right " + e->name;
    case GuidKind::kValidatedWrite:
      return " of validated write " + e->name;
  }
  return " of " + e->name;
}

std::string scopeClause(const AceView& ace, const GuidNames& names) {
  const std::uint8_t f = ace.flags();
  const bool inherits = (f & (kAceContainerInherit | kAceObjectInherit)) != 0;
  const bool io = (f & kAceInheritOnly) != 0;
  if (!inherits)
    return io ? "applies to nothing (inherit-only, but not inheritable)"
              : "applies to this object only";
  std::string objects = "objects";
  if (auto iot = ace.inheritedObjectType()) {
    const GuidNames::Entry* e = names.find(*iot, GuidKind::kClass);
    if (e == nullptr) e = names.find(*iot);
    objects = (e != nullptr ? e->name : "object type " + iot->toString()) + " objects";
  }
  const char* depth = (f & kAceNoPropagateInherit) != 0 ? "child " : "descendant ";
  return std::string("applies to ") + (io ? "" : "this object and ") + depth + objects;
}

}  // namespace

std::string describeAce(const AceView& ace, const GuidNames& names, const SidNameFn& sidName) {
  if (!ace.isKnownLayout())
    return "Unknown ACE (" + aceTypeName(ace.type()) + ", " + std::to_string(ace.size()) +
           " bytes, not interpreted)";
  std::string out = verb(ace);
  out += ' ';
  out += trusteeName(ace.sid(), sidName);
  out += ": ";
  out += describeDsRights(ace.mask());
  if (auto ot = ace.objectType()) out += objectClause(*ot, ace.mask(), names);
  out += "; ";
  out += scopeClause(ace, names);
  std::vector<const char*> notes;
  if (ace.inheritOnly()) notes.push_back("inherit-only");
  if (ace.inherited()) notes.push_back("inherited");
  if ((ace.flags() & kAceSuccessfulAccess) != 0) notes.push_back("successful access");
  if ((ace.flags() & kAceFailedAccess) != 0) notes.push_back("failed access");
  if (!notes.empty()) {
    out += " (";
    for (std::size_t i = 0; i < notes.size(); ++i) {
      if (i != 0) out += ", ";
      out += notes[i];
    }
    out += ')';
  }
  return out;
}

}  // namespace adcheck::security
