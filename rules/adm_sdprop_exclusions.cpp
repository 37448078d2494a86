// ADM-SDPROP-EXCLUSIONS: dSHeuristics dwAdminSDExMask excludes operator groups from SDProp.
#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

void evaluate(const Context& ctx, const Aggregates&, const Emit& emit) {
  if (ctx.adminSdExMask == 0) return;
  static const std::pair<unsigned, const char*> kBits[] = {{0x1, "Account Operators"},
                                                           {0x2, "Server Operators"},
                                                           {0x4, "Print Operators"},
                                                           {0x8, "Backup Operators"}};
  Finding f;
  f.rule = "ADM-SDPROP-EXCLUSIONS";
  f.severity = Severity::kLow;
  f.dn = ctx.directoryServiceDn;
  Poco::JSON::Array::Ptr excluded = new Poco::JSON::Array;
  std::string names;
  for (auto [bit, name] : kBits) {
    if ((ctx.adminSdExMask & bit) == 0) continue;
    excluded->add(std::string(name));
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  f.details->set("excluded", excluded);
  f.details->set("dSHeuristics", ctx.dsHeuristics);
  f.details->set("mask", static_cast<int>(ctx.adminSdExMask));
  f.summary = "dSHeuristics excludes " + names + " from AdminSDHolder protection";
  f.remediation =
      "Confirm the exclusion is intended and documented. Excluded operator groups are no longer "
      "protected by SDProp: their members' DACLs can be delegated (and changed) like any other "
      "user's. To undo it, set the 16th character of dSHeuristics on " + ctx.directoryServiceDn +
      " to 0.";
  emit(std::move(f));
}

}  // namespace

extern const Rule kAdmSdpropExclusions{
    {.id = "ADM-SDPROP-EXCLUSIONS",
     .title = "Operator groups excluded from SDProp by dSHeuristics",
     .severity = Severity::kLow,
     .severityNote = "",
     .category = "adminsdholder",
     .appliesTo = "the forest's CN=Directory Service object",
     .rationale =
         "The 16th character of dSHeuristics (dwAdminSDExMask) can exclude Account, Server, Print "
         "and Backup Operators from AdminSDHolder protection. Their members then keep inherited "
         "permissions (ActiveSync works for them) but lose the protection against delegated "
         "takeover; it changes which accounts adcheck considers protected.",
     .remediation = "Keep the exclusion only when deliberate; otherwise reset the character to 0.",
     .references = {"MS-ADTS 3.1.1.6.1.4 dwAdminSDExMask", "MS-ADTS 6.1.1.2.4.1.2 dSHeuristics"},
     .inputs = {"dsheuristics"}},
    nullptr, evaluate};

}  // namespace adcheck::rules
