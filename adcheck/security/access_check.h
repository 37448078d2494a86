// The access check adcheck's verdicts rest on: does a token get `desired` rights on an object
// (of a given object type) from the object's DACL? MS-DTYP 2.5.3.2 as used by AD
// (MS-ADTS 5.1.3.3), reduced to what a read-only checker can know:
//
// - ACEs are evaluated in DACL order. INHERIT_ONLY ACEs are skipped (they only serve inheritance:
//   the domain root's CI|IO copy of Exchange's grant gives nothing on the root itself).
// - ACCESS_ALLOWED / ACCESS_DENIED apply to every object type.
// - ACCESS_ALLOWED_OBJECT / ACCESS_DENIED_OBJECT without an ObjectType apply like the plain
//   ones; with an ObjectType they apply only when it equals `objectType` (for Create child /
//   Delete child: the class of the child, e.g. msExchActiveSyncDevices; for Read/Write property:
//   the attribute or property set; for Control access: the extended right). With `objectType`
//   null, object ACEs that carry an ObjectType are ignored. InheritedObjectType plays no part in
//   the check (it only steers inheritance).
// - A deny takes the matching bits that are still undecided; an allow grants them. A bit once
//   decided stays decided, so an allow that comes before a deny wins, as on Windows. The walk
//   stops as soon as every desired bit is decided.
// - ACE masks and `desired` go through the directory generic mapping (mapGenericDs): an ACE
//   with GENERIC_ALL grants CC|DC|LC and the rest of 0xF01FF.
// - NULL DACL (no DACL at all): everything is granted. Empty DACL: nothing is.
// - Not evaluated, counted in AccessResult::unevaluated: callback (conditional) ACEs whose
//   trustee is in the token and whose rights matter, and ACEs of unknown layout in the DACL.
//   Neither grants nor denies; a caller should say the verdict is uncertain when it is not 0.
// - Audit, alarm and label ACEs are ignored (they do not control access).
// Assumptions (document them where verdicts are shown):
// - The token is exactly the SIDs the caller put in: add Everyone, Authenticated Users and the
//   transitive groups (SPEC section 3). PRINCIPAL SELF (S-1-5-10) matches only if the caller adds
//   it, i.e. when the token's user is the object being checked. CREATOR OWNER / OWNER RIGHTS
//   match only if added; owners get no implicit READ_CONTROL / WRITE_DAC here.
// - No privileges (SeTakeOwnership, SeSecurity, SeBackup, SeRestore ...) are considered.
// - MAXIMUM_ALLOWED and ACCESS_SYSTEM_SECURITY in `desired` are compared as ordinary bits (an
//   ACE grants them only if its mask carries them, which AD does not write; on Windows the
//   latter comes from a privilege), so ask for concrete rights.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "adcheck/security/guid.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/security/sid.h"

namespace adcheck::security {

// A small set of SIDs with a fast membership test (a handful of SIDs: linear scan on the RID
// first, then the bytes; no hashing, no allocation per test).
class Token {
 public:
  Token() = default;
  Token(std::initializer_list<Sid> sids);

  // Duplicates are ignored.
  void add(const Sid& sid);
  bool contains(const Sid& sid) const;
  bool contains(const SidView& sid) const;
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<Sid> sids() const;

 private:
  struct Entry {
    std::uint32_t lastWord;  // last 4 bytes of the SID (the RID for account SIDs)
    std::uint32_t length;
    Sid sid;
  };
  bool containsBytes(std::span<const std::uint8_t> bytes) const;
  std::vector<Entry> entries_;
};

enum class Decision : std::uint8_t {
  kGranted,     // every desired right is granted
  kDenied,      // a deny ACE took at least one desired right
  kNotGranted,  // no deny, but some desired right is granted by no ACE
};

std::string_view decisionName(Decision d);  // "granted", "denied", "not-granted"

struct AccessResult {
  static constexpr std::size_t kNoAce = std::numeric_limits<std::size_t>::max();

  Decision decision = Decision::kNotGranted;
  std::uint32_t desired = 0;  // after generic mapping
  std::uint32_t granted = 0;  // desired rights an allow ACE decided
  std::uint32_t denied = 0;   // desired rights a deny ACE decided
  bool nullDacl = false;      // no DACL: everything granted
  // The deciding ACE (index in the DACL and byte offset in the descriptor): for kDenied the
  // first deny that took a desired right, for kGranted the allow that completed the grant;
  // kNoAce otherwise (and for a NULL DACL).
  std::size_t decidingAce = kNoAce;
  std::uint32_t decidingAceOffset = 0;
  // Callback / unknown ACEs that might have mattered but were not evaluated (see the header).
  std::uint32_t unevaluated = 0;

  // Indices of the ACEs that decided at least one desired right, in DACL order. Each decides at
  // least one new bit, so there are at most 32.
  std::span<const std::uint16_t> contributingAces() const {
    return {contributing_.data(), contributingCount_};
  }

  bool isGranted() const { return decision == Decision::kGranted; }

  // Internal to checkAccess().
  void addContributing(std::size_t index) {
    if (contributingCount_ < contributing_.size())
      contributing_[contributingCount_++] = static_cast<std::uint16_t>(index);
  }

 private:
  std::array<std::uint16_t, 32> contributing_{};
  std::uint8_t contributingCount_ = 0;
};

// Does `token` hold `desired` on the object described by `sd`, for `objectType` (may be null)?
// Allocation-free.
AccessResult checkAccess(const SecurityDescriptorView& sd, const Token& token,
                         std::uint32_t desired, const Guid* objectType);

}  // namespace adcheck::security
