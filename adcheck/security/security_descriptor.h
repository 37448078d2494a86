// Self-relative security descriptors (MS-DTYP 2.4.6) as AD returns them in nTSecurityDescriptor.
//
// Two representations:
// - SecurityDescriptorView: a zero-copy view of the caller's bytes. parseSecurityDescriptor()
//   validates the header, every offset, both ACL headers and the bounds of every ACE (and of
//   every SID and GUID inside the ACEs whose layout is known) once; afterwards walking the ACEs
//   neither allocates nor checks again. The view points into the caller's buffer, which must
//   outlive it. This is what the scan path and the access check use.
// - SecurityDescriptor: owning, materialised from a view (SDDL, explain, tests), and able to
//   write itself back to the wire form.
//
// Decisions where MS-DTYP leaves room (each one also in the code, with its reason):
// - NULL DACL. SE_DACL_PRESENT clear means the object has no DACL: dacl() is nullptr and the
//   access check grants everything (MS-DTYP 2.5.3.2; Windows' SeAccessCheck does the same).
//   SE_DACL_PRESENT set with OffsetDacl 0 is rejected as malformed: MS-DTYP 2.4.6 says OffsetDacl
//   "must be a valid offset if the DP flag is set". Windows itself would read that as a NULL
//   DACL (full access for everyone), so accepting it silently would turn a broken blob into
//   "everyone may do everything"; we report it instead. A DACL with zero ACEs is an empty DACL
//   (nobody gets anything), never confused with a NULL one.
// - An offset field that is non-zero although its flag (SE_DACL_PRESENT / SE_SACL_PRESENT) is
//   clear is rejected: MS-DTYP says it MUST then be zero, and guessing which of the two is wrong
//   would decide whether a DACL is in force.
// - SE_SACL_PRESENT set with OffsetSacl 0 is accepted as "no SACL": a DC leaves the SACL out for
//   a caller without SeSecurityPrivilege, and the SACL never affects access.
// - Offsets that point into the 20-byte header are rejected.
// - ACE types with a known layout (MS-DTYP 2.4.4) are validated field by field; any other type
//   (ACCESS_ALLOWED_COMPOUND 0x04, 0x14 and above) is kept as raw bytes, reported as unknown and
//   never interpreted. ACLs of revision other than 2 or 4 are rejected.
// - AceSize larger than the fields need is legal (padding or callback application data):
//   the walk always advances by AceSize.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adcheck/core/error.h"
#include "adcheck/security/guid.h"
#include "adcheck/security/sid.h"

namespace adcheck::security {

// SECURITY_DESCRIPTOR.Control (MS-DTYP 2.4.6).
inline constexpr std::uint16_t kSeOwnerDefaulted = 0x0001;      // OD
inline constexpr std::uint16_t kSeGroupDefaulted = 0x0002;      // GD
inline constexpr std::uint16_t kSeDaclPresent = 0x0004;         // DP
inline constexpr std::uint16_t kSeDaclDefaulted = 0x0008;       // DD
inline constexpr std::uint16_t kSeSaclPresent = 0x0010;         // SP
inline constexpr std::uint16_t kSeSaclDefaulted = 0x0020;       // SD
inline constexpr std::uint16_t kSeDaclTrusted = 0x0040;         // DT
inline constexpr std::uint16_t kSeServerSecurity = 0x0080;      // SS
inline constexpr std::uint16_t kSeDaclAutoInheritReq = 0x0100;  // DC; SDDL "AR"
inline constexpr std::uint16_t kSeSaclAutoInheritReq = 0x0200;  // SC
inline constexpr std::uint16_t kSeDaclAutoInherited = 0x0400;   // DI; SDDL "AI"
inline constexpr std::uint16_t kSeSaclAutoInherited = 0x0800;   // SI
inline constexpr std::uint16_t kSeDaclProtected = 0x1000;       // PD; SDDL "P": inheritance off
inline constexpr std::uint16_t kSeSaclProtected = 0x2000;       // PS
inline constexpr std::uint16_t kSeRmControlValid = 0x4000;      // RM
inline constexpr std::uint16_t kSeSelfRelative = 0x8000;        // SR

// ACE_HEADER.AceFlags (MS-DTYP 2.4.4.1).
inline constexpr std::uint8_t kAceObjectInherit = 0x01;       // OI
inline constexpr std::uint8_t kAceContainerInherit = 0x02;    // CI
inline constexpr std::uint8_t kAceNoPropagateInherit = 0x04;  // NP
inline constexpr std::uint8_t kAceInheritOnly = 0x08;         // IO
inline constexpr std::uint8_t kAceInherited = 0x10;           // ID
inline constexpr std::uint8_t kAceSuccessfulAccess = 0x40;    // SA
inline constexpr std::uint8_t kAceFailedAccess = 0x80;        // FA

// Object ACE Flags field (MS-DTYP 2.4.4.3): which GUIDs follow. A GUID whose bit is clear is
// absent and the next field moves up.
inline constexpr std::uint32_t kAceObjectTypePresent = 0x1;
inline constexpr std::uint32_t kAceInheritedObjectTypePresent = 0x2;

// ACE_HEADER.AceType (MS-DTYP 2.4.4.1). Values outside this list are kept as they are.
enum class AceType : std::uint8_t {
  kAccessAllowed = 0x00,
  kAccessDenied = 0x01,
  kSystemAudit = 0x02,
  kSystemAlarm = 0x03,
  kAccessAllowedCompound = 0x04,
  kAccessAllowedObject = 0x05,
  kAccessDeniedObject = 0x06,
  kSystemAuditObject = 0x07,
  kSystemAlarmObject = 0x08,
  kAccessAllowedCallback = 0x09,
  kAccessDeniedCallback = 0x0A,
  kAccessAllowedCallbackObject = 0x0B,
  kAccessDeniedCallbackObject = 0x0C,
  kSystemAuditCallback = 0x0D,
  kSystemAlarmCallback = 0x0E,
  kSystemAuditCallbackObject = 0x0F,
  kSystemAlarmCallbackObject = 0x10,
  kSystemMandatoryLabel = 0x11,
  kSystemResourceAttribute = 0x12,
  kSystemScopedPolicyId = 0x13,
};

// How the bytes after the 4-byte header are laid out.
enum class AceLayout : std::uint8_t {
  kBasic,    // Mask(4) Sid [application data]
  kObject,   // Mask(4) Flags(4) [ObjectType(16)] [InheritedObjectType(16)] Sid [application data]
  kUnknown,  // not interpreted: raw bytes only
};

constexpr AceLayout aceLayout(AceType t) {
  switch (t) {
    case AceType::kAccessAllowed:
    case AceType::kAccessDenied:
    case AceType::kSystemAudit:
    case AceType::kSystemAlarm:
    case AceType::kAccessAllowedCallback:
    case AceType::kAccessDeniedCallback:
    case AceType::kSystemAuditCallback:
    case AceType::kSystemAlarmCallback:
    case AceType::kSystemMandatoryLabel:
    case AceType::kSystemResourceAttribute:
    case AceType::kSystemScopedPolicyId:
      return AceLayout::kBasic;
    case AceType::kAccessAllowedObject:
    case AceType::kAccessDeniedObject:
    case AceType::kSystemAuditObject:
    case AceType::kSystemAlarmObject:
    case AceType::kAccessAllowedCallbackObject:
    case AceType::kAccessDeniedCallbackObject:
    case AceType::kSystemAuditCallbackObject:
    case AceType::kSystemAlarmCallbackObject:
      return AceLayout::kObject;
    case AceType::kAccessAllowedCompound:
      break;
  }
  return AceLayout::kUnknown;
}

constexpr bool isCallbackAce(AceType t) {
  const auto v = static_cast<std::uint8_t>(t);
  return v >= 0x09 && v <= 0x10;
}

namespace detail {
struct DescriptorParser;  // security_descriptor.cpp: the only code that builds views
}

// "ACCESS_ALLOWED_OBJECT_ACE_TYPE"; "unknown ACE type 0x2a" for others.
std::string aceTypeName(AceType t);

// One ACE inside a validated descriptor. Cheap to copy (a few words); reads nothing out of
// bounds because parseSecurityDescriptor() checked every field it exposes.
class AceView {
 public:
  AceView() = default;

  AceType type() const { return static_cast<AceType>(type_); }
  AceLayout layout() const { return aceLayout(type()); }
  std::uint8_t flags() const { return flags_; }
  std::uint16_t size() const { return size_; }
  // Access mask. For an ACE of unknown layout: the 4 bytes after the header if present, else 0.
  std::uint32_t mask() const { return mask_; }

  bool isObjectAce() const { return layout() == AceLayout::kObject; }
  bool isCallback() const { return isCallbackAce(type()); }
  bool isKnownLayout() const { return layout() != AceLayout::kUnknown; }
  bool inheritOnly() const { return (flags_ & kAceInheritOnly) != 0; }
  bool inherited() const { return (flags_ & kAceInherited) != 0; }

  // Object ACE Flags field; 0 for other ACEs.
  std::uint32_t objectFlags() const { return objectFlags_; }
  bool hasObjectType() const { return objectTypePos_ != 0; }
  bool hasInheritedObjectType() const { return inheritedObjectTypePos_ != 0; }
  std::optional<Guid> objectType() const { return guidAt(objectTypePos_); }
  std::optional<Guid> inheritedObjectType() const { return guidAt(inheritedObjectTypePos_); }
  // The 16 wire bytes of ObjectType, nullptr when absent (for allocation-free comparisons).
  const std::uint8_t* objectTypeBytes() const {
    return objectTypePos_ != 0 ? ace() + objectTypePos_ : nullptr;
  }

  // False only for ACEs of unknown layout.
  bool hasSid() const { return sidPos_ != 0; }
  // The trustee. Only valid when hasSid().
  SidView sid() const { return SidView(ace() + sidPos_); }

  // The whole ACE, AceSize bytes, header included.
  std::span<const std::uint8_t> raw() const { return {ace(), size_}; }
  // Bytes after the SID up to AceSize: application data of callback ACEs, padding otherwise.
  // Empty for ACEs of unknown layout (see raw()).
  std::span<const std::uint8_t> trailing() const;

  // Byte offset of the ACE in the descriptor, and its position in its ACL (0-based).
  std::uint32_t offset() const { return offset_; }
  std::size_t index() const { return index_; }

 private:
  friend class AclView;
  AceView(const std::uint8_t* blob, std::uint32_t offset, std::uint16_t index);
  const std::uint8_t* ace() const { return blob_ + offset_; }
  std::optional<Guid> guidAt(std::uint16_t pos) const;

  const std::uint8_t* blob_ = nullptr;
  std::uint32_t offset_ = 0;
  std::uint32_t mask_ = 0;
  std::uint32_t objectFlags_ = 0;
  std::uint16_t index_ = 0;
  std::uint16_t size_ = 0;
  std::uint8_t type_ = 0;
  std::uint8_t flags_ = 0;
  // Positions relative to the ACE start; 0 = absent (no field can sit at 0, the header does).
  std::uint8_t objectTypePos_ = 0;
  std::uint8_t inheritedObjectTypePos_ = 0;
  std::uint8_t sidPos_ = 0;
};

// A validated ACL: iterate it with a range-for.
class AclView {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = AceView;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = AceView;

    Iterator() = default;
    AceView operator*() const { return AceView(blob_, offset_, index_); }
    // it->mask(): the AceView is built on the fly, so -> hands out a small holder of it.
    struct Arrow {
      AceView ace;
      const AceView* operator->() const { return &ace; }
    };
    Arrow operator->() const { return Arrow{**this}; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.index_ == b.index_; }

   private:
    friend class AclView;
    Iterator(const std::uint8_t* blob, std::uint32_t offset, std::uint16_t index)
        : blob_(blob), offset_(offset), index_(index) {}
    const std::uint8_t* blob_ = nullptr;
    std::uint32_t offset_ = 0;
    std::uint16_t index_ = 0;
  };

  AclView() = default;

  std::uint8_t revision() const { return revision_; }
  std::uint16_t aclSize() const { return aclSize_; }
  std::size_t aceCount() const { return aceCount_; }
  bool empty() const { return aceCount_ == 0; }
  // Byte offset of the ACL header in the descriptor.
  std::uint32_t offset() const { return offset_; }

  Iterator begin() const { return {blob_, offset_ + 8, 0}; }
  Iterator end() const { return {blob_, 0, aceCount_}; }

 private:
  friend struct detail::DescriptorParser;
  const std::uint8_t* blob_ = nullptr;
  std::uint32_t offset_ = 0;
  std::uint16_t aclSize_ = 0;
  std::uint16_t aceCount_ = 0;
  std::uint8_t revision_ = 0;
};

class SecurityDescriptorView {
 public:
  SecurityDescriptorView() = default;

  std::span<const std::uint8_t> bytes() const { return bytes_; }
  std::uint8_t revision() const { return bytes_[0]; }
  std::uint8_t sbz1() const { return bytes_[1]; }
  std::uint16_t control() const { return control_; }

  bool selfRelative() const { return (control_ & kSeSelfRelative) != 0; }
  bool daclPresent() const { return (control_ & kSeDaclPresent) != 0; }
  bool daclProtected() const { return (control_ & kSeDaclProtected) != 0; }
  bool daclAutoInherited() const { return (control_ & kSeDaclAutoInherited) != 0; }
  bool daclAutoInheritRequired() const { return (control_ & kSeDaclAutoInheritReq) != 0; }
  bool daclDefaulted() const { return (control_ & kSeDaclDefaulted) != 0; }
  bool saclPresent() const { return (control_ & kSeSaclPresent) != 0; }
  bool saclProtected() const { return (control_ & kSeSaclProtected) != 0; }
  bool saclAutoInherited() const { return (control_ & kSeSaclAutoInherited) != 0; }

  std::optional<SidView> owner() const;
  std::optional<SidView> group() const;
  // nullptr: no DACL (SE_DACL_PRESENT clear), i.e. a NULL DACL that grants everything.
  const AclView* dacl() const { return hasDacl_ ? &dacl_ : nullptr; }
  // nullptr: no SACL, or the DC left it out.
  const AclView* sacl() const { return hasSacl_ ? &sacl_ : nullptr; }

 private:
  friend struct detail::DescriptorParser;
  std::span<const std::uint8_t> bytes_;
  AclView dacl_;
  AclView sacl_;
  std::uint32_t ownerOffset_ = 0;
  std::uint32_t groupOffset_ = 0;
  std::uint16_t control_ = 0;
  bool hasDacl_ = false;
  bool hasSacl_ = false;
};

// Validates `bytes` as a self-relative SECURITY_DESCRIPTOR and returns a view of it. Every error
// is kParse and its message names the byte offset and the problem ("ACE 3 of the DACL at offset
// 148: AceSize 13 is not a multiple of 4"). Never reads outside `bytes`.
Result<SecurityDescriptorView> parseSecurityDescriptor(std::span<const std::uint8_t> bytes);
inline Result<SecurityDescriptorView> parseSecurityDescriptor(std::string_view bytes) {
  return parseSecurityDescriptor(asBytes(bytes));
}
// A view of a temporary would dangle at the end of the statement: keep the bytes in a variable.
Result<SecurityDescriptorView> parseSecurityDescriptor(std::string&&) = delete;
Result<SecurityDescriptorView> parseSecurityDescriptor(std::vector<std::uint8_t>&&) = delete;

// ---- Owning representation ---------------------------------------------------------------------

struct Ace {
  AceType type = AceType::kAccessAllowed;
  std::uint8_t flags = 0;
  std::uint32_t mask = 0;
  // Object ACEs: the Flags field as read (bits other than the two presence bits are kept);
  // toBytes() sets the presence bits from the optionals below.
  std::uint32_t objectFlags = 0;
  std::optional<Guid> objectType;
  std::optional<Guid> inheritedObjectType;
  std::optional<Sid> sid;              // absent only for ACEs of unknown layout
  std::vector<std::uint8_t> trailing;  // application data / padding after the SID
  std::vector<std::uint8_t> body;      // unknown layout: everything after the 4-byte header

  static Ace fromView(const AceView& v);
  friend bool operator==(const Ace&, const Ace&) = default;
};

struct Acl {
  std::uint8_t revision = 4;  // ACL_REVISION_DS
  std::vector<Ace> aces;
  friend bool operator==(const Acl&, const Acl&) = default;
};

struct SecurityDescriptor {
  std::uint8_t revision = 1;
  std::uint8_t sbz1 = 0;
  // SE_DACL_PRESENT / SE_SACL_PRESENT in here are ignored by toBytes(), which derives them from
  // dacl / sacl; the view built from a parse has them consistent anyway.
  std::uint16_t control = kSeSelfRelative;
  std::optional<Sid> owner;
  std::optional<Sid> group;
  std::optional<Acl> dacl;
  std::optional<Acl> sacl;

  static SecurityDescriptor fromView(const SecurityDescriptorView& v);
  // Self-relative wire form in the order Windows writes it (SACL, DACL, owner, group), ACL
  // revisions as stored. Fails (kInvalidArgument) when an ACE of known layout has no SID, an
  // ACE or ACL exceeds 65535 bytes, or an ACL has more than 65535 ACEs.
  Result<std::vector<std::uint8_t>> toBytes() const;

  friend bool operator==(const SecurityDescriptor&, const SecurityDescriptor&) = default;
};

}  // namespace adcheck::security
