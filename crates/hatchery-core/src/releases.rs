//! Release rules that need no storage: limits on titles and notes, which asset names are
//! acceptable, and which asset is the detached signature of which.
//!
//! The "latest" release of a repository is its newest published release that is not a
//! pre-release (by publication time, then id), as in Gitea and GitHub; drafts and
//! pre-releases never are. The store answers it in SQL (`Store::latest_release`).

/// Longest release title, in characters.
pub const TITLE_MAX: usize = 255;
/// Longest release notes, in characters.
pub const NOTE_MAX: usize = 65_535;
/// Longest asset name, in bytes.
pub const ASSET_NAME_MAX: usize = 255;
/// File name suffixes of detached signatures: `X.asc` (OpenPGP, armored) and `X.sig`
/// (OpenPGP binary, or an SSH signature).
pub const SIGNATURE_SUFFIXES: [&str; 2] = [".asc", ".sig"];

/// Why release fields or an asset name were refused; each names a catalog key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseRuleError {
    #[error("the tag name is required")]
    TagRequired,
    #[error("the title is longer than {TITLE_MAX} characters")]
    TitleTooLong,
    #[error("the notes are longer than {NOTE_MAX} characters")]
    NoteTooLong,
    #[error("the file name is empty")]
    AssetNameEmpty,
    #[error("the file name is longer than {ASSET_NAME_MAX} bytes")]
    AssetNameTooLong,
    /// Slashes, backslashes, control characters, `.` and `..`: a name is one plain file
    /// name, never a path.
    #[error("the file name may not contain slashes or control characters, nor be . or ..")]
    AssetNameInvalid,
}

impl ReleaseRuleError {
    /// The message-catalog key for this refusal.
    pub fn key(self) -> &'static str {
        match self {
            ReleaseRuleError::TagRequired => "release.error.tag_required",
            ReleaseRuleError::TitleTooLong => "release.error.title_too_long",
            ReleaseRuleError::NoteTooLong => "release.error.note_too_long",
            ReleaseRuleError::AssetNameEmpty => "release.error.asset_name_empty",
            ReleaseRuleError::AssetNameTooLong => "release.error.asset_name_too_long",
            ReleaseRuleError::AssetNameInvalid => "release.error.asset_name_invalid",
        }
    }
}

/// Checks the free-text fields of a release.
pub fn check_text(title: &str, note: &str) -> Result<(), ReleaseRuleError> {
    if title.chars().count() > TITLE_MAX {
        return Err(ReleaseRuleError::TitleTooLong);
    }
    if note.chars().count() > NOTE_MAX {
        return Err(ReleaseRuleError::NoteTooLong);
    }
    Ok(())
}

/// The asset name to store for `raw` (surrounding whitespace removed), or why it is refused.
pub fn check_asset_name(raw: &str) -> Result<&str, ReleaseRuleError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ReleaseRuleError::AssetNameEmpty);
    }
    if name.len() > ASSET_NAME_MAX {
        return Err(ReleaseRuleError::AssetNameTooLong);
    }
    if name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(ReleaseRuleError::AssetNameInvalid);
    }
    Ok(name)
}

/// For a detached signature's name (`X.asc`, `X.sig`), the name of the file it signs.
pub fn signed_name(name: &str) -> Option<&str> {
    SIGNATURE_SUFFIXES.iter().find_map(|suffix| {
        let cut = name.len().checked_sub(suffix.len())?;
        (cut > 0 && name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(suffix))
            .then(|| &name[..cut])
    })
}

/// For each of `names`, the name of its detached signature among `names`, if any (the first
/// suffix of [`SIGNATURE_SUFFIXES`] present wins).
pub fn signature_of<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .copied()
        .find(|other| signed_name(other) == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names() {
        assert_eq!(
            check_asset_name("  tool-1.0.tar.gz "),
            Ok("tool-1.0.tar.gz")
        );
        assert_eq!(check_asset_name("工具 1.0.zip"), Ok("工具 1.0.zip"));
        assert_eq!(check_asset_name(".hidden"), Ok(".hidden"));
        assert_eq!(check_asset_name(""), Err(ReleaseRuleError::AssetNameEmpty));
        assert_eq!(
            check_asset_name("   "),
            Err(ReleaseRuleError::AssetNameEmpty)
        );
        for bad in [
            "../etc/passwd",
            "a/b",
            "a\\b",
            "..",
            ".",
            "a\u{0}b",
            "a\nb",
            "a\u{7f}",
        ] {
            assert_eq!(
                check_asset_name(bad),
                Err(ReleaseRuleError::AssetNameInvalid),
                "{bad:?}"
            );
        }
        assert_eq!(
            check_asset_name(&"a".repeat(256)),
            Err(ReleaseRuleError::AssetNameTooLong)
        );
        assert!(check_asset_name(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn texts() {
        assert_eq!(check_text("v1", "notes"), Ok(()));
        assert_eq!(
            check_text(&"字".repeat(256), ""),
            Err(ReleaseRuleError::TitleTooLong)
        );
        assert_eq!(check_text(&"字".repeat(255), ""), Ok(()));
        assert_eq!(
            check_text("", &"x".repeat(NOTE_MAX + 1)),
            Err(ReleaseRuleError::NoteTooLong)
        );
    }

    #[test]
    fn signatures_pair_with_their_files() {
        assert_eq!(signed_name("tool.tar.gz.asc"), Some("tool.tar.gz"));
        assert_eq!(signed_name("tool.tar.gz.SIG"), Some("tool.tar.gz"));
        assert_eq!(signed_name(".asc"), None);
        assert_eq!(signed_name("tool.tar.gz"), None);
        assert_eq!(signed_name("字.asc"), Some("字"));
        let names = ["tool.tar.gz", "tool.tar.gz.asc", "tool.zip", "other.sig"];
        assert_eq!(signature_of("tool.tar.gz", &names), Some("tool.tar.gz.asc"));
        assert_eq!(signature_of("tool.zip", &names), None);
        assert_eq!(signature_of("other", &names), Some("other.sig"));
    }
}
