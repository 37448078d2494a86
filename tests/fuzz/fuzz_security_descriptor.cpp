// libFuzzer target fuzz_sd: whatever bytes come in, parseSecurityDescriptor() must return a view
// or a kParse error, never crash or read out of bounds (ASan/UBSan watch that); and whatever
// parses must render as SDDL, describe, materialise, write back and reparse to the same SDDL,
// and go through the access check with self-consistent results. An inconsistency aborts, so
// libFuzzer reports it like a crash.
//
// Build and run: tests/fuzz/run_fuzz.sh SECONDS
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "adcheck/security/access_check.h"
#include "adcheck/security/access_mask.h"
#include "adcheck/security/describe.h"
#include "adcheck/security/guid_names.h"
#include "adcheck/security/sddl.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/security/well_known.h"

namespace sec = adcheck::security;

namespace {

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_sd invariant broken: %s\n%s\n", what, detail.c_str());
  std::abort();
}

const sec::Sid& domainSid() {
  static const sec::Sid s = *sec::Sid::fromString("S-1-5-21-1004336348-1177238915-682003330");
  return s;
}

const sec::Token& exchangeToken() {
  static const sec::Token t{*domainSid().withRid(1103), *domainSid().withRid(1104),
                            sec::kSidEveryone, sec::kSidAuthenticatedUsers};
  return t;
}

void checkResult(const sec::AccessResult& r, const sec::SecurityDescriptorView& v) {
  if ((r.granted & r.denied) != 0) broken("a right both granted and denied", "");
  if (((r.granted | r.denied) & ~r.desired) != 0) broken("decided a right nobody asked for", "");
  const bool granted = r.granted == r.desired && r.denied == 0;
  if (granted != (r.decision == sec::Decision::kGranted)) broken("decision vs masks", "");
  if ((r.denied != 0) != (r.decision == sec::Decision::kDenied)) broken("deny decision", "");
  if (r.decidingAce != sec::AccessResult::kNoAce) {
    const sec::AclView* dacl = v.dacl();
    if (dacl == nullptr || r.decidingAce >= dacl->aceCount())
      broken("deciding ACE out of range", "");
  }
  for (std::uint16_t i : r.contributingAces()) {
    if (v.dacl() == nullptr || i >= v.dacl()->aceCount())
      broken("contributing ACE out of range", "");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  auto v = sec::parseSecurityDescriptor(bytes);
  if (!v) {
    if (v.error().code != adcheck::ErrorCode::kParse || v.error().message.empty())
      broken("parse failure without a kParse message", v.error().message);
    return 0;
  }

  const std::string sddl = sec::toSddl(*v, domainSid());
  // Walk every ACE through every accessor, and describe it.
  for (const sec::AclView* acl : {v->dacl(), v->sacl()}) {
    if (acl == nullptr) continue;
    std::size_t n = 0;
    for (sec::AceView ace : *acl) {
      ++n;
      if (ace.raw().size() != ace.size()) broken("raw() size", sddl);
      if (ace.hasSid()) (void)ace.sid().toString();
      (void)ace.objectType();
      (void)ace.inheritedObjectType();
      (void)ace.trailing();
      (void)sec::describeAce(ace, sec::GuidNames::builtIn(), {});
      (void)sec::aceToSddl(ace, domainSid());
    }
    if (n != acl->aceCount()) broken("walked a different number of ACEs than AceCount", sddl);
  }

  // Materialise, write back, reparse: the same SDDL.
  const sec::SecurityDescriptor owned = sec::SecurityDescriptor::fromView(*v);
  if (sec::toSddl(owned, domainSid()) != sddl) broken("owned SDDL differs", sddl);
  auto again = owned.toBytes();
  if (!again) broken("cannot write back a parsed descriptor", again.error().message);
  auto v2 = sec::parseSecurityDescriptor(*again);
  if (!v2) broken("cannot reparse what was written back", v2.error().message);
  if (sec::toSddl(*v2, domainSid()) != sddl) broken("round trip changed the SDDL", sddl);

  // The access check with the Exchange question and a few others.
  const sec::Guid& eas = sec::kGuidClassMsExchActiveSyncDevices;
  for (std::uint32_t desired : {sec::kDsCreateChild | sec::kDsDeleteChild | sec::kDsListChildren,
                                sec::kGenericAll, sec::kWriteDac | sec::kWriteOwner, 0u}) {
    checkResult(sec::checkAccess(*v, exchangeToken(), desired, &eas), *v);
    checkResult(sec::checkAccess(*v, exchangeToken(), desired, nullptr), *v);
  }
  return 0;
}
