//! The program's projects for other tools: JSON, and XML in the shape of Apache's
//! `podlings.xml` (see its `podlings.dtd`: `podling` with `name`, `status`
//! (current/graduated/retired), `resource`, `sponsor`, `startdate`, `enddate`; then
//! `description`, `reporting`, `resolution`, `champion`, `mentors`), so tooling written for
//! the Apache Incubator keeps working.

use std::fmt::Write as _;

use hatchery_core::Actor;
use hatchery_core::incubator::{Month, ROLE_CHAMPION, ROLE_COMMITTER, ROLE_MENTOR, Terminal};
use hatchery_store::{Program, Project, RosterEntry};
use serde_json::{Value, json};

use super::IncubatorError;
use crate::Forge;

const MS_PER_DAY: i64 = 86_400_000;

/// `YYYY-MM-DD` of a unix-millisecond time, in UTC.
pub fn date(ms: i64) -> String {
    let (y, m, d) = civil(ms.div_euclid(MS_PER_DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// (year, month, day) of a day since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Text for XML content and attribute values: the five special characters escaped, and
/// characters XML 1.0 does not allow at all (most control characters) left out.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// podlings.xml's status of a project in `stage`.
fn status(program: &Program, stage: &str) -> &'static str {
    match program.template.stage(stage).and_then(|s| s.terminal) {
        None => "current",
        Some(Terminal::Graduated) => "graduated",
        Some(_) => "retired",
    }
}

/// The people in `role` while the project is incubating, or when it ended: the end of
/// incubation ends every open role with its date, and those are the project's people at
/// the end (a graduated podling's mentors are still listed).
fn current<'a>(
    project: &Project,
    roster: &'a [RosterEntry],
    role: &'a str,
) -> impl Iterator<Item = &'a RosterEntry> {
    let end = project.ended_at;
    roster
        .iter()
        .filter(move |r| r.role == role && (r.ended_at.is_none() || r.ended_at == end))
}

/// The project's mentors as podlings.xml's `mentors` means them: the people in the
/// `mentor` role, or, in programs without mentors (the CNCF's TOC sponsor, who is the
/// proposal's champion there), its champion.
fn mentors<'a>(project: &Project, roster: &'a [RosterEntry]) -> Vec<&'a RosterEntry> {
    let mentors: Vec<&RosterEntry> = current(project, roster, ROLE_MENTOR).collect();
    if mentors.is_empty() {
        current(project, roster, ROLE_CHAMPION).collect()
    } else {
        mentors
    }
}

fn person_json(program: &Program, r: &RosterEntry) -> Value {
    json!({
        "name": r.name,
        "username": r.user.as_ref().map(|u| u.name.clone()),
        "role": r.role,
        // The program's word for the role (a CNCF champion is a "TOC sponsor").
        "role_name": program.template.term(&r.role, "en"),
        "affiliation": r.affiliation,
        "startdate": date(r.started_at),
        "enddate": r.ended_at.map(date),
    })
}

/// The version of the JSON export's shape (`incubator-export.schema.json`); it grows when
/// a field is removed or changes meaning, not when one is added.
pub const EXPORT_SCHEMA_VERSION: u32 = 1;

/// The columns of the CSV export, one row per project.
pub const CSV_COLUMNS: [&str; 16] = [
    "slug",
    "name",
    "status",
    "stage",
    "stage_name",
    "sponsor",
    "reporting_group",
    "startdate",
    "enddate",
    "stage_since",
    "champion",
    "mentors",
    "committers",
    "repositories",
    "resolution",
    "description",
];

impl Forge {
    async fn projects_with_rosters(
        &self,
        program: &Program,
    ) -> Result<Vec<(Project, Vec<RosterEntry>)>, IncubatorError> {
        let mut out = Vec::new();
        for p in self.store.projects_of_program(program.id).await? {
            let roster = self.store.project_roster(p.id).await?;
            out.push((p, roster));
        }
        Ok(out)
    }

    /// The program and its projects as JSON. Repositories are listed only where `actor`
    /// may read them.
    pub async fn export_json(
        &self,
        actor: Actor,
        program: &Program,
        now: i64,
    ) -> Result<Value, IncubatorError> {
        let mut projects = Vec::new();
        for (p, roster) in self.projects_with_rosters(program).await? {
            let repos: Vec<String> = self
                .project_repos(actor, &p)
                .await?
                .into_iter()
                .map(|r| format!("{}/{}", r.owner_name, r.name))
                .collect();
            let proposal = match p.proposal_id {
                Some(id) => self.store.proposal_by_id(id).await?.map(|o| o.number),
                None => None,
            };
            projects.push(json!({
                "slug": p.slug,
                "name": p.name,
                "description": p.description,
                "status": status(program, &p.stage),
                "stage": p.stage,
                "stage_name": program.template.stage(&p.stage).map(|s| s.name.en().to_owned()),
                "sponsor": program.sponsor_of(&p),
                "reporting_group": program.reporting_group_of(&p),
                "startdate": date(p.started_at),
                "enddate": p.ended_at.map(date),
                "stage_since": date(p.stage_since),
                "resolution": p.resolution,
                "proposal": proposal,
                "champion": current(&p, &roster, ROLE_CHAMPION).next().map(|r| person_json(program, r)),
                "mentors": mentors(&p, &roster).into_iter().map(|r| person_json(program, r)).collect::<Vec<_>>(),
                "committers": current(&p, &roster, ROLE_COMMITTER).map(|r| person_json(program, r)).collect::<Vec<_>>(),
                "roster": roster.iter().map(|r| person_json(program, r)).collect::<Vec<_>>(),
                "repositories": repos,
            }));
        }
        Ok(json!({
            "schema_version": EXPORT_SCHEMA_VERSION,
            "program": {
                "organization": program.org_name,
                "slug": program.slug,
                "name": program.name,
                "description": program.description,
                "preset": program.preset,
            },
            "stages": program.template.stages.iter().map(|s| json!({
                "key": s.key,
                "name": s.name.en(),
                "terminal": s.terminal,
            })).collect::<Vec<_>>(),
            "generated_at": now,
            "projects": projects,
        }))
    }

    /// The program's projects in the shape of Apache's podlings.xml. `now` decides
    /// whether a current podling still reports monthly.
    pub async fn export_podlings_xml(
        &self,
        program: &Program,
        now: i64,
    ) -> Result<String, IncubatorError> {
        let cadence = &program.template.report_cadence;
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<podlings>\n");
        for (p, roster) in self.projects_with_rosters(program).await? {
            let status = status(program, &p.stage);
            let _ = write!(
                xml,
                "    <podling name=\"{}\" status=\"{status}\" resource=\"{}\" sponsor=\"{}\" startdate=\"{}\"",
                xml_escape(&p.name),
                xml_escape(&p.slug.to_ascii_lowercase()),
                xml_escape(program.sponsor_of(&p)),
                date(p.started_at),
            );
            if let Some(end) = p.ended_at {
                let _ = write!(xml, " enddate=\"{}\"", date(end));
            }
            xml.push_str(">\n");
            let _ = writeln!(
                xml,
                "        <description>{}</description>",
                xml_escape(&p.description)
            );
            // podlings.dtd knows Apache's three groups: 1 = January, April, July, October;
            // 2 = February, ...; 3 = March, .... A program with another calendar has no
            // `reporting` element.
            if status == "current"
                && let Some(cal) = &cadence.calendar
                && cal.groups.len() == 3
                && let Some(group) = program.reporting_group_of(&p)
            {
                if cal.in_monthly_phase(p.started_at, Month::of(now)) {
                    let _ = writeln!(
                        xml,
                        "        <reporting group=\"{group}\" monthly=\"true\"/>"
                    );
                } else {
                    let _ = writeln!(xml, "        <reporting group=\"{group}\"/>");
                }
            }
            if status != "current" {
                let r = p.resolution.trim();
                if r.starts_with("https://") || r.starts_with("http://") {
                    let _ = writeln!(xml, "        <resolution url=\"{}\"/>", xml_escape(r));
                } else if r.is_empty() {
                    xml.push_str("        <resolution/>\n");
                } else {
                    let _ = writeln!(xml, "        <resolution>{}</resolution>", xml_escape(r));
                }
            }
            if let Some(c) = current(&p, &roster, ROLE_CHAMPION).next() {
                match &c.user {
                    Some(u) => {
                        let _ = writeln!(
                            xml,
                            "        <champion availid=\"{}\">{}</champion>",
                            xml_escape(&u.name),
                            xml_escape(&c.name)
                        );
                    }
                    None => {
                        let _ =
                            writeln!(xml, "        <champion>{}</champion>", xml_escape(&c.name));
                    }
                }
            }
            let mentors = mentors(&p, &roster);
            // podlings.dtd wants at least one mentor; a project without any (nor a
            // champion) is exported with an empty list, which the DTD refuses.
            if mentors.is_empty() {
                xml.push_str("        <mentors/>\n");
            } else {
                xml.push_str("        <mentors>\n");
                for m in mentors {
                    let _ = writeln!(
                        xml,
                        "            <mentor username=\"{}\">{}</mentor>",
                        xml_escape(m.user.as_ref().map_or("", |u| u.name.as_str())),
                        xml_escape(&m.name)
                    );
                }
                xml.push_str("        </mentors>\n");
            }
            xml.push_str("    </podling>\n");
        }
        xml.push_str("</podlings>\n");
        Ok(xml)
    }
    /// The program's projects for a spreadsheet: one row per project under
    /// [`CSV_COLUMNS`], made from the JSON export (so it lists the same people and the
    /// repositories `actor` may read); people and repositories joined with "; ".
    pub async fn export_csv(
        &self,
        actor: Actor,
        program: &Program,
        now: i64,
    ) -> Result<String, IncubatorError> {
        let doc = self.export_json(actor, program, now).await?;
        csv_of(&doc).map_err(|e| super::field("csv", e.to_string()))
    }
}

/// The CSV of a JSON export.
fn csv_of(doc: &Value) -> Result<String, csv::Error> {
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let names = |v: &Value| -> String {
        let one = |p: &Value| match p["username"].as_str() {
            Some(u) => format!("{} ({u})", text(&p["name"])),
            None => text(&p["name"]),
        };
        match v {
            Value::Array(a) => a.iter().map(one).collect::<Vec<_>>().join("; "),
            Value::Null => String::new(),
            p => one(p),
        }
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for p in doc["projects"].as_array().into_iter().flatten() {
        let row: Vec<String> = CSV_COLUMNS
            .iter()
            .map(|c| match *c {
                "champion" | "mentors" | "committers" => names(&p[*c]),
                "repositories" => p[*c]
                    .as_array()
                    .map(|a| a.iter().map(text).collect::<Vec<_>>().join("; "))
                    .unwrap_or_default(),
                _ => text(&p[*c]),
            })
            .collect();
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_escaping() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_704_067_200_000), "2024-01-01");
        assert_eq!(date(1_709_164_800_000), "2024-02-29");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(
            xml_escape("a<b>&\"c\"'d'\u{0}\u{1b}\te\u{FFFF}"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;\te"
        );
        assert_eq!(xml_escape("木兰 MulanPSL-2.0"), "木兰 MulanPSL-2.0");
    }

    #[test]
    fn csv_rows_quote_and_join() {
        let doc = json!({
            "projects": [{
                "slug": "w", "name": "Widget, \"the\" toolkit", "status": "current",
                "reporting_group": 2, "enddate": null,
                "champion": { "name": "Ann", "username": "ann" },
                "mentors": [{ "name": "Mo", "username": "mo" }, { "name": "Offline", "username": null }],
                "committers": [],
                "repositories": ["asf/w", "asf/w-site"],
                "description": "line one\nline two",
            }]
        });
        let text = csv_of(&doc).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(CSV_COLUMNS.join(",").as_str()));
        assert_eq!(
            lines.next(),
            Some(
                "w,\"Widget, \"\"the\"\" toolkit\",current,,,,2,,,,Ann (ann),Mo (mo); Offline,,asf/w; asf/w-site,,\"line one"
            )
        );
        assert_eq!(lines.next(), Some("line two\""));
        assert_eq!(csv_of(&json!({})).unwrap().lines().count(), 1);
    }
}
