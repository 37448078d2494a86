#include "adcheck/security/access_mask.h"

#include <array>
#include <cstdio>

namespace adcheck::security {
namespace {

struct Right {
  std::uint32_t bit;
  std::string_view name;
};

constexpr std::array kRights{
    Right{kDsCreateChild, "Create child"},
    Right{kDsDeleteChild, "Delete child"},
    Right{kDsListChildren, "List contents"},
    Right{kDsSelfWrite, "Validated write"},
    Right{kDsReadProperty, "Read property"},
    Right{kDsWriteProperty, "Write property"},
    Right{kDsDeleteTree, "Delete tree"},
    Right{kDsListObject, "List object"},
    Right{kDsControlAccess, "Control access"},
    Right{kDelete, "Delete"},
    Right{kReadControl, "Read permissions"},
    Right{kWriteDac, "Modify permissions"},
    Right{kWriteOwner, "Modify owner"},
    Right{kSynchronize, "Synchronize"},
    Right{kAccessSystemSecurity, "Access system security"},
    Right{kMaximumAllowed, "Maximum allowed"},
    Right{kGenericAll, "Full control"},
    Right{kGenericExecute, "Generic execute"},
    Right{kGenericWrite, "Generic write"},
    Right{kGenericRead, "Generic read"},
};

}  // namespace

std::string_view rightName(std::uint32_t bit) {
  for (const auto& r : kRights)
    if (r.bit == bit) return r.name;
  return {};
}

std::string describeDsRights(std::uint32_t mask) {
  if (mask == 0) return "no rights";
  std::string out;
  std::uint32_t left = mask;
  auto add = [&out](std::string_view s) {
    if (!out.empty()) out += ", ";
    out += s;
  };
  // Full control first, whether written as GENERIC_ALL or as the mapped bits.
  if ((left & kDsGenericAll) == kDsGenericAll || (left & kGenericAll) != 0) {
    add("Full control");
    left &= ~(kDsGenericAll | kGenericAll);
  }
  for (const auto& r : kRights) {
    if ((left & r.bit) != 0) {
      add(r.name);
      left &= ~r.bit;
    }
  }
  if (left != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", left);
    add(buf);
  }
  return out;
}

}  // namespace adcheck::security
