// The DACL the directory gives a new object (MS-ADTS 3.1.1.5.2.1 / MS-DTYP 2.5.3.4): the class's
// defaultSecurityDescriptor as the explicit part, followed by what the parent's DACL hands down.
// adcheck uses it to predict what a scan account could read on objects that do not exist yet
// (a user's ExchangeActiveSyncDevices container before the first phone), or that it cannot see.
#pragma once

#include "adcheck/core/error.h"
#include "adcheck/security/guid.h"
#include "adcheck/security/security_descriptor.h"

namespace adcheck::security {

// The DACL of a new child of class `childClass` below a parent with DACL `parent` (nullptr: the
// parent has no DACL, nothing is inherited), created without an explicit descriptor:
// - the default DACL's ACEs first, as explicit ACEs; when the default is protected (P), nothing
//   is inherited;
// - then, per parent ACE that inherits to a container (every AD object is one): CONTAINER_INHERIT
//   ACEs, marked INHERITED; with NO_PROPAGATE their inheritance flags are dropped, otherwise
//   INHERIT_ONLY is cleared; an object ACE whose InheritedObjectType names another class stays
//   INHERIT_ONLY (it only passes further down). OBJECT_INHERIT-only ACEs come along as
//   INHERIT_ONLY (they reach leaf objects only), unless NO_PROPAGATE drops them.
// CREATOR OWNER / CREATOR GROUP ACEs are kept as they are (the creator is not the scan account,
// so they never grant it anything). The result is self-relative with SE_DACL_AUTO_INHERITED.
Result<SecurityDescriptor> newObjectDescriptor(const SecurityDescriptor& classDefault,
                                               const SecurityDescriptorView* parent,
                                               const Guid& childClass);

}  // namespace adcheck::security
