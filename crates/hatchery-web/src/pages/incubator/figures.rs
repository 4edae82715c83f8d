//! The figures a report is prefilled with, in a sentence of the reader's language: counts
//! with their units ("1 tag", "3 tags"), response times in hours up to two days, then in
//! days. The page and the API both hand this wording to `Forge::prefill_report`.

use hatchery_service::incubator::PeriodMetrics;

use crate::i18n::Lang;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

fn count(lang: Lang, n: u64, one: &'static str, many: &'static str) -> String {
    lang.count(n, one, many)
}

/// A response time: hours (one decimal) below two days, whole days from there.
fn response(lang: Lang, ms: Option<i64>) -> String {
    match ms {
        None => lang.t("incubator.prefilled.no_response").to_owned(),
        Some(ms) if ms < 2 * DAY_MS => {
            let tenths = ms.max(0) / (HOUR_MS / 10);
            lang.tf(
                "incubator.hours",
                &[("n", &format!("{}.{}", tenths / 10, tenths % 10))],
            )
        }
        Some(ms) => lang.tf("incubator.days", &[("n", &(ms / DAY_MS).to_string())]),
    }
}

fn non_negative(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The development section's summary of a period's figures.
pub fn summary(lang: Lang, m: &PeriodMetrics) -> String {
    let mut out = lang.tf(
        "incubator.prefilled.summary",
        &[
            (
                "commits",
                &count(
                    lang,
                    m.commits,
                    "incubator.prefilled.commit_one",
                    "incubator.prefilled.commits",
                ),
            ),
            (
                "contributors",
                &count(
                    lang,
                    m.contributors,
                    "incubator.prefilled.contributor_one",
                    "incubator.prefilled.contributors",
                ),
            ),
            ("new", &m.new_contributors.to_string()),
            (
                "issues",
                &count(
                    lang,
                    non_negative(m.issues_opened),
                    "incubator.prefilled.issue_one",
                    "incubator.prefilled.issues",
                ),
            ),
            ("issues_closed", &m.issues_closed.max(0).to_string()),
            (
                "issue_response",
                &response(lang, m.median_first_response_ms),
            ),
            (
                "pulls",
                &count(
                    lang,
                    non_negative(m.pulls_opened),
                    "incubator.prefilled.pull_one",
                    "incubator.prefilled.pulls",
                ),
            ),
            ("pulls_merged", &m.pulls_merged.max(0).to_string()),
            (
                "pull_response",
                &response(lang, m.median_pull_first_response_ms),
            ),
            (
                "tags",
                &count(
                    lang,
                    m.tags,
                    "incubator.prefilled.tag_one",
                    "incubator.prefilled.tags",
                ),
            ),
        ],
    );
    if !m.merged_pull_authors.is_empty() {
        let names: Vec<String> = m
            .merged_pull_authors
            .iter()
            .map(|a| format!("{} ({})", a.login, a.merged))
            .collect();
        out.push(' ');
        out.push_str(&lang.tf(
            "incubator.prefilled.merged_authors",
            &[("names", &names.join(", "))],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(one: bool) -> PeriodMetrics {
        let n = if one { 1 } else { 3 };
        PeriodMetrics {
            start_ms: 0,
            end_ms: 0,
            issues_unanswered: 0,
            pulls_unanswered: 0,
            merged_pull_authors: Vec::new(),
            complete: true,
            repos: Vec::new(),
            commits: n,
            contributors: n,
            new_contributors: 0,
            issues_opened: n as i64,
            issues_closed: 1,
            median_first_response_ms: Some(if one { 5_400_000 } else { 3 * DAY_MS }),
            pulls_opened: n as i64,
            pulls_merged: 1,
            median_pull_first_response_ms: None,
            tags: n,
        }
    }

    #[test]
    fn counts_take_their_units_in_both_languages() {
        let one = summary(Lang::En, &metrics(true));
        for part in [
            "1 commit ",
            "1 contributor ",
            "1 issue ",
            "1 pull request ",
            "1 tag.",
            "1.5 h",
        ] {
            assert!(one.contains(part), "{part:?} in {one}");
        }
        let many = summary(Lang::En, &metrics(false));
        for part in [
            "3 commits",
            "3 contributors",
            "3 issues",
            "3 pull requests",
            "3 tags",
            "3 days",
        ] {
            assert!(many.contains(part), "{part:?} in {many}");
        }
        let zh = summary(Lang::ZhCn, &metrics(false));
        assert!(zh.contains("3 次提交"), "{zh}");
        assert!(zh.contains("3 天"), "{zh}");
    }
}
