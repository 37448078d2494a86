// GUIDs as AD stores them (schemaIDGUID, rightsGuid, objectGUID, ACE object types).
//
// The 16 bytes are kept in wire order (MS-DTYP 2.3.4.2, "mixed-endian"): Data1 (4 bytes),
// Data2 (2) and Data3 (2) little-endian, Data4 (8) as is. So the string
// "c975c901-6cea-4b6f-8319-d67f45449506" is the bytes 01 c9 75 c9 ea 6c 6f 4b 83 19 d6 7f 45 44
// 95 06. toString() gives the canonical lowercase form, which is also what Samba's SDDL uses.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "adcheck/core/error.h"

namespace adcheck::security {

class Guid {
 public:
  // The nil GUID 00000000-0000-0000-0000-000000000000.
  constexpr Guid() = default;

  static constexpr Guid fromWire(std::span<const std::uint8_t, 16> wire) {
    Guid g;
    for (std::size_t i = 0; i < 16; ++i) g.bytes_[i] = wire[i];
    return g;
  }
  // Fails (kParse) unless `wire` is exactly 16 bytes.
  static Result<Guid> fromWire(std::span<const std::uint8_t> wire);

  // "c975c901-6cea-4b6f-8319-d67f45449506", upper or lower case, optionally in braces. Usable at
  // compile time for the built-in tables: `*Guid::parse("...")` fails to compile on a typo.
  static constexpr std::optional<Guid> parse(std::string_view s) {
    if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
    if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
      return std::nullopt;
    // Text position of each of the 16 bytes in wire order.
    constexpr int kPos[16] = {6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34};
    Guid g;
    for (int i = 0; i < 16; ++i) {
      const int hi = hexValue(s[kPos[i]]);
      const int lo = hexValue(s[kPos[i] + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      g.bytes_[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return g;
  }
  // Same as parse(), with an error naming the text.
  static Result<Guid> fromString(std::string_view s);

  std::string toString() const;
  constexpr const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  constexpr bool isNil() const {
    for (auto b : bytes_)
      if (b != 0) return false;
    return true;
  }
  std::size_t hash() const;

  friend constexpr bool operator==(const Guid&, const Guid&) = default;
  friend constexpr std::strong_ordering operator<=>(const Guid&, const Guid&) = default;

 private:
  static constexpr int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  std::array<std::uint8_t, 16> bytes_{};
};

}  // namespace adcheck::security

template <>
struct std::hash<adcheck::security::Guid> {
  std::size_t operator()(const adcheck::security::Guid& g) const noexcept { return g.hash(); }
};
