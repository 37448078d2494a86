#include "adcheck/security/access_check.h"

#include <cstring>
#include <string>

#include "adcheck/security/access_mask.h"
#include "adcheck/security/byte_io.h"

namespace adcheck::security {

namespace {

std::uint32_t lastWord(std::span<const std::uint8_t> b) {
  return detail::loadLe32(b.data() + b.size() - 4);  // a SID is at least 8 bytes
}

}  // namespace

Token::Token(std::initializer_list<Sid> sids) {
  for (const Sid& s : sids) add(s);
}

void Token::add(const Sid& sid) {
  if (contains(sid)) return;
  const auto b = sid.bytes();
  entries_.push_back(Entry{lastWord(b), static_cast<std::uint32_t>(b.size()), sid});
}

bool Token::containsBytes(std::span<const std::uint8_t> b) const {
  const std::uint32_t last = lastWord(b);
  for (const Entry& e : entries_) {
    if (e.lastWord == last && e.length == b.size() &&
        std::memcmp(e.sid.bytes().data(), b.data(), b.size()) == 0)
      return true;
  }
  return false;
}

bool Token::contains(const Sid& sid) const { return containsBytes(sid.bytes()); }
bool Token::contains(const SidView& sid) const { return containsBytes(sid.bytes()); }

std::vector<Sid> Token::sids() const {
  std::vector<Sid> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.sid);
  return out;
}

std::string_view decisionName(Decision d) {
  switch (d) {
    case Decision::kGranted:
      return "granted";
    case Decision::kDenied:
      return "denied";
    case Decision::kNotGranted:
      return "not-granted";
  }
  return "unknown";
}

AccessResult checkAccess(const SecurityDescriptorView& sd, const Token& token,
                         std::uint32_t desired, const Guid* objectType) {
  AccessResult r;
  r.desired = mapGenericDs(desired);
  const AclView* dacl = sd.dacl();
  if (dacl == nullptr) {
    // NULL DACL: no protection at all (MS-DTYP 2.5.3.2).
    r.nullDacl = true;
    r.granted = r.desired;
    r.decision = Decision::kGranted;
    return r;
  }
  std::uint32_t undecided = r.desired;
  for (AceView ace : *dacl) {
    if (undecided == 0) break;
    if (ace.inheritOnly()) continue;
    bool allow;
    bool object = false;
    switch (ace.type()) {
      case AceType::kAccessAllowed:
        allow = true;
        break;
      case AceType::kAccessDenied:
        allow = false;
        break;
      case AceType::kAccessAllowedObject:
        allow = true;
        object = true;
        break;
      case AceType::kAccessDeniedObject:
        allow = false;
        object = true;
        break;
      case AceType::kAccessAllowedCallback:
      case AceType::kAccessDeniedCallback:
      case AceType::kAccessAllowedCallbackObject:
      case AceType::kAccessDeniedCallbackObject: {
        // Conditional ACEs: we cannot evaluate the condition. Count them when they could have
        // mattered so the caller can flag the verdict as uncertain.
        const std::uint8_t* ot = ace.objectTypeBytes();
        const bool typeMatches =
            ot == nullptr ||
            (objectType != nullptr && std::memcmp(ot, objectType->bytes().data(), 16) == 0);
        if ((mapGenericDs(ace.mask()) & undecided) != 0 && typeMatches && token.contains(ace.sid()))
          ++r.unevaluated;
        continue;
      }
      default:
        if (!ace.isKnownLayout()) ++r.unevaluated;  // could be anything
        continue;                                   // audit, alarm, label, ...: not access control
    }
    const std::uint32_t bits = mapGenericDs(ace.mask()) & undecided;
    if (bits == 0) continue;
    if (object) {
      const std::uint8_t* ot = ace.objectTypeBytes();
      if (ot != nullptr &&
          (objectType == nullptr || std::memcmp(ot, objectType->bytes().data(), 16) != 0))
        continue;
    }
    if (!token.contains(ace.sid())) continue;
    undecided &= ~bits;
    r.addContributing(ace.index());
    if (allow) {
      r.granted |= bits;
      if (undecided == 0 && r.denied == 0) {
        r.decidingAce = ace.index();
        r.decidingAceOffset = ace.offset();
      }
    } else {
      if (r.denied == 0) {
        r.decidingAce = ace.index();
        r.decidingAceOffset = ace.offset();
      }
      r.denied |= bits;
    }
  }
  if (r.denied != 0) {
    r.decision = Decision::kDenied;
  } else if (r.granted == r.desired) {
    r.decision = Decision::kGranted;
  } else {
    r.decision = Decision::kNotGranted;
  }
  return r;
}

// ---------------------------------------------------------------------- object-type lists

ObjectTypeList::ObjectTypeList(const Guid& objectClass) {
  append(objectClass, 0, ObjectTypeNode::kNoParent);
}

std::size_t ObjectTypeList::append(const Guid& type, std::uint16_t level, std::uint16_t parent) {
  nodes_.push_back(ObjectTypeNode{type, level, parent});
  childCount_.push_back(0);
  if (parent != ObjectTypeNode::kNoParent) ++childCount_[parent];
  return nodes_.size() - 1;
}

std::size_t ObjectTypeList::addChild(const Guid& type) {
  for (std::size_t i = 1; i < nodes_.size(); ++i)
    if (nodes_[i].level == 1 && nodes_[i].type == type) return i;
  return append(type, 1, 0);
}

std::size_t ObjectTypeList::addProperty(const Guid& property, const Guid* propertySet) {
  if (propertySet == nullptr || *propertySet == Guid{}) return addChild(property);
  const std::size_t set = addChild(*propertySet);
  for (std::size_t i = set + 1; i < nodes_.size(); ++i)
    if (nodes_[i].parent == set && nodes_[i].type == property) return i;
  return append(property, 2, static_cast<std::uint16_t>(set));
}

Result<ObjectTypeList> ObjectTypeList::fromLevels(
    std::span<const std::pair<std::uint16_t, Guid>> levels) {
  if (levels.empty())
    return fail(ErrorCode::kInvalidArgument, "object-type list is empty",
                "give the object's class GUID at level 0 first");
  if (levels.size() > kMaxNodes)
    return fail(ErrorCode::kInvalidArgument,
                "object-type list has " + std::to_string(levels.size()) + " nodes, at most " +
                    std::to_string(kMaxNodes) + " are supported");
  if (levels[0].first != 0)
    return fail(ErrorCode::kInvalidArgument, "object-type list node 0 is at level " +
                                                 std::to_string(levels[0].first) +
                                                 ", the first node must be the object at level 0");
  ObjectTypeList list;
  std::array<std::uint16_t, kMaxLevel + 1> lastAt{};  // index of the latest node per level
  list.append(levels[0].second, 0, ObjectTypeNode::kNoParent);
  for (std::size_t i = 1; i < levels.size(); ++i) {
    const std::uint16_t level = levels[i].first;
    const std::uint16_t previous = levels[i - 1].first;
    if (level == 0 || level > kMaxLevel || level > previous + 1)
      return fail(ErrorCode::kInvalidArgument,
                  "object-type list node " + std::to_string(i) + " is at level " +
                      std::to_string(level) + " after a node at level " + std::to_string(previous),
                  "only the first node is at level 0; levels go at most one deeper per node, up "
                  "to 4");
    list.append(levels[i].second, level, lastAt[level - 1]);
    lastAt[level] = static_cast<std::uint16_t>(i);
  }
  return list;
}

std::optional<std::size_t> ObjectTypeList::find(const Guid& type) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].type == type) return i;
  return std::nullopt;
}

bool ObjectTypeList::isWithin(std::size_t node, std::size_t ancestor) const {
  // At most kMaxLevel steps up.
  for (std::size_t n = node; n != ObjectTypeNode::kNoParent; n = nodes_[n].parent)
    if (n == ancestor) return true;
  return false;
}

Decision TypeListAccess::decision(std::size_t i) const {
  if (nodes_[i].denied != 0) return Decision::kDenied;
  if (nodes_[i].granted == desired_) return Decision::kGranted;
  return Decision::kNotGranted;
}

TypeListAccess checkAccessByTypeList(const SecurityDescriptorView& sd, const Token& token,
                                     std::uint32_t desired, const ObjectTypeList& list) {
  TypeListAccess out;
  checkAccessByTypeList(sd, token, desired, list, out);
  return out;
}

void checkAccessByTypeList(const SecurityDescriptorView& sd, const Token& token,
                           std::uint32_t desired, const ObjectTypeList& list, TypeListAccess& out) {
  const std::size_t n = list.size();  // >= 1: every list has its root
  const std::uint32_t want = mapGenericDs(desired);
  out.desired_ = want;
  out.unevaluated_ = 0;
  out.nullDacl_ = false;
  out.nodes_.assign(n, TypeListAccess::Node{});
  auto& nodes = out.nodes_;
  const AclView* dacl = sd.dacl();
  if (dacl == nullptr) {
    // NULL DACL: no protection at all (MS-DTYP 2.5.3.2).
    out.nullDacl_ = true;
    for (auto& node : nodes) node.granted = want;
    return;
  }
  // Only leaves carry state during the walk; inner nodes are folded from them at the end. An
  // ACE on an inner node acts on every leaf below it, which is what "the node and its
  // descendants" means once inner nodes are derived from their children.
  std::uint32_t undecided = 0;  // union of the leaves' remaining bits
  for (std::size_t i = 0; i < n; ++i) {
    if (!list.isLeaf(i)) continue;
    nodes[i].remaining = want;
    undecided = want;
  }
  auto targets = [&](const std::uint8_t* ot, std::size_t i) {
    return ot == nullptr ? i == 0 : std::memcmp(ot, list[i].type.bytes().data(), 16) == 0;
  };
  for (AceView ace : *dacl) {
    if (undecided == 0) break;
    if (ace.inheritOnly()) continue;
    bool allow = false;
    bool callback = false;
    switch (ace.type()) {
      case AceType::kAccessAllowed:
      case AceType::kAccessAllowedObject:
        allow = true;
        break;
      case AceType::kAccessDenied:
      case AceType::kAccessDeniedObject:
        break;
      case AceType::kAccessAllowedCallback:
      case AceType::kAccessDeniedCallback:
      case AceType::kAccessAllowedCallbackObject:
      case AceType::kAccessDeniedCallbackObject:
        callback = true;
        break;
      default:
        if (!ace.isKnownLayout()) ++out.unevaluated_;  // could be anything
        continue;  // audit, alarm, label, ...: not access control
    }
    const std::uint32_t bits = mapGenericDs(ace.mask()) & undecided;
    if (bits == 0) continue;
    const std::uint8_t* ot = ace.objectTypeBytes();  // null for non-object ACEs
    bool matches = false;
    for (std::size_t t = 0; t < n && !matches; ++t) matches = targets(ot, t);
    if (!matches || !token.contains(ace.sid())) continue;
    if (callback) {
      // Conditional ACE: the condition cannot be evaluated; flag the verdict as uncertain.
      ++out.unevaluated_;
      continue;
    }
    for (std::size_t t = 0; t < n; ++t) {
      if (!targets(ot, t)) continue;
      for (std::size_t j = t; j < n; ++j) {  // a node's descendants come after it
        if (!list.isLeaf(j) || !list.isWithin(j, t)) continue;
        const std::uint32_t taken = nodes[j].remaining & bits;
        nodes[j].remaining &= ~taken;
        (allow ? nodes[j].granted : nodes[j].denied) |= taken;
      }
    }
    undecided = 0;
    for (std::size_t j = 0; j < n; ++j) undecided |= nodes[j].remaining;
  }
  // Fold the leaves into the inner nodes, deepest level first: granted where every child is
  // granted, denied where any child is denied, remaining where any child is undecided.
  for (std::size_t i = 0; i < n; ++i)
    if (!list.isLeaf(i)) nodes[i].granted = want;
  for (std::uint16_t level = ObjectTypeList::kMaxLevel; level >= 1; --level) {
    for (std::size_t i = 1; i < n; ++i) {
      if (list[i].level != level) continue;
      auto& parent = nodes[list[i].parent];
      parent.granted &= nodes[i].granted;
      parent.denied |= nodes[i].denied;
      parent.remaining |= nodes[i].remaining;
    }
  }
}

}  // namespace adcheck::security
