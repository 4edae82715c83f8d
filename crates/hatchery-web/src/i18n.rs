//! Message catalogs: every string a person reads comes from `web/i18n/<lang>.toml`.
//! Catalogs are embedded in the binary and flattened once at start-up to `section.key`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Interface languages. Adding one means adding a catalog and a variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// BCP 47 tag, used in `<html lang>`, cookies and the user setting.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, shown in the switcher so a person finds theirs.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "简体中文",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        match primary {
            "en" => Some(Lang::En),
            // Only a Simplified Chinese catalog exists; it serves every Chinese variant
            // better than English would.
            "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// The language a request's `Accept-Language` asks for, English when none it names
    /// is spoken here (the API's answers that carry text).
    pub fn of_request(headers: &axum::http::HeaderMap) -> Lang {
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or_default()
    }

    /// Picks the best language from an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranked: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(pos, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                if q <= 0.0 {
                    return None;
                }
                Lang::from_tag(tag).map(|lang| (q, pos, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|r| r.2)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../../web/i18n/en.toml"),
            Lang::ZhCn => include_str!("../../../web/i18n/zh-CN.toml"),
        }
    }

    fn catalog(self) -> &'static HashMap<String, String> {
        static CATALOGS: OnceLock<Vec<HashMap<String, String>>> = OnceLock::new();
        let all = CATALOGS.get_or_init(|| {
            Lang::ALL
                .iter()
                .map(|l| parse_catalog(l.source()))
                .collect()
        });
        let idx = Lang::ALL.iter().position(|l| *l == self).unwrap_or(0);
        &all[idx]
    }

    /// The message for `key`. A missing key shows the key itself (tests make sure none is
    /// missing), never an empty string or a panic.
    pub fn t(self, key: &'static str) -> &'static str {
        match self.catalog().get(key) {
            Some(s) => s.as_str(),
            None => key,
        }
    }

    /// The message for a key known only at run time (e.g. from a cookie).
    pub fn lookup(self, key: &str) -> Option<&'static str> {
        self.catalog().get(key).map(String::as_str)
    }

    /// A count with its noun: `one` when `n` is 1, else `many` with `{n}` (a catalog
    /// without plural forms, as Chinese, gives both keys the same shape).
    pub fn count(self, n: u64, one: &'static str, many: &'static str) -> String {
        if n == 1 {
            self.t(one).to_owned()
        } else {
            self.tf(many, &[("n", &n.to_string())])
        }
    }

    /// The message for `key` with `{name}` placeholders replaced by `args`.
    pub fn tf(self, key: &'static str, args: &[(&str, &str)]) -> String {
        let mut out = self.t(key).to_owned();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

fn parse_catalog(src: &str) -> HashMap<String, String> {
    fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(t) => flatten(&key, t, out),
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                // Only strings are messages; anything else is a catalog mistake the tests catch.
                _ => {}
            }
        }
    }
    let table: toml::Table = src.parse().unwrap_or_else(|e| {
        tracing::error!("message catalog does not parse: {e}");
        toml::Table::new()
    });
    let mut out = HashMap::new();
    flatten("", &table, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn catalogs_parse_and_have_the_same_keys() {
        for lang in Lang::ALL {
            let parsed: Result<toml::Table, _> = lang.source().parse();
            assert!(parsed.is_ok(), "{} catalog: {:?}", lang.tag(), parsed.err());
        }
        let en: BTreeSet<_> = Lang::En.catalog().keys().collect();
        let zh: BTreeSet<_> = Lang::ZhCn.catalog().keys().collect();
        let missing_zh: Vec<_> = en.difference(&zh).collect();
        let missing_en: Vec<_> = zh.difference(&en).collect();
        assert!(missing_zh.is_empty(), "missing in zh-CN: {missing_zh:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        for lang in Lang::ALL {
            for (k, v) in lang.catalog() {
                assert!(!v.trim().is_empty(), "{} {k} is empty", lang.tag());
            }
        }
        // A real translation, not a copy of the English text.
        let same: Vec<_> = Lang::En
            .catalog()
            .iter()
            .filter(|(k, v)| {
                Lang::ZhCn.catalog().get(*k) == Some(*v) && v.chars().any(|c| c.is_alphabetic())
            })
            // Names and units read the same in both languages.
            .filter(|(k, _)| {
                !["brand.name", "code.size_kib", "code.size_mib"].contains(&k.as_str())
            })
            .map(|(k, _)| k.clone())
            .collect();
        assert!(
            same.is_empty(),
            "zh-CN entries identical to English: {same:?}"
        );
    }

    /// Every key the code asks for exists in both catalogs: scans the crate's sources for
    /// `.t("...")`, `.tf("...", ...)` and `"...".into()` message keys.
    #[test]
    fn every_key_used_in_code_exists() {
        let src_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut used = BTreeSet::new();
        let mut stack = vec![std::path::PathBuf::from(src_dir)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n.rs")
                {
                    let text = std::fs::read_to_string(&path).expect("read file");
                    collect_keys(&text, &mut used);
                }
            }
        }
        // Keys produced by the core crate's error types.
        for key in core_keys() {
            used.insert(key.to_owned());
        }
        assert!(
            used.len() > 50,
            "scanner found too few keys: {}",
            used.len()
        );
        for lang in Lang::ALL {
            let missing: Vec<_> = used
                .iter()
                .filter(|k| !lang.catalog().contains_key(*k))
                .collect();
            assert!(
                missing.is_empty(),
                "{} catalog lacks {missing:?}",
                lang.tag()
            );
        }
    }

    /// Every string literal shaped like a catalog key (`section.name`, lowercase) whose
    /// section is one the catalogs use.
    fn collect_keys(text: &str, used: &mut BTreeSet<String>) {
        let sections: BTreeSet<String> = Lang::En
            .catalog()
            .keys()
            .filter_map(|k| k.split('.').next().map(str::to_owned))
            .collect();
        // Whatever is passed to `t`/`tf` directly is a key, whatever its section.
        for marker in [".t(\"", ".tf(\""] {
            for piece in text.split(marker).skip(1) {
                if let Some(end) = piece.find('"') {
                    used.insert(piece[..end].to_owned());
                }
            }
        }
        let bytes = text.as_bytes();
        for (i, _) in text.match_indices('"') {
            let rest = &bytes[i + 1..];
            let len = rest
                .iter()
                .take_while(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || **b == b'.' || **b == b'_'
                })
                .count();
            if rest.get(len) != Some(&b'"') || len == 0 {
                continue;
            }
            let piece = &text[i + 1..i + 1 + len];
            let shaped = piece.contains('.') && !piece.ends_with('.');
            let section = piece.split('.').next().unwrap_or("");
            if shaped
                && sections.contains(section)
                && !piece.ends_with(".css")
                && !piece.ends_with(".js")
                && !piece.ends_with(".svg")
            {
                used.insert(piece.to_owned());
            }
        }
    }

    fn core_keys() -> Vec<&'static str> {
        use hatchery_core::NameError;
        use hatchery_core::validate::FieldError;
        let mut keys = vec![];
        for e in [
            NameError::Empty,
            NameError::TooLong { max: 1 },
            NameError::InvalidCharacter,
            NameError::BadEdge,
            NameError::ConsecutivePunctuation,
            NameError::Reserved,
        ] {
            keys.push(e.message_key());
        }
        {
            use hatchery_core::signin::SettingsError;
            for e in [
                SettingsError::Missing("x"),
                SettingsError::NeedsPlaceholder("x"),
                SettingsError::BadFilter("x"),
                SettingsError::OutOfRange("x"),
                SettingsError::Unreadable,
            ] {
                keys.push(e.message_key());
            }
            // Named by hatchery-service's sign-in source checks.
            keys.extend([
                "auth_source.error.mapping_line",
                "auth_source.error.no_team",
                "auth_source.error.kind",
            ]);
        }
        {
            use hatchery_core::gpg::GpgKeyError;
            for e in [
                GpgKeyError::Empty,
                GpgKeyError::TooLong,
                GpgKeyError::Secret,
                GpgKeyError::NotPublicKey,
                GpgKeyError::SeveralKeys,
                GpgKeyError::NoUserId,
                GpgKeyError::Revoked,
                GpgKeyError::Expired { at: 0 },
            ] {
                keys.push(e.message_key());
            }
        }
        for e in [
            FieldError::Required,
            FieldError::TooLong { max: 1 },
            FieldError::InvalidEmail,
            FieldError::PasswordTooShort { min: 1 },
            FieldError::PasswordTooLong { max: 1 },
            FieldError::UnknownLanguage,
        ] {
            keys.push(e.message_key());
        }
        {
            use hatchery_core::protection::{Refusal, RuleError, Unmet};
            use hatchery_core::statuses::StatusError;
            for e in [
                RuleError::RuleName,
                RuleError::Context,
                RuleError::TooManyContexts,
                RuleError::Approvals,
            ] {
                keys.push(e.key());
            }
            for e in [
                StatusError::State,
                StatusError::Context,
                StatusError::Description,
                StatusError::TargetUrl,
            ] {
                keys.push(e.key());
            }
            let commit = String::new;
            for r in [
                Refusal::PushDisabled,
                Refusal::NotInPushAllowlist,
                Refusal::ForcePush,
                Refusal::Deletion,
                Refusal::MissingSignoff { commit: commit() },
                Refusal::MergeCommit { commit: commit() },
            ] {
                keys.push(r.key());
            }
            for u in [
                Unmet::NotAllowedToMerge,
                Unmet::Approvals {
                    required: 1,
                    have: 0,
                },
                Unmet::RejectedReviews,
                Unmet::StatusCheck {
                    context: commit(),
                    state: None,
                },
                Unmet::MissingSignoff { commit: commit() },
                Unmet::MergeCommit { commit: None },
            ] {
                keys.push(u.key());
            }
        }
        keys
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::ZhCn)
        );
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, zh-TW;q=0.5"),
            Some(Lang::ZhCn)
        );
        assert_eq!(
            Lang::from_accept_language("de, en;q=0.1, zh;q=0.2"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
        assert_eq!(Lang::from_accept_language("zh;q=0, en;q=bogus"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn placeholders() {
        assert_eq!(Lang::En.tf("test.greeting", &[("name", "Li")]), "Hello, Li");
        assert_eq!(
            Lang::ZhCn.tf("test.greeting", &[("name", "Li")]),
            "你好，Li"
        );
        assert_eq!(Lang::En.t("no.such.key"), "no.such.key");
    }
}
