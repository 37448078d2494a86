// MOB-STALE-DEVICE: a device object AD has not seen change for a long time.
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

void evaluate(const UserObject& u, const Context& ctx, const Emit& emit) {
  const auto* c = deviceContainer(u, ctx);
  if (c == nullptr) return;
  const std::time_t limit = ctx.now - static_cast<std::time_t>(ctx.rules.stale_device_days) * 86400;
  for (const auto& d : c->devices) {
    auto changed = scan::parseGeneralizedTime(d.whenChanged);
    if (!changed || *changed > limit) continue;
    auto f = scan::makeFinding("MOB-STALE-DEVICE", Severity::kLow, u);
    f.key = d.dn;
    f.details->set("device", d.dn);
    f.details->set("deviceGuid", d.guid);
    f.details->set("deviceId", d.deviceId);
    f.details->set("deviceType", d.deviceType);
    f.details->set("deviceModel", d.deviceModel);
    f.details->set("notChangedInAdSince", scan::isoTime(*changed));
    f.details->set("days", static_cast<int>((ctx.now - *changed) / 86400));
    if (!d.firstSyncTime.empty()) f.details->set("firstSyncTime", d.firstSyncTime);
    markDisabled(f, u);
    f.summary = "Device " + (d.deviceType.empty() ? d.deviceId : d.deviceType + " " + d.deviceId) +
                " not changed in AD since " + scan::isoTime(*changed).substr(0, 10);
    f.remediation =
        "Check the device's last sync in Exchange (Get-MobileDeviceStatistics); AD keeps no "
        "last-sync time. Remove partnerships of devices no longer in use (Remove-MobileDevice).";
    emit(std::move(f));
  }
}

}  // namespace

extern const Rule kMobStaleDevice{
    {.id = "MOB-STALE-DEVICE",
     .title = "ActiveSync device object not changed in AD for a long time",
     .severity = Severity::kLow,
     .severityNote = "",
     .category = "mobile",
     .appliesTo = "msExchActiveSyncDevice objects",
     .rationale = "AD keeps no last-sync time; a device object whose whenChanged is older than "
                  "[rules] stale_device_days (default 180) usually belongs to a phone that no "
                  "longer syncs. Stale partnerships clutter inventories and keep wipe targets "
                  "that nobody watches.",
     .remediation = "Confirm with Get-MobileDeviceStatistics, then Remove-MobileDevice.",
     .references = {"Get-MobileDeviceStatistics", "Remove-MobileDevice"},
     .inputs = {"devices"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
