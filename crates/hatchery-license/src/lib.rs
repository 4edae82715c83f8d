//! License detection for hosted repositories: which SPDX license a LICENSE/COPYING file holds.
//!
//! The incubator's maturity checklist asks for each repository's license as an SPDX id; a
//! policy (elsewhere) then judges it. Detection is offline: the license texts are vendored
//! in `licenses/` (from the SPDX License List, see `licenses/README.md`), embedded with
//! `include_str!`, and matched by [askalono] (word-bigram Dice similarity after normalizing
//! whitespace, punctuation, case, URLs, title and copyright lines).
//!
//! - [`Detector::detect`] reports the best match when its score is at least
//!   [`CONFIDENCE_THRESHOLD`] (0.8, askalono's CLI default), else `None`.
//! - A file that is only an `SPDX-License-Identifier: <id>` line reports that id with
//!   confidence 1.0 (when the id is one of [`supported_ids`]; expressions such as
//!   `MIT OR Apache-2.0` and unknown ids give `None`).
//! - GNU licenses (GPL-2.0, GPL-3.0, LGPL-2.1, LGPL-3.0, AGPL-3.0) are reported as `-only`
//!   or `-or-later`; see [`Detector::detect`] for the rule.
//! - Mulan PSL v2 matches as the bilingual text (Chinese first) or either half alone; LGPL-3.0
//!   as SPDX's text or without the GPL-3.0 it incorporates (a repository's COPYING.LESSER).
//! - A file holding two licenses one after the other is not split: the result is the license
//!   whose text dominates when the whole still scores ≥ 0.8 (Apache-2.0 followed by the short
//!   MIT text gives Apache-2.0), otherwise `None` (MIT followed by BSD-3-Clause).
//!
//! Building a [`Detector`] (normalizing the 17 texts, ~250 KB) takes ~25 ms in a release
//! build and ~110 ms in a debug build; detecting a 12 KB text ~2 ms in release, ~10 ms in
//! debug (measured on the 2-core development machine; `timing_of_building_and_detecting` in
//! `tests/detect.rs` prints both). Build one and share it, e.g. [`Detector::global`].
//! askalono scores the texts on rayon's global thread pool.
//!
//! ```
//! use hatchery_license::{Detector, is_license_file};
//!
//! assert!(is_license_file("License.md"));
//! let found = Detector::global().detect("SPDX-License-Identifier: MulanPSL-2.0\n").unwrap();
//! assert_eq!((found.spdx_id, found.confidence), ("MulanPSL-2.0", 1.0));
//! assert_eq!(Detector::global().detect("Hello, world!"), None);
//! ```
//!
//! [askalono]: https://crates.io/crates/askalono

use std::borrow::Cow;
use std::sync::LazyLock;

use askalono::{LicenseType, Store, TextData};

/// Lowest similarity score (0..=1) reported as a match; askalono's CLI uses the same.
pub const CONFIDENCE_THRESHOLD: f32 = 0.8;

/// Texts longer than this (in bytes) are not analysed: the longest vendored license
/// (LGPL-3.0 with the GPL-3.0 it incorporates) is ~42 KB, so a larger file is no single
/// license, and analysis time grows with the text.
pub const MAX_TEXT_LEN: usize = 256 * 1024;

/// A detected license.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// The SPDX license identifier, e.g. `Apache-2.0`, `GPL-3.0-or-later`; one of
    /// [`supported_ids`].
    pub spdx_id: &'static str,
    /// Similarity to the license text, `CONFIDENCE_THRESHOLD..=1.0`; 1.0 for an
    /// `SPDX-License-Identifier` line.
    pub confidence: f32,
}

/// How a vendored text's match becomes an SPDX id.
#[derive(Clone, Copy)]
enum Kind {
    /// The text's name is the SPDX id.
    Plain,
    /// A GNU license: the text does not say which versions apply.
    Gnu {
        only: &'static str,
        or_later: &'static str,
    },
}

/// One vendored license text; `name` is its file name in `licenses/` and its store key.
struct Vendored {
    name: &'static str,
    text: &'static str,
    kind: Kind,
}

macro_rules! plain {
    ($name:literal) => {
        Vendored {
            name: $name,
            text: include_str!(concat!("../licenses/", $name, ".txt")),
            kind: Kind::Plain,
        }
    };
}

macro_rules! gnu {
    ($name:literal) => {
        Vendored {
            name: $name,
            text: include_str!(concat!("../licenses/", $name, ".txt")),
            kind: Kind::Gnu {
                only: concat!($name, "-only"),
                or_later: concat!($name, "-or-later"),
            },
        }
    };
}

static VENDORED: &[Vendored] = &[
    plain!("Apache-2.0"),
    plain!("MIT"),
    plain!("BSD-2-Clause"),
    plain!("BSD-3-Clause"),
    plain!("ISC"),
    plain!("Zlib"),
    plain!("BSL-1.0"),
    plain!("Unlicense"),
    plain!("CC0-1.0"),
    plain!("MulanPSL-2.0"),
    plain!("MPL-2.0"),
    plain!("EPL-2.0"),
    gnu!("GPL-2.0"),
    gnu!("GPL-3.0"),
    gnu!("LGPL-2.1"),
    gnu!("LGPL-3.0"),
    gnu!("AGPL-3.0"),
];

/// A vendored text whose parts also appear alone in repositories: each part is added as an
/// alternate text of the license.
struct Split {
    name: &'static str,
    /// Where the second part starts.
    marker: &'static str,
    /// Whether the second part is an alternate too (else only the first).
    second_too: bool,
}

static SPLITS: &[Split] = &[
    // SPDX's LGPL-3.0 text is the LGPL's own terms followed by the GPL-3.0 they incorporate;
    // a repository's COPYING.LESSER usually holds only the former (and its COPYING the
    // GPL-3.0, which must stay GPL-3.0).
    Split {
        name: "LGPL-3.0",
        marker: "\nGNU GENERAL PUBLIC LICENSE\n",
        second_too: false,
    },
    // The bilingual Mulan PSL v2: Chinese, then English. Chinese has no spaces between words,
    // so its sentences are few long "words" for the word-bigram similarity and weigh little
    // in the whole text; the English part alone or the Chinese part alone match their own
    // halves.
    Split {
        name: "MulanPSL-2.0",
        marker: "\nMulan Permissive Software License，Version 2\n",
        second_too: true,
    },
];

/// Every SPDX id [`Detector::detect`] can report.
static SUPPORTED_IDS: &[&str] = &[
    "Apache-2.0",
    "MIT",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "BSL-1.0",
    "Unlicense",
    "CC0-1.0",
    "MulanPSL-2.0",
    "MPL-2.0",
    "EPL-2.0",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
];

/// The SPDX ids that detection can report.
pub fn supported_ids() -> &'static [&'static str] {
    SUPPORTED_IDS
}

/// File names (in a repository's root) that hold its license, in order of preference.
static LICENSE_FILE_NAMES: &[&str] = &[
    "LICENSE",
    "LICENSE.txt",
    "LICENSE.md",
    "LICENSE.rst",
    "LICENCE",
    "LICENCE.txt",
    "LICENCE.md",
    "COPYING",
    "COPYING.txt",
    "COPYING.md",
    "LICENSE-APACHE",
    "LICENSE-MIT",
    "LICENSE-APACHE.txt",
    "LICENSE-MIT.txt",
    "UNLICENSE",
    "COPYING.LESSER",
];

/// File names that hold a repository's license (`LICENSE`, `LICENSE.txt`, `COPYING`,
/// `LICENSE-APACHE`, …), in order of preference; compare with [`is_license_file`], which
/// ignores case.
pub fn license_file_names() -> &'static [&'static str] {
    LICENSE_FILE_NAMES
}

/// Whether `name` (a file name, not a path) is one of [`license_file_names`], ignoring ASCII
/// case: `license`, `License.md` and `COPYING` are; `LICENSE.bak` and `docs/LICENSE` are not.
pub fn is_license_file(name: &str) -> bool {
    LICENSE_FILE_NAMES
        .iter()
        .any(|known| known.eq_ignore_ascii_case(name))
}

/// The canonical SPDX id for `id` (ASCII case ignored) among [`supported_ids`], also
/// accepting the deprecated GNU ids: `GPL-3.0` means `GPL-3.0-only`, `GPL-3.0+` means
/// `GPL-3.0-or-later`.
pub fn canonical_id(id: &str) -> Option<&'static str> {
    if let Some(&known) = SUPPORTED_IDS.iter().find(|s| s.eq_ignore_ascii_case(id)) {
        return Some(known);
    }
    VENDORED.iter().find_map(|v| match v.kind {
        Kind::Gnu { only, or_later } => {
            if v.name.eq_ignore_ascii_case(id) {
                Some(only)
            } else if id
                .strip_suffix('+')
                .is_some_and(|base| v.name.eq_ignore_ascii_case(base))
            {
                Some(or_later)
            } else {
                None
            }
        }
        Kind::Plain => None,
    })
}

/// Matches license texts against the vendored SPDX texts. Build it once and share it
/// ([`Detector::global`]): building normalizes every vendored text.
pub struct Detector {
    store: Store,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

static GLOBAL: LazyLock<Detector> = LazyLock::new(Detector::new);

impl Detector {
    /// Builds a detector from the embedded texts.
    pub fn new() -> Self {
        let mut store = Store::new();
        for v in VENDORED {
            store.add_license(v.name.to_owned(), TextData::new(v.text).without_text());
        }
        for split in SPLITS {
            let vendored = VENDORED
                .iter()
                .find(|v| v.name == split.name)
                .expect("split texts are vendored");
            let Some(at) = vendored.text.find(split.marker) else {
                continue;
            };
            let (first, second) = vendored.text.split_at(at);
            let parts = if split.second_too {
                &[first, second][..]
            } else {
                &[first][..]
            };
            for part in parts {
                store
                    .add_variant(
                        vendored.name,
                        LicenseType::Alternate,
                        TextData::new(part).without_text(),
                    )
                    .expect("vendored texts are in the store");
            }
        }
        Self { store }
    }

    /// A detector shared by the whole process, built on first use.
    pub fn global() -> &'static Detector {
        &GLOBAL
    }

    /// Detects the license in `text`, the contents of a license file.
    ///
    /// A leading byte order mark and CR/CRLF line endings are ignored. `None` when the text
    /// is longer than [`MAX_TEXT_LEN`] or matches no vendored license with a score of at
    /// least [`CONFIDENCE_THRESHOLD`].
    ///
    /// A text that is only an `SPDX-License-Identifier: <id>` line (blank lines and comment
    /// markers aside) gives that id, canonicalized, with confidence 1.0; `None` when the id
    /// is not one of [`supported_ids`] or is an expression.
    ///
    /// GNU licenses do not name the versions that apply in their own text, so a match is
    /// reported as `-only` (e.g. `GPL-3.0-only`) unless
    /// - an `SPDX-License-Identifier` line in the text names the same license `-or-later`
    ///   (or with `+`); one naming it `-only` (or bare) settles `-only`; else
    /// - the text holds a notice "…, or (at your option) any later version" outside the
    ///   "How to Apply These Terms to Your New Programs/Libraries" appendix, whose template
    ///   notice says so too. Comparing counts: the phrase occurs more often than such
    ///   appendices (a filled-in template inside the appendix still counts as the template).
    ///   An appendix is counted by any of three of its sentences (its heading; "attach the
    ///   following notices to the program/library"; "…of the greatest possible use to the
    ///   public"), the largest count of the three.
    pub fn detect(&self, text: &str) -> Option<Detection> {
        if text.len() > MAX_TEXT_LEN {
            return None;
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let text: Cow<'_, str> = if text.contains('\r') {
            Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
        } else {
            Cow::Borrowed(text)
        };
        if let Some(line) = only_identifier_line(&text) {
            return canonical_id(line).map(|spdx_id| Detection {
                spdx_id,
                confidence: 1.0,
            });
        }
        let found = self.store.analyze(&TextData::new(&text));
        // `is_nan` aside, the score is a ratio in 0..=1.
        if found.score.is_nan() || found.score < CONFIDENCE_THRESHOLD {
            return None;
        }
        let vendored = VENDORED.iter().find(|v| v.name == found.name)?;
        let spdx_id = match vendored.kind {
            Kind::Plain => vendored.name,
            Kind::Gnu { only, or_later } => {
                if is_or_later(&text, only, or_later) {
                    or_later
                } else {
                    only
                }
            }
        };
        Some(Detection {
            spdx_id,
            confidence: found.score.min(1.0),
        })
    }
}

/// Removes comment markers around a line, so `// SPDX-License-Identifier: MIT` and
/// `<!-- … -->` lines read as their content.
fn strip_comment(line: &str) -> &str {
    let mut line = line.trim();
    for start in ["<!--", "/*", "//", "#", "*", "--", ";"] {
        if let Some(rest) = line.strip_prefix(start) {
            line = rest.trim_start();
            break;
        }
    }
    for end in ["-->", "*/"] {
        if let Some(rest) = line.strip_suffix(end) {
            line = rest.trim_end();
            break;
        }
    }
    line
}

/// The value of an `SPDX-License-Identifier:` line (key case ignored).
fn identifier_value(line: &str) -> Option<&str> {
    const KEY: &str = "SPDX-License-Identifier:";
    let line = strip_comment(line);
    let key = line.get(..KEY.len())?;
    key.eq_ignore_ascii_case(KEY)
        .then(|| line[KEY.len()..].trim())
}

/// The identifier's value when the text's only non-blank line is an identifier line.
fn only_identifier_line(text: &str) -> Option<&str> {
    let mut lines = text.lines().filter(|line| !strip_comment(line).is_empty());
    let first = lines.next()?;
    if lines.next().is_some() {
        return None;
    }
    identifier_value(first)
}

/// Whether a matched GNU license applies "or later"; see [`Detector::detect`].
fn is_or_later(text: &str, only: &str, or_later: &str) -> bool {
    for value in text.lines().filter_map(identifier_value) {
        let ids = value
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter_map(canonical_id);
        for id in ids {
            if id == or_later {
                return true;
            }
            if id == only {
                return false;
            }
        }
    }
    let words = normalized_words(text);
    let notices = words.matches(" at your option any later version ").count();
    // Each appendix is recognised by any of three of its sentences, so that one damaged or
    // edited sentence does not turn its template notice into the project's own.
    let appendices = APPENDIX_MARKERS
        .iter()
        .map(|marker| words.matches(marker).count())
        .max()
        .unwrap_or(0);
    notices > appendices
}

/// Sentences of the GNU licenses' "How to Apply These Terms" appendix (GPL-2.0, GPL-3.0,
/// LGPL-2.1, AGPL-3.0, and the GPL-3.0 within SPDX's LGPL-3.0), as [`normalized_words`].
const APPENDIX_MARKERS: [&str; 3] = [
    " how to apply these terms to your new ",
    " attach the following notices to the ",
    " want it to be of the greatest possible use to the public ",
];

/// Lowercased alphanumeric words, each surrounded by single spaces: " a b c ".
fn normalized_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendored_license_maps_to_supported_ids() {
        for v in VENDORED {
            match v.kind {
                Kind::Plain => assert!(SUPPORTED_IDS.contains(&v.name), "{}", v.name),
                Kind::Gnu { only, or_later } => {
                    assert!(SUPPORTED_IDS.contains(&only), "{only}");
                    assert!(SUPPORTED_IDS.contains(&or_later), "{or_later}");
                }
            }
            assert!(v.text.len() > 500, "{} text is embedded", v.name);
        }
        let reportable = VENDORED
            .iter()
            .map(|v| match v.kind {
                Kind::Plain => 1,
                Kind::Gnu { .. } => 2,
            })
            .sum::<usize>();
        assert_eq!(reportable, SUPPORTED_IDS.len());
    }

    #[test]
    fn canonical_ids_ignore_case_and_map_deprecated_gnu_ids() {
        assert_eq!(canonical_id("mit"), Some("MIT"));
        assert_eq!(canonical_id("apache-2.0"), Some("Apache-2.0"));
        assert_eq!(canonical_id("MulanPSL-2.0"), Some("MulanPSL-2.0"));
        assert_eq!(canonical_id("GPL-3.0"), Some("GPL-3.0-only"));
        assert_eq!(canonical_id("gpl-3.0+"), Some("GPL-3.0-or-later"));
        assert_eq!(canonical_id("LGPL-2.1-or-later"), Some("LGPL-2.1-or-later"));
        assert_eq!(canonical_id("AGPL-3.0-only"), Some("AGPL-3.0-only"));
        assert_eq!(canonical_id("MIT+"), None);
        assert_eq!(canonical_id("0BSD"), None);
        assert_eq!(canonical_id(""), None);
    }

    #[test]
    fn license_file_names_match_ignoring_case() {
        for name in license_file_names() {
            assert!(is_license_file(name));
            assert!(is_license_file(&name.to_lowercase()));
        }
        assert!(is_license_file("License.md"));
        assert!(is_license_file("copying"));
        assert!(is_license_file("LICENSE-APACHE"));
        assert!(is_license_file("Licence"));
        assert!(!is_license_file("LICENSE.bak"));
        assert!(!is_license_file("docs/LICENSE"));
        assert!(!is_license_file("README.md"));
        assert!(!is_license_file(""));
    }

    #[test]
    fn identifier_lines_are_read_through_comment_markers() {
        assert_eq!(
            identifier_value("SPDX-License-Identifier: MIT"),
            Some("MIT")
        );
        assert_eq!(
            identifier_value("  // spdx-license-identifier:   Apache-2.0  "),
            Some("Apache-2.0")
        );
        assert_eq!(
            identifier_value("/* SPDX-License-Identifier: GPL-2.0+ */"),
            Some("GPL-2.0+")
        );
        assert_eq!(
            identifier_value("# SPDX-License-Identifier: MIT OR Apache-2.0"),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(identifier_value("License: MIT"), None);
        assert_eq!(identifier_value("SPDX"), None);
        // Multi-byte text where the key would be cannot panic.
        assert_eq!(
            identifier_value("木兰宽松许可证木兰宽松许可证木兰宽松许可证"),
            None
        );

        assert_eq!(
            only_identifier_line("\n\nSPDX-License-Identifier: MIT\n\n"),
            Some("MIT")
        );
        assert_eq!(
            only_identifier_line("SPDX-License-Identifier: MIT\nSee LICENSE-MIT.\n"),
            None
        );
        assert_eq!(only_identifier_line(""), None);
    }

    #[test]
    fn normalized_words_drop_punctuation_comments_and_case() {
        assert_eq!(
            normalized_words("# either version 3 of the License, or\n#  (at your option) any"),
            " either version 3 of the license or at your option any "
        );
        assert_eq!(normalized_words(""), " ");
        assert_eq!(normalized_words("木兰 PSL"), " 木兰 psl ");
    }

    #[test]
    fn or_later_needs_a_notice_outside_the_appendix() {
        let (only, later) = ("GPL-3.0-only", "GPL-3.0-or-later");
        let appendix = "How to Apply These Terms to Your New Programs\n\
            ... either version 3 of the License, or\n(at your option) any later version.\n";
        let notice = "This program is free software: you can redistribute it and/or modify \
            it under the terms of the GNU General Public License as published by the Free \
            Software Foundation, either version 3 of the License, or (at your option) any \
            later version.\n\n";
        assert!(!is_or_later(appendix, only, later));
        let headless = "If you develop a new program, and you want it to be of the greatest \
            possible use to the public, ... To do so, attach the following notices to the \
            program. ... either version 3 of the License, or (at your option) any later version.";
        assert!(!is_or_later(headless, only, later));
        assert!(is_or_later(&format!("{notice}{appendix}"), only, later));
        assert!(is_or_later(&format!("{appendix}{notice}"), only, later));
        // A license file without the appendix, with the notice.
        assert!(is_or_later(notice, only, later));
        assert!(!is_or_later("terms and conditions", only, later));
        // An identifier line decides first.
        let tagged = format!("SPDX-License-Identifier: GPL-3.0-only\n{notice}{appendix}");
        assert!(!is_or_later(&tagged, only, later));
        let tagged = format!("SPDX-License-Identifier: GPL-3.0-or-later\n{appendix}");
        assert!(is_or_later(&tagged, only, later));
        let tagged = format!("SPDX-License-Identifier: (GPL-3.0+ OR MIT)\n{appendix}");
        assert!(is_or_later(&tagged, only, later));
        // An identifier for another license does not decide.
        let tagged = format!("SPDX-License-Identifier: GPL-2.0-or-later\n{appendix}");
        assert!(!is_or_later(&tagged, only, later));
    }
}
