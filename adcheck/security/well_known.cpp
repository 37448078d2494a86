#include "adcheck/security/well_known.h"

#include <array>

namespace adcheck::security {
namespace {

struct Named {
  Sid sid;
  std::string_view name;
};

constexpr std::array kAbsolute{
    Named{kSidNull, "NULL SID"},
    Named{kSidEveryone, "Everyone"},
    Named{kSidCreatorOwner, "CREATOR OWNER"},
    Named{kSidCreatorGroup, "CREATOR GROUP"},
    Named{kSidOwnerRights, "OWNER RIGHTS"},
    Named{Sid::make(5, {1}), "Dialup"},
    Named{kSidNetwork, "Network"},
    Named{Sid::make(5, {3}), "Batch"},
    Named{kSidInteractive, "Interactive"},
    Named{Sid::make(5, {6}), "Service"},
    Named{kSidAnonymous, "Anonymous Logon"},
    Named{Sid::make(5, {8}), "Proxy"},
    Named{kSidEnterpriseDomainControllers, "Enterprise Domain Controllers"},
    Named{kSidSelf, "SELF"},
    Named{kSidAuthenticatedUsers, "Authenticated Users"},
    Named{Sid::make(5, {12}), "Restricted"},
    Named{Sid::make(5, {13}), "Terminal Server User"},
    Named{Sid::make(5, {14}), "Remote Interactive Logon"},
    Named{Sid::make(5, {15}), "This Organization"},
    Named{Sid::make(5, {17}), "IUSR"},
    Named{kSidSystem, "SYSTEM"},
    Named{Sid::make(5, {19}), "LOCAL SERVICE"},
    Named{Sid::make(5, {20}), "NETWORK SERVICE"},
    Named{Sid::make(5, {1000}), "Other Organization"},
    Named{kSidBuiltin, "BUILTIN"},
    Named{kSidAdministrators, "Administrators"},
    Named{kSidUsers, "Users"},
    Named{kSidGuests, "Guests"},
    Named{Sid::make(5, {32, 547}), "Power Users"},
    Named{kSidAccountOperators, "Account Operators"},
    Named{kSidServerOperators, "Server Operators"},
    Named{kSidPrintOperators, "Print Operators"},
    Named{kSidBackupOperators, "Backup Operators"},
    Named{kSidReplicator, "Replicator"},
    Named{kSidPreWindows2000, "Pre-Windows 2000 Compatible Access"},
    Named{Sid::make(5, {32, 555}), "Remote Desktop Users"},
    Named{Sid::make(5, {32, 556}), "Network Configuration Operators"},
    Named{Sid::make(5, {32, 557}), "Incoming Forest Trust Builders"},
    Named{Sid::make(5, {32, 558}), "Performance Monitor Users"},
    Named{Sid::make(5, {32, 559}), "Performance Log Users"},
    Named{kSidWindowsAuthorizationAccess, "Windows Authorization Access Group"},
    Named{kSidTerminalServerLicenseServers, "Terminal Server License Servers"},
    Named{Sid::make(5, {32, 562}), "Distributed COM Users"},
    Named{Sid::make(5, {32, 568}), "IIS_IUSRS"},
    Named{Sid::make(5, {32, 569}), "Cryptographic Operators"},
    Named{Sid::make(5, {32, 573}), "Event Log Readers"},
    Named{Sid::make(5, {32, 574}), "Certificate Service DCOM Access"},
    Named{Sid::make(5, {32, 575}), "RDS Remote Access Servers"},
    Named{Sid::make(5, {32, 576}), "RDS Endpoint Servers"},
    Named{Sid::make(5, {32, 577}), "RDS Management Servers"},
    Named{Sid::make(5, {32, 578}), "Hyper-V Administrators"},
    Named{Sid::make(5, {32, 579}), "Access Control Assistance Operators"},
    Named{Sid::make(5, {32, 580}), "Remote Management Users"},
};

struct NamedRid {
  std::uint32_t rid;
  std::string_view name;
};

constexpr std::array kRids{
    NamedRid{kRidEnterpriseReadOnlyDomainControllers, "Enterprise Read-only Domain Controllers"},
    NamedRid{kRidAdministrator, "Administrator"},
    NamedRid{kRidGuest, "Guest"},
    NamedRid{kRidKrbtgt, "krbtgt"},
    NamedRid{kRidDomainAdmins, "Domain Admins"},
    NamedRid{kRidDomainUsers, "Domain Users"},
    NamedRid{kRidDomainGuests, "Domain Guests"},
    NamedRid{kRidDomainComputers, "Domain Computers"},
    NamedRid{kRidDomainControllers, "Domain Controllers"},
    NamedRid{kRidCertPublishers, "Cert Publishers"},
    NamedRid{kRidSchemaAdmins, "Schema Admins"},
    NamedRid{kRidEnterpriseAdmins, "Enterprise Admins"},
    NamedRid{kRidGroupPolicyCreatorOwners, "Group Policy Creator Owners"},
    NamedRid{kRidReadOnlyDomainControllers, "Read-only Domain Controllers"},
    NamedRid{kRidCloneableDomainControllers, "Cloneable Domain Controllers"},
    NamedRid{kRidProtectedUsers, "Protected Users"},
    NamedRid{kRidKeyAdmins, "Key Admins"},
    NamedRid{kRidEnterpriseKeyAdmins, "Enterprise Key Admins"},
    NamedRid{kRidRasAndIasServers, "RAS and IAS Servers"},
};

}  // namespace

std::string_view wellKnownRidName(std::uint32_t rid) {
  for (const auto& r : kRids)
    if (r.rid == rid) return r.name;
  return {};
}

std::string_view wellKnownSidName(const Sid& sid, const Sid* domainSid) {
  for (const auto& n : kAbsolute)
    if (n.sid == sid) return n.name;
  if (domainSid != nullptr && sid.isDomainSid(*domainSid)) return wellKnownRidName(sid.rid());
  return {};
}

}  // namespace adcheck::security
