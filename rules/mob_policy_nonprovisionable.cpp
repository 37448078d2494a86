// MOB-POLICY-NONPROVISIONABLE: a mobile policy that lets devices skip the policy.
#include "adcheck/scan/dn.h"
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

constexpr std::int64_t kIsDefault = 0x1000;
constexpr std::int64_t kAllowNonProvisionable = 0x20000;

void evaluate(const Context& ctx, const Aggregates& agg, const Emit& emit) {
  for (const auto& p : ctx.policies) {
    if ((p.flags & kAllowNonProvisionable) == 0) continue;
    bool is_default = (p.flags & kIsDefault) != 0;
    std::size_t users = 0;
    if (auto it = agg.usersByPolicy.find(scan::dnKey(p.dn)); it != agg.usersByPolicy.end())
      users = it->second;
    if (is_default) users += agg.mailboxUsersWithoutPolicy;
    Finding f;
    f.rule = "MOB-POLICY-NONPROVISIONABLE";
    f.severity = Severity::kMedium;
    f.dn = p.dn;
    f.objectGuid = p.guid;
    f.details->set("policy", p.name);
    f.details->set("isDefault", is_default);
    f.details->set("users", static_cast<int>(users));
    f.details->set("msExchMobileFlags", p.flags);
    f.summary = "Mobile device mailbox policy '" + p.name + "'" +
                (is_default ? " (the default policy)" : "") +
                " allows non-provisionable devices; it governs " + std::to_string(users) +
                " mailbox user(s)";
    f.remediation = "Set-MobileDeviceMailboxPolicy -Identity '" + p.name +
                    "' -AllowNonProvisionableDevices $false, after checking which devices sync "
                    "without applying policy (Get-MobileDevice | where DevicePolicyApplied -eq "
                    "$false).";
    emit(std::move(f));
  }
}

}  // namespace

extern const Rule kMobPolicyNonProvisionable{
    {.id = "MOB-POLICY-NONPROVISIONABLE",
     .title = "Mobile mailbox policy allows non-provisionable devices",
     .severity = Severity::kMedium,
     .severityNote = "",
     .category = "mobile",
     .appliesTo = "msExchMobileMailboxPolicy objects",
     .rationale = "AllowNonProvisionableDevices (bit 0x20000 of msExchMobileFlags) lets devices "
                  "that cannot apply the policy (PIN, encryption, wipe) sync anyway, so the "
                  "policy's protections are optional. The default policy (IsDefault 0x1000) "
                  "governs every mailbox without an explicit policy link.",
     .remediation = "Set-MobileDeviceMailboxPolicy -AllowNonProvisionableDevices $false.",
     .references = {"Set-MobileDeviceMailboxPolicy", "Exchange MobileFlagsDefs"},
     .inputs = {"policies", "user:msExchMobileMailboxPolicyLink"}},
    nullptr, evaluate};

}  // namespace adcheck::rules
