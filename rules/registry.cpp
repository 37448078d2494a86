// The explicit list of rules, in catalogue order. Adding a rule = one file + one line here.

#include <array>

#include "rules/rule.h"

namespace adcheck::rules {

extern const Rule kEasDeviceRightsMissing;
extern const Rule kEasInheritanceDisabled;
extern const Rule kEasProtectedMailboxUser;
extern const Rule kAdmOrphanedAdminCount;
extern const Rule kAdmAdminSdHolderAcl;
extern const Rule kAdmSdpropExclusions;
extern const Rule kMobBitmaskInvalid;
extern const Rule kMobDevicesWhileDisabled;
extern const Rule kMobStaleDevice;
extern const Rule kMobOrphanDeviceContainer;
extern const Rule kMobPolicyNonProvisionable;
extern const Rule kCrtUserCertExpiring;
extern const Rule kDlgUnconstrained;
extern const Rule kDlgConstrainedHttp;

namespace {

const std::array<const Rule*, 14> kRegistry = {
    &kEasDeviceRightsMissing, &kEasInheritanceDisabled,   &kEasProtectedMailboxUser,
    &kAdmOrphanedAdminCount,  &kAdmAdminSdHolderAcl,      &kAdmSdpropExclusions,
    &kMobBitmaskInvalid,      &kMobDevicesWhileDisabled,  &kMobStaleDevice,
    &kMobOrphanDeviceContainer, &kMobPolicyNonProvisionable, &kCrtUserCertExpiring,
    &kDlgUnconstrained,       &kDlgConstrainedHttp,
};

}  // namespace

std::span<const Rule* const> registry() { return kRegistry; }

const Rule* findRule(std::string_view id) {
  for (const auto* r : kRegistry)
    if (r->meta.id == id) return r;
  return nullptr;
}

}  // namespace adcheck::rules
