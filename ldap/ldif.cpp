#include "ldap/ldif.h"

#include <fcntl.h>
#include <lber.h>
#include <ldap.h>
#include <ldif.h>
#include <stdio_ext.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "ldap/internal.h"

namespace adcheck::ldap {
namespace {

constexpr std::string_view kDamagedHint =
    "the snapshot is damaged or truncated; write a new one with adcheck snapshot";

// Bounds on what one record may make the reader hold (libldap's reader grows one buffer per
// record): a logical line (continuations included) and a whole record. AD's largest values (a
// descriptor, certificates, a photo) are far below the first; a group with a million members is
// below the second.
constexpr std::size_t kMaxLineBytes = 16u << 20;
constexpr std::size_t kMaxRecordBytes = 512u << 20;

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string errnoText(int err) { return std::strerror(err); }

}  // namespace

bool isValidDn(std::string_view dn) {
  if (dn.empty()) return true;
  if (dn.find('\0') != std::string_view::npos) return false;
  const std::string text(dn);
  LDAPDN parsed = nullptr;
  const int rc = ldap_str2dn(text.c_str(), &parsed, LDAP_DN_FORMAT_LDAPV3);
  if (parsed != nullptr) ldap_dnfree(parsed);
  return rc == LDAP_SUCCESS;
}

// =============================================================================================
// Reader

struct LdifReader::State {
  std::string path;
  int fd = -1;
  gzFile gz = nullptr;
  FILE* fp = nullptr;   // stdio view of the zlib stream, for libldap's reader
  LDIFFP lfp{};         // libldap's reader handle; we own lfp.fp (no include stack)
  char* buf = nullptr;  // ldif_read_record's buffer (ber allocator)
  int buflen = 0;
  unsigned long lineno = 0;
  std::uint64_t entries = 0;
  bool first_record = true;
  bool done = false;
  std::optional<Error> failed;
  // Set by the stream below; ldif_read_record sees a failed read as a plain end of file, so
  // every record is checked against these afterwards.
  std::string stream_error;
  char last_byte = '\n';
  std::uint64_t bytes = 0;
  // The first bytes of the current line, carried across reads, to spot "include:" lines.
  std::string line_head;
  bool at_line_start = true;
  std::vector<std::size_t> newlines;  // offsets of '\n' in buf, for line numbers
  // Sizes of the current logical line and record, across reads (checkSizes).
  std::size_t line_bytes = 0;
  std::size_t record_bytes = 0;
  bool size_at_line_start = true;
  std::uint64_t lines_seen = 0;  // line breaks read so far, for the size and NUL errors

  ~State() {
    if (fp != nullptr) std::fclose(fp);
    if (gz != nullptr) gzclose(gz);
    if (buf != nullptr) ber_memfree(buf);
  }

  Error error(unsigned long line, const std::string& what) const {
    return Error{ErrorCode::kParse, path + ":" + std::to_string(line) + ": " + what,
                 std::string(kDamagedHint)};
  }

  // Refuses lines that start with "include:": libldap's reader would open the file or URL they
  // name, and a snapshot is untrusted input. Scans line starts only (memchr), not every byte.
  bool checkIncludes(const char* data, std::size_t size) {
    static constexpr std::string_view kInclude = "include:";
    std::size_t i = 0;
    while (i < size) {
      if (at_line_start) {
        while (i < size && line_head.size() < kInclude.size()) {
          const char c = data[i];
          if (c == '\n') break;
          line_head.push_back(c);
          ++i;
        }
        if (line_head.size() == kInclude.size() || (i < size && data[i] == '\n')) {
          if (iequals(line_head, kInclude)) return false;
          at_line_start = false;
          line_head.clear();
        } else {
          return true;  // line start continues in the next read
        }
      }
      const void* nl = std::memchr(data + i, '\n', size - i);
      if (nl == nullptr) return true;
      i = static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1;
      at_line_start = true;
    }
    return true;
  }

  // Refuses a NUL byte (libldap's reader works on C strings: the rest of the line would be
  // lost silently, and the next line glued to it) and lines or records beyond the bounds above,
  // before libldap's reader has buffered them.
  bool checkSizes(const char* data, std::size_t size) {
    if (std::memchr(data, '\0', size) != nullptr) {
      const auto at =
          static_cast<std::size_t>(static_cast<const char*>(std::memchr(data, '\0', size)) - data);
      stream_error = "a NUL byte in line " +
                     std::to_string(lines_seen + 1 +
                                    static_cast<std::uint64_t>(std::count(data, data + at, '\n'))) +
                     ": LDIF carries binary values base64-encoded (\"name:: ...\"), never raw";
      return false;
    }
    std::size_t i = 0;
    while (i < size) {
      if (size_at_line_start) {
        size_at_line_start = false;
        if (data[i] == '\n') {  // a blank line ends the record
          record_bytes = 0;
          line_bytes = 0;
          ++lines_seen;
          size_at_line_start = true;
          ++i;
          continue;
        }
        if (data[i] != ' ') line_bytes = 0;  // not a continuation: a new logical line
      }
      const void* nl = std::memchr(data + i, '\n', size - i);
      const std::size_t end =
          nl == nullptr ? size : static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1;
      line_bytes += end - i;
      record_bytes += end - i;
      if (line_bytes > kMaxLineBytes || record_bytes > kMaxRecordBytes) {
        stream_error =
            std::string(line_bytes > kMaxLineBytes ? "line " : "the record ending at line ") +
            std::to_string(lines_seen + 1) + " is longer than " +
            std::to_string((line_bytes > kMaxLineBytes ? kMaxLineBytes : kMaxRecordBytes) >> 20) +
            " MiB: no directory value is that large";
        return false;
      }
      i = end;
      if (nl != nullptr) {
        ++lines_seen;
        size_at_line_start = true;
      }
    }
    return true;
  }

  static ssize_t read(void* cookie, char* out, std::size_t size) {
    auto* s = static_cast<State*>(cookie);
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size, INT_MAX / 2));
    const int n = gzread(s->gz, out, chunk);
    if (n < 0) {
      int code = Z_OK;
      const char* msg = gzerror(s->gz, &code);
      s->stream_error = std::string("cannot decompress: ") + (msg != nullptr ? msg : "zlib error");
      errno = EIO;
      return -1;
    }
    if (n == 0) {
      int code = Z_OK;
      gzerror(s->gz, &code);
      // zlib reports a gzip stream cut short as Z_BUF_ERROR at end of input, not as an error.
      if (code == Z_BUF_ERROR) {
        s->stream_error = "the gzip stream ends early: the file is truncated";
        errno = EIO;
        return -1;
      }
      return 0;
    }
    if (!s->checkSizes(out, static_cast<std::size_t>(n))) {
      errno = EINVAL;
      return -1;
    }
    if (!s->checkIncludes(out, static_cast<std::size_t>(n))) {
      s->stream_error =
          "\"include:\" lines are not allowed in a snapshot (they would make the reader open "
          "other files)";
      errno = EINVAL;
      return -1;
    }
    s->bytes += static_cast<std::uint64_t>(n);
    s->last_byte = out[n - 1];
    return n;
  }

  Result<std::optional<Entry>> readNext();
  Result<std::optional<Entry>> parseRecord(unsigned long first_line);
};

LdifReader::LdifReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
LdifReader::LdifReader(LdifReader&&) noexcept = default;
LdifReader& LdifReader::operator=(LdifReader&&) noexcept = default;
LdifReader::~LdifReader() = default;

Result<LdifReader> LdifReader::open(const std::string& path) {
  detail::initLibrary();  // libldap's parse diagnostics go to our log sink, not stderr
  auto s = std::make_unique<State>();
  s->path = path;
  s->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (s->fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                "cannot open snapshot \"" + path + "\": " + errnoText(err),
                "check the path and that adcheck may read it");
  }
  struct stat st {};
  if (::fstat(s->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(s->fd);
    return fail(ErrorCode::kIo, "snapshot \"" + path + "\" is a directory",
                "give the path of a .ldif or .ldif.gz file");
  }
  unsigned char magic[2] = {0, 0};
  const ssize_t got = ::pread(s->fd, magic, 2, 0);
  const bool is_gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (endsWith(path, ".gz") && !is_gzip) {
    ::close(s->fd);
    return fail(ErrorCode::kParse,
                "snapshot \"" + path + "\" is not gzip data although its name ends in .gz",
                "rename a plain LDIF file to .ldif, or compress it with gzip");
  }
  // gzdopen reads plain files transparently, so one code path serves both.
  s->gz = gzdopen(s->fd, "rb");
  if (s->gz == nullptr) {
    ::close(s->fd);
    return fail(ErrorCode::kIo, "cannot read snapshot \"" + path + "\": out of memory");
  }
  gzbuffer(s->gz, 256 * 1024);
  cookie_io_functions_t io{};
  io.read = &State::read;
  s->fp = fopencookie(s.get(), "r", io);
  if (s->fp == nullptr) return fail(ErrorCode::kIo, "cannot read snapshot \"" + path + "\"");
  std::setvbuf(s->fp, nullptr, _IOFBF, 256 * 1024);
  // One reader, one thread: skip stdio's per-call locking (feof/fgets run once per line).
  __fsetlocking(s->fp, FSETLOCKING_BYCALLER);
  s->lfp.fp = s->fp;
  s->lfp.prev = nullptr;
  return LdifReader(std::move(s));
}

const std::string& LdifReader::path() const { return state_->path; }
std::uint64_t LdifReader::entriesRead() const { return state_->entries; }
std::uint64_t LdifReader::line() const { return state_->lineno; }

Result<std::optional<Entry>> LdifReader::next() {
  State& s = *state_;
  if (s.failed) return fail(*s.failed);
  if (s.done) return std::optional<Entry>();
  auto r = s.readNext();
  if (!r) {
    s.failed = r.error();
    s.done = true;
  } else if (!*r) {
    s.done = true;
  } else {
    ++s.entries;
  }
  return r;
}

Result<std::optional<Entry>> LdifReader::State::readNext() {
  for (;;) {
    const unsigned long before = lineno;
    const int rc = ldif_read_record(&lfp, &lineno, &buf, &buflen);
    if (!stream_error.empty()) return fail(error(lineno + 1, stream_error));
    if (std::ferror(fp)) return fail(error(lineno + 1, "read error"));
    if (rc < 0) return fail(error(lineno, "cannot read this LDIF record"));
    const bool at_eof = std::feof(fp) != 0;
    if (at_eof && bytes > 0 && last_byte != '\n') {
      return fail(error(lineno, "the file ends in the middle of a line: it is truncated"));
    }
    if (rc == 0) return std::optional<Entry>();
    // Line numbers: the record's buffer holds its lines (and comments just before it); it ended
    // with a blank line (counted in lineno) unless the file ended. The offsets of its line
    // breaks are taken now, before ldif_getline and ldif_parse_line2 rewrite the buffer.
    newlines.clear();
    for (const char* p = buf; (p = std::strchr(p, '\n')) != nullptr; ++p)
      newlines.push_back(static_cast<std::size_t>(p - buf));
    const unsigned long n = newlines.size();
    unsigned long first = at_eof ? lineno + 1 - n : lineno - n;
    if (first <= before) first = before + 1;
    auto entry = parseRecord(first);
    if (!entry) return fail(entry.error());
    if (*entry) return entry;
    // A record without an entry ("version: 1" alone): read on.
  }
}

namespace {

// RFC 4648 base64 as LDIF carries it: leading spaces skipped, and the '\r' pairs that
// ldif_getline leaves where it unfolded continuation lines ignored. Strict otherwise: a
// character outside the alphabet, or padding anywhere but the end, is an error.
bool decodeBase64(const char* p, std::string& out) {
  static const auto kTable = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
  }();
  while (*p == ' ') ++p;
  // Sized once and written through a pointer: a push_back per byte cost more than libldap.
  out.resize(std::strlen(p) / 4 * 3 + 3);
  char* o = out.data();
  std::uint32_t acc = 0;
  int k = 0;  // characters in the current group of four
  int pad = 0;
  for (; *p != '\0'; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '\r') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    const int v = kTable[c];
    if (v < 0 || pad != 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++k == 4) {
      o[0] = static_cast<char>(acc >> 16);
      o[1] = static_cast<char>(acc >> 8);
      o[2] = static_cast<char>(acc);
      o += 3;
      acc = 0;
      k = 0;
    }
  }
  // The last group: 2 characters carry 1 byte, 3 carry 2; their spare bits must be zero, and
  // padding (if any) completes the group to four.
  if (k == 1 || (pad != 0 && k + pad != 4) || pad > 2) return false;
  if (k == 2) {
    if (acc & 0xF) return false;
    *o++ = static_cast<char>(acc >> 4);
  } else if (k == 3) {
    if (acc & 0x3) return false;
    *o++ = static_cast<char>(acc >> 10);
    *o++ = static_cast<char>(acc >> 2);
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
  return true;
}

}  // namespace

Result<std::optional<Entry>> LdifReader::State::parseRecord(unsigned long first_line) {
  // Physical line of a logical line (for error messages): how many line breaks precede it.
  auto lineOf = [&](const char* p) -> unsigned long {
    const auto offset = static_cast<std::size_t>(p - buf);
    const auto index = std::lower_bound(newlines.begin(), newlines.end(), offset) - newlines.begin();
    return first_line + static_cast<unsigned long>(index);
  };
  Entry entry;
  bool have_dn = false;
  bool first = true;
  char* next = buf;
  char* line = nullptr;
  while ((line = ldif_getline(&next)) != nullptr) {
    // URL values ("attr:< file:///etc/shadow") would be fetched by ldif_parse_line2: refuse.
    const char* colon = std::strchr(line, ':');
    if (colon != nullptr && colon[1] == '<') {
      return fail(error(lineOf(line), "URL values (\":<\") are not allowed in a snapshot"));
    }
    std::string_view name;
    std::string val;
    if (colon != nullptr && colon != line && colon[1] == ':') {
      // "name:: base64": decoded here rather than by ldif_parse_line2, whose decoder alone was
      // ~30% of an offline scan (callgrind); same syntax, folded lines included.
      name = std::string_view(line, static_cast<std::size_t>(colon - line));
      if (!decodeBase64(colon + 2, val))
        return fail(error(lineOf(line), "invalid base64 value of \"" + std::string(name) + "\""));
    } else {
      berval type{};
      berval value{};
      int freeval = 0;
      if (ldif_parse_line2(line, &type, &value, &freeval) != 0) {
        std::string shown(line, std::min<std::size_t>(std::strlen(line), 40));
        std::replace(shown.begin(), shown.end(), '\r', ' ');
        return fail(error(lineOf(line), "malformed line (expected \"name: value\" or \"name:: base64\"): \"" +
                                  shown + "\""));
      }
      name = std::string_view(type.bv_val, type.bv_len);
      val.assign(value.bv_val != nullptr ? value.bv_val : "", value.bv_len);
      if (freeval) ber_memfree(value.bv_val);
    }
    if (first) {
      first = false;
      if (first_record && iequals(name, "version")) {
        if (val != "1") return fail(error(lineOf(line), "unsupported LDIF version \"" + val + "\""));
        first = true;  // the dn follows (or the record holds only the version)
        first_record = false;
        continue;
      }
      if (!iequals(name, "dn")) {
        return fail(error(lineOf(line), "a record must start with \"dn:\", found \"" + std::string(name) +
                                  ":\""));
      }
      entry.setDn(std::move(val));
      have_dn = true;
      continue;
    }
    if (iequals(name, "dn")) {
      return fail(error(lineOf(line), "a second \"dn:\" in one record (a blank line is missing?)"));
    }
    if (iequals(name, "changetype")) {
      if (!iequals(val, "add"))
        return fail(error(lineOf(line), "change records (changetype: " + val +
                                  ") are not snapshots; only entries are accepted"));
      continue;
    }
    if (iequals(name, "control")) {
      return fail(error(lineOf(line), "change records (control:) are not snapshots"));
    }
    entry.add(name, std::move(val));
  }
  first_record = false;
  if (!have_dn) return std::optional<Entry>();
  return std::optional<Entry>(std::move(entry));
}

// =============================================================================================
// Writer

struct LdifWriter::State {
  std::string path;
  std::string partial;
  LdifWriterOptions options;
  bool gzip = false;
  int fd = -1;
  gzFile gz = nullptr;
  std::string buffer;
  std::uint64_t entries = 0;
  bool closed = false;
  std::optional<Error> failed;

  ~State() {
    if (closed) return;
    if (gz != nullptr) gzclose(gz);
    if (fd >= 0) ::close(fd);
    ::unlink(partial.c_str());
  }

  Error ioError(const std::string& what) const {
    return Error{ErrorCode::kIo, "cannot write snapshot \"" + path + "\": " + what,
                 "check free space and permissions of the target directory"};
  }

  Result<void> flush() {
    if (buffer.empty()) return {};
    if (gzip) {
      std::size_t done = 0;
      while (done < buffer.size()) {
        const unsigned chunk =
            static_cast<unsigned>(std::min<std::size_t>(buffer.size() - done, 1u << 30));
        if (gzwrite(gz, buffer.data() + done, chunk) == 0) {
          int code = Z_OK;
          const char* msg = gzerror(gz, &code);
          return fail(ioError(code == Z_ERRNO ? errnoText(errno)
                                              : std::string(msg != nullptr ? msg : "zlib error")));
        }
        done += chunk;
      }
    } else {
      std::size_t done = 0;
      while (done < buffer.size()) {
        const ssize_t n = ::write(fd, buffer.data() + done, buffer.size() - done);
        if (n < 0) {
          if (errno == EINTR) continue;
          return fail(ioError(errnoText(errno)));
        }
        done += static_cast<std::size_t>(n);
      }
    }
    buffer.clear();
    return {};
  }

  void put(int type, const char* name, const char* value, std::size_t length) {
    char* text = ldif_put_wrap(type, name, value, length, options.wrap);
    if (text != nullptr) {
      buffer += text;
      ber_memfree(text);
    }
  }
};

LdifWriter::LdifWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
LdifWriter::LdifWriter(LdifWriter&&) noexcept = default;
LdifWriter& LdifWriter::operator=(LdifWriter&&) noexcept = default;
LdifWriter::~LdifWriter() = default;

Result<LdifWriter> LdifWriter::create(const std::string& path, LdifWriterOptions options) {
  if (path.empty())
    return fail(ErrorCode::kInvalidArgument, "snapshot path is empty", "give --output FILE");
  auto s = std::make_unique<State>();
  s->path = path;
  s->partial = path + ".partial";
  s->options = options;
  if (s->options.wrap < 2) s->options.wrap = LDIF_LINE_WIDTH_MAX;
  s->gzip = options.gzip.value_or(endsWith(path, ".gz"));
  // Snapshots hold security descriptors and group memberships: owner-only by default.
  s->fd = ::open(s->partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (s->fd < 0) {
    const int err = errno;
    s->closed = true;  // nothing to clean up
    return fail(ErrorCode::kIo,
                "cannot create snapshot \"" + s->partial + "\": " + errnoText(err),
                "check that the directory exists and is writable");
  }
  if (s->gzip) {
    const int level = std::clamp(options.gzip_level, 1, 9);
    const std::string mode = "wb" + std::to_string(level);
    const int dupfd = ::dup(s->fd);
    s->gz = dupfd >= 0 ? gzdopen(dupfd, mode.c_str()) : nullptr;
    if (s->gz == nullptr) {
      if (dupfd >= 0) ::close(dupfd);
      return fail(s->ioError("cannot start gzip compression"));
    }
    gzbuffer(s->gz, 256 * 1024);
  }
  s->buffer = "version: 1\n\n";
  return LdifWriter(std::move(s));
}

std::uint64_t LdifWriter::entriesWritten() const { return state_->entries; }

Result<void> LdifWriter::comment(std::string_view text) {
  State& s = *state_;
  if (s.closed) return fail(ErrorCode::kInvalidArgument, "snapshot \"" + s.path + "\" is closed");
  if (s.failed) return fail(*s.failed);
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    std::string clean(line);
    std::replace(clean.begin(), clean.end(), '\r', ' ');
    s.buffer += clean.empty() ? "#\n" : "# " + clean + "\n";
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {};
}

Result<void> LdifWriter::write(const Entry& entry) {
  State& s = *state_;
  if (s.closed) return fail(ErrorCode::kInvalidArgument, "snapshot \"" + s.path + "\" is closed");
  if (s.failed) return fail(*s.failed);
  for (const auto& attribute : entry.attributes()) {
    const std::string& name = attribute.name;
    const bool valid =
        !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) &&
        std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ';' || c == '.';
        });
    if (!valid || iequals(name, "dn")) {
      return fail(ErrorCode::kInvalidArgument,
                  "cannot write \"" + entry.dn() + "\" to \"" + s.path +
                      "\": attribute name \"" + name + "\" is not an LDAP attribute description",
                  "attribute names may hold letters, digits, '-', ';' and '.' only");
    }
  }
  s.put(LDIF_PUT_VALUE, "dn", entry.dn().data(), entry.dn().size());
  for (const auto& attribute : entry.attributes()) {
    for (const auto& value : attribute.values)
      s.put(LDIF_PUT_VALUE, attribute.name.c_str(), value.data(), value.size());
  }
  s.buffer += '\n';
  ++s.entries;
  if (s.buffer.size() >= 256 * 1024) {
    auto flushed = s.flush();
    if (!flushed) {
      s.failed = flushed.error();
      return flushed;
    }
  }
  return {};
}

Result<void> LdifWriter::close() {
  State& s = *state_;
  if (s.closed) return {};
  if (s.failed) return fail(*s.failed);
  auto flushed = s.flush();
  if (!flushed) return flushed;
  if (s.gz != nullptr) {
    const int rc = gzclose(s.gz);
    s.gz = nullptr;
    if (rc != Z_OK) return fail(s.ioError("gzip stream could not be finished (error " +
                                          std::to_string(rc) + ")"));
  }
  if (::fsync(s.fd) != 0) return fail(s.ioError(errnoText(errno)));
  if (::close(s.fd) != 0) {
    s.fd = -1;
    return fail(s.ioError(errnoText(errno)));
  }
  s.fd = -1;
  if (::rename(s.partial.c_str(), s.path.c_str()) != 0)
    return fail(s.ioError("cannot rename \"" + s.partial + "\": " + errnoText(errno)));
  s.closed = true;
  return {};
}

}  // namespace adcheck::ldap
