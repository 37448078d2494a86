// MOB-ORPHAN-DEVICE-CONTAINER: device container below a user without a mailbox.
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

void evaluate(const UserObject& u, const Context& ctx, const Emit& emit) {
  if (u.isMailbox) return;
  const auto* c = deviceContainer(u, ctx);
  if (c == nullptr) return;
  auto f = scan::makeFinding("MOB-ORPHAN-DEVICE-CONTAINER", Severity::kLow, u);
  f.key = c->dn;
  f.details->set("container", c->dn);
  f.details->set("containerGuid", c->guid);
  f.details->set("devices", static_cast<int>(c->devices.size()));
  if (!c->whenCreated.empty()) f.details->set("whenCreated", c->whenCreated);
  markDisabled(f, u);
  f.summary = "ExchangeActiveSyncDevices container below a user without a mailbox";
  f.remediation =
      "The mailbox was removed or moved to another account. Delete the container and its device "
      "objects (ADSI Edit or Remove-ADObject -Recursive) after confirming the account will not "
      "get a mailbox back.";
  emit(std::move(f));
}

}  // namespace

extern const Rule kMobOrphanDeviceContainer{
    {.id = "MOB-ORPHAN-DEVICE-CONTAINER",
     .title = "ActiveSync device container below a user without mailbox",
     .severity = Severity::kLow,
     .severityNote = "",
     .category = "mobile",
     .appliesTo = "users without homeMDB / msExchMailboxGuid",
     .rationale = "Exchange creates CN=ExchangeActiveSyncDevices below a mailbox user. When the "
                  "mailbox is gone the container and its devices stay behind, left over from a "
                  "disabled mailbox or a migration.",
     .remediation = "Remove the container after confirming the account will not get a mailbox.",
     .references = {"Exchange ActiveSync device partnerships in Active Directory"},
     .inputs = {"user:homeMDB", "user:msExchMailboxGuid", "devices"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
