// Access-mask bits of directory objects (MS-ADTS 5.1.3.2, MS-DTYP 2.4.3) and the generic mapping
// Active Directory applies to them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace adcheck::security {

// Object-specific rights (ADS_RIGHT_DS_*; SDDL letters in comments).
inline constexpr std::uint32_t kDsCreateChild = 0x00000001;    // CC
inline constexpr std::uint32_t kDsDeleteChild = 0x00000002;    // DC
inline constexpr std::uint32_t kDsListChildren = 0x00000004;   // LC: "List contents"
inline constexpr std::uint32_t kDsSelfWrite = 0x00000008;      // SW: validated write
inline constexpr std::uint32_t kDsReadProperty = 0x00000010;   // RP
inline constexpr std::uint32_t kDsWriteProperty = 0x00000020;  // WP
inline constexpr std::uint32_t kDsDeleteTree = 0x00000040;     // DT
inline constexpr std::uint32_t kDsListObject = 0x00000080;     // LO
inline constexpr std::uint32_t kDsControlAccess = 0x00000100;  // CR: extended rights
// Standard rights.
inline constexpr std::uint32_t kDelete = 0x00010000;       // SD
inline constexpr std::uint32_t kReadControl = 0x00020000;  // RC: read permissions
inline constexpr std::uint32_t kWriteDac = 0x00040000;     // WD: modify permissions
inline constexpr std::uint32_t kWriteOwner = 0x00080000;   // WO
inline constexpr std::uint32_t kSynchronize = 0x00100000;
inline constexpr std::uint32_t kAccessSystemSecurity = 0x01000000;
inline constexpr std::uint32_t kMaximumAllowed = 0x02000000;
// Generic rights.
inline constexpr std::uint32_t kGenericAll = 0x10000000;      // GA
inline constexpr std::uint32_t kGenericExecute = 0x20000000;  // GX
inline constexpr std::uint32_t kGenericWrite = 0x40000000;    // GW
inline constexpr std::uint32_t kGenericRead = 0x80000000;     // GR
inline constexpr std::uint32_t kGenericMask = 0xF0000000;

// The generic mapping of directory objects (MS-ADTS 5.1.3.2; the same values as .NET's
// ActiveDirectoryRights.GenericRead/Write/Execute/All):
//   GENERIC_READ    = READ_CONTROL | LIST_CHILDREN | READ_PROPERTY | LIST_OBJECT      0x00020094
//   GENERIC_WRITE   = READ_CONTROL | SELF_WRITE | WRITE_PROPERTY                       0x00020028
//   GENERIC_EXECUTE = READ_CONTROL | LIST_CHILDREN                                     0x00020004
//   GENERIC_ALL     = DELETE | READ_CONTROL | WRITE_DAC | WRITE_OWNER | all nine DS bits 0x000F01FF
inline constexpr std::uint32_t kDsGenericRead = 0x00020094;
inline constexpr std::uint32_t kDsGenericWrite = 0x00020028;
inline constexpr std::uint32_t kDsGenericExecute = 0x00020004;
inline constexpr std::uint32_t kDsGenericAll = 0x000F01FF;  // "Full control"

// Replaces GENERIC_* bits by what they mean for a directory object; other bits are kept.
constexpr std::uint32_t mapGenericDs(std::uint32_t mask) {
  if ((mask & kGenericMask) == 0) return mask;
  std::uint32_t out = mask & ~kGenericMask;
  if ((mask & kGenericRead) != 0) out |= kDsGenericRead;
  if ((mask & kGenericWrite) != 0) out |= kDsGenericWrite;
  if ((mask & kGenericExecute) != 0) out |= kDsGenericExecute;
  if ((mask & kGenericAll) != 0) out |= kDsGenericAll;
  return out;
}

// The rights in words, as the Windows "Advanced Security Settings" dialog names them, joined by
// ", " in bit order: "Create child, Delete child, List contents". 0xF01FF (after generic
// mapping) is "Full control"; unnamed bits are appended as hex ("0x00000200"). Empty mask: "no
// rights".
std::string describeDsRights(std::uint32_t mask);

// Name of one right bit ("List contents"), empty for bits without a name.
std::string_view rightName(std::uint32_t bit);

}  // namespace adcheck::security
