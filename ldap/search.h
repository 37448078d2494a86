// Searches against a Session: the request, LDAP controls, and PagedSearch, which hands out
// entries one at a time as the server sends them (memory stays flat however many entries
// match; SPEC sections 2 and 9). No libldap types: the search state is behind a pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adcheck/core/error.h"
#include "ldap/entry.h"

namespace adcheck::ldap {

inline constexpr std::string_view kPagedResultsOid = "1.2.840.113556.1.4.319";
inline constexpr std::string_view kSdFlagsOid = "1.2.840.113556.1.4.801";

// LDAP_SERVER_SD_FLAGS bits: which parts of nTSecurityDescriptor to return.
inline constexpr std::uint32_t kSdFlagsOwner = 0x1;
inline constexpr std::uint32_t kSdFlagsGroup = 0x2;
inline constexpr std::uint32_t kSdFlagsDacl = 0x4;
inline constexpr std::uint32_t kSdFlagsSacl = 0x8;

// A request control. value holds the BER-encoded control value (binary).
struct Control {
  std::string oid;
  std::string value;
  bool has_value = false;
  bool critical = false;
};

// The SD flags control, critical, value BER SEQUENCE { INTEGER flags }: for DACL only that is
// 30 03 02 01 04. With it, accounts that may not read owner or SACL still get the DACL.
Control sdFlagsControl(std::uint32_t flags);

enum class Scope { kBase, kOneLevel, kSubtree };

struct SearchRequest {
  std::string base;  // empty: the RootDSE (with Scope::kBase)
  Scope scope = Scope::kSubtree;
  std::string filter = "(objectClass=*)";
  // Attribute names; empty means all user attributes. nTSecurityDescriptor must be named to
  // come back at all.
  std::vector<std::string> attributes;
  // Entries per page; 0 means the session's page_size.
  int page_size = 0;
  // nullopt: DACL only (4) when nTSecurityDescriptor is among the attributes, else no
  // control. 0: never send the control. Other values: sent as given.
  std::optional<std::uint32_t> sd_flags;
  std::vector<Control> controls;  // extra request controls, sent with every page
  // Fetch the rest of ranged attributes ("member;range=0-1499") and store them under the base
  // name. Only turn off to see what the server sends.
  bool complete_ranges = true;
};

// A range option on an attribute description: "member;range=1500-*" gives
// {base "member", low 1500, high nullopt}.
struct RangedName {
  std::string base;
  std::uint64_t low = 0;
  std::optional<std::uint64_t> high;  // nullopt: "*", the last chunk
};
std::optional<RangedName> parseRangedName(std::string_view attribute_description);

class Session;

// One search, paged with the paged-results control. next() returns the next entry, nullopt
// after the last one, or an error (a failed search keeps returning that error). Entries are
// handed out as they arrive, not after the whole page. The Session it came from must outlive
// it; destroying it early abandons the search on the server.
class PagedSearch {
 public:
  PagedSearch(PagedSearch&&) noexcept;
  PagedSearch& operator=(PagedSearch&&) noexcept;
  PagedSearch(const PagedSearch&) = delete;
  PagedSearch& operator=(const PagedSearch&) = delete;
  ~PagedSearch();

  Result<std::optional<Entry>> next();

  std::uint64_t entriesReceived() const;
  std::uint64_t pagesReceived() const;
  // Continuation references the server sent (skipped: referrals are not chased).
  std::uint64_t referencesSkipped() const;

  struct State;

 private:
  friend class Session;
  explicit PagedSearch(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace adcheck::ldap
