// Well-known SIDs and domain RIDs (MS-DTYP 2.4.2.4), with display names. Protected groups are
// recognised by these, never by their (localised) names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adcheck/security/sid.h"

namespace adcheck::security {

// Absolute well-known SIDs.
inline constexpr Sid kSidNull = Sid::make(0, {0});                         // S-1-0-0
inline constexpr Sid kSidEveryone = Sid::make(1, {0});                     // S-1-1-0, WD
inline constexpr Sid kSidCreatorOwner = Sid::make(3, {0});                 // S-1-3-0, CO
inline constexpr Sid kSidCreatorGroup = Sid::make(3, {1});                 // S-1-3-1, CG
inline constexpr Sid kSidOwnerRights = Sid::make(3, {4});                  // S-1-3-4, OW
inline constexpr Sid kSidNetwork = Sid::make(5, {2});                      // S-1-5-2, NU
inline constexpr Sid kSidInteractive = Sid::make(5, {4});                  // S-1-5-4, IU
inline constexpr Sid kSidAnonymous = Sid::make(5, {7});                    // S-1-5-7, AN
inline constexpr Sid kSidEnterpriseDomainControllers = Sid::make(5, {9});  // S-1-5-9, ED
inline constexpr Sid kSidSelf = Sid::make(5, {10});                        // S-1-5-10, PS
inline constexpr Sid kSidAuthenticatedUsers = Sid::make(5, {11});          // S-1-5-11, AU
inline constexpr Sid kSidSystem = Sid::make(5, {18});                      // S-1-5-18, SY
// BUILTIN domain (S-1-5-32) aliases.
inline constexpr Sid kSidBuiltin = Sid::make(5, {32});
inline constexpr Sid kSidAdministrators = Sid::make(5, {32, 544});    // BA
inline constexpr Sid kSidUsers = Sid::make(5, {32, 545});             // BU
inline constexpr Sid kSidGuests = Sid::make(5, {32, 546});            // BG
inline constexpr Sid kSidAccountOperators = Sid::make(5, {32, 548});  // AO
inline constexpr Sid kSidServerOperators = Sid::make(5, {32, 549});   // SO
inline constexpr Sid kSidPrintOperators = Sid::make(5, {32, 550});    // PO
inline constexpr Sid kSidBackupOperators = Sid::make(5, {32, 551});   // BO
inline constexpr Sid kSidReplicator = Sid::make(5, {32, 552});        // RE
inline constexpr Sid kSidPreWindows2000 = Sid::make(5, {32, 554});    // RU
inline constexpr Sid kSidWindowsAuthorizationAccess = Sid::make(5, {32, 560});
inline constexpr Sid kSidTerminalServerLicenseServers = Sid::make(5, {32, 561});

// Domain-relative RIDs: combine with the domain SID (Sid::withRid).
inline constexpr std::uint32_t kRidEnterpriseReadOnlyDomainControllers = 498;  // forest root
inline constexpr std::uint32_t kRidAdministrator = 500;
inline constexpr std::uint32_t kRidGuest = 501;
inline constexpr std::uint32_t kRidKrbtgt = 502;
inline constexpr std::uint32_t kRidDomainAdmins = 512;
inline constexpr std::uint32_t kRidDomainUsers = 513;
inline constexpr std::uint32_t kRidDomainGuests = 514;
inline constexpr std::uint32_t kRidDomainComputers = 515;
inline constexpr std::uint32_t kRidDomainControllers = 516;
inline constexpr std::uint32_t kRidCertPublishers = 517;
inline constexpr std::uint32_t kRidSchemaAdmins = 518;      // forest root domain only
inline constexpr std::uint32_t kRidEnterpriseAdmins = 519;  // forest root domain only
inline constexpr std::uint32_t kRidGroupPolicyCreatorOwners = 520;
inline constexpr std::uint32_t kRidReadOnlyDomainControllers = 521;
inline constexpr std::uint32_t kRidCloneableDomainControllers = 522;
inline constexpr std::uint32_t kRidProtectedUsers = 525;
inline constexpr std::uint32_t kRidKeyAdmins = 526;
inline constexpr std::uint32_t kRidEnterpriseKeyAdmins = 527;  // forest root domain only
inline constexpr std::uint32_t kRidRasAndIasServers = 553;

// English display name of a well-known SID ("Everyone", "Account Operators"), or of a
// domain-relative one when it is `domainSid` plus a well-known RID ("Domain Admins"). Empty when
// the SID is not well known (then ask the directory). Pass no domain SID to name only absolute
// SIDs.
std::string_view wellKnownSidName(const Sid& sid, const Sid* domainSid = nullptr);

// Name of a domain-relative well-known RID ("Domain Admins" for 512), empty when unknown.
std::string_view wellKnownRidName(std::uint32_t rid);

}  // namespace adcheck::security
