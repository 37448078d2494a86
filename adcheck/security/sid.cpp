#include "adcheck/security/sid.h"

#include <charconv>
#include <cstring>

#include "adcheck/security/byte_io.h"

namespace adcheck::security {
namespace {

void appendUnsigned(std::string& out, std::uint64_t v, int base = 10) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, base);
  out.append(buf, r.ptr);
}

std::string sidString(std::span<const std::uint8_t> b) {
  std::string out;
  out.reserve(64);
  out += "S-";
  appendUnsigned(out, b[0]);
  out += '-';
  std::uint64_t authority = 0;
  for (int i = 0; i < 6; ++i) authority = (authority << 8) | b[2 + i];
  // Samba (dom_sid_str_buf) switches to hex at UINT32_MAX inclusive; MS-DTYP says "2^32 or
  // more". We follow Samba so that SDDL output matches it byte for byte.
  if (authority >= 0xFFFFFFFFull) {
    out += "0x";
    appendUnsigned(out, authority, 16);
  } else {
    appendUnsigned(out, authority);
  }
  const std::size_t n = b[1];
  for (std::size_t i = 0; i < n; ++i) {
    out += '-';
    appendUnsigned(out, detail::loadLe32(b.data() + kSidHeaderBytes + 4 * i));
  }
  return out;
}

Error sidTextError(std::string_view text, std::string_view problem) {
  return Error{
      ErrorCode::kParse,
      "invalid SID \"" + std::string(text.substr(0, 200)) + "\": " + std::string(problem),
      "write it as S-1-<authority>-<sub-authority>-..., e.g. S-1-5-21-1004336348-1177238915-"
      "682003330-512"};
}

}  // namespace

Result<Sid> parseSid(std::span<const std::uint8_t> bytes, std::size_t* consumed) {
  if (bytes.size() < kSidHeaderBytes)
    return fail(ErrorCode::kParse, "SID at offset 0 is truncated: " + std::to_string(bytes.size()) +
                                       " bytes, the SID header needs 8 (data ends at offset " +
                                       std::to_string(bytes.size()) + ")");
  if (bytes[0] != 1)
    return fail(ErrorCode::kParse,
                "SID at offset 0 has revision " + std::to_string(bytes[0]) + ", expected 1");
  const std::size_t n = bytes[1];
  if (n > kMaxSubAuthorities)
    return fail(ErrorCode::kParse,
                "SID at offset 0 claims " + std::to_string(n) +
                    " sub-authorities (byte at offset 1), at most 15 are allowed");
  const std::size_t len = kSidHeaderBytes + 4 * n;
  if (bytes.size() < len)
    return fail(ErrorCode::kParse,
                "SID at offset 0 with " + std::to_string(n) + " sub-authorities needs " +
                    std::to_string(len) + " bytes, only " + std::to_string(bytes.size()) +
                    " are there (data ends at offset " + std::to_string(bytes.size()) + ")");
  Sid s;
  std::memcpy(s.bytes_.data(), bytes.data(), len);
  if (consumed != nullptr) *consumed = len;
  return s;
}

Result<Sid> Sid::fromBytes(std::span<const std::uint8_t> bytes) {
  std::size_t used = 0;
  auto s = parseSid(bytes, &used);
  if (!s) return s;
  if (used != bytes.size())
    return fail(ErrorCode::kParse, "SID ends at offset " + std::to_string(used) + " but " +
                                       std::to_string(bytes.size() - used) +
                                       " more bytes follow it");
  return s;
}

Result<Sid> Sid::fromString(std::string_view text) {
  if (text.size() < 2 || (text[0] != 'S' && text[0] != 's') || text[1] != '-')
    return fail(sidTextError(text, "it must start with \"S-\""));
  // Split on '-' after the "S-" prefix.
  std::string_view rest = text.substr(2);
  std::vector<std::string_view> parts;
  while (true) {
    auto dash = rest.find('-');
    parts.push_back(rest.substr(0, dash));
    if (dash == std::string_view::npos) break;
    rest.remove_prefix(dash + 1);
  }
  if (parts.size() < 2) return fail(sidTextError(text, "revision and authority are required"));
  if (parts.size() - 2 > kMaxSubAuthorities)
    return fail(sidTextError(
        text, std::to_string(parts.size() - 2) + " sub-authorities, at most 15 are allowed"));
  auto parseNumber = [](std::string_view p, std::uint64_t max, bool allowHex,
                        std::uint64_t& out) -> bool {
    if (p.empty()) return false;
    int base = 10;
    if (allowHex && p.size() > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
      base = 16;
      p.remove_prefix(2);
    }
    auto r = std::from_chars(p.data(), p.data() + p.size(), out, base);
    return r.ec == std::errc() && r.ptr == p.data() + p.size() && out <= max;
  };
  std::uint64_t rev = 0;
  if (!parseNumber(parts[0], 255, false, rev) || rev != 1)
    return fail(sidTextError(text, "revision \"" + std::string(parts[0]) + "\" is not 1"));
  std::uint64_t authority = 0;
  if (!parseNumber(parts[1], 0xFFFFFFFFFFFFull, true, authority))
    return fail(sidTextError(
        text, "authority \"" + std::string(parts[1]) + "\" is not a number below 2^48"));
  Sid s;
  for (std::size_t i = 2; i < parts.size(); ++i) {
    std::uint64_t v = 0;
    if (!parseNumber(parts[i], 0xFFFFFFFFull, false, v))
      return fail(sidTextError(text, "sub-authority " + std::to_string(i - 1) + " \"" +
                                         std::string(parts[i]) +
                                         "\" is not a decimal number below 2^32"));
    s.setSub(i - 2, static_cast<std::uint32_t>(v));
  }
  s.bytes_[1] = static_cast<std::uint8_t>(parts.size() - 2);
  for (int i = 0; i < 6; ++i)
    s.bytes_[2 + i] = static_cast<std::uint8_t>(authority >> (8 * (5 - i)));
  return s;
}

bool Sid::isDomainSid(const Sid& domainSid) const {
  const std::size_t n = subAuthorityCount();
  if (n < 2 || domainSid.subAuthorityCount() != n - 1) return false;
  // Revision, count aside, authority and the domain's sub-authorities must be equal: compare
  // the bytes after the count up to the RID.
  return bytes_[0] == domainSid.bytes_[0] &&
         std::memcmp(bytes_.data() + 2, domainSid.bytes_.data() + 2, 6 + 4 * (n - 1)) == 0;
}

Result<Sid> Sid::withRid(std::uint32_t rid) const {
  const std::size_t n = subAuthorityCount();
  if (n >= kMaxSubAuthorities)
    return fail(ErrorCode::kInvalidArgument, "cannot append RID " + std::to_string(rid) + " to " +
                                                 toString() +
                                                 ": it already has 15 sub-authorities");
  Sid s = *this;
  s.setSub(n, rid);
  s.bytes_[1] = static_cast<std::uint8_t>(n + 1);
  return s;
}

Sid Sid::withoutRid() const {
  Sid s = *this;
  const std::size_t n = subAuthorityCount();
  if (n == 0) return s;
  s.setSub(n - 1, 0);
  s.bytes_[1] = static_cast<std::uint8_t>(n - 1);
  return s;
}

std::string Sid::toString() const { return sidString(bytes()); }

std::size_t Sid::hash() const {
  // FNV-1a over the used bytes: SIDs of one domain differ mostly in the last four.
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint8_t b : bytes()) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

std::uint32_t SidView::rid() const {
  const std::size_t n = subAuthorityCount();
  return n == 0 ? 0 : detail::loadLe32(p_ + kSidHeaderBytes + 4 * (n - 1));
}

Sid SidView::toSid() const {
  Sid s;
  std::memcpy(s.bytes_.data(), p_, size());
  return s;
}

bool operator==(const SidView& a, const Sid& b) {
  const auto bb = b.bytes();
  return a.size() == bb.size() && std::memcmp(a.p_, bb.data(), bb.size()) == 0;
}

bool operator==(const SidView& a, const SidView& b) {
  return a.size() == b.size() && std::memcmp(a.p_, b.p_, a.size()) == 0;
}

}  // namespace adcheck::security
