// EAS-DEVICE-RIGHTS-MISSING: the reason behind MSExchange ActiveSync event 1053.
#include "adcheck/security/access_mask.h"
#include "adcheck/security/describe.h"
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

constexpr std::uint32_t kEasRights = 0x1 | 0x2 | 0x4;  // Create child, Delete child, List contents

std::string_view remediationFor(std::string_view cause) {
  if (cause == "protected-group")
    return "The account is protected by AdminSDHolder: SDProp switches inheritance off again "
           "within the hour, so re-enabling it is futile. Give the person a separate, unprivileged "
           "account for mail and phone. Do not grant Exchange rights on AdminSDHolder by hand.";
  if (cause == "orphaned-admincount")
    return "The account left its protected groups but kept adminCount=1 and a protected DACL. "
           "Clear adminCount, then re-enable inheritance: ADUC > View > Advanced Features > the "
           "user > Properties > Security > Advanced > Enable inheritance (\"Include inheritable "
           "permissions from this object's parent\").";
  if (cause == "inheritance-disabled")
    return "Re-enable inheritance on the user: ADUC > View > Advanced Features > the user > "
           "Properties > Security > Advanced > Enable inheritance (\"Include inheritable "
           "permissions from this object's parent\").";
  if (cause == "deny-ace")
    return "Remove the quoted deny ACE from the user's DACL (or from the OU it is inherited from), "
           "then let the device sync again.";
  return "Grant the Exchange servers' group List contents, Create child and Delete child of "
         "msExchActiveSyncDevices on user objects at the domain root, as Exchange setup "
         "(/PrepareDomain) does; re-running PrepareDomain restores it.";
}

void evaluate(const UserObject& u, const Context& ctx, const Emit& emit) {
  if (!u.isMailbox || !u.sd || !ctx.easDevicesClass || !ctx.exchangeGroupsFound) return;
  auto result = security::checkAccess(*u.sd, ctx.exchangeToken, kEasRights, &*ctx.easDevicesClass);
  if (result.decision == security::Decision::kGranted) return;

  const auto* prot = u.protection(ctx);
  std::string cause;
  if (result.decision == security::Decision::kDenied) cause = "deny-ace";
  else if (prot != nullptr && u.daclProtected()) cause = "protected-group";
  else if (u.adminCount.value_or(0) == 1 && u.daclProtected()) cause = "orphaned-admincount";
  else if (u.daclProtected()) cause = "inheritance-disabled";
  else cause = "not-granted";

  auto f = scan::makeFinding("EAS-DEVICE-RIGHTS-MISSING",
                             u.easDisabled() ? Severity::kLow : Severity::kHigh, u);
  f.details->set("cause", cause);
  f.details->set("grantedRights", security::describeDsRights(result.granted & kEasRights));
  f.details->set("missingRights",
                 security::describeDsRights(kEasRights & ~result.granted));
  if (result.decidingAce != security::AccessResult::kNoAce) {
    if (auto ace = scan::daclAce(*u.sd, result.decidingAce)) {
      f.details->set("ace", "(" + security::aceToSddl(*ace, ctx.domainSid) + ")");
      f.details->set("aceIndex", static_cast<int>(result.decidingAce));
      f.details->set("aceText", security::describeAce(*ace, ctx.names, [&](const security::Sid& s) {
                       return ctx.sidName(s);
                     }));
    }
  }
  if (prot != nullptr) {
    f.details->set("via", viaArray(*prot));
    f.details->set("paths", pathsArray(*prot));
  }
  if (u.easDisabled()) f.details->set("activeSyncDisabled", true);
  f.details->set("daclProtected", u.daclProtected());
  markDisabled(f, u);
  // Only where a script may rewrite it: a protected-group account gets advice, never a script.
  if (cause != "protected-group") addDescriptor(f, u);
  static const std::map<std::string, std::string> kWhy = {
      {"deny-ace", "a deny ACE blocks the Exchange servers"},
      {"protected-group", "inheritance is off because the account is protected by AdminSDHolder"},
      {"orphaned-admincount", "inheritance is off, left over from a former admin membership"},
      {"inheritance-disabled", "inheritance from the domain root is switched off"},
      {"not-granted", "no ACE grants the Exchange servers these rights"}};
  f.summary = "Exchange cannot create the ActiveSync device container: " + kWhy.at(cause);
  f.remediation = std::string(remediationFor(cause));
  emit(std::move(f));
}

}  // namespace

extern const Rule kEasDeviceRightsMissing{
    {.id = "EAS-DEVICE-RIGHTS-MISSING",
     .title = "Exchange servers cannot create ActiveSync device objects under the user",
     .severity = Severity::kHigh,
     .severityNote = "low when ActiveSync is disabled for the user (bit 4 of msExchOmaAdminWirelessEnable)",
     .category = "activesync",
     .appliesTo = "mailbox users",
     .rationale =
         "When a phone first syncs, Exchange creates CN=ExchangeActiveSyncDevices below the user "
         "and one msExchActiveSyncDevice object per phone. That needs the Exchange servers' group "
         "to hold List contents, Create child and Delete child of msExchActiveSyncDevices on the "
         "user, inherited from the domain root. Without it the phone gets an error and the server "
         "logs MSExchange ActiveSync event 1053. adcheck evaluates the user's own DACL the way a "
         "domain controller does (ACE order, inherit-only skipped, object type matched, deny "
         "before allow as ordered) for the Exchange token, and names the cause.",
     .remediation = "Depends on details.cause: protected-group (separate unprivileged account), "
                    "orphaned-admincount (clear adminCount, re-enable inheritance), "
                    "inheritance-disabled (re-enable inheritance), deny-ace (remove the deny), "
                    "not-granted (restore the domain-root ACE, e.g. Setup /PrepareDomain).",
     .references = {"MSExchange ActiveSync event 1053",
                    "Exchange 2013 deployment permissions reference (Prepare Domain)",
                    "MS-DTYP 2.5.3.2 Access Check Algorithm"},
     .inputs = {"user:nTSecurityDescriptor", "user:homeMDB", "user:msExchMailboxGuid"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
