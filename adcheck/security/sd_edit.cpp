#include "adcheck/security/sd_edit.h"

#include <string>

#include "adcheck/security/byte_io.h"
#include "adcheck/security/security_descriptor.h"

namespace adcheck::security {

using detail::loadLe16;
using detail::loadLe32;
using detail::storeLe16;
using detail::storeLe32;

namespace {

// Header field offsets (MS-DTYP 2.4.6).
constexpr std::size_t kControlAt = 2;
constexpr std::size_t kOffsetOwnerAt = 4;
constexpr std::size_t kOffsetGroupAt = 8;
constexpr std::size_t kOffsetSaclAt = 12;
constexpr std::size_t kOffsetDaclAt = 16;

Result<std::vector<std::uint8_t>> validated(std::vector<std::uint8_t> out, const char* what) {
  if (auto check = parseSecurityDescriptor(std::span<const std::uint8_t>(out)); !check)
    return fail(ErrorCode::kInternal,
                std::string(what) + " produced an invalid descriptor: " + check.error().message,
                "report this with the object's DN");
  return out;
}

}  // namespace

Result<std::vector<std::uint8_t>> enableDaclInheritance(std::span<const std::uint8_t> sd) {
  auto view = parseSecurityDescriptor(sd);
  if (!view) return fail(view.error());
  if (view->dacl() == nullptr)
    return fail(ErrorCode::kInvalidArgument,
                "the descriptor has no DACL (NULL DACL): there is no inheritance to re-enable",
                "give the object an explicit DACL first");
  std::vector<std::uint8_t> out(sd.begin(), sd.end());
  std::uint16_t control = loadLe16(out.data() + kControlAt);
  control = static_cast<std::uint16_t>((control & ~kSeDaclProtected) | kSeDaclAutoInherited);
  storeLe16(out.data() + kControlAt, control);
  return validated(std::move(out), "re-enabling inheritance");
}

Result<std::vector<std::uint8_t>> removeDaclAce(std::span<const std::uint8_t> sd, std::size_t index) {
  auto view = parseSecurityDescriptor(sd);
  if (!view) return fail(view.error());
  const AclView* dacl = view->dacl();
  if (dacl == nullptr)
    return fail(ErrorCode::kInvalidArgument, "the descriptor has no DACL: no ACE to remove",
                "re-read the object's descriptor");
  if (index >= dacl->aceCount())
    return fail(ErrorCode::kInvalidArgument,
                "DACL ACE " + std::to_string(index) + " does not exist: the DACL has " +
                    std::to_string(dacl->aceCount()) + " ACEs",
                "the descriptor changed since the scan; scan again");
  AceView ace;
  for (const AceView a : *dacl)
    if (a.index() == index) {
      ace = a;
      break;
    }
  const std::uint32_t start = ace.offset();
  const std::uint32_t size = ace.size();
  const std::uint32_t end = start + size;

  std::vector<std::uint8_t> out;
  out.reserve(sd.size() - size);
  out.insert(out.end(), sd.begin(), sd.begin() + start);
  out.insert(out.end(), sd.begin() + end, sd.end());

  std::uint8_t* aclHeader = out.data() + dacl->offset();
  storeLe16(aclHeader + 2, static_cast<std::uint16_t>(dacl->aclSize() - size));
  storeLe16(aclHeader + 4, static_cast<std::uint16_t>(dacl->aceCount() - 1));
  // Parts stored after the ACE move up by its size. A part starting inside the removed bytes
  // would mean overlapping structures, which the parser does not rule out: refuse that rather
  // than guess.
  for (std::size_t field : {kOffsetOwnerAt, kOffsetGroupAt, kOffsetSaclAt, kOffsetDaclAt}) {
    const std::uint32_t at = loadLe32(out.data() + field);
    if (at == 0 || at <= start) continue;
    if (at < end)
      return fail(ErrorCode::kInvalidArgument,
                  "a part of the descriptor at offset " + std::to_string(at) +
                      " overlaps the ACE being removed (bytes " + std::to_string(start) + ".." +
                      std::to_string(end) + ")",
                  "edit this descriptor by hand");
    storeLe32(out.data() + field, at - size);
  }
  return validated(std::move(out), "removing a DACL ACE");
}

}  // namespace adcheck::security
