#include "adcheck/store/schema.h"

namespace adcheck::store {

const std::vector<Migration>& migrations() {
  // Times are Unix seconds (BIGINT): portable, compact, and sortable without parsing.
  static const std::vector<Migration> kMigrations = {
      {1,
       "scans, finding lifecycles, per-scan findings, exceptions, events",
       {
           // One row per scan; counts are denormalised so lists and trends need no aggregation.
           "CREATE TABLE scans ("
           " id {id},"
           " target TEXT NOT NULL,"
           " started BIGINT NOT NULL,"
           " finished BIGINT,"
           " status TEXT NOT NULL,"
           " entries_read BIGINT NOT NULL DEFAULT 0,"
           " objects_read BIGINT NOT NULL DEFAULT 0,"
           " findings BIGINT NOT NULL DEFAULT 0,"
           " count_info BIGINT NOT NULL DEFAULT 0,"
           " count_low BIGINT NOT NULL DEFAULT 0,"
           " count_medium BIGINT NOT NULL DEFAULT 0,"
           " count_high BIGINT NOT NULL DEFAULT 0,"
           " count_critical BIGINT NOT NULL DEFAULT 0,"
           " count_excepted BIGINT NOT NULL DEFAULT 0,"
           " count_new BIGINT NOT NULL DEFAULT 0,"
           " count_reopened BIGINT NOT NULL DEFAULT 0,"
           " count_resolved BIGINT NOT NULL DEFAULT 0,"
           " error TEXT NOT NULL DEFAULT '',"
           " version TEXT NOT NULL,"
           " rules TEXT NOT NULL,"
           " warnings TEXT NOT NULL DEFAULT '[]',"
           " object_errors TEXT NOT NULL DEFAULT '[]',"
           " host TEXT NOT NULL DEFAULT '',"
           " pid BIGINT NOT NULL DEFAULT 0,"
           " CHECK (status IN ('running', 'completed', 'failed', 'partial')))",
           // Remediation texts repeat per rule: stored once, referenced by id.
           "CREATE TABLE remediations ("
           " id {id},"
           " body TEXT NOT NULL)",
           // Accepted risk. Removal is soft so that history can still name the exception.
           "CREATE TABLE exceptions ("
           " id {id},"
           " fingerprint TEXT,"
           " rule TEXT,"
           " dn_pattern TEXT,"
           " reason TEXT NOT NULL,"
           " owner TEXT NOT NULL,"
           " created BIGINT NOT NULL,"
           " expires_on TEXT,"
           " expires_at BIGINT,"
           " removed_at BIGINT,"
           " CHECK ((fingerprint IS NOT NULL AND rule IS NULL AND dn_pattern IS NULL) OR"
           "        (fingerprint IS NULL AND rule IS NOT NULL AND dn_pattern IS NOT NULL)))",
           // One row per fingerprint: the finding's identity and lifecycle. status is NULL until a
           // completed scan has seen the finding (partial scans store what they saw but do not
           // start lifecycles). The writer assigns ids itself, under the write lock, so that a
           // scan's rows can be written without a round trip per finding.
           "CREATE TABLE findings ("
           " id {id},"
           " fingerprint TEXT NOT NULL UNIQUE,"
           " rule TEXT NOT NULL,"
           " object_guid TEXT NOT NULL,"
           " object_sid TEXT NOT NULL,"
           " sub_key TEXT NOT NULL,"
           " status TEXT,"
           " first_seen BIGINT,"
           " first_scan_id BIGINT,"
           " last_seen BIGINT,"
           " last_scan_id BIGINT,"
           " resolved_at BIGINT,"
           " since BIGINT,"
           " excepted_by BIGINT REFERENCES exceptions (id),"
           " CHECK (status IS NULL OR status IN ('new', 'open', 'reopened', 'resolved')))",
           // What each scan saw: the finding's data as of that scan and its status then.
           "CREATE TABLE scan_findings ("
           " scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,"
           " finding_id BIGINT NOT NULL REFERENCES findings (id),"
           " severity INTEGER NOT NULL,"
           " lifecycle TEXT NOT NULL,"
           " exception_id BIGINT REFERENCES exceptions (id),"
           " dn TEXT NOT NULL,"
           " sam TEXT NOT NULL,"
           " summary TEXT NOT NULL,"
           " details TEXT NOT NULL,"
           " remediation_id BIGINT REFERENCES remediations (id),"
           " PRIMARY KEY (scan_id, finding_id))",
           // Per scan, rule and severity: the trend chart's data without scanning findings.
           "CREATE TABLE scan_rule_counts ("
           " scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,"
           " rule TEXT NOT NULL,"
           " severity INTEGER NOT NULL,"
           " findings BIGINT NOT NULL,"
           " excepted BIGINT NOT NULL,"
           " PRIMARY KEY (scan_id, rule, severity))",
           // The history of each finding after its first sighting (that one is the lifecycle's
           // first_scan_id and first_seen). scan_id is deliberately no foreign key: the log
           // outlives the scans retention deletes.
           "CREATE TABLE finding_events ("
           " id {id},"
           " finding_id BIGINT NOT NULL REFERENCES findings (id) ON DELETE CASCADE,"
           " scan_id BIGINT NOT NULL,"
           " event TEXT NOT NULL,"
           " at BIGINT NOT NULL,"
           " exception_id BIGINT)",
       }},
      {2,
       "indexes for history, object and event look-ups",
       {
           "CREATE INDEX scan_findings_by_finding ON scan_findings (finding_id)",
           "CREATE INDEX findings_by_object ON findings (object_guid)",
           "CREATE INDEX finding_events_by_finding ON finding_events (finding_id)",
           "CREATE INDEX finding_events_by_scan ON finding_events (scan_id)",
       }},
      {3,
       "details stored once per distinct text; scan_findings keyed by (scan, finding) only",
       {
           // A finding's details rarely change between scans, and findings about one descriptor
           // share them (details.descriptor, the ACE, the rights): each distinct text is stored
           // once and referenced. hash is the writer's content key (sql_store.cpp: contentKey),
           // check a second, independent one so that two texts are taken as equal only when both
           // agree; 0/0 marks texts carried over from an older schema, which are not matched.
           "CREATE TABLE finding_details ("
           " id {id},"
           " hash BIGINT NOT NULL,"
           " check_value BIGINT NOT NULL,"
           " body TEXT NOT NULL)",
           "INSERT INTO finding_details (hash, check_value, body)"
           " SELECT 0, 0, details FROM scan_findings GROUP BY details",
           "CREATE INDEX finding_details_by_body ON finding_details (body)",
           // The occurrence table rebuilt: details by reference, and (where the backend can) the
           // primary key as the table itself, so a scan's rows cost one B-tree insert each.
           "CREATE TABLE scan_findings_v3 ("
           " scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,"
           " finding_id BIGINT NOT NULL REFERENCES findings (id),"
           " severity INTEGER NOT NULL,"
           " lifecycle TEXT NOT NULL,"
           " exception_id BIGINT REFERENCES exceptions (id),"
           " dn TEXT NOT NULL,"
           " sam TEXT NOT NULL,"
           " summary TEXT NOT NULL,"
           " details_id BIGINT NOT NULL REFERENCES finding_details (id),"
           " remediation_id BIGINT REFERENCES remediations (id),"
           " PRIMARY KEY (scan_id, finding_id)) {without_rowid}",
           "INSERT INTO scan_findings_v3 (scan_id, finding_id, severity, lifecycle, exception_id,"
           " dn, sam, summary, details_id, remediation_id)"
           " SELECT sf.scan_id, sf.finding_id, sf.severity, sf.lifecycle, sf.exception_id, sf.dn,"
           " sf.sam, sf.summary, d.id, sf.remediation_id"
           " FROM scan_findings sf JOIN finding_details d ON d.body = sf.details",
           "DROP TABLE scan_findings",
           "ALTER TABLE scan_findings_v3 RENAME TO scan_findings",
           "DROP INDEX finding_details_by_body",
           "CREATE INDEX scan_findings_by_finding ON scan_findings (finding_id)",
       }},
      {4,
       "finding identities without a unique index on the fingerprint",
       {
           // A million new findings meant a million inserts at random places of an index of
           // ~80-byte keys. The writer keeps fingerprints unique itself (it loads every identity
           // under the write lock), and a fingerprint is looked up through its objectGUID
           // (findings_by_object). The tables referring to findings are rebuilt with it, so that
           // no foreign key ever points at a dropped table.
           "CREATE TABLE findings_v4 ("
           " id {id},"
           " fingerprint TEXT NOT NULL,"
           " rule TEXT NOT NULL,"
           " object_guid TEXT NOT NULL,"
           " object_sid TEXT NOT NULL,"
           " sub_key TEXT NOT NULL,"
           " status TEXT,"
           " first_seen BIGINT,"
           " first_scan_id BIGINT,"
           " last_seen BIGINT,"
           " last_scan_id BIGINT,"
           " resolved_at BIGINT,"
           " since BIGINT,"
           " excepted_by BIGINT REFERENCES exceptions (id),"
           " CHECK (status IS NULL OR status IN ('new', 'open', 'reopened', 'resolved')))",
           "INSERT INTO findings_v4 (id, fingerprint, rule, object_guid, object_sid, sub_key, status,"
           " first_seen, first_scan_id, last_seen, last_scan_id, resolved_at, since, excepted_by)"
           " SELECT id, fingerprint, rule, object_guid, object_sid, sub_key, status, first_seen,"
           " first_scan_id, last_seen, last_scan_id, resolved_at, since, excepted_by FROM findings",
           "CREATE TABLE scan_findings_v4 ("
           " scan_id BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,"
           " finding_id BIGINT NOT NULL REFERENCES findings_v4 (id),"
           " severity INTEGER NOT NULL,"
           " lifecycle TEXT NOT NULL,"
           " exception_id BIGINT REFERENCES exceptions (id),"
           " dn TEXT NOT NULL,"
           " sam TEXT NOT NULL,"
           " summary TEXT NOT NULL,"
           " details_id BIGINT NOT NULL REFERENCES finding_details (id),"
           " remediation_id BIGINT REFERENCES remediations (id),"
           " PRIMARY KEY (scan_id, finding_id)) {without_rowid}",
           "INSERT INTO scan_findings_v4 (scan_id, finding_id, severity, lifecycle, exception_id,"
           " dn, sam, summary, details_id, remediation_id)"
           " SELECT scan_id, finding_id, severity, lifecycle, exception_id, dn, sam, summary,"
           " details_id, remediation_id FROM scan_findings",
           "CREATE TABLE finding_events_v4 ("
           " id {id},"
           " finding_id BIGINT NOT NULL REFERENCES findings_v4 (id) ON DELETE CASCADE,"
           " scan_id BIGINT NOT NULL,"
           " event TEXT NOT NULL,"
           " at BIGINT NOT NULL,"
           " exception_id BIGINT)",
           "INSERT INTO finding_events_v4 (id, finding_id, scan_id, event, at, exception_id)"
           " SELECT id, finding_id, scan_id, event, at, exception_id FROM finding_events",
           "DROP TABLE scan_findings",
           "DROP TABLE finding_events",
           "DROP TABLE findings",
           // Renaming a table also renames the references to it (SQLite 3.26+, PostgreSQL).
           "ALTER TABLE findings_v4 RENAME TO findings",
           "ALTER TABLE scan_findings_v4 RENAME TO scan_findings",
           "ALTER TABLE finding_events_v4 RENAME TO finding_events",
           "CREATE INDEX findings_by_object ON findings (object_guid)",
           "CREATE INDEX scan_findings_by_finding ON scan_findings (finding_id)",
           "CREATE INDEX finding_events_by_finding ON finding_events (finding_id)",
           "CREATE INDEX finding_events_by_scan ON finding_events (scan_id)",
       }},
      {5,
       "the scan's coverage: what the scan account could not read (issue 14)",
       {
           // JSON (scan.coverage); '' for scans made before coverage was computed.
           "ALTER TABLE scans ADD COLUMN coverage TEXT NOT NULL DEFAULT ''",
       }},
  };
  return kMigrations;
}

int latestSchemaVersion() { return migrations().back().version; }

}  // namespace adcheck::store
