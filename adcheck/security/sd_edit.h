// Small edits of self-relative security descriptors, for remediation scripts: re-enable DACL
// inheritance, drop one DACL ACE. They work on the wire bytes (not through the owning
// SecurityDescriptor), so that everything the edit does not touch - ACE order, padding, unknown
// ACE types, the layout the DC chose - stays byte for byte as read, and a reviewer comparing the
// before and after sees only the intended change.
//
// Each function validates its input with parseSecurityDescriptor(), writes exactly one output
// buffer, and validates that output again before returning it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "adcheck/core/error.h"

namespace adcheck::security {

// Clears SE_DACL_PROTECTED ("Include inheritable permissions from this object's parent" switched
// back on). The ACEs stay as they are: the DC recomputes the inherited ones when the descriptor
// is written, as it does for ADUC's "Enable inheritance". Also sets SE_DACL_AUTO_INHERITED, which
// a DACL that takes part in inheritance carries. Fails (kInvalidArgument) when the descriptor has
// no DACL, since a NULL DACL has nothing to inherit into.
Result<std::vector<std::uint8_t>> enableDaclInheritance(std::span<const std::uint8_t> sd);

// Removes the ACE at `index` (0-based, as the access check reports it) from the DACL: the ACL's
// size and count shrink and every part stored after the ACE (owner, group, SACL) moves up.
// Fails (kInvalidArgument) when there is no DACL or the index is out of range.
Result<std::vector<std::uint8_t>> removeDaclAce(std::span<const std::uint8_t> sd, std::size_t index);

}  // namespace adcheck::security
