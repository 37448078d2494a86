// Builds the read-only scan Context from context entries (see engine.h for the order).
#pragma once

#include <memory>

#include "adcheck/scan/model.h"

namespace adcheck::scan {

enum class EntryKind {
  kRootDse,
  kDomainRoot,
  kSchema,
  kExtendedRight,
  kDirectoryService,
  kAdminSdHolder,
  kGroup,
  kPolicy,
  kDeviceContainer,
  kDevice,
  kReplMetadata,  // msDS-ReplAttributeMetaData without objectClass (adminCount dates)
  kScannerToken,  // tokenGroups (and objectSid) of the scan account, without objectClass
  kScannedObject,
  kUnreadableObject,  // returned without any readable attribute (marked by LiveSource)
  kOther,
};

// The attribute LiveSource adds to an object the DC returned with no attribute the scan account
// may read, so that such an entry survives in a snapshot (LDIF needs one attribute per record).
inline constexpr std::string_view kUnreadableObjectMarker = "adcheckUnreadableObject";

EntryKind classify(const ldap::Entry& entry);

class ContextBuilder {
 public:
  explicit ContextBuilder(const config::Config& config, std::time_t now);
  void add(const ldap::Entry& entry, EntryKind kind);
  // Resolves membership, protection and the Exchange token. Never fails on directory content;
  // what it cannot determine goes to Context::warnings.
  std::unique_ptr<Context> finish();

 private:
  const config::Config& config_;
  std::unique_ptr<Context> ctx_;
  std::vector<std::pair<std::string, DeviceInfo>> devices_;  // (container dnKey, device)
};

}  // namespace adcheck::scan
