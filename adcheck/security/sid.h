// Security identifiers (MS-DTYP 2.4.2): a value type that keeps the SID in its wire form inline
// (no heap), and a view of a SID that sits inside a validated descriptor blob.
//
// Wire form (MS-DTYP 2.4.2.2): Revision (1 byte, MUST be 1), SubAuthorityCount (1 byte, at
// most 15), IdentifierAuthority (6 bytes, big-endian), SubAuthority[count] (4 bytes each,
// little-endian). A domain account SID (S-1-5-21-a-b-c-RID) is 28 bytes.
//
// String form follows Samba's dom_sid_string(), because adcheck's SDDL must match Samba's byte
// for byte: "S-<rev>-<authority>-<sub>-..." with the authority in decimal when it is below
// 0xFFFFFFFF and as lowercase hex ("0x...", no padding) from 0xFFFFFFFF on.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adcheck/core/error.h"

namespace adcheck::security {

inline constexpr std::size_t kMaxSubAuthorities = 15;
inline constexpr std::size_t kSidHeaderBytes = 8;
inline constexpr std::size_t kMaxSidBytes = kSidHeaderBytes + 4 * kMaxSubAuthorities;  // 68

class SidView;

class Sid {
 public:
  // S-1-0 (revision 1, authority 0, no sub-authorities). Only useful as a placeholder.
  constexpr Sid() = default;

  // For compile-time constants (well_known.h). At most 15 sub-authorities are taken; a longer
  // list is cut (this is never called with untrusted input: use fromString / parseSid for that).
  static constexpr Sid make(std::uint64_t authority, std::initializer_list<std::uint32_t> subs) {
    Sid s;
    std::size_t n = 0;
    for (std::uint32_t v : subs) {
      if (n == kMaxSubAuthorities) break;
      s.setSub(n++, v);
    }
    s.bytes_[1] = static_cast<std::uint8_t>(n);
    for (int i = 0; i < 6; ++i)
      s.bytes_[2 + i] = static_cast<std::uint8_t>(authority >> (8 * (5 - i)));
    return s;
  }

  // "S-1-5-21-1-2-3-512". The authority may be decimal or 0x-prefixed hex; the prefix "S" may be
  // lower case. Errors (kParse) name the text and the offending component.
  static Result<Sid> fromString(std::string_view text);
  // Exactly one SID, nothing after it.
  static Result<Sid> fromBytes(std::span<const std::uint8_t> bytes);

  constexpr std::uint8_t revision() const { return bytes_[0]; }
  constexpr std::size_t subAuthorityCount() const { return bytes_[1]; }
  constexpr std::uint64_t authority() const {
    std::uint64_t a = 0;
    for (int i = 0; i < 6; ++i) a = (a << 8) | bytes_[2 + i];
    return a;
  }
  // 0 when i is out of range.
  constexpr std::uint32_t subAuthority(std::size_t i) const {
    if (i >= subAuthorityCount()) return 0;
    const std::size_t o = kSidHeaderBytes + 4 * i;
    return static_cast<std::uint32_t>(bytes_[o]) |
           (static_cast<std::uint32_t>(bytes_[o + 1]) << 8) |
           (static_cast<std::uint32_t>(bytes_[o + 2]) << 16) |
           (static_cast<std::uint32_t>(bytes_[o + 3]) << 24);
  }
  // The last sub-authority (the relative identifier of an account), 0 when there is none.
  constexpr std::uint32_t rid() const {
    return subAuthorityCount() == 0 ? 0 : subAuthority(subAuthorityCount() - 1);
  }

  // True when this SID is `domainSid` plus exactly one RID (a principal of that domain), with
  // the same revision and authority. Same rule as Samba's dom_sid_in_domain(), which decides
  // the domain-relative SDDL aliases (DA, DU, ...): a SID with fewer than 2 sub-authorities is
  // never "in" a domain.
  bool isDomainSid(const Sid& domainSid) const;
  // This SID with `rid` appended; fails when it already has 15 sub-authorities.
  Result<Sid> withRid(std::uint32_t rid) const;
  // This SID without its last sub-authority (for S-1-5-21-a-b-c-RID: the domain SID).
  Sid withoutRid() const;

  std::string toString() const;
  // The wire bytes, 8 + 4 * subAuthorityCount() long. The span points into this object.
  constexpr std::span<const std::uint8_t> bytes() const {
    return {bytes_.data(), kSidHeaderBytes + 4 * subAuthorityCount()};
  }
  std::vector<std::uint8_t> toBytes() const { return {bytes().begin(), bytes().end()}; }

  std::size_t hash() const;

  friend bool operator==(const Sid& a, const Sid& b) {
    return a.bytes_ == b.bytes_;  // unused tail bytes are always zero
  }
  friend std::strong_ordering operator<=>(const Sid& a, const Sid& b) {
    return a.bytes_ <=> b.bytes_;
  }

 private:
  friend class SidView;
  friend Result<Sid> parseSid(std::span<const std::uint8_t>, std::size_t*);

  constexpr void setSub(std::size_t i, std::uint32_t v) {
    const std::size_t o = kSidHeaderBytes + 4 * i;
    bytes_[o] = static_cast<std::uint8_t>(v);
    bytes_[o + 1] = static_cast<std::uint8_t>(v >> 8);
    bytes_[o + 2] = static_cast<std::uint8_t>(v >> 16);
    bytes_[o + 3] = static_cast<std::uint8_t>(v >> 24);
  }

  std::array<std::uint8_t, kMaxSidBytes> bytes_{1, 0, 0, 0, 0, 0, 0, 0};
};

// Parses the SID at the start of `bytes`; trailing bytes are allowed and `consumed` (if not
// null) receives the SID's length. Errors (kParse) name the byte offset within `bytes`:
// fewer than 8 bytes, revision other than 1, more than 15 sub-authorities, sub-authorities
// running past the end.
Result<Sid> parseSid(std::span<const std::uint8_t> bytes, std::size_t* consumed = nullptr);

// A SID inside a descriptor that parseSecurityDescriptor() has validated: no copy, no checks.
class SidView {
 public:
  SidView() = default;

  std::size_t subAuthorityCount() const { return p_[1]; }
  std::size_t size() const { return kSidHeaderBytes + 4 * subAuthorityCount(); }
  std::span<const std::uint8_t> bytes() const { return {p_, size()}; }
  std::uint32_t rid() const;
  Sid toSid() const;
  std::string toString() const { return toSid().toString(); }

  friend bool operator==(const SidView& a, const Sid& b);
  friend bool operator==(const SidView& a, const SidView& b);

 private:
  friend class AceView;
  friend class SecurityDescriptorView;
  explicit SidView(const std::uint8_t* p) : p_(p) {}
  const std::uint8_t* p_ = kNullSid.data();
  static constexpr std::array<std::uint8_t, 8> kNullSid{1, 0, 0, 0, 0, 0, 0, 0};
};

// LDAP values (ldap::Entry) are std::string: this views their bytes as the span the parsers take.
inline std::span<const std::uint8_t> asBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace adcheck::security

template <>
struct std::hash<adcheck::security::Sid> {
  std::size_t operator()(const adcheck::security::Sid& s) const noexcept { return s.hash(); }
};
