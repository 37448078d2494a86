#include "adcheck/security/guid_names.h"

#include <array>

namespace adcheck::security {

std::string_view guidKindName(GuidKind kind) {
  switch (kind) {
    case GuidKind::kClass:
      return "class";
    case GuidKind::kAttribute:
      return "attribute";
    case GuidKind::kPropertySet:
      return "property-set";
    case GuidKind::kExtendedRight:
      return "extended-right";
    case GuidKind::kValidatedWrite:
      return "validated-write";
  }
  return "unknown";
}

void GuidNames::add(const Guid& guid, std::string name, GuidKind kind) {
  auto& entries = map_[guid];
  for (auto& e : entries) {
    if (e.kind == kind) {
      e.name = std::move(name);
      return;
    }
  }
  entries.push_back(Entry{std::move(name), kind});
  ++count_;
}

const GuidNames::Entry* GuidNames::find(const Guid& guid) const {
  auto it = map_.find(guid);
  if (it == map_.end() || it->second.empty()) return nullptr;
  return &it->second.front();
}

const GuidNames::Entry* GuidNames::find(const Guid& guid, GuidKind kind) const {
  auto it = map_.find(guid);
  if (it == map_.end()) return nullptr;
  for (const auto& e : it->second)
    if (e.kind == kind) return &e;
  return nullptr;
}

namespace {

struct BuiltIn {
  Guid guid;
  const char* name;
  GuidKind kind;
};

// Every entry was checked against the schema and CN=Extended-Rights of a Samba 4.17 DC (same
// GUIDs as Windows), except the three Exchange ones, which come from EXCHANGE.md sections 1.1
// and 2.1 (absent from Samba's schema).
constexpr std::array kBuiltIn{
    // Classes.
    BuiltIn{kGuidClassUser, "user", GuidKind::kClass},
    BuiltIn{kGuidClassInetOrgPerson, "inetOrgPerson", GuidKind::kClass},
    BuiltIn{kGuidClassComputer, "computer", GuidKind::kClass},
    BuiltIn{kGuidClassGroup, "group", GuidKind::kClass},
    BuiltIn{*Guid::parse("bf967aa5-0de6-11d0-a285-00aa003049e2"), "organizationalUnit",
            GuidKind::kClass},
    BuiltIn{*Guid::parse("5cb41ed0-0e4c-11d0-a286-00aa003049e2"), "contact", GuidKind::kClass},
    BuiltIn{*Guid::parse("bf967a8b-0de6-11d0-a285-00aa003049e2"), "container", GuidKind::kClass},
    BuiltIn{*Guid::parse("7b8b558a-93a5-4af7-adca-c017e67f1057"), "msDS-GroupManagedServiceAccount",
            GuidKind::kClass},
    BuiltIn{kGuidClassMsExchActiveSyncDevices, "msExchActiveSyncDevices", GuidKind::kClass},
    BuiltIn{kGuidClassMsExchActiveSyncDevice, "msExchActiveSyncDevice", GuidKind::kClass},
    // Property sets.
    BuiltIn{kGuidPropertySetPublicInformation, "Public-Information", GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("59ba2f42-79a2-11d0-9020-00c04fc2d3cf"), "General-Information",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("77b5b886-944a-11d1-aebd-0000f80367c1"), "Personal-Information",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("4c164200-20c0-11d0-a768-00aa006e0529"), "User-Account-Restrictions",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("5f202010-79a5-11d0-9020-00c04fc2d4cf"), "User-Logon",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("bc0ac240-79a9-11d0-9020-00c04fc2d4cf"), "Membership",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("e45795b3-9455-11d1-aebd-0000f80367c1"), "Web-Information",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("e45795b2-9455-11d1-aebd-0000f80367c1"), "Email-Information",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("037088f8-0ae1-11d2-b422-00a0c968f939"), "RAS-Information",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("c7407360-20bf-11d0-a768-00aa006e0529"), "Domain-Password",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("91e647de-d96f-4b70-9557-d63ff4f3ccd8"), "Private-Information",
            GuidKind::kPropertySet},
    BuiltIn{*Guid::parse("72e39547-7b18-11d1-adef-00c04fd8d5cd"), "DNS-Host-Name-Attributes",
            GuidKind::kPropertySet},
    // Extended rights.
    BuiltIn{kGuidExtendedRightResetPassword, "User-Force-Change-Password",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("ab721a53-1e2f-11d0-9819-00aa0040529b"), "User-Change-Password",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("ab721a54-1e2f-11d0-9819-00aa0040529b"), "Send-As",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("ab721a56-1e2f-11d0-9819-00aa0040529b"), "Receive-As",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("1131f6aa-9c07-11d1-f79f-00c04fc2dcd2"), "DS-Replication-Get-Changes",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("1131f6ad-9c07-11d1-f79f-00c04fc2dcd2"), "DS-Replication-Get-Changes-All",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("1131f6ab-9c07-11d1-f79f-00c04fc2dcd2"), "DS-Replication-Synchronize",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("1131f6ac-9c07-11d1-f79f-00c04fc2dcd2"), "DS-Replication-Manage-Topology",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("68b1d179-0d15-4d4f-ab71-46152e79a7bc"), "Allowed-To-Authenticate",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501"), "Unexpire-Password",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("45ec5156-db7e-47bb-b53f-dbeb2d03c40f"), "Reanimate-Tombstones",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("ba33815a-4f93-4c76-87f3-57574bff8109"), "Migrate-SID-History",
            GuidKind::kExtendedRight},
    BuiltIn{*Guid::parse("7726b9d5-a4b4-4288-a6b2-dce952e80a7f"), "Run-Protect-Admin-Groups-Task",
            GuidKind::kExtendedRight},
    // Validated writes.
    BuiltIn{*Guid::parse("bf9679c0-0de6-11d0-a285-00aa003049e2"), "Self-Membership",
            GuidKind::kValidatedWrite},
    BuiltIn{*Guid::parse("f3a64788-5306-11d1-a9c5-0000f80367c1"), "Validated-SPN",
            GuidKind::kValidatedWrite},
    BuiltIn{*Guid::parse("72e39547-7b18-11d1-adef-00c04fd8d5cd"), "Validated-DNS-Host-Name",
            GuidKind::kValidatedWrite},
    // Attributes.
    BuiltIn{*Guid::parse("bf9679c0-0de6-11d0-a285-00aa003049e2"), "member", GuidKind::kAttribute},
    BuiltIn{*Guid::parse("f3a64788-5306-11d1-a9c5-0000f80367c1"), "servicePrincipalName",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("72e39547-7b18-11d1-adef-00c04fd8d5cd"), "dNSHostName",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("bf967918-0de6-11d0-a285-00aa003049e2"), "adminCount",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("bf967a68-0de6-11d0-a285-00aa003049e2"), "userAccountControl",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("3f78c3e5-f79a-46bd-a0b8-9d18116ddc79"),
            "msDS-AllowedToActOnBehalfOfOtherIdentity", GuidKind::kAttribute},
    BuiltIn{*Guid::parse("800d94d7-b7a1-42a1-b14d-7cae1423d07f"), "msDS-AllowedToDelegateTo",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("bf9679e1-0de6-11d0-a285-00aa003049e2"), "unicodePwd",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("bf967a0a-0de6-11d0-a285-00aa003049e2"), "pwdLastSet",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("bf967a7f-0de6-11d0-a285-00aa003049e2"), "userCertificate",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("bf9679a8-0de6-11d0-a285-00aa003049e2"), "scriptPath",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("bf967961-0de6-11d0-a285-00aa003049e2"), "mail", GuidKind::kAttribute},
    BuiltIn{*Guid::parse("bf967953-0de6-11d0-a285-00aa003049e2"), "displayName",
            GuidKind::kAttribute},
    BuiltIn{*Guid::parse("46a9b11d-60ae-405a-b7e8-ff8a58d456d2"), "tokenGroupsGlobalAndUniversal",
            GuidKind::kAttribute},
    BuiltIn{kGuidAttrMsExchOmaAdminWirelessEnable, "msExchOmaAdminWirelessEnable",
            GuidKind::kAttribute},
};

}  // namespace

const GuidNames& GuidNames::builtIn() {
  static const GuidNames names = [] {
    GuidNames n;
    for (const auto& b : kBuiltIn) n.add(b.guid, b.name, b.kind);
    return n;
  }();
  return names;
}

}  // namespace adcheck::security
