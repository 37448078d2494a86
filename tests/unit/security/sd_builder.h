// Builds security-descriptor bytes by hand for the tests, independently of the module's own
// serializer (SecurityDescriptor::toBytes), so that a bug there cannot hide one in the parser.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace adcheck::security::testing {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void put32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }

inline Bytes hex(std::string_view h) {
  Bytes out;
  int hi = -1;
  for (char c : h) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;  // spaces, '|'
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

inline Bytes sid(std::uint64_t authority, std::initializer_list<std::uint32_t> subs) {
  Bytes b{1, static_cast<std::uint8_t>(subs.size())};
  for (int i = 5; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(authority >> (8 * i)));
  for (auto s : subs) put32(b, s);
  return b;
}

// GUID text -> 16 wire bytes (Data1..3 little-endian).
inline Bytes guid(std::string_view text) {
  Bytes raw = hex(text);  // big-endian text order
  return {raw[3], raw[2], raw[1],  raw[0],  raw[5],  raw[4],  raw[7],  raw[6],
          raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]};
}

inline Bytes ace(std::uint8_t type, std::uint8_t flags, std::uint32_t mask, const Bytes& trustee,
                 std::size_t padding = 0) {
  Bytes b{type, flags, 0, 0};
  put32(b, mask);
  append(b, trustee);
  b.insert(b.end(), padding, 0);
  b[2] = static_cast<std::uint8_t>(b.size());
  b[3] = static_cast<std::uint8_t>(b.size() >> 8);
  return b;
}

inline Bytes objectAce(std::uint8_t type, std::uint8_t flags, std::uint32_t mask,
                       const Bytes* objectType, const Bytes* inheritedObjectType,
                       const Bytes& trustee, std::uint32_t extraObjectFlags = 0) {
  Bytes b{type, flags, 0, 0};
  put32(b, mask);
  put32(b, (objectType ? 1u : 0u) | (inheritedObjectType ? 2u : 0u) | extraObjectFlags);
  if (objectType) append(b, *objectType);
  if (inheritedObjectType) append(b, *inheritedObjectType);
  append(b, trustee);
  b[2] = static_cast<std::uint8_t>(b.size());
  b[3] = static_cast<std::uint8_t>(b.size() >> 8);
  return b;
}

inline Bytes acl(const std::vector<Bytes>& aces, std::uint8_t revision = 4) {
  Bytes b{revision, 0};
  std::size_t size = 8;
  for (const auto& a : aces) size += a.size();
  put16(b, static_cast<std::uint16_t>(size));
  put16(b, static_cast<std::uint16_t>(aces.size()));
  put16(b, 0);
  for (const auto& a : aces) append(b, a);
  return b;
}

// Header + parts in the order DACL, owner, group, SACL (offsets filled in). A part left empty
// is absent (offset 0). `control` is used as given.
inline Bytes descriptor(std::uint16_t control, const Bytes& dacl, const Bytes& owner = {},
                        const Bytes& group = {}, const Bytes& sacl = {}) {
  Bytes b{1, 0};
  put16(b, control);
  std::uint32_t off = 20;
  const std::uint32_t daclOff = dacl.empty() ? 0 : off;
  off += static_cast<std::uint32_t>(dacl.size());
  const std::uint32_t ownerOff = owner.empty() ? 0 : off;
  off += static_cast<std::uint32_t>(owner.size());
  const std::uint32_t groupOff = group.empty() ? 0 : off;
  off += static_cast<std::uint32_t>(group.size());
  const std::uint32_t saclOff = sacl.empty() ? 0 : off;
  put32(b, ownerOff);
  put32(b, groupOff);
  put32(b, saclOff);
  put32(b, daclOff);
  append(b, dacl);
  append(b, owner);
  append(b, group);
  append(b, sacl);
  return b;
}

// A descriptor with just a DACL (what adcheck reads with the SD flags control 0x4).
inline Bytes daclOnly(const std::vector<Bytes>& aces, std::uint16_t extraControl = 0x0400) {
  return descriptor(static_cast<std::uint16_t>(0x8004 | extraControl), acl(aces));
}

// Well-known bits of the test domain.
inline Bytes domainSid(std::uint32_t rid) {
  return sid(5, {21, 1974516972, 3116780949, 2584384717, rid});
}
inline constexpr std::string_view kDomainSidText = "S-1-5-21-1974516972-3116780949-2584384717";
inline constexpr std::string_view kEasDevicesGuid = "c975c901-6cea-4b6f-8319-d67f45449506";
inline constexpr std::string_view kEasDeviceGuid = "e8b2aff2-59a7-4eac-9a70-819adef701dd";
inline constexpr std::string_view kUserGuid = "bf967aba-0de6-11d0-a285-00aa003049e2";
inline constexpr std::string_view kInetOrgPersonGuid = "4828cc14-1437-45bc-9b07-ad6f015e5f28";

}  // namespace adcheck::security::testing
