// ADM-ORPHANED-ADMINCOUNT: adminCount=1 left behind after leaving the protected groups.
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

constexpr std::string_view kRemediation =
    "Clear adminCount (set it to not set) and re-enable inheritance on the object: ADUC > View > "
    "Advanced Features > the object > Properties > Security > Advanced > Enable inheritance. "
    "First confirm the object is no longer meant to be privileged.";

void addSince(Finding& f, const Context& ctx, const std::string& dn_key) {
  if (auto it = ctx.adminCountSince.find(dn_key); it != ctx.adminCountSince.end())
    f.details->set("since", it->second);
}

void evaluateUser(const UserObject& u, const Context& ctx, const Emit& emit) {
  if (u.adminCount.value_or(0) != 1 || u.protection(ctx) != nullptr) return;
  auto f = scan::makeFinding("ADM-ORPHANED-ADMINCOUNT", Severity::kMedium, u);
  f.details->set("objectKind", u.isComputer ? "computer" : "user");
  f.details->set("daclProtected", u.daclProtected());
  addSince(f, ctx, u.dnKey);
  markDisabled(f, u);
  addDescriptor(f, u);
  f.summary = "adminCount=1 but the account is no longer in any protected group";
  f.remediation = std::string(kRemediation);
  emit(std::move(f));
}

void evaluateGroups(const Context& ctx, const Aggregates&, const Emit& emit) {
  for (const auto& [key, g] : ctx.groups) {
    if (g.adminCount.value_or(0) != 1 || ctx.protectedByDn.contains(key)) continue;
    Finding f;
    f.rule = "ADM-ORPHANED-ADMINCOUNT";
    f.severity = Severity::kMedium;
    f.dn = g.dn;
    f.objectGuid = g.guid;
    f.objectSid = g.sid;
    f.samAccountName = g.sam;
    f.details->set("objectKind", "group");
    addSince(f, ctx, key);
    f.summary = "adminCount=1 on a group that is not protected by AdminSDHolder";
    f.remediation = std::string(kRemediation);
    emit(std::move(f));
  }
}

}  // namespace

extern const Rule kAdmOrphanedAdminCount{
    {.id = "ADM-ORPHANED-ADMINCOUNT",
     .title = "Orphaned adminCount: adminCount=1 without protected-group membership",
     .severity = Severity::kMedium,
     .severityNote = "",
     .category = "adminsdholder",
     .appliesTo = "users, computers and groups",
     .rationale =
         "SDProp sets adminCount=1 and a protected DACL on members of protected groups but never "
         "undoes it when they leave. The object keeps inheritance disabled (breaking delegated "
         "rights such as Exchange's ActiveSync rights) and looks privileged to auditors. adcheck "
         "computes current protection from transitive membership and primary group, honouring "
         "dSHeuristics exclusions, and dates the change from replication metadata when readable.",
     .remediation = std::string_view(kRemediation),
     .references = {"MS-ADTS 3.1.1.6.1.2 Protected Objects",
                    "AskDS: Five common questions about AdminSdHolder and SDProp"},
     .inputs = {"user:adminCount", "user:primaryGroupID", "groups:member"}},
    evaluateUser, evaluateGroups};

}  // namespace adcheck::rules
