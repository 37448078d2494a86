#include "adcheck/security/inheritance.h"

namespace adcheck::security {

Result<SecurityDescriptor> newObjectDescriptor(const SecurityDescriptor& classDefault,
                                               const SecurityDescriptorView* parent,
                                               const Guid& childClass) {
  SecurityDescriptor out;
  out.control = kSeSelfRelative | kSeDaclPresent | kSeDaclAutoInherited;
  out.owner = classDefault.owner;
  out.group = classDefault.group;
  Acl acl;
  const bool is_protected = (classDefault.control & kSeDaclProtected) != 0;
  if (is_protected) out.control |= kSeDaclProtected;
  if (classDefault.dacl) acl.aces = classDefault.dacl->aces;
  const AclView* parent_dacl = parent != nullptr ? parent->dacl() : nullptr;
  if (!is_protected && parent_dacl != nullptr) {
    for (AceView view : *parent_dacl) {
      const std::uint8_t f = view.flags();
      const bool ci = (f & kAceContainerInherit) != 0;
      const bool oi = (f & kAceObjectInherit) != 0;
      const bool np = (f & kAceNoPropagateInherit) != 0;
      if (!ci && !oi) continue;
      if (!ci && np) continue;  // reaches leaf children only, and goes no further
      if (!view.isKnownLayout()) continue;
      Ace ace = Ace::fromView(view);
      std::uint8_t flags = static_cast<std::uint8_t>(f | kAceInherited);
      if (!ci) {
        flags |= kAceInheritOnly;  // OI only: passes to leaves below, not effective here
      } else if (np) {
        flags &= static_cast<std::uint8_t>(~(kAceContainerInherit | kAceObjectInherit |
                                             kAceNoPropagateInherit | kAceInheritOnly));
      } else {
        flags &= static_cast<std::uint8_t>(~kAceInheritOnly);
      }
      if (ace.inheritedObjectType && *ace.inheritedObjectType != childClass) {
        if (np) continue;  // meant for another class, and no further
        flags |= kAceInheritOnly;
      }
      ace.flags = flags;
      acl.aces.push_back(std::move(ace));
    }
  }
  out.dacl = std::move(acl);
  return out;
}

}  // namespace adcheck::security
