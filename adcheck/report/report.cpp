#include "adcheck/report/report.h"

#include "adcheck/report/model.h"

namespace adcheck::report {

namespace {
struct FormatInfo {
  Format format;
  std::string_view name;
  std::string_view extension;
  std::string_view contentType;
};
constexpr FormatInfo kFormats[] = {
    {Format::kHtml, "html", ".html", "text/html; charset=utf-8"},
    {Format::kCsv, "csv", ".csv", "text/csv; charset=utf-8"},
    {Format::kJson, "json", ".json", "application/json"},
    {Format::kPs1, "ps1", ".ps1", "text/plain; charset=utf-8"},
    {Format::kPs1Revert, "ps1-revert", ".revert.ps1", "text/plain; charset=utf-8"},
    {Format::kLdif, "ldif", ".ldif", "text/plain; charset=utf-8"},
    {Format::kLdifRevert, "ldif-revert", ".revert.ldif", "text/plain; charset=utf-8"},
};
const FormatInfo& info(Format f) {
  for (const auto& i : kFormats)
    if (i.format == f) return i;
  return kFormats[0];
}
}  // namespace

std::optional<Format> parseFormat(std::string_view name) {
  for (const auto& i : kFormats)
    if (i.name == name) return i.format;
  return std::nullopt;
}

std::string_view formatName(Format format) { return info(format).name; }

Result<ReportFile> render(store::Store& store, const ReportRequest& request) {
  auto model = detail::buildModel(store, request);
  if (!model) return fail(model.error());
  ReportFile file;
  const auto& i = info(request.format);
  file.filename = "adcheck-" + std::to_string(model->scan.id) + std::string(i.extension);
  file.contentType = std::string(i.contentType);
  switch (request.format) {
    case Format::kHtml: file.content = detail::renderHtml(*model); break;
    case Format::kCsv: file.content = detail::renderCsv(*model); break;
    case Format::kJson: file.content = detail::renderJson(*model); break;
    case Format::kPs1: file.content = detail::renderPs1(*model, false); break;
    case Format::kPs1Revert: file.content = detail::renderPs1(*model, true); break;
    case Format::kLdif: file.content = detail::renderLdif(*model, false); break;
    case Format::kLdifRevert: file.content = detail::renderLdif(*model, true); break;
  }
  return file;
}

}  // namespace adcheck::report
