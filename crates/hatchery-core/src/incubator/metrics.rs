//! Community health measures computed from commit and issue history (CHAOSS-style):
//! how many organizations and people a project depends on, and how fast it answers.
//!
//! The caller picks the window (Apache and OpenSSF look at 3, 6 and 12 months) and
//! resolves identities (mailmaps, linked accounts); these functions only count.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

/// Personal mail providers: an address there says nothing about an employer, so without a
/// declared affiliation such commits are left out of the elephant factor.
pub const FREE_MAIL_DOMAINS: &[&str] = &[
    "126.com",
    "139.com",
    "163.com",
    "aliyun.com",
    "aol.com",
    "fastmail.com",
    "foxmail.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hey.com",
    "hotmail.co.uk",
    "hotmail.com",
    "icloud.com",
    "live.com",
    "mac.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "naver.com",
    "outlook.com",
    "pm.me",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "sina.cn",
    "sina.com",
    "sohu.com",
    "tutanota.com",
    "web.de",
    "yahoo.co.jp",
    "yahoo.co.uk",
    "yahoo.com",
    "yandex.com",
    "yandex.ru",
    "yeah.net",
    "ymail.com",
    "zoho.com",
];

/// Whether a (lower-case) domain is a personal mailbox rather than an organization's:
/// a free-mail provider or a forge's private no-reply address (`users.noreply.github.com`
/// and the like, `users.noreply.*`).
pub fn is_free_mail_domain(domain: &str) -> bool {
    domain.starts_with("users.noreply.") || FREE_MAIL_DOMAINS.contains(&domain)
}

/// Domains git invents when no address is configured (`user@host.(none)`,
/// `user@host.localdomain`), or no real domain at all: they identify a machine, not an
/// organization.
fn is_placeholder_domain(domain: &str) -> bool {
    !domain.contains('.')
        || domain.ends_with(".(none)")
        || domain.ends_with(".local")
        || domain.ends_with(".localdomain")
        || domain.ends_with(".internal")
}

/// The organization a commit counts for: the declared affiliation if there is one
/// (trimmed, compared case-insensitively), else the author email's domain, lower-cased
/// (subdomains kept: `research.example.com` and `example.com` are counted apart, since no
/// rule tells them apart from unrelated organizations reliably). `None` for free-mail and
/// placeholder domains and unparseable addresses.
pub fn organization(email: &str, affiliation: Option<&str>) -> Option<String> {
    if let Some(a) = affiliation.map(str::trim).filter(|a| !a.is_empty()) {
        return Some(a.to_lowercase());
    }
    let (_, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('>').trim_end_matches('.');
    let domain = domain.to_ascii_lowercase();
    if domain.is_empty()
        || domain.contains(char::is_whitespace)
        || is_placeholder_domain(&domain)
        || is_free_mail_domain(&domain)
    {
        return None;
    }
    Some(domain)
}

/// The fewest groups that together make at least half of all counted contributions.
/// Which of two equally large groups is picked does not change the number.
fn fewest_for_half(mut counts: Vec<u64>) -> u32 {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return 0;
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let mut sum = 0u64;
    let mut n = 0u32;
    for c in counts {
        sum += c;
        n += 1;
        if sum * 2 >= total {
            break;
        }
    }
    n
}

/// The elephant factor: the fewest organizations whose people make at least 50 % of the
/// commits. One entry per commit: (author email, declared affiliation).
///
/// Commits without an organization (see [`organization`]) are left out of the count
/// entirely, numerator and denominator: an unaffiliated volunteer neither makes a project
/// dependent on a company nor independent of it. 0 when no commit counts.
pub fn elephant_factor(commits: &[(&str, Option<&str>)]) -> u32 {
    let mut per_org: HashMap<String, u64> = HashMap::new();
    for (email, affiliation) in commits {
        if let Some(org) = organization(email, *affiliation) {
            *per_org.entry(org).or_default() += 1;
        }
    }
    fewest_for_half(per_org.into_values().collect())
}

/// The bus (absence) factor: the fewest people who make at least 50 % of the commits.
/// One entry per commit: the author's identity, resolved by the caller (a user id, or a
/// normalized email). 0 without commits.
pub fn bus_factor<T: Eq + Hash>(authors: &[T]) -> u32 {
    let mut per_author: HashMap<&T, u64> = HashMap::new();
    for a in authors {
        *per_author.entry(a).or_default() += 1;
    }
    fewest_for_half(per_author.into_values().collect())
}

/// The median of `durations` (e.g. each issue's time to first response), `None` when
/// empty. With an even count, the midpoint of the two middle values, rounded down to the
/// nanosecond. The median, not the mean, because one issue left unanswered for a year
/// should not hide that most are answered within a day.
pub fn median(durations: &[Duration]) -> Option<Duration> {
    let mut sorted = durations.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => sorted.get(mid).copied(),
        _ => {
            let (lo, hi) = (sorted[mid - 1], sorted[mid]);
            Some(lo + (hi - lo) / 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizations() {
        #[rustfmt::skip]
        let table: &[(&str, Option<&str>, Option<&str>)] = &[
            ("ann@Example.COM",               None,              Some("example.com")),
            ("ann@research.example.com",      None,              Some("research.example.com")),
            ("<ann@example.com>",             None,              Some("example.com")),
            ("ann@example.com.",              None,              Some("example.com")),
            ("ann@gmail.com",                 None,              None),
            ("ann@GMAIL.com",                 None,              None),
            ("ann@qq.com",                    None,              None),
            ("ann@163.com",                   None,              None),
            ("1+ann@users.noreply.github.com",None,              None),
            ("ann@users.noreply.hatchery.example", None,         None),
            ("ann@gmail.com",                 Some(" Huawei "),  Some("huawei")),
            ("ann@gmail.com",                 Some("   "),       None),
            ("ann@example.com",               Some("ACME Corp"), Some("acme corp")),
            ("ann@laptop.(none)",             None,              None),
            ("ann@laptop.localdomain",        None,              None),
            ("ann@localhost",                 None,              None),
            ("no-at-sign",                    None,              None),
            ("ann@",                          None,              None),
            ("",                              None,              None),
        ];
        for (email, aff, want) in table {
            assert_eq!(
                organization(email, *aff).as_deref(),
                *want,
                "{email} {aff:?}"
            );
        }
    }

    type Commit = (&'static str, Option<&'static str>);

    #[test]
    fn elephant_factors() {
        let c = |n: usize, email: &'static str| vec![(email, None::<&str>); n];
        #[rustfmt::skip]
        let table: Vec<(&str, Vec<Commit>, u32)> = vec![
            ("empty", vec![], 0),
            ("only free mail", c(5, "a@gmail.com"), 0),
            ("one company", c(3, "a@acme.com"), 1),
            ("exactly half is enough", [c(2, "a@acme.com"), c(1, "b@corp.com"), c(1, "c@inc.com")].concat(), 1),
            ("just under half", [c(4, "a@acme.com"), c(3, "b@corp.com"), c(2, "c@inc.com")].concat(), 2),
            ("two-way tie", [c(5, "a@acme.com"), c(5, "b@corp.com")].concat(), 1),
            ("three-way tie", [c(3, "a@acme.com"), c(3, "b@corp.com"), c(3, "c@inc.com")].concat(), 2),
            ("free mail left out", [c(2, "a@acme.com"), c(2, "b@corp.com"), c(100, "v@gmail.com")].concat(), 1),
            ("five equal", (0..5).map(|i| (["a@a.io", "b@b.io", "c@c.io", "d@d.io", "e@e.io"][i], None)).collect(), 3),
            ("affiliation groups domains",
                vec![("a@gmail.com", Some("Acme")), ("b@acme.com", Some("acme")), ("c@corp.com", None)], 1),
            ("affiliation beats domain",
                vec![("a@acme.com", Some("Corp")), ("b@acme.com", Some("Inc")), ("c@acme.com", Some("Ltd"))], 2),
        ];
        for (name, commits, want) in table {
            assert_eq!(elephant_factor(&commits), want, "{name}");
        }
    }

    #[test]
    fn bus_factors() {
        #[rustfmt::skip]
        let table: &[(&str, &[&str], u32)] = &[
            ("empty",            &[],                                   0),
            ("one author",       &["ann", "ann", "ann"],                1),
            ("exactly half",     &["ann", "ann", "bob", "cy"],          1),
            ("tie of two",       &["ann", "bob"],                       1),
            ("tie of three",     &["ann", "bob", "cy"],                 2),
            ("long tail",        &["ann", "ann", "ann", "bob", "bob", "cy", "di", "ed"], 2),
            ("all different",    &["a", "b", "c", "d", "e", "f", "g"],  4),
        ];
        for (name, authors, want) in table {
            assert_eq!(bus_factor(authors), *want, "{name}");
        }
        assert_eq!(bus_factor(&[7i64, 7, 8]), 1);
    }

    #[test]
    fn medians() {
        let s = Duration::from_secs;
        #[rustfmt::skip]
        let table: &[(&[Duration], Option<Duration>)] = &[
            (&[],                       None),
            (&[s(5)],                   Some(s(5))),
            (&[s(9), s(1), s(5)],       Some(s(5))),
            (&[s(4), s(1)],             Some(Duration::from_millis(2_500))),
            (&[s(1), s(1), s(1), s(9)], Some(s(1))),
            (&[s(3), s(3)],             Some(s(3))),
            (&[s(1), s(2), s(3), s(1_000_000)], Some(Duration::from_millis(2_500))),
            (&[Duration::MAX, Duration::MAX], Some(Duration::MAX)),
            (&[Duration::ZERO, Duration::from_nanos(1)], Some(Duration::ZERO)),
        ];
        for (values, want) in table {
            assert_eq!(median(values), *want, "{values:?}");
        }
    }
}
