// Names for the GUIDs in object ACEs: schema classes and attributes (schemaIDGUID), property
// sets, extended rights and validated writes (rightsGuid of the controlAccessRight objects in
// CN=Extended-Rights). Fill it from the directory at run time; builtIn() is a small fallback of
// well-known GUIDs, each checked against a real schema (Samba's, which uses Microsoft's GUIDs)
// or sourced in EXCHANGE.md.
//
// One GUID may carry several names of different kinds: bf9679c0-... is both the attribute
// "member" and the validated write "Self-Membership"; describeAce() picks by the rights in the
// ACE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adcheck/security/guid.h"

namespace adcheck::security {

enum class GuidKind : std::uint8_t {
  kClass,
  kAttribute,
  kPropertySet,
  kExtendedRight,
  kValidatedWrite,
};

std::string_view guidKindName(GuidKind kind);  // "class", "attribute", "property-set", ...

class GuidNames {
 public:
  struct Entry {
    std::string name;
    GuidKind kind;
  };

  // Adds a name; a second add of the same GUID and kind replaces the name (run-time names from
  // the directory override the built-in fallback).
  void add(const Guid& guid, std::string name, GuidKind kind);
  // The first name added for `guid` (of any kind), nullptr when unknown.
  const Entry* find(const Guid& guid) const;
  // The name of that kind, nullptr when there is none.
  const Entry* find(const Guid& guid, GuidKind kind) const;
  std::size_t size() const { return count_; }

  // Well-known GUIDs (classes user, inetOrgPerson, computer, group, msExchActiveSyncDevices, ...;
  // the common property sets; the extended rights and validated writes attackers and Exchange
  // use). Names are lDAPDisplayNames for schema objects and CNs of controlAccessRight objects.
  static const GuidNames& builtIn();

 private:
  std::unordered_map<Guid, std::vector<Entry>> map_;
  std::size_t count_ = 0;
};

// Well-known schema GUIDs adcheck's rules use (fallbacks: resolve them from the schema).
inline constexpr Guid kGuidClassUser = *Guid::parse("bf967aba-0de6-11d0-a285-00aa003049e2");
inline constexpr Guid kGuidClassInetOrgPerson =
    *Guid::parse("4828cc14-1437-45bc-9b07-ad6f015e5f28");
inline constexpr Guid kGuidClassComputer = *Guid::parse("bf967a86-0de6-11d0-a285-00aa003049e2");
inline constexpr Guid kGuidClassGroup = *Guid::parse("bf967a9c-0de6-11d0-a285-00aa003049e2");
inline constexpr Guid kGuidClassMsExchActiveSyncDevices =
    *Guid::parse("c975c901-6cea-4b6f-8319-d67f45449506");
inline constexpr Guid kGuidClassMsExchActiveSyncDevice =
    *Guid::parse("e8b2aff2-59a7-4eac-9a70-819adef701dd");
inline constexpr Guid kGuidAttrMsExchOmaAdminWirelessEnable =
    *Guid::parse("c1a7bfbe-116b-4737-8cd9-d29ef5b3690e");
inline constexpr Guid kGuidPropertySetPublicInformation =
    *Guid::parse("e48d0154-bcf8-11d1-8702-00c04fb96050");
inline constexpr Guid kGuidExtendedRightResetPassword =
    *Guid::parse("00299570-246d-11d0-a768-00aa006e0529");

}  // namespace adcheck::security
