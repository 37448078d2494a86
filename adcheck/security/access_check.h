// The access check adcheck's verdicts rest on: does a token get `desired` rights on an object
// (of a given object type) from the object's DACL? MS-DTYP 2.5.3.2 as used by AD
// (MS-ADTS 5.1.3.3), reduced to what a read-only checker can know:
//
// - ACEs are evaluated in DACL order. INHERIT_ONLY ACEs are skipped (they only serve inheritance:
//   the domain root's CI|IO copy of Exchange's grant gives nothing on the root itself).
// - ACCESS_ALLOWED / ACCESS_DENIED apply to every object type.
// - ACCESS_ALLOWED_OBJECT / ACCESS_DENIED_OBJECT without an ObjectType apply like the plain
//   ones; with an ObjectType they apply only when it equals `objectType` (for Create child /
//   Delete child: the class of the child, e.g. msExchActiveSyncDevices; for Read/Write property:
//   the attribute or property set; for Control access: the extended right). With `objectType`
//   null, object ACEs that carry an ObjectType are ignored. InheritedObjectType plays no part in
//   the check (it only steers inheritance).
// - A deny takes the matching bits that are still undecided; an allow grants them. A bit once
//   decided stays decided, so an allow that comes before a deny wins, as on Windows. The walk
//   stops as soon as every desired bit is decided.
// - ACE masks and `desired` go through the directory generic mapping (mapGenericDs): an ACE
//   with GENERIC_ALL grants CC|DC|LC and the rest of 0xF01FF.
// - NULL DACL (no DACL at all): everything is granted. Empty DACL: nothing is.
// - Not evaluated, counted in AccessResult::unevaluated: callback (conditional) ACEs whose
//   trustee is in the token and whose rights matter, and ACEs of unknown layout in the DACL.
//   Neither grants nor denies; a caller should say the verdict is uncertain when it is not 0.
// - Audit, alarm and label ACEs are ignored (they do not control access).
// Assumptions (document them where verdicts are shown):
// - The token is exactly the SIDs the caller put in: add Everyone, Authenticated Users and the
//   transitive groups (SPEC section 3). PRINCIPAL SELF (S-1-5-10) matches only if the caller adds
//   it, i.e. when the token's user is the object being checked. CREATOR OWNER / OWNER RIGHTS
//   match only if added; owners get no implicit READ_CONTROL / WRITE_DAC here.
// - No privileges (SeTakeOwnership, SeSecurity, SeBackup, SeRestore ...) are considered.
// - MAXIMUM_ALLOWED and ACCESS_SYSTEM_SECURITY in `desired` are compared as ordinary bits (an
//   ACE grants them only if its mask carries them, which AD does not write; on Windows the
//   latter comes from a privilege), so ask for concrete rights.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "adcheck/core/error.h"
#include "adcheck/security/guid.h"
#include "adcheck/security/security_descriptor.h"
#include "adcheck/security/sid.h"

namespace adcheck::security {

// A small set of SIDs with a fast membership test (a handful of SIDs: linear scan on the RID
// first, then the bytes; no hashing, no allocation per test).
class Token {
 public:
  Token() = default;
  Token(std::initializer_list<Sid> sids);

  // Duplicates are ignored.
  void add(const Sid& sid);
  bool contains(const Sid& sid) const;
  bool contains(const SidView& sid) const;
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<Sid> sids() const;

 private:
  struct Entry {
    std::uint32_t lastWord;  // last 4 bytes of the SID (the RID for account SIDs)
    std::uint32_t length;
    Sid sid;
  };
  bool containsBytes(std::span<const std::uint8_t> bytes) const;
  std::vector<Entry> entries_;
};

enum class Decision : std::uint8_t {
  kGranted,     // every desired right is granted
  kDenied,      // a deny ACE took at least one desired right
  kNotGranted,  // no deny, but some desired right is granted by no ACE
};

std::string_view decisionName(Decision d);  // "granted", "denied", "not-granted"

struct AccessResult {
  static constexpr std::size_t kNoAce = std::numeric_limits<std::size_t>::max();

  Decision decision = Decision::kNotGranted;
  std::uint32_t desired = 0;  // after generic mapping
  std::uint32_t granted = 0;  // desired rights an allow ACE decided
  std::uint32_t denied = 0;   // desired rights a deny ACE decided
  bool nullDacl = false;      // no DACL: everything granted
  // The deciding ACE (index in the DACL and byte offset in the descriptor): for kDenied the
  // first deny that took a desired right, for kGranted the allow that completed the grant;
  // kNoAce otherwise (and for a NULL DACL).
  std::size_t decidingAce = kNoAce;
  std::uint32_t decidingAceOffset = 0;
  // Callback / unknown ACEs that might have mattered but were not evaluated (see the header).
  std::uint32_t unevaluated = 0;

  // Indices of the ACEs that decided at least one desired right, in DACL order. Each decides at
  // least one new bit, so there are at most 32.
  std::span<const std::uint16_t> contributingAces() const {
    return {contributing_.data(), contributingCount_};
  }

  bool isGranted() const { return decision == Decision::kGranted; }

  // Internal to checkAccess().
  void addContributing(std::size_t index) {
    if (contributingCount_ < contributing_.size())
      contributing_[contributingCount_++] = static_cast<std::uint16_t>(index);
  }

 private:
  std::array<std::uint16_t, 32> contributing_{};
  std::uint8_t contributingCount_ = 0;
};

// Does `token` hold `desired` on the object described by `sd`, for `objectType` (may be null)?
// Allocation-free. The same answer as checkAccessByTypeList() with a one-node list holding
// `objectType` (kept separate: it is the hot path of the scan and reports the deciding ACE).
AccessResult checkAccess(const SecurityDescriptorView& sd, const Token& token,
                         std::uint32_t desired, const Guid* objectType);

// ---------------------------------------------------------------------- object-type lists
//
// Why a list: AD does not ask "may I write `member`?" with the attribute's GUID alone. It asks
// about a tree of object types (MS-DTYP 2.3.8 OBJECT_TYPE_LIST, 2.5.3.2; MS-ADTS 5.1.3.3):
// level 0 the object (its class's schemaIDGUID), level 1 the property set the attribute belongs
// to (the attribute's attributeSecurityGUID, e.g. Membership bc0ac240-... for `member`), level 2
// the attribute (its schemaIDGUID). An ACE grants or denies on the node its ObjectType names and
// on that node's whole subtree, so "Write property on the Membership property set" lets one
// write `member` although no ACE names `member`. Asking with the attribute GUID alone misses
// such grants (and such denies). Extended rights, validated writes and child classes sit at
// level 1 below the object.
//
// The walk (MS-DTYP 2.5.3.2, result-list form, as AccessCheckByTypeResultList reports it):
// - ACEs in DACL order; INHERIT_ONLY, audit and other non-access ACEs skipped, as in
//   checkAccess(). An ACE without ObjectType (plain or object ACE) applies to the root, i.e. to
//   every node. An object ACE whose ObjectType names no node of the list is ignored.
// - Each leaf keeps its own undecided ("remaining") bits. An allow takes the matching undecided
//   bits of every leaf below its node as granted, a deny takes them as denied; a bit once
//   decided for a leaf stays decided, so ACE order matters per leaf, as on Windows.
// - An inner node's answer is computed from its children: a right is granted on it only when it
//   is granted on every child, denied when it is denied on any child, undecided ("remaining")
//   when it is undecided on any child (MS-DTYP: the parent's Remaining is the union of its
//   children's). So a grant on the property set grants the set and each listed attribute of
//   it, a deny on one attribute keeps the set (and the object) from being granted, and the
//   root is granted only when everything asked about is.
// - The walk stops once no leaf has an undecided bit. NULL DACL: everything granted.
// Same assumptions as checkAccess() (token as given, no privileges, no owner rights).
struct ObjectTypeNode {
  static constexpr std::uint16_t kNoParent = 0xFFFF;
  Guid type;
  std::uint16_t level = 0;
  std::uint16_t parent = kNoParent;  // index of the parent node; kNoParent for the root
};

class ObjectTypeList {
 public:
  static constexpr std::uint16_t kMaxLevel = 4;     // MS-DTYP: levels 0..4
  static constexpr std::size_t kMaxNodes = 0xFFFE;  // node indices are 16-bit

  // The object itself at level 0: the schemaIDGUID of its (most specific structural) class.
  explicit ObjectTypeList(const Guid& objectClass);

  // A level-1 node below the object (a property set, an extended right, a validated write, a
  // child class). Adding a GUID that is already at level 1 returns the existing node.
  std::size_t addChild(const Guid& type);
  // An attribute: at level 2 below `propertySet` (added at level 1 if missing), or at level 1
  // when `propertySet` is null or the nil GUID (the attribute belongs to no property set, i.e.
  // its attributeSecurityGUID is absent). Adding the same attribute twice returns its node.
  std::size_t addProperty(const Guid& property, const Guid* propertySet);

  // The flat MS-DTYP form: (level, GUID) in order; the first node is the only one at level 0,
  // each node is at most one level deeper than the one before it, and its parent is the
  // nearest earlier node one level up. Fails (kInvalidArgument, naming the index) otherwise.
  static Result<ObjectTypeList> fromLevels(std::span<const std::pair<std::uint16_t, Guid>> levels);

  std::size_t size() const { return nodes_.size(); }
  const ObjectTypeNode& operator[](std::size_t i) const { return nodes_[i]; }
  std::span<const ObjectTypeNode> nodes() const { return nodes_; }
  // The first node carrying `type`, if any.
  std::optional<std::size_t> find(const Guid& type) const;
  // True when `node` is `ancestor` or lies below it.
  bool isWithin(std::size_t node, std::size_t ancestor) const;
  bool isLeaf(std::size_t i) const { return childCount_[i] == 0; }

 private:
  ObjectTypeList() = default;
  std::size_t append(const Guid& type, std::uint16_t level, std::uint16_t parent);
  std::vector<ObjectTypeNode> nodes_;
  std::vector<std::uint16_t> childCount_;
};

// The answer per node of an ObjectTypeList (same indices).
class TypeListAccess {
 public:
  struct Node {
    std::uint32_t granted = 0;    // desired rights granted on the node (on all of its subtree)
    std::uint32_t denied = 0;     // desired rights a deny took on the node (or part of it)
    std::uint32_t remaining = 0;  // desired rights still undecided on the node (or part of it)
  };

  std::uint32_t desired() const { return desired_; }  // after generic mapping
  bool nullDacl() const { return nullDacl_; }
  // Callback / unknown ACEs that might have mattered but were not evaluated (see checkAccess).
  std::uint32_t unevaluated() const { return unevaluated_; }

  std::size_t size() const { return nodes_.size(); }
  const Node& operator[](std::size_t i) const { return nodes_[i]; }
  Decision decision(std::size_t i) const;
  bool isGranted(std::size_t i) const { return nodes_[i].granted == desired_; }
  // The object as a whole (node 0): granted only when every node of the list is.
  Decision decision() const { return decision(0); }
  bool isGranted() const { return isGranted(0); }

 private:
  friend void checkAccessByTypeList(const SecurityDescriptorView&, const Token&, std::uint32_t,
                                    const ObjectTypeList&, TypeListAccess&);
  std::vector<Node> nodes_;
  std::uint32_t desired_ = 0;
  std::uint32_t unevaluated_ = 0;
  bool nullDacl_ = false;
};

// Does `token` hold `desired` on each node of `list` for the object described by `sd`? The
// second form reuses `out`'s storage (no allocation once it is large enough).
TypeListAccess checkAccessByTypeList(const SecurityDescriptorView& sd, const Token& token,
                                     std::uint32_t desired, const ObjectTypeList& list);
void checkAccessByTypeList(const SecurityDescriptorView& sd, const Token& token,
                           std::uint32_t desired, const ObjectTypeList& list, TypeListAccess& out);

}  // namespace adcheck::security
