#include "ldap/search.h"

#include <lber.h>
#include <ldap.h>
#include <sys/time.h>

#include <charconv>
#include <cstring>
#include <utility>

#include "ldap/internal.h"

namespace adcheck::ldap {

Control sdFlagsControl(std::uint32_t flags) {
  Control control{std::string(kSdFlagsOid), {}, true, true};
  BerElement* ber = ber_alloc_t(LBER_USE_DER);
  if (ber == nullptr) return control;  // has_value without bytes: the server will refuse it
  berval bv{};
  if (ber_printf(ber, "{i}", static_cast<ber_int_t>(flags)) != -1 && ber_flatten2(ber, &bv, 0) == 0)
    control.value.assign(bv.bv_val, bv.bv_len);
  ber_free(ber, 1);
  return control;
}

std::optional<RangedName> parseRangedName(std::string_view description) {
  // Options follow ';'; look for one named "range=" (case-insensitive, RFC 4512 options are).
  std::size_t pos = 0;
  while ((pos = description.find(';', pos)) != std::string_view::npos) {
    std::string_view rest = description.substr(pos + 1);
    std::string_view option = rest.substr(0, rest.find(';'));
    if (option.size() > 6 && iequals(option.substr(0, 6), "range=")) {
      std::string_view spec = option.substr(6);
      auto dash = spec.find('-');
      if (dash == std::string_view::npos) return std::nullopt;
      RangedName out;
      auto lowText = spec.substr(0, dash);
      auto highText = spec.substr(dash + 1);
      auto [p1, e1] = std::from_chars(lowText.data(), lowText.data() + lowText.size(), out.low);
      if (e1 != std::errc() || p1 != lowText.data() + lowText.size() || lowText.empty())
        return std::nullopt;
      if (highText != "*") {
        std::uint64_t high = 0;
        auto [p2, e2] = std::from_chars(highText.data(), highText.data() + highText.size(), high);
        if (e2 != std::errc() || p2 != highText.data() + highText.size() || highText.empty())
          return std::nullopt;
        if (high < out.low) return std::nullopt;
        out.high = high;
      }
      // Base name: the description without this option.
      out.base = std::string(description.substr(0, pos));
      std::size_t after = pos + 1 + option.size();
      if (after < description.size()) out.base += std::string(description.substr(after));
      return out;
    }
    ++pos;
  }
  return std::nullopt;
}

namespace detail {

ControlSet::ControlSet(const std::vector<Control>& controls) : owned_(controls) {
  controls_.reserve(owned_.size());
  for (auto& c : owned_) {
    LDAPControl lc{};
    lc.ldctl_oid = c.oid.data();
    if (c.has_value) {
      lc.ldctl_value.bv_len = c.value.size();
      lc.ldctl_value.bv_val = c.value.data();
    }
    lc.ldctl_iscritical = c.critical ? 1 : 0;
    controls_.push_back(lc);
  }
}

std::vector<LDAPControl*> ControlSet::pointers(LDAPControl* extra) {
  std::vector<LDAPControl*> out;
  out.reserve(controls_.size() + 2);
  if (extra != nullptr) out.push_back(extra);
  for (auto& c : controls_) out.push_back(&c);
  out.push_back(nullptr);
  return out;
}

std::vector<Control> requestControls(const SearchRequest& request) {
  std::vector<Control> out;
  std::uint32_t flags = 0;
  if (request.sd_flags) {
    flags = *request.sd_flags;
  } else {
    for (const auto& a : request.attributes)
      if (iequals(a, "nTSecurityDescriptor")) flags = kSdFlagsDacl;
  }
  if (flags != 0) out.push_back(sdFlagsControl(flags));
  out.insert(out.end(), request.controls.begin(), request.controls.end());
  return out;
}

Result<Entry> convertEntry(LDAP* ld, LDAPMessage* message, std::vector<PendingRange>* pending) {
  BerElement* ber = nullptr;
  berval dn{};
  int rc = ldap_get_dn_ber(ld, message, &ber, &dn);
  if (rc != LDAP_SUCCESS) {
    if (ber != nullptr) ber_free(ber, 0);
    return fail(ErrorCode::kLdap, "cannot decode a search entry: " + resultCodeName(rc),
                "the DC sent a malformed entry; retry, or report it with the DC's version");
  }
  Entry entry(std::string(dn.bv_val != nullptr ? dn.bv_val : "", dn.bv_len));
  berval attr{};
  BerVarray values = nullptr;
  // ldap_get_attribute_ber hands out values pointing into the message buffer: one copy, into
  // the Entry, and no per-value allocation by libldap.
  for (rc = ldap_get_attribute_ber(ld, message, ber, &attr, &values);
       rc == LDAP_SUCCESS && attr.bv_val != nullptr;
       rc = ldap_get_attribute_ber(ld, message, ber, &attr, &values)) {
    std::vector<std::string> copied;
    if (values != nullptr) {
      std::size_t n = 0;
      while (values[n].bv_val != nullptr) ++n;
      copied.reserve(n);
      for (std::size_t i = 0; i < n; ++i) copied.emplace_back(values[i].bv_val, values[i].bv_len);
      ber_memfree(values);
      values = nullptr;
    }
    std::string_view name(attr.bv_val, attr.bv_len);
    if (auto ranged = parseRangedName(name)) {
      if (pending != nullptr && ranged->high)
        pending->push_back(PendingRange{ranged->base, *ranged->high + 1});
      entry.add(ranged->base, std::move(copied));
    } else {
      entry.add(name, std::move(copied));
    }
  }
  if (values != nullptr) ber_memfree(values);
  ber_free(ber, 0);
  if (rc != LDAP_SUCCESS) {
    return fail(ErrorCode::kLdap,
                "cannot decode the attributes of \"" + entry.dn() + "\": " + resultCodeName(rc),
                "the DC sent a malformed entry; retry, or report it with the DC's version");
  }
  return entry;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Session::Impl helpers

namespace {

int scopeValue(Scope scope) {
  switch (scope) {
    case Scope::kBase: return LDAP_SCOPE_BASE;
    case Scope::kOneLevel: return LDAP_SCOPE_ONELEVEL;
    case Scope::kSubtree: return LDAP_SCOPE_SUBTREE;
  }
  return LDAP_SCOPE_SUBTREE;
}

timeval secondsToTimeval(std::chrono::seconds s) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(s.count());
  return tv;
}

std::vector<char*> attributeArray(std::vector<std::string>& attributes) {
  std::vector<char*> out;
  out.reserve(attributes.size() + 1);
  for (auto& a : attributes) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<std::optional<Entry>> Session::Impl::baseSearch(std::string_view dn,
                                                       const std::vector<std::string>& attributes,
                                                       const std::vector<Control>& controls,
                                                       std::vector<detail::PendingRange>* pending) {
  LDAP* h = ld.get();
  std::string base(dn);
  std::vector<std::string> attrs = attributes;
  auto attr_ptrs = attributeArray(attrs);
  detail::ControlSet control_set(controls);
  auto control_ptrs = control_set.pointers(nullptr);
  timeval tv = secondsToTimeval(options.timeout);
  int msgid = -1;
  int rc = ldap_search_ext(h, base.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)",
                           attrs.empty() ? nullptr : attr_ptrs.data(), 0, control_ptrs.data(),
                           nullptr, &tv, 0, &msgid);
  if (rc != LDAP_SUCCESS) return fail(errorFromHandle("read", base, rc));

  std::optional<Entry> found;
  for (;;) {
    LDAPMessage* raw = nullptr;
    timeval wait = secondsToTimeval(options.timeout);
    rc = ldap_result(h, msgid, LDAP_MSG_ONE, &wait, &raw);
    detail::Message message(raw);
    if (rc == 0) {
      ldap_abandon_ext(h, msgid, nullptr, nullptr);
      return fail(ErrorCode::kTimeout,
                  "read of \"" + base + "\" on " + uri + ": no answer within " +
                      std::to_string(options.timeout.count()) + " s",
                  "raise [directory] timeout or check the DC's load");
    }
    if (rc == -1) return fail(errorFromHandle("read", base, detail::handleResultCode(h)));
    if (rc == LDAP_RES_SEARCH_ENTRY) {
      auto entry = detail::convertEntry(h, raw, pending);
      if (!entry) return fail(entry.error());
      if (!found) found = std::move(*entry);
      continue;
    }
    if (rc == LDAP_RES_SEARCH_REFERENCE) continue;
    if (rc == LDAP_RES_SEARCH_RESULT) {
      int code = LDAP_SUCCESS;
      char* matched = nullptr;
      char* diag = nullptr;
      rc = ldap_parse_result(h, raw, &code, &matched, &diag, nullptr, nullptr, 0);
      std::string matched_s = matched != nullptr ? matched : "";
      std::string diag_s = diag != nullptr ? diag : "";
      ldap_memfree(matched);
      ldap_memfree(diag);
      if (rc != LDAP_SUCCESS) return fail(errorFromHandle("read", base, rc));
      if (code == LDAP_NO_SUCH_OBJECT) return std::optional<Entry>();
      if (code != LDAP_SUCCESS)
        return fail(mapLdapError(code, diag_s, matched_s, context("read", base)));
      return found;
    }
    return fail(ErrorCode::kLdap,
                "read of \"" + base + "\" on " + uri + ": unexpected LDAP message type " +
                    std::to_string(rc));
  }
}

Result<std::vector<std::string>> Session::Impl::rangedFrom(std::string_view dn,
                                                           std::string_view attribute,
                                                           std::uint64_t low, std::size_t step) {
  std::vector<std::string> values;
  // Each round asks for "attr;range=low-*" (or low-(low+step-1)) and continues after the last
  // index the server reports, until it reports "*". Every round must make progress.
  for (;;) {
    std::string description = std::string(attribute) + ";range=" + std::to_string(low) + "-" +
                              (step == 0 ? std::string("*") : std::to_string(low + step - 1));
    std::vector<detail::PendingRange> pending;
    auto entry = baseSearch(dn, {description}, {}, &pending);
    if (!entry) return fail(entry.error());
    if (!*entry) {
      return fail(ErrorCode::kNotFound,
                  "ranged read of " + std::string(attribute) + " of \"" + std::string(dn) +
                      "\" on " + uri + ": the object does not exist (any more)",
                  "it may have been deleted or moved during the scan; scan again");
    }
    const auto* got = (*entry)->values(attribute);
    if (got == nullptr) break;  // beyond the last value (or none at all)
    values.insert(values.end(), got->begin(), got->end());
    std::optional<std::uint64_t> next;
    for (const auto& p : pending)
      if (iequals(p.base, attribute)) next = p.next_low;
    if (!next) break;  // the server said "*" (or sent the attribute without a range)
    if (*next <= low || got->empty()) {
      return fail(ErrorCode::kLdap,
                  "ranged read of " + std::string(attribute) + " of \"" + std::string(dn) +
                      "\" on " + uri + ": the server's range does not advance past " +
                      std::to_string(low),
                  "report this with the DC's version");
    }
    low = *next;
  }
  return values;
}

Result<void> Session::Impl::completeRanges(Entry& entry,
                                           const std::vector<detail::PendingRange>& pending) {
  for (const auto& p : pending) {
    auto rest = rangedFrom(entry.dn(), p.base, p.next_low, 0);
    if (!rest) return fail(rest.error());
    entry.add(p.base, std::move(*rest));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// PagedSearch

PagedSearch::PagedSearch(std::unique_ptr<State> state) : state_(std::move(state)) {}
PagedSearch::PagedSearch(PagedSearch&&) noexcept = default;
PagedSearch& PagedSearch::operator=(PagedSearch&&) noexcept = default;
PagedSearch::~PagedSearch() = default;

PagedSearch::State::~State() {
  // Tell the server to stop sending (and drop its paging state) if we leave early.
  if (in_flight && session != nullptr && session->ld)
    ldap_abandon_ext(session->ld.get(), msgid, nullptr, nullptr);
}

Error PagedSearch::State::failWith(Error error) {
  done = true;
  failed = error;
  return error;
}

Result<void> PagedSearch::State::sendPage() {
  LDAP* ld = session->ld.get();
  LDAPControl* page = nullptr;
  berval cookie_bv{};
  cookie_bv.bv_len = cookie.size();
  cookie_bv.bv_val = cookie.data();
  // Critical: without paging the DC would silently stop at its MaxPageSize.
  int rc = ldap_create_page_control(ld, static_cast<ber_int_t>(page_size),
                                    cookie.empty() ? nullptr : &cookie_bv, 1, &page);
  if (rc != LDAP_SUCCESS)
    return fail(session->errorFromHandle("paged search", request.base, rc));
  auto ptrs = controls->pointers(page);
  timeval limit = secondsToTimeval(session->options.timeout);
  rc = ldap_search_ext(ld, request.base.c_str(), scopeValue(request.scope), request.filter.c_str(),
                       request.attributes.empty() ? nullptr : attrs.data(), 0, ptrs.data(),
                       nullptr, &limit, 0, &msgid);
  ldap_control_free(page);
  if (rc != LDAP_SUCCESS) return fail(session->errorFromHandle("search", request.base, rc));
  in_flight = true;
  return {};
}

Result<std::optional<Entry>> PagedSearch::next() {
  State& s = *state_;
  if (s.failed) return fail(*s.failed);
  if (s.done) return std::optional<Entry>();
  LDAP* ld = s.session->ld.get();
  auto progress = [&] {
    return " after " + std::to_string(s.entries) + " entries (" + std::to_string(s.pages) +
           " complete pages)";
  };
  for (;;) {
    if (!s.in_flight) {
      auto sent = s.sendPage();
      if (!sent) {
        Error e = sent.error();
        e.message += progress();
        return fail(s.failWith(std::move(e)));
      }
    }
    LDAPMessage* raw = nullptr;
    timeval wait = secondsToTimeval(s.session->options.timeout);
    int rc = ldap_result(ld, s.msgid, LDAP_MSG_ONE, &wait, &raw);
    detail::Message message(raw);
    if (rc == 0) {
      return fail(s.failWith(Error{
          ErrorCode::kTimeout,
          "search of \"" + s.request.base + "\" on " + s.session->uri + ": no answer within " +
              std::to_string(s.session->options.timeout.count()) + " s" + progress(),
          "raise [directory] timeout, narrow the search, or check the DC's load"}));
    }
    if (rc == -1) {
      const int code = detail::handleResultCode(ld);
      Error e = s.session->errorFromHandle("search", s.request.base, code);
      if (code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR) {
        e = Error{ErrorCode::kServerDown,
                  "connection to " + s.session->uri + " lost during the search of \"" +
                      s.request.base + "\"" + progress() + ": " + e.message,
                  "the result is incomplete; run again (the next DC in [directory] uri is tried "
                  "when this one stays down)"};
      } else {
        e.message += progress();
      }
      s.in_flight = false;
      return fail(s.failWith(std::move(e)));
    }
    switch (rc) {
      case LDAP_RES_SEARCH_ENTRY: {
        std::vector<detail::PendingRange> pending;
        auto entry = detail::convertEntry(ld, raw, s.request.complete_ranges ? &pending : nullptr);
        if (!entry) return fail(s.failWith(entry.error()));
        if (!pending.empty()) {
          auto done = s.session->completeRanges(*entry, pending);
          if (!done) return fail(s.failWith(done.error()));
        }
        ++s.entries;
        return std::optional<Entry>(std::move(*entry));
      }
      case LDAP_RES_SEARCH_REFERENCE:
        ++s.references;
        continue;
      case LDAP_RES_SEARCH_RESULT: {
        s.in_flight = false;
        int code = LDAP_SUCCESS;
        char* matched = nullptr;
        char* diag = nullptr;
        LDAPControl** raw_controls = nullptr;
        rc = ldap_parse_result(ld, raw, &code, &matched, &diag, nullptr, &raw_controls, 0);
        detail::Controls controls(raw_controls);
        std::string matched_s = matched != nullptr ? matched : "";
        std::string diag_s = diag != nullptr ? diag : "";
        ldap_memfree(matched);
        ldap_memfree(diag);
        if (rc != LDAP_SUCCESS) {
          Error e = s.session->errorFromHandle("search", s.request.base, rc);
          e.message += progress();
          return fail(s.failWith(std::move(e)));
        }
        if (code != LDAP_SUCCESS) {
          Error e = mapLdapError(code, diag_s, matched_s,
                                 s.session->context("search", s.request.base));
          if (s.entries > 0) e.message += progress();
          return fail(s.failWith(std::move(e)));
        }
        ++s.pages;
        LDAPControl* page =
            ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls.get(), nullptr);
        if (page == nullptr) {
          s.done = true;  // the server answered in one go
          return std::optional<Entry>();
        }
        ber_int_t estimate = 0;
        berval cookie{};
        rc = ldap_parse_pageresponse_control(ld, page, &estimate, &cookie);
        if (rc != LDAP_SUCCESS) {
          return fail(s.failWith(Error{
              ErrorCode::kLdap,
              "search of \"" + s.request.base + "\" on " + s.session->uri +
                  ": malformed paged-results response" + progress(),
              "report this with the DC's version"}));
        }
        s.cookie.assign(cookie.bv_val != nullptr ? cookie.bv_val : "", cookie.bv_len);
        ber_memfree(cookie.bv_val);
        if (s.cookie.empty()) {
          s.done = true;
          return std::optional<Entry>();
        }
        continue;  // next page
      }
      default:
        return fail(s.failWith(Error{ErrorCode::kLdap,
                                     "search of \"" + s.request.base + "\" on " +
                                         s.session->uri + ": unexpected LDAP message type " +
                                         std::to_string(rc),
                                     {}}));
    }
  }
}

std::uint64_t PagedSearch::entriesReceived() const { return state_->entries; }
std::uint64_t PagedSearch::pagesReceived() const { return state_->pages; }
std::uint64_t PagedSearch::referencesSkipped() const { return state_->references; }

Result<PagedSearch> Session::search(const SearchRequest& request) {
  auto state = std::make_unique<PagedSearch::State>();
  state->session = impl_.get();
  state->request = request;
  state->page_size = request.page_size > 0 ? request.page_size : impl_->options.page_size;
  state->attrs = attributeArray(state->request.attributes);
  state->controls = std::make_unique<detail::ControlSet>(detail::requestControls(request));
  auto sent = state->sendPage();
  if (!sent) return fail(sent.error());
  return PagedSearch(std::move(state));
}

}  // namespace adcheck::ldap
