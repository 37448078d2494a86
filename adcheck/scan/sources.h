// Entry sources for the engine: a live directory (the ordered query plan of a scan) and an LDIF
// snapshot written by `adcheck snapshot` (or by the documented ldapsearch recipe).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adcheck/config/config.h"
#include "adcheck/scan/engine.h"
#include "ldap/ldif.h"
#include "ldap/session.h"

namespace adcheck::scan {

// Attributes read for each scanned object (users, inetOrgPersons, computers).
const std::vector<std::string>& scannedObjectAttributes();

// SessionOptions from [directory] plus the bind password (file or ADCHECK_BIND_PASSWORD).
Result<ldap::SessionOptions> sessionOptions(const config::DirectoryConfig& dir);

class LiveSource : public EntrySource {
 public:
  enum class Mode { kFullScan, kContextOnly };
  LiveSource(ldap::Session& session, const config::Config& config, Mode mode = Mode::kFullScan);
  Result<std::optional<ldap::Entry>> next() override;
  std::string target() const override;
  std::vector<std::string> warnings() const override { return warnings_; }
  // Base DN of the scanned objects once known (after the first entry).
  const std::string& objectBase() const { return objectBase_; }

 private:
  struct Step {
    std::string what;  // for messages
    ldap::SearchRequest request;
    bool optional = false;  // an error becomes a warning, the scan goes on
    // Only entries without objectClass are kept (marked kUnreadableObjectMarker): the objects the
    // scan account cannot read at all.
    bool unreadableOnly = false;
  };
  Result<void> plan();
  std::optional<std::string> boundAccountDn(const std::string& domain);

  ldap::Session& session_;
  config::Config config_;  // a copy: callers' configs may move
  Mode mode_;
  bool planned_ = false;
  std::vector<Step> steps_;
  std::size_t current_ = 0;
  std::optional<ldap::PagedSearch> search_;
  std::optional<ldap::Entry> rootDseEntry_;
  std::string objectBase_;
  std::vector<std::string> warnings_;
};

// adcheck snapshot files start with a header pseudo-entry and end with a trailer that counts the
// entries, so a truncated plain-text snapshot is an error rather than a smaller directory. Files
// without the header (an ldapsearch recipe) are read as they are.
inline constexpr std::string_view kSnapshotHeaderDn = "cn=adcheck-snapshot";
inline constexpr std::string_view kSnapshotTrailerDn = "cn=adcheck-snapshot-end";

class SnapshotSource : public EntrySource {
 public:
  static Result<std::unique_ptr<SnapshotSource>> open(const std::string& path);
  Result<std::optional<ldap::Entry>> next() override;
  std::string target() const override { return "snapshot:" + reader_.path(); }

 private:
  explicit SnapshotSource(ldap::LdifReader reader) : reader_(std::move(reader)) {}
  ldap::LdifReader reader_;
  bool first_ = true;
  bool hasHeader_ = false;
  bool sawTrailer_ = false;
  std::uint64_t entries_ = 0;
};

// Writes everything a scan reads from `source` to `writer`, between header and trailer.
// Returns the number of directory entries written.
Result<std::uint64_t> writeSnapshot(EntrySource& source, ldap::LdifWriter& writer);

// Escapes a value for an LDAP filter (RFC 4515).
std::string escapeFilterValue(std::string_view value);

}  // namespace adcheck::scan
