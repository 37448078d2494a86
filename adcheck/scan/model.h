// What rules see: one scanned object (UserObject) and the read-only scan context (Context), and
// what they produce (Finding). Built by the engine from directory entries, live or from a
// snapshot; rules never talk to LDAP.
#pragma once

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adcheck/config/config.h"
#include "adcheck/core/error.h"
#include "adcheck/security/access_check.h"
#include "adcheck/security/guid_names.h"
#include "adcheck/security/sddl.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/security/sid.h"
#include "ldap/entry.h"

namespace adcheck::scan {

enum class Severity { kInfo = 0, kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };
std::string_view severityName(Severity s);
std::optional<Severity> parseSeverity(std::string_view name);

// userAccountControl bits (MS-ADTS 2.2.16).
inline constexpr std::uint32_t kUacAccountDisable = 0x2;
inline constexpr std::uint32_t kUacServerTrust = 0x2000;
inline constexpr std::uint32_t kUacTrustedForDelegation = 0x80000;
inline constexpr std::uint32_t kUacTrustedToAuthForDelegation = 0x1000000;
// msExchOmaAdminWirelessEnable bits (EXCHANGE.md 1.2).
inline constexpr std::int64_t kWirelessEasDisabled = 0x4;
inline constexpr std::int64_t kWirelessKnownBits = 0x1 | 0x2 | 0x4 | 0x8 | 0x20;
// SE_DACL_PROTECTED (MS-DTYP 2.4.6).
inline constexpr std::uint16_t kSeDaclProtected = 0x1000;

struct Finding {
  std::string rule;
  Severity severity = Severity::kInfo;
  std::string dn;
  std::string objectGuid;
  std::string objectSid;
  std::string samAccountName;
  std::string summary;
  Poco::JSON::Object::Ptr details = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  std::string remediation;
  std::string key;  // sub-key for rules that report several things per object (device, ACE, cert)

  // Stable identity across scans: rule id + objectGUID (DN when the object has none) + sub-key.
  std::string fingerprint() const;
};

// Sets the finding's own fields (rule, severity, dn, objectGuid, objectSid, samAccountName,
// summary, details, remediation) on a JSON object, in that order: the one spelling shared by
// `scan --format json`, the JSON report and the web API, which add their own fields around it.
void setFindingFields(Poco::JSON::Object& o, const Finding& f);

// Where the group or user gets SDProp protection from: the protected groups by name (via) and
// the membership paths, outermost protected group first ("Domain Admins > Tier 0 Operators").
struct Protection {
  std::vector<std::string> via;
  std::vector<std::string> paths;
  void add(const std::string& root, const std::string& path) {
    if (std::find(via.begin(), via.end(), root) == via.end()) via.push_back(root);
    paths.push_back(path);
  }
};

struct GroupInfo {
  std::string dn;
  std::string sam;
  std::string guid;
  std::string sid;
  std::uint32_t rid = 0;
  bool builtin = false;  // S-1-5-32-x
  std::int64_t groupType = 0;
  std::optional<std::int64_t> adminCount;
  std::vector<std::string> members;  // DNs as the DC returned them
  std::string sd;  // nTSecurityDescriptor as read, until the context is finished (coverage)
};

struct DeviceInfo {
  std::string dn;
  std::string guid;
  std::string deviceId;
  std::string deviceType;
  std::string deviceModel;
  std::string userAgent;
  std::string firstSyncTime;
  std::string whenChanged;  // generalized time as in AD
  std::string whenCreated;
};

struct DeviceContainer {
  std::string dn;
  std::string guid;
  std::string whenCreated;
  std::string sd;  // its nTSecurityDescriptor (DACL) as read; empty when not returned
  std::vector<DeviceInfo> devices;
};

struct PolicyInfo {
  std::string dn;
  std::string name;
  std::string guid;
  std::int64_t flags = 0;
};

struct Context {
  // Where and when.
  std::string baseDn;
  std::string configDn;
  std::string schemaDn;
  std::string dcName;
  std::time_t now = 0;
  security::Sid domainSid;
  std::string domainName;  // NetBIOS-ish display: first RDN of the base DN

  // Schema and extended-right names for ACE descriptions; the class GUIDs rules need.
  security::GuidNames names;
  std::unordered_map<std::string, security::Guid> schemaGuidByName;  // lower-case lDAPDisplayName
  std::optional<security::Guid> easDevicesClass;  // msExchActiveSyncDevices
  bool exchangeSchemaPresent = false;

  // The Exchange servers' token (SPEC 3): configured groups, their parents, WD, AU.
  security::Token exchangeToken;
  std::vector<std::string> exchangeGroups;  // names found
  std::set<std::string> exchangeGroupSids;  // the configured groups themselves
  bool exchangeGroupsFound = false;

  // SDProp: who is currently protected and why (keys: dnKey of members and groups).
  std::unordered_map<std::string, Protection> protectedByDn;
  std::unordered_map<std::uint32_t, Protection> protectedByPrimaryGroup;  // primaryGroupID
  std::unordered_map<std::string, GroupInfo> groups;                     // by dnKey
  std::unordered_map<std::string, std::string> sidNames;                 // SID string -> name
  std::unordered_map<std::string, std::string> adminCountSince;          // dnKey -> time

  // AdminSDHolder and dSHeuristics.
  std::string adminSdHolderDn;
  std::string adminSdHolderSd;  // raw bytes; empty when not readable
  std::string directoryServiceDn;
  std::string dsHeuristics;
  bool dsHeuristicsRead = false;
  unsigned adminSdExMask = 0;  // dwAdminSDExMask, 16th character

  // Mobile.
  std::vector<PolicyInfo> policies;
  std::unordered_map<std::string, DeviceContainer> containersByUser;  // user dnKey

  // The scan account's token and what it needs to read to see a mailbox (homeMDB, or its
  // property set), to tell "no mailbox" from "cannot see the mailbox".
  std::optional<security::Token> scannerToken;
  std::string scannerDn;
  // Coverage inputs from the schema: each attribute's property set (attributeSecurityGUID,
  // lower-case lDAPDisplayName -> set; absent: in no set) and the device classes' default
  // descriptors (SDDL), to predict what the scan account could read.
  std::unordered_map<std::string, security::Guid> propertySetByAttribute;
  std::string easDevicesDefaultSd;  // msExchActiveSyncDevices' defaultSecurityDescriptor
  std::string easDeviceDefaultSd;   // msExchActiveSyncDevice's
  // groups:member, checked against each group's DACL when the context is finished: how many
  // groups carried a DACL, on how many the scan account may not read `member`, the first DNs.
  std::size_t groupsWithSd = 0;
  std::size_t groupsMemberUnreadable = 0;
  std::vector<std::string> groupsMemberUnreadableDns;

  config::RulesConfig rules;
  std::vector<std::string> warnings;  // things the scan could not determine
  // Objects below the scanned base whose objectClass the scan account may not read: the DC
  // returns them to (objectClass=*) with no attribute, and never to (objectClass=user). Any of
  // them may be a user the scan never saw (coverage counts those beside users as unreadable).
  std::vector<std::string> unreadableObjects;

  std::string sidName(const std::string& sid) const;
  std::string sidName(const security::Sid& sid) const;
};

// One scanned object (objectClass=user: users, inetOrgPersons, computers), parsed once.
struct UserObject {
  const ldap::Entry* entry = nullptr;
  std::string dn;
  std::string dnKey;
  std::string sam;
  std::string upn;
  std::string guid;
  std::string sid;
  std::uint32_t rid = 0;
  std::uint32_t uac = 0;
  std::optional<std::int64_t> adminCount;
  std::uint32_t primaryGroupId = 0;
  bool isComputer = false;
  bool isInetOrgPerson = false;
  bool isMailbox = false;
  std::optional<std::int64_t> wireless;  // msExchOmaAdminWirelessEnable
  std::string policyLink;                // msExchMobileMailboxPolicyLink

  // The descriptor, parsed in place over the entry's bytes (the entry outlives the object):
  // present when readable and well-formed; otherwise sdError says why.
  std::optional<security::SecurityDescriptorView> sd;
  std::optional<Error> sdError;

  bool disabled() const { return (uac & kUacAccountDisable) != 0; }
  bool easDisabled() const { return wireless && (*wireless & kWirelessEasDisabled) != 0; }
  bool isPerson() const { return !isComputer; }
  bool daclProtected() const;
  // Current SDProp protection (nullptr when not protected).
  const Protection* protection(const Context& ctx) const;
};

// Builds a UserObject from an entry (the entry must outlive it).
UserObject makeUserObject(const ldap::Entry& entry);

// Fills the fields every finding about this object carries.
Finding makeFinding(std::string_view rule, Severity severity, const UserObject& user);

// Aggregates gathered while streaming users, for rules evaluated once per scan.
struct Aggregates {
  std::unordered_map<std::string, std::size_t> usersByPolicy;  // policy dnKey -> mailbox users
  std::size_t mailboxUsersWithoutPolicy = 0;
  std::size_t usersRead = 0;
  std::size_t mailboxStateUnreadable = 0;     // users whose homeMDB the scan account may not read
  std::vector<std::string> mailboxStateUnreadableExamples;  // the first few DNs
};

// The ACE at `index` of the descriptor's DACL (the access check reports indices).
std::optional<security::AceView> daclAce(const security::SecurityDescriptorView& sd,
                                         std::size_t index);

// Strings for GUID/SID attributes as AD shows them.
std::string guidString(std::string_view wire_bytes);
std::string sidString(std::string_view wire_bytes);

// Generalized time "20240102030405.0Z" -> time_t (UTC); nullopt if malformed.
std::optional<std::time_t> parseGeneralizedTime(std::string_view text);
std::string isoTime(std::time_t t);

}  // namespace adcheck::scan
