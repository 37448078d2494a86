// adcheck report: remediation reports from the store (adcheck/report/report.h).
#include <fstream>
#include <iostream>

#include "adcheck/app/cli.h"
#include "adcheck/config/config.h"
#include "adcheck/report/report.h"
#include "adcheck/store/sqlite_store.h"

namespace adcheck::app {
namespace {

Result<std::optional<std::int64_t>> scanArg(store::Store& st, const std::string* text,
                                            const std::string& option) {
  if (text == nullptr || *text == "latest") return std::optional<std::int64_t>();
  if (*text == "previous") {
    auto page = st.listScans({0, 0});
    if (!page) return fail(page.error());
    int wanted = 1;
    for (const auto& r : page->items)
      if (r.status == scan::ScanStatus::kCompleted && wanted-- == 0)
        return std::optional<std::int64_t>(r.id);
    return fail(ErrorCode::kNotFound, "the store has no previous completed scan for " + option,
                "adcheck scans list shows what it holds");
  }
  try {
    std::size_t used = 0;
    long long v = std::stoll(*text, &used);
    if (used == text->size() && v > 0) return std::optional<std::int64_t>(v);
  } catch (const std::exception&) {
  }
  return fail(ErrorCode::kInvalidArgument,
              option + " '" + *text + "' is not a scan id (a positive number, 'latest' or 'previous')",
              "adcheck scans list shows the ids");
}

Result<void> writeFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out)
    return fail(ErrorCode::kIo, "cannot write " + path, "check the folder exists and is writable");
  return {};
}

// "x/adcheck.ps1" -> "x/adcheck.revert.ps1"; a name without that extension gets it appended.
std::string revertPath(const std::string& path, const std::string& ext) {
  if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0)
    return path.substr(0, path.size() - ext.size()) + ".revert" + ext;
  return path + ".revert" + ext;
}

}  // namespace

int cmdReport(const Args& args) {
  ArgParser p(args);
  const std::string* cfgPath = p.value("--config");
  const std::string* formatText = p.value("--format");
  const std::string* scanText = p.value("--scan");
  const std::string* sinceText = p.value("--since");
  const std::string* ou = p.value("--ou");
  const std::string* output = p.value("--output");
  std::vector<std::string> rules = p.values("--rule");
  if (!p.error.empty()) return usageError(p.error);
  if (!p.rest().empty()) return usageError("unexpected argument '" + p.rest().front() + "'");
  if (cfgPath == nullptr)
    return usageError("give --config FILE (its [store] path names the store with the scans)");
  if (formatText == nullptr)
    return usageError("give --format html|csv|json|ps1|ps1-revert|ldif|ldif-revert");
  auto format = report::parseFormat(*formatText);
  if (!format)
    return usageError("unknown --format '" + *formatText +
                      "': use html, csv, json, ps1, ps1-revert, ldif or ldif-revert");

  auto cfg = config::loadConfig(*cfgPath);
  if (!cfg) return reportError(cfg.error());
  auto options = store::sqliteOptions(cfg->store);
  options.create = false;
  auto opened = store::openSqliteStore(options);
  if (!opened) return reportError(opened.error());
  auto& st = **opened;

  report::ReportRequest req;
  req.format = *format;
  auto scanId = scanArg(st, scanText, "--scan");
  if (!scanId) return reportError(scanId.error());
  req.scanId = *scanId;
  if (sinceText != nullptr) {
    if (*sinceText == "latest") return usageError("--since latest would compare the scan with itself");
    auto since = scanArg(st, sinceText, "--since");
    if (!since) return reportError(since.error());
    req.sinceId = *since;
  }
  if (ou != nullptr) req.ouDn = *ou;
  req.rules = rules;

  auto file = report::render(st, req);
  if (!file) return reportError(file.error());
  if (output == nullptr) {
    std::cout << file->content;
    if (*format == report::Format::kPs1 || *format == report::Format::kLdif)
      std::cerr << "adcheck: the revert file was not written (no --output); get it with --format "
                << report::formatName(*format) << "-revert\n";
    return 0;
  }
  if (auto w = writeFile(*output, file->content); !w) return reportError(w.error());
  if (*format == report::Format::kPs1 || *format == report::Format::kLdif) {
    req.format = *format == report::Format::kPs1 ? report::Format::kPs1Revert
                                                 : report::Format::kLdifRevert;
    auto revert = report::render(st, req);
    if (!revert) return reportError(revert.error());
    const std::string path =
        revertPath(*output, *format == report::Format::kPs1 ? ".ps1" : ".ldif");
    if (auto w = writeFile(path, revert->content); !w) return reportError(w.error());
    std::cerr << "adcheck: wrote " << *output << " and its revert file " << path << "\n";
  }
  return 0;
}

}  // namespace adcheck::app
