// GET /api/v1/reports/{format}: adcheck::report::render (adcheck/report/report.h). Built without
// the report library (ADCHECK_HAVE_REPORT unset) the route answers 501.
#include "web/server/app.h"

#ifdef ADCHECK_HAVE_REPORT
#include "adcheck/report/report.h"
#endif

namespace adcheck::web {

void registerReportRoutes(App& app, Router& router) {
  router.add("GET", "/api/v1/reports/{format}", Role::kViewer,
             [&app](const Request& req, const Params& p, const Caller*) -> HttpResult<Response> {
#ifdef ADCHECK_HAVE_REPORT
               auto format = report::parseFormat(p.at("format"));
               if (!format)
                 return std::unexpected(badRequest("report format '" + p.at("format").substr(0, 40) +
                                                   "' is not one of html, csv, json, ps1, ps1-revert, ldif, ldif-revert"));
               report::ReportRequest rr;
               rr.format = *format;
               auto parse_id = [](const std::string& text) -> std::optional<std::int64_t> {
                 try {
                   std::size_t used = 0;
                   long long v = std::stoll(text, &used);
                   if (used == text.size() && v > 0) return v;
                 } catch (const std::exception&) {
                 }
                 return std::nullopt;
               };
               if (auto s = req.param("scan"); s && !s->empty() && *s != "latest") {
                 rr.scanId = parse_id(*s);
                 if (!rr.scanId) return std::unexpected(badRequest("parameter 'scan' must be a scan id or 'latest'"));
               }
               if (auto s = req.param("since"); s && !s->empty()) {
                 rr.sinceId = parse_id(*s);
                 if (!rr.sinceId) return std::unexpected(badRequest("parameter 'since' must be a scan id"));
               }
               rr.ouDn = req.param("ou").value_or("");
               rr.rules = req.params("rule");
               return app.withStore([&](store::Store& s) -> HttpResult<Response> {
                 auto file = report::render(s, rr);
                 if (!file) {
                   const auto& e = file.error();
                   if (e.code == ErrorCode::kNotFound) return std::unexpected(HttpError{404, "not-found", e.message, e.hint, {}});
                   if (e.code == ErrorCode::kInvalidArgument) return std::unexpected(badRequest(e.message, e.hint));
                   return std::unexpected(app.internal("report", e));
                 }
                 Response r;
                 r.contentType = file->contentType;
                 r.body = std::move(file->content);
                 const bool inline_html = *format == report::Format::kHtml && req.param("inline").value_or("") == "1";
                 r.set("Content-Disposition", std::string(inline_html ? "inline" : "attachment") +
                                                  "; filename=\"" + file->filename + "\"");
                 r.set("Cache-Control", "no-store");
                 if (*format == report::Format::kHtml) r.set("Content-Security-Policy", std::string(kReportContentSecurityPolicy));
                 return r;
               });
#else
               (void)app;
               (void)req;
               (void)p;
               return httpFail(501, "not-implemented", "reports are not built into this adcheck",
                               "build with the report library (adcheck/report)");
#endif
             });
}

}  // namespace adcheck::web
