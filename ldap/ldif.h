// Snapshots as LDIF (RFC 2849), plain or gzip-compressed, read and written one entry at a time
// so memory stays flat in the size of the directory (SPEC sections 4, 9, 10).
//
// Reading uses libldap's own LDIF reader (ldif_read_record + ldif_parse_line2) over a zlib
// stream. Snapshots are untrusted input: "include:" lines and URL values ("attr:< file:...")
// are refused instead of being fetched, and a truncated gzip stream, a file that ends in the
// middle of a line or a garbled record is an error naming the file and line.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adcheck/core/error.h"
#include "ldap/entry.h"

namespace adcheck::ldap {

// Whether dn is a well-formed LDAPv3 DN (RFC 4514, as libldap parses it); "" (the RootDSE) is.
bool isValidDn(std::string_view dn);

class LdifReader {
 public:
  // Opens a .ldif or .ldif.gz file (gzip is recognised by its magic bytes; a name ending in
  // ".gz" must hold gzip data).
  static Result<LdifReader> open(const std::string& path);

  LdifReader(LdifReader&&) noexcept;
  LdifReader& operator=(LdifReader&&) noexcept;
  LdifReader(const LdifReader&) = delete;
  LdifReader& operator=(const LdifReader&) = delete;
  ~LdifReader();

  // The next entry, nullopt at the end, or an error (after which the reader stays failed).
  Result<std::optional<Entry>> next();

  const std::string& path() const;
  std::uint64_t entriesRead() const;
  // Number of the last line read (1-based).
  std::uint64_t line() const;

  struct State;

 private:
  explicit LdifReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

struct LdifWriterOptions {
  // nullopt: gzip when the path ends in ".gz".
  std::optional<bool> gzip;
  int gzip_level = 6;
  // Fold lines longer than this (RFC 2849 allows any width; 76 keeps files diff-friendly).
  std::size_t wrap = 76;
};

class LdifWriter {
 public:
  // Writes to "<path>.partial" and renames it to path on a successful close(), so a crash or
  // a failed scan never leaves a short file under the final name.
  static Result<LdifWriter> create(const std::string& path, LdifWriterOptions options = {});

  LdifWriter(LdifWriter&&) noexcept;
  LdifWriter& operator=(LdifWriter&&) noexcept;
  LdifWriter(const LdifWriter&) = delete;
  LdifWriter& operator=(const LdifWriter&) = delete;
  // Without close(), the partial file is removed.
  ~LdifWriter();

  // "# text" lines (one per line of text); allowed anywhere between entries.
  Result<void> comment(std::string_view text);
  // One entry. Values that are not safe LDIF strings (binary, leading space/colon/'<', trailing
  // space, non-ASCII, line breaks) are written base64-encoded, as are such DNs. Attribute names
  // must be LDAP attribute descriptions (letters, digits, '-', ';', '.').
  Result<void> write(const Entry& entry);
  // Flushes, checks for write errors and renames the file into place.
  Result<void> close();

  std::uint64_t entriesWritten() const;

  struct State;

 private:
  explicit LdifWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace adcheck::ldap
