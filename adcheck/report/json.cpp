// JSON: the report model for tools (the same grouping keys and fixes as the other formats).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <sstream>

#include "adcheck/report/model.h"

namespace adcheck::report::detail {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr obj() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Object::Ptr findingJson(const store::StoredFinding& s) {
  auto o = obj();
  const auto& f = s.finding;
  o->set("fingerprint", s.fingerprint);
  scan::setFindingFields(*o, f);
  o->set("status", s.status);
  o->set("firstSeen", isoTime(s.firstSeen));
  return o;
}

Array::Ptr list(const std::vector<store::StoredFinding>& v) {
  Array::Ptr a = new Array;
  for (const auto& s : v) a->add(findingJson(s));
  return a;
}

}  // namespace

std::string renderJson(const Model& m) {
  auto root = obj();
  auto rep = obj();
  rep->set("scan", m.scan.id);
  rep->set("target", m.scan.target);
  rep->set("scanStarted", isoTime(m.scan.started));
  rep->set("generated", isoTime(m.generated));
  rep->set("ou", m.request.ouDn);
  Array::Ptr rules = new Array;
  for (const auto& r : m.request.rules) rules->add(r);
  rep->set("rules", rules);
  root->set("report", rep);
  if (m.since) {
    auto s = obj();
    s->set("from", m.since->from.id);
    s->set("new", list(m.since->added));
    s->set("resolved", list(m.since->resolved));
    s->set("stillOpen", list(m.since->stillOpen));
    s->set("excepted", list(m.since->excepted));
    root->set("since", s);
  } else {
    root->set("since", Poco::Dynamic::Var());
  }
  Array::Ptr items = new Array;
  for (const auto& it : m.items) {
    auto o = findingJson(it.stored);
    o->set("ou", it.ou);
    Array::Ptr ev = new Array;
    for (const auto& [label, text] : it.evidence) {
      auto e = obj();
      e->set("label", label);
      e->set("text", text);
      ev->add(e);
    }
    o->set("evidence", ev);
    auto fix = obj();
    Array::Ptr steps = new Array;
    for (const auto& s : it.guiSteps) steps->add(s);
    fix->set("steps", steps);
    fix->set("command", it.command);
    fix->set("advice", it.advice);
    fix->set("change", it.change >= 0 ? Poco::Dynamic::Var(it.change + 1) : Poco::Dynamic::Var());
    o->set("fix", fix);
    items->add(o);
  }
  root->set("findings", items);
  std::ostringstream out;
  root->stringify(out, 1);
  out << "\n";
  // Poco copies invalid UTF-8 from AD values (an LDIF snapshot may hold any bytes) into the text,
  // which JSON parsers reject: each such byte becomes U+FFFD (ASCII, and so the syntax, untouched).
  return validUtf8(out.str());
}

}  // namespace adcheck::report::detail
