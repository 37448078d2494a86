#include "adcheck/security/security_descriptor.h"

#include <cstring>

#include "adcheck/security/byte_io.h"

namespace adcheck::security {

using detail::loadLe16;
using detail::loadLe32;

namespace {

constexpr std::size_t kHeaderBytes = 20;
constexpr std::size_t kAclHeaderBytes = 8;

std::string num(std::size_t v) { return std::to_string(v); }

std::unexpected<Error> parseError(std::string message) {
  return fail(ErrorCode::kParse, "malformed security descriptor: " + std::move(message),
              "the bytes are not a valid self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6); "
              "re-read the object's nTSecurityDescriptor and report its DN with this message if "
              "it persists");
}

}  // namespace

std::string aceTypeName(AceType t) {
  switch (t) {
    case AceType::kAccessAllowed:
      return "ACCESS_ALLOWED_ACE_TYPE";
    case AceType::kAccessDenied:
      return "ACCESS_DENIED_ACE_TYPE";
    case AceType::kSystemAudit:
      return "SYSTEM_AUDIT_ACE_TYPE";
    case AceType::kSystemAlarm:
      return "SYSTEM_ALARM_ACE_TYPE";
    case AceType::kAccessAllowedCompound:
      return "ACCESS_ALLOWED_COMPOUND_ACE_TYPE";
    case AceType::kAccessAllowedObject:
      return "ACCESS_ALLOWED_OBJECT_ACE_TYPE";
    case AceType::kAccessDeniedObject:
      return "ACCESS_DENIED_OBJECT_ACE_TYPE";
    case AceType::kSystemAuditObject:
      return "SYSTEM_AUDIT_OBJECT_ACE_TYPE";
    case AceType::kSystemAlarmObject:
      return "SYSTEM_ALARM_OBJECT_ACE_TYPE";
    case AceType::kAccessAllowedCallback:
      return "ACCESS_ALLOWED_CALLBACK_ACE_TYPE";
    case AceType::kAccessDeniedCallback:
      return "ACCESS_DENIED_CALLBACK_ACE_TYPE";
    case AceType::kAccessAllowedCallbackObject:
      return "ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE";
    case AceType::kAccessDeniedCallbackObject:
      return "ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE";
    case AceType::kSystemAuditCallback:
      return "SYSTEM_AUDIT_CALLBACK_ACE_TYPE";
    case AceType::kSystemAlarmCallback:
      return "SYSTEM_ALARM_CALLBACK_ACE_TYPE";
    case AceType::kSystemAuditCallbackObject:
      return "SYSTEM_AUDIT_CALLBACK_OBJECT_ACE_TYPE";
    case AceType::kSystemAlarmCallbackObject:
      return "SYSTEM_ALARM_CALLBACK_OBJECT_ACE_TYPE";
    case AceType::kSystemMandatoryLabel:
      return "SYSTEM_MANDATORY_LABEL_ACE_TYPE";
    case AceType::kSystemResourceAttribute:
      return "SYSTEM_RESOURCE_ATTRIBUTE_ACE_TYPE";
    case AceType::kSystemScopedPolicyId:
      return "SYSTEM_SCOPED_POLICY_ID_ACE_TYPE";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const auto v = static_cast<std::uint8_t>(t);
  return std::string("unknown ACE type 0x") + kHex[v >> 4] + kHex[v & 0xF];
}

// ---- AceView ----------------------------------------------------------------------------------

AceView::AceView(const std::uint8_t* blob, std::uint32_t offset, std::uint16_t index)
    : blob_(blob), offset_(offset), index_(index) {
  const std::uint8_t* p = blob + offset;
  type_ = p[0];
  flags_ = p[1];
  size_ = loadLe16(p + 2);
  if (size_ >= 8) mask_ = loadLe32(p + 4);
  switch (layout()) {
    case AceLayout::kBasic:
      sidPos_ = 8;
      break;
    case AceLayout::kObject: {
      objectFlags_ = loadLe32(p + 8);
      std::uint8_t pos = 12;
      if ((objectFlags_ & kAceObjectTypePresent) != 0) {
        objectTypePos_ = pos;
        pos += 16;
      }
      if ((objectFlags_ & kAceInheritedObjectTypePresent) != 0) {
        inheritedObjectTypePos_ = pos;
        pos += 16;
      }
      sidPos_ = pos;
      break;
    }
    case AceLayout::kUnknown:
      break;
  }
}

std::optional<Guid> AceView::guidAt(std::uint16_t pos) const {
  if (pos == 0) return std::nullopt;
  return Guid::fromWire(std::span<const std::uint8_t, 16>(ace() + pos, 16));
}

std::span<const std::uint8_t> AceView::trailing() const {
  if (!hasSid()) return {};
  const std::size_t end = sidPos_ + sid().size();
  return {ace() + end, size_ - end};
}

AclView::Iterator& AclView::Iterator::operator++() {
  offset_ += loadLe16(blob_ + offset_ + 2);
  ++index_;
  return *this;
}

// ---- Parsing ----------------------------------------------------------------------------------

namespace detail {

struct DescriptorParser {
  const std::uint8_t* p;
  std::size_t n;

  // Checks a SID at `off` that must end by `limit`. `name()` names it for the message; it is
  // only called on failure, so the hot path builds no strings.
  template <class Name>
  std::optional<Error> checkSid(std::size_t off, std::size_t limit, const Name& name) const {
    if (off + kSidHeaderBytes <= limit && p[off] == 1 && p[off + 1] <= kMaxSubAuthorities &&
        off + kSidHeaderBytes + 4 * std::size_t{p[off + 1]} <= limit)
      return std::nullopt;
    const std::string what = name();
    if (off + kSidHeaderBytes > limit)
      return parseError(what + " at offset " + num(off) + " is truncated: the 8-byte SID header " +
                        "would end at offset " + num(off + kSidHeaderBytes) + ", past " +
                        num(limit))
          .error();
    if (p[off] != 1)
      return parseError(what + " at offset " + num(off) + " has revision " + num(p[off]) +
                        ", expected 1")
          .error();
    const std::size_t count = p[off + 1];
    if (count > kMaxSubAuthorities)
      return parseError(what + " at offset " + num(off) + " claims " + num(count) +
                        " sub-authorities (byte at offset " + num(off + 1) +
                        "), at most 15 are allowed")
          .error();
    const std::size_t end = off + kSidHeaderBytes + 4 * count;
    if (end > limit)
      return parseError(what + " at offset " + num(off) + " with " + num(count) +
                        " sub-authorities would end at offset " + num(end) + ", past " + num(limit))
          .error();
    return std::nullopt;
  }

  std::optional<Error> checkOffsetField(std::uint32_t value, std::size_t fieldOffset,
                                        const char* field) const {
    if (value < kHeaderBytes)
      return parseError(std::string(field) + " (at offset " + num(fieldOffset) + ") is " +
                        num(value) + ", which points into the 20-byte header")
          .error();
    if (value >= n)
      return parseError(std::string(field) + " (at offset " + num(fieldOffset) + ") is " +
                        num(value) + ", outside the " + num(n) + "-byte descriptor")
          .error();
    return std::nullopt;
  }

  std::optional<Error> checkAcl(std::uint32_t off, const char* name, AclView& out) const {
    if (off + kAclHeaderBytes > n)
      return parseError(std::string(name) + " header at offset " + num(off) +
                        " is truncated: it needs 8 bytes, the descriptor ends at offset " + num(n))
          .error();
    const std::uint8_t revision = p[off];
    if (revision != 2 && revision != 4)
      return parseError(std::string(name) + " at offset " + num(off) + " has AclRevision " +
                        num(revision) + ", expected 2 or 4")
          .error();
    const std::uint16_t aclSize = loadLe16(p + off + 2);
    const std::uint16_t aceCount = loadLe16(p + off + 4);
    if (aclSize < kAclHeaderBytes)
      return parseError(std::string(name) + " at offset " + num(off) + ": AclSize " + num(aclSize) +
                        " (at offset " + num(off + 2) + ") is smaller than the 8-byte ACL header")
          .error();
    const std::size_t end = std::size_t{off} + aclSize;
    if (end > n)
      return parseError(std::string(name) + " at offset " + num(off) + ": AclSize " + num(aclSize) +
                        " (at offset " + num(off + 2) + ") ends at offset " + num(end) +
                        ", past the end of the " + num(n) + "-byte descriptor")
          .error();
    std::size_t pos = off + kAclHeaderBytes;
    for (std::size_t i = 0; i < aceCount; ++i) {
      // Built only on the error paths: this loop runs for every ACE of every object scanned.
      auto label = [&] { return "ACE " + num(i) + " of the " + name + " at offset " + num(pos); };
      if (pos + 4 > end)
        return parseError(std::string(name) + " at offset " + num(off) + ": AceCount is " +
                          num(aceCount) + " but ACE " + num(i) + " would start at offset " +
                          num(pos) + " and its header does not fit before the ACL ends at offset " +
                          num(end))
            .error();
      const std::uint16_t size = loadLe16(p + pos + 2);
      if (size == 0) return parseError(label() + ": AceSize is 0").error();
      if (size % 4 != 0)
        return parseError(label() + ": AceSize " + num(size) + " is not a multiple of 4").error();
      const std::size_t aceEnd = pos + size;
      if (aceEnd > end)
        return parseError(label() + ": AceSize " + num(size) + " ends at offset " + num(aceEnd) +
                          ", past the end of the ACL at offset " + num(end))
            .error();
      const auto type = static_cast<AceType>(p[pos]);
      switch (aceLayout(type)) {
        case AceLayout::kBasic:
          if (auto e = checkSid(pos + 8, aceEnd, [&] { return label() + ": trustee SID"; }))
            return e;
          break;
        case AceLayout::kObject: {
          if (pos + 12 > aceEnd)
            return parseError(label() + " (" + aceTypeName(type) + "): AceSize " + num(size) +
                              " is too small for the mask and object flags")
                .error();
          const std::uint32_t flags = loadLe32(p + pos + 8);
          std::size_t q = pos + 12;
          if ((flags & kAceObjectTypePresent) != 0) q += 16;
          if ((flags & kAceInheritedObjectTypePresent) != 0) q += 16;
          if (q > aceEnd)
            return parseError(label() + " (" + aceTypeName(type) + "): object flags 0x" +
                              std::to_string(flags & 3) + " announce GUIDs up to offset " + num(q) +
                              ", past the end of the ACE at offset " + num(aceEnd))
                .error();
          if (auto e = checkSid(q, aceEnd, [&] { return label() + ": trustee SID"; })) return e;
          break;
        }
        case AceLayout::kUnknown:
          break;  // kept raw, never interpreted
      }
      pos = aceEnd;
    }
    out.blob_ = p;
    out.offset_ = off;
    out.aclSize_ = aclSize;
    out.aceCount_ = aceCount;
    out.revision_ = revision;
    return std::nullopt;
  }

  Result<SecurityDescriptorView> parse(std::span<const std::uint8_t> bytes) const {
    if (n < kHeaderBytes)
      return parseError("it is " + num(n) + " bytes, shorter than the 20-byte header (data ends " +
                        "at offset " + num(n) + ")");
    if (p[0] != 1) return parseError("revision " + num(p[0]) + " at offset 0, expected 1");
    SecurityDescriptorView v;
    v.bytes_ = bytes;
    v.control_ = loadLe16(p + 2);
    const std::uint32_t ownerOff = loadLe32(p + 4);
    const std::uint32_t groupOff = loadLe32(p + 8);
    const std::uint32_t saclOff = loadLe32(p + 12);
    const std::uint32_t daclOff = loadLe32(p + 16);

    if (ownerOff != 0) {
      if (auto e = checkOffsetField(ownerOff, 4, "OffsetOwner")) return fail(*e);
      if (auto e = checkSid(ownerOff, n, [] { return std::string("owner SID"); })) return fail(*e);
      v.ownerOffset_ = ownerOff;
    }
    if (groupOff != 0) {
      if (auto e = checkOffsetField(groupOff, 8, "OffsetGroup")) return fail(*e);
      if (auto e = checkSid(groupOff, n, [] { return std::string("group SID"); })) return fail(*e);
      v.groupOffset_ = groupOff;
    }
    if ((v.control_ & kSeSaclPresent) != 0) {
      // OffsetSacl 0 with SP set: the DC left the SACL out (see the header).
      if (saclOff != 0) {
        if (auto e = checkOffsetField(saclOff, 12, "OffsetSacl")) return fail(*e);
        if (auto e = checkAcl(saclOff, "SACL", v.sacl_)) return fail(*e);
        v.hasSacl_ = true;
      }
    } else if (saclOff != 0) {
      return parseError("OffsetSacl (at offset 12) is " + num(saclOff) +
                        " but SE_SACL_PRESENT is clear; MS-DTYP requires 0");
    }
    if ((v.control_ & kSeDaclPresent) != 0) {
      // MS-DTYP 2.4.6: OffsetDacl "must be a valid offset if the DP flag is set". Windows would
      // read 0 as a NULL DACL (full access for everyone); we refuse to guess (see the header).
      if (daclOff == 0)
        return parseError(
            "SE_DACL_PRESENT is set but OffsetDacl (at offset 16) is 0; MS-DTYP "
            "requires a valid offset (this is not read as a NULL DACL)");
      if (auto e = checkOffsetField(daclOff, 16, "OffsetDacl")) return fail(*e);
      if (auto e = checkAcl(daclOff, "DACL", v.dacl_)) return fail(*e);
      v.hasDacl_ = true;
    } else if (daclOff != 0) {
      return parseError("OffsetDacl (at offset 16) is " + num(daclOff) +
                        " but SE_DACL_PRESENT is clear; MS-DTYP requires 0");
    }
    return v;
  }
};

}  // namespace detail

Result<SecurityDescriptorView> parseSecurityDescriptor(std::span<const std::uint8_t> bytes) {
  return detail::DescriptorParser{bytes.data(), bytes.size()}.parse(bytes);
}

std::optional<SidView> SecurityDescriptorView::owner() const {
  if (ownerOffset_ == 0) return std::nullopt;
  return SidView(bytes_.data() + ownerOffset_);
}

std::optional<SidView> SecurityDescriptorView::group() const {
  if (groupOffset_ == 0) return std::nullopt;
  return SidView(bytes_.data() + groupOffset_);
}

// ---- Owning representation ---------------------------------------------------------------------

Ace Ace::fromView(const AceView& v) {
  Ace a;
  a.type = v.type();
  a.flags = v.flags();
  a.mask = v.mask();
  a.objectFlags = v.objectFlags();
  a.objectType = v.objectType();
  a.inheritedObjectType = v.inheritedObjectType();
  if (v.hasSid()) {
    a.sid = v.sid().toSid();
    auto t = v.trailing();
    a.trailing.assign(t.begin(), t.end());
  } else {
    auto r = v.raw();
    a.body.assign(r.begin() + 4, r.end());
  }
  return a;
}

SecurityDescriptor SecurityDescriptor::fromView(const SecurityDescriptorView& v) {
  SecurityDescriptor sd;
  sd.revision = v.revision();
  sd.sbz1 = v.sbz1();
  sd.control = v.control();
  if (auto o = v.owner()) sd.owner = o->toSid();
  if (auto g = v.group()) sd.group = g->toSid();
  auto copyAcl = [](const AclView& view) {
    Acl acl;
    acl.revision = view.revision();
    acl.aces.reserve(view.aceCount());
    for (AceView ace : view) acl.aces.push_back(Ace::fromView(ace));
    return acl;
  };
  if (const AclView* d = v.dacl()) sd.dacl = copyAcl(*d);
  if (const AclView* s = v.sacl()) sd.sacl = copyAcl(*s);
  return sd;
}

namespace {

// Wire size of an ACE, before rounding up to a multiple of 4.
std::size_t aceFieldBytes(const Ace& a) {
  const AceLayout layout = aceLayout(a.type);
  if (layout == AceLayout::kUnknown) return 4 + a.body.size();
  std::size_t n = 8 + (a.sid ? a.sid->bytes().size() : 0) + a.trailing.size();
  if (layout == AceLayout::kObject)
    n += 4 + (a.objectType ? 16 : 0) + (a.inheritedObjectType ? 16 : 0);
  return n;
}

// Writes the ACE at `out` (which has room for aceFieldBytes rounded up to 4, zeroed).
// Sized first and copied with memcpy: GCC 12 warns falsely (-Wstringop-overflow) on
// vector::insert of spans here.
void writeAce(const Ace& a, std::uint8_t* out, std::uint16_t size) {
  out[0] = static_cast<std::uint8_t>(a.type);
  out[1] = a.flags;
  detail::storeLe16(out + 2, size);
  std::size_t pos = 4;
  auto copy = [&](std::span<const std::uint8_t> b) {
    if (!b.empty()) std::memcpy(out + pos, b.data(), b.size());
    pos += b.size();
  };
  const AceLayout layout = aceLayout(a.type);
  if (layout == AceLayout::kUnknown) {
    copy(a.body);
    return;
  }
  detail::storeLe32(out + pos, a.mask);
  pos += 4;
  if (layout == AceLayout::kObject) {
    std::uint32_t flags = a.objectFlags & ~(kAceObjectTypePresent | kAceInheritedObjectTypePresent);
    if (a.objectType) flags |= kAceObjectTypePresent;
    if (a.inheritedObjectType) flags |= kAceInheritedObjectTypePresent;
    detail::storeLe32(out + pos, flags);
    pos += 4;
    if (a.objectType) copy(a.objectType->bytes());
    if (a.inheritedObjectType) copy(a.inheritedObjectType->bytes());
  }
  copy(a.sid->bytes());
  copy(a.trailing);
}

Result<std::vector<std::uint8_t>> aclBytes(const Acl& acl, const char* name) {
  if (acl.aces.size() > 0xFFFF)
    return fail(ErrorCode::kInvalidArgument, std::string(name) + " has " +
                                                 std::to_string(acl.aces.size()) +
                                                 " ACEs, more than an AceCount can say");
  std::size_t total = kAclHeaderBytes;
  for (std::size_t i = 0; i < acl.aces.size(); ++i) {
    const Ace& a = acl.aces[i];
    if (aceLayout(a.type) != AceLayout::kUnknown && !a.sid)
      return fail(ErrorCode::kInvalidArgument, std::string(name) + ": ACE " + std::to_string(i) +
                                                   " (" + aceTypeName(a.type) + ") has no SID");
    // AceSize must be a multiple of 4: pad with zeros (MS-DTYP allows AceSize above the fields).
    const std::size_t size = (aceFieldBytes(a) + 3) & ~std::size_t{3};
    if (size > 0xFFFF)
      return fail(ErrorCode::kInvalidArgument,
                  std::string(name) + ": ACE " + std::to_string(i) + " would be " +
                      std::to_string(size) + " bytes, more than the 65535 an AceSize can say");
    total += size;
  }
  if (total > 0xFFFF)
    return fail(ErrorCode::kInvalidArgument, std::string(name) + " would be " +
                                                 std::to_string(total) +
                                                 " bytes, more than an AclSize can say");
  std::vector<std::uint8_t> out(total, 0);
  out[0] = acl.revision;
  detail::storeLe16(out.data() + 2, static_cast<std::uint16_t>(total));
  detail::storeLe16(out.data() + 4, static_cast<std::uint16_t>(acl.aces.size()));
  std::size_t pos = kAclHeaderBytes;
  for (const Ace& a : acl.aces) {
    const std::size_t size = (aceFieldBytes(a) + 3) & ~std::size_t{3};
    writeAce(a, out.data() + pos, static_cast<std::uint16_t>(size));
    pos += size;
  }
  return out;
}

}  // namespace

Result<std::vector<std::uint8_t>> SecurityDescriptor::toBytes() const {
  std::vector<std::uint8_t> saclBytes;
  std::vector<std::uint8_t> daclBytes;
  if (sacl) {
    auto b = aclBytes(*sacl, "SACL");
    if (!b) return fail(b.error());
    saclBytes = std::move(*b);
  }
  if (dacl) {
    auto b = aclBytes(*dacl, "DACL");
    if (!b) return fail(b.error());
    daclBytes = std::move(*b);
  }
  const std::size_t total = kHeaderBytes + saclBytes.size() + daclBytes.size() +
                            (owner ? owner->bytes().size() : 0) +
                            (group ? group->bytes().size() : 0);
  std::vector<std::uint8_t> out(total, 0);
  out[0] = revision;
  out[1] = sbz1;
  std::uint16_t ctl = control & ~(kSeDaclPresent | kSeSaclPresent);
  if (dacl) ctl |= kSeDaclPresent;
  if (sacl) ctl |= kSeSaclPresent;
  detail::storeLe16(out.data() + 2, ctl);
  std::size_t pos = kHeaderBytes;
  auto place = [&](std::span<const std::uint8_t> part, std::size_t fieldOffset) {
    detail::storeLe32(out.data() + fieldOffset, static_cast<std::uint32_t>(pos));
    std::memcpy(out.data() + pos, part.data(), part.size());
    pos += part.size();
  };
  // Windows' order: SACL, DACL, owner, group.
  if (sacl) place(saclBytes, 12);
  if (dacl) place(daclBytes, 16);
  if (owner) place(owner->bytes(), 4);
  if (group) place(group->bytes(), 8);
  return out;
}

}  // namespace adcheck::security
