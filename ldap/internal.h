// Private to ldap/: the definitions behind Session and PagedSearch. This header includes
// <ldap.h>; never include it from outside ldap/ (SPEC section 2).
#pragma once

#include <ldap.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ldap/errors.h"
#include "ldap/search.h"
#include "ldap/session.h"

namespace adcheck::ldap::detail {

struct LdapDeleter {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using LdapHandle = std::unique_ptr<LDAP, LdapDeleter>;

struct MessageDeleter {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
using Message = std::unique_ptr<LDAPMessage, MessageDeleter>;

struct ControlsDeleter {
  void operator()(LDAPControl** c) const { ldap_controls_free(c); }
};
using Controls = std::unique_ptr<LDAPControl*, ControlsDeleter>;

// LDAP_OPT_DIAGNOSTIC_MESSAGE of the handle ("" when none).
std::string diagnosticMessage(LDAP* ld);
// LDAP_OPT_RESULT_CODE of the handle.
int handleResultCode(LDAP* ld);

// Lines libldap's TLS layer logged on this thread since the last call (e.g. "hostname (x)
// does not match common name in certificate (y)"), joined by "; ", and cleared.
std::string takeTlsLog();
// Sets up libldap's process-wide state once (log capture). Idempotent.
void initLibrary();

// Request controls with their storage: LDAPControl structs pointing into owned strings.
class ControlSet {
 public:
  explicit ControlSet(const std::vector<Control>& controls);
  ControlSet(const ControlSet&) = delete;
  ControlSet& operator=(const ControlSet&) = delete;
  // Null-terminated array for libldap; `extra` (may be null) goes first.
  std::vector<LDAPControl*> pointers(LDAPControl* extra);

 private:
  std::vector<Control> owned_;
  std::vector<LDAPControl> controls_;
};

// The effective controls of a request: SD flags (explicit or automatic) plus extras.
std::vector<Control> requestControls(const SearchRequest& request);

// Converts a search entry. Ranged attributes are stored under their base name; the ones that
// still have more values to fetch are listed in `pending` (base name, next low bound).
struct PendingRange {
  std::string base;
  std::uint64_t next_low = 0;
};
Result<Entry> convertEntry(LDAP* ld, LDAPMessage* message, std::vector<PendingRange>* pending);

}  // namespace adcheck::ldap::detail

namespace adcheck::ldap {

struct Session::Impl {
  detail::LdapHandle ld;
  std::string uri;
  SessionOptions options;  // password wiped after the bind
  std::vector<Attempt> attempts;
  bool tls = false;
  bool tls_handshake_started = false;  // TCP connected and a TLS handshake began
  int sasl_ssf = 0;
  std::optional<RootDse> root_dse;

  ErrorContext context(std::string_view operation, std::string_view dn = {}) const;
  Error errorFromHandle(std::string_view operation, std::string_view dn, int code) const;
  // Fetches the remaining values of the ranged attributes of `entry`.
  Result<void> completeRanges(Entry& entry, const std::vector<detail::PendingRange>& pending);
  // Values of dn's attribute from range low on (chunks of `step`, 0 = server's choice).
  Result<std::vector<std::string>> rangedFrom(std::string_view dn, std::string_view attribute,
                                              std::uint64_t low, std::size_t step);
  // A base search returning the entry (nullopt for noSuchObject), ranges not completed.
  Result<std::optional<Entry>> baseSearch(std::string_view dn,
                                          const std::vector<std::string>& attributes,
                                          const std::vector<Control>& controls,
                                          std::vector<detail::PendingRange>* pending);
};

struct PagedSearch::State {
  Session::Impl* session = nullptr;
  SearchRequest request;
  std::vector<char*> attrs;  // null-terminated, pointing into request.attributes
  std::unique_ptr<detail::ControlSet> controls;
  std::string cookie;
  int page_size = 1000;
  int msgid = -1;
  bool in_flight = false;
  bool done = false;
  std::optional<Error> failed;
  std::uint64_t entries = 0;
  std::uint64_t pages = 0;
  std::uint64_t references = 0;

  ~State();
  Result<void> sendPage();
  Error failWith(Error error);
};

}  // namespace adcheck::ldap
