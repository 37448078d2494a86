// ACEs in words an administrator understands, for explain output, reports and the web's object
// page:
//   "Allow Exchange Servers: Create child, Delete child, List contents of
//    msExchActiveSyncDevices; applies to descendant user objects (inherit-only, inherited)"
// Names of GUIDs come from GuidNames (filled from the directory at run time), names of SIDs from
// the caller's lookup, then the well-known table, then the SID string.
#pragma once

#include <functional>
#include <string>

#include "adcheck/security/guid_names.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/security/sid.h"

namespace adcheck::security {

// Returns a display name for a SID ("CORP\\Exchange Servers"), or an empty string when it has
// none (the describer then falls back to well-known names and the SID string).
using SidNameFn = std::function<std::string(const Sid&)>;

// Sentence for one ACE. `sidName` may be empty (no function).
std::string describeAce(const AceView& ace, const GuidNames& names, const SidNameFn& sidName);

}  // namespace adcheck::security
