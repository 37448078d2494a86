// MOB-BITMASK-INVALID: msExchOmaAdminWirelessEnable holds values Exchange never writes.
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

void evaluate(const UserObject& u, const Context&, const Emit& emit) {
  if (!u.wireless) return;
  auto v = *u.wireless;
  if (v >= 0 && (v & ~scan::kWirelessKnownBits) == 0) return;
  auto f = scan::makeFinding("MOB-BITMASK-INVALID", Severity::kLow, u);
  f.details->set("value", v);
  f.details->set("unknownBits", v < 0 ? v : (v & ~scan::kWirelessKnownBits));
  f.details->set("activeSyncDisabled", u.easDisabled());
  markDisabled(f, u);
  f.summary = "msExchOmaAdminWirelessEnable = " + std::to_string(v) +
              " holds bits Exchange does not define";
  f.remediation =
      "Set the mobile features explicitly (Set-CASMailbox -ActiveSyncEnabled / "
      "-OWAforDevicesEnabled) so the value is rewritten, or clear the attribute if no mobile "
      "restriction is intended. Find the script or tool that wrote the value.";
  emit(std::move(f));
}

}  // namespace

extern const Rule kMobBitmaskInvalid{
    {.id = "MOB-BITMASK-INVALID",
     .title = "Invalid msExchOmaAdminWirelessEnable value",
     .severity = Severity::kLow,
     .severityNote = "",
     .category = "mobile",
     .appliesTo = "users with msExchOmaAdminWirelessEnable",
     .rationale =
         "A set bit disables a mobile feature: 4 = Exchange ActiveSync, 8 = OWA for Devices; 1 "
         "and 2 are Exchange 2003 features (up-to-date notifications, OMA browsing) and 0x20 a "
         "legacy SCMDM flag. Other bits or a negative value come from a script or a bad import; "
         "they make the account's mobile state hard to reason about.",
     .remediation = "Rewrite the value with Set-CASMailbox, or clear it.",
     .references = {"Exchange MobileFeaturesEnabled enum (AirSyncDisabled = 4, MowaDisabled = 8)"},
     .inputs = {"user:msExchOmaAdminWirelessEnable"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
