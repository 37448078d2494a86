#include "adcheck/security/guid.h"

#include <cstring>

namespace adcheck::security {

Result<Guid> Guid::fromWire(std::span<const std::uint8_t> wire) {
  if (wire.size() != 16)
    return fail(ErrorCode::kParse,
                "a GUID is 16 bytes, got " + std::to_string(wire.size()) + " bytes");
  return fromWire(wire.first<16>());
}

Result<Guid> Guid::fromString(std::string_view s) {
  if (auto g = parse(s)) return *g;
  return fail(ErrorCode::kParse, "invalid GUID \"" + std::string(s.substr(0, 100)) + "\"",
              "write it as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex digits), e.g. "
              "c975c901-6cea-4b6f-8319-d67f45449506");
}

std::string Guid::toString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  // Wire byte index for each text byte position (Data1..Data3 reversed, Data4 as is).
  static constexpr int kOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const std::uint8_t b = bytes_[kOrder[i]];
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

std::size_t Guid::hash() const {
  // GUIDs are random enough: fold the two halves.
  std::uint64_t a;
  std::uint64_t b;
  std::memcpy(&a, bytes_.data(), 8);
  std::memcpy(&b, bytes_.data() + 8, 8);
  return static_cast<std::size_t>(a ^ (b * 0x9E3779B97F4A7C15ull));
}

}  // namespace adcheck::security
