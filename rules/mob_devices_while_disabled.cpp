// MOB-DEVICES-WHILE-DISABLED: ActiveSync is off for the user, yet partnerships remain.
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

void evaluate(const UserObject& u, const Context& ctx, const Emit& emit) {
  if (!u.easDisabled()) return;
  const auto* c = deviceContainer(u, ctx);
  if (c == nullptr || c->devices.empty()) return;
  auto f = scan::makeFinding("MOB-DEVICES-WHILE-DISABLED", Severity::kLow, u);
  f.details->set("devices", static_cast<int>(c->devices.size()));
  f.details->set("container", c->dn);
  f.details->set("wireless", *u.wireless);
  markDisabled(f, u);
  f.summary = "ActiveSync is disabled but " + std::to_string(c->devices.size()) +
              " device partnership(s) remain";
  f.remediation =
      "If ActiveSync stays disabled, remove the stale partnerships "
      "(Get-MobileDevice -Mailbox <user> | Remove-MobileDevice) so inventories and wipe lists "
      "are accurate; if the user should sync, re-enable ActiveSync (Set-CASMailbox "
      "-ActiveSyncEnabled $true).";
  emit(std::move(f));
}

}  // namespace

extern const Rule kMobDevicesWhileDisabled{
    {.id = "MOB-DEVICES-WHILE-DISABLED",
     .title = "Device partnerships remain while ActiveSync is disabled",
     .severity = Severity::kLow,
     .severityNote = "",
     .category = "mobile",
     .appliesTo = "users with ActiveSync disabled",
     .rationale = "Bit 4 of msExchOmaAdminWirelessEnable disables ActiveSync, yet "
                  "msExchActiveSyncDevice objects remain below the user: either the block is "
                  "recent and the devices are stale, or someone expects the phone to work.",
     .remediation = "Remove the partnerships or re-enable ActiveSync, whichever is intended.",
     .references = {"Set-CASMailbox -ActiveSyncEnabled", "Remove-MobileDevice"},
     .inputs = {"user:msExchOmaAdminWirelessEnable", "devices"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
