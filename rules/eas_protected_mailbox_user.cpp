// EAS-PROTECTED-MAILBOX-USER: an admin account that also syncs a phone.
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

void evaluate(const UserObject& u, const Context& ctx, const Emit& emit) {
  if (!u.isPerson() || !u.isMailbox || u.easDisabled()) return;
  const auto* prot = u.protection(ctx);
  if (prot == nullptr) return;
  auto f = scan::makeFinding("EAS-PROTECTED-MAILBOX-USER", Severity::kMedium, u);
  f.details->set("via", viaArray(*prot));
  f.details->set("paths", pathsArray(*prot));
  f.details->set("daclProtected", u.daclProtected());
  markDisabled(f, u);
  f.summary = "Mailbox user protected by AdminSDHolder (via " + joinVia(*prot) +
              "): ActiveSync breaks after every SDProp run";
  f.remediation =
      "Give the person a separate, unprivileged account for mail and phone and keep the "
      "administrative account without a mailbox. Re-enabling inheritance is futile (SDProp "
      "turns it off again within 60 minutes); granting Exchange rights on AdminSDHolder by hand "
      "extends Exchange's reach over every admin account.";
  emit(std::move(f));
}

}  // namespace

extern const Rule kEasProtectedMailboxUser{
    {.id = "EAS-PROTECTED-MAILBOX-USER",
     .title = "Mailbox user protected by AdminSDHolder with ActiveSync enabled",
     .severity = Severity::kMedium,
     .severityNote = "",
     .category = "activesync",
     .appliesTo = "mailbox users that are transitive members of a protected group",
     .rationale =
         "Every 60 minutes SDProp copies the DACL of CN=AdminSDHolder onto members of protected "
         "groups (Domain Admins, Account Operators, ...) with inheritance disabled. The Exchange "
         "ACE there is inherit-only, so it grants nothing on the user itself: such users cannot "
         "get new ActiveSync partnerships. Membership is resolved transitively and by primary "
         "group, honouring dSHeuristics exclusions.",
     .remediation = "Separate admin and mail accounts; do not grant rights on AdminSDHolder.",
     .references = {"MS-ADTS 3.1.1.6.1 AdminSDHolder / Protected Objects",
                    "Appendix C: Protected Accounts and Groups in Active Directory"},
     .inputs = {"user:homeMDB", "user:msExchMailboxGuid", "user:msExchOmaAdminWirelessEnable",
                "user:primaryGroupID", "groups:member"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
