//! Detection of the vendored texts and of the forms they take in real repositories.

use std::io::Write as _;
use std::time::Instant;

use hatchery_license::{CONFIDENCE_THRESHOLD, Detection, Detector, MAX_TEXT_LEN, supported_ids};

/// Every vendored text and the id it must be detected as.
const VENDORED: &[(&str, &str)] = &[
    ("Apache-2.0", include_str!("../licenses/Apache-2.0.txt")),
    ("MIT", include_str!("../licenses/MIT.txt")),
    ("BSD-2-Clause", include_str!("../licenses/BSD-2-Clause.txt")),
    ("BSD-3-Clause", include_str!("../licenses/BSD-3-Clause.txt")),
    ("ISC", include_str!("../licenses/ISC.txt")),
    ("Zlib", include_str!("../licenses/Zlib.txt")),
    ("BSL-1.0", include_str!("../licenses/BSL-1.0.txt")),
    ("Unlicense", include_str!("../licenses/Unlicense.txt")),
    ("CC0-1.0", include_str!("../licenses/CC0-1.0.txt")),
    ("MulanPSL-2.0", include_str!("../licenses/MulanPSL-2.0.txt")),
    ("MPL-2.0", include_str!("../licenses/MPL-2.0.txt")),
    ("EPL-2.0", include_str!("../licenses/EPL-2.0.txt")),
    ("GPL-2.0-only", include_str!("../licenses/GPL-2.0.txt")),
    ("GPL-3.0-only", include_str!("../licenses/GPL-3.0.txt")),
    ("LGPL-2.1-only", include_str!("../licenses/LGPL-2.1.txt")),
    ("LGPL-3.0-only", include_str!("../licenses/LGPL-3.0.txt")),
    ("AGPL-3.0-only", include_str!("../licenses/AGPL-3.0.txt")),
];

fn text(id: &str) -> &'static str {
    VENDORED
        .iter()
        .find(|(known, _)| *known == id)
        .unwrap_or_else(|| panic!("{id} is vendored"))
        .1
}

fn detect(text: &str) -> Option<Detection> {
    Detector::global().detect(text)
}

fn detected_id(text: &str) -> Option<&'static str> {
    detect(text).map(|d| d.spdx_id)
}

/// A line in the test output even when it is captured.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Re-wraps every paragraph at `width` columns with an indent, as license files copied from
/// other sources are laid out.
fn rewrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n") {
        let mut line = String::from(indent);
        for word in paragraph.split_whitespace() {
            if line.len() + word.len() > width && !line.trim().is_empty() {
                out.push_str(line.trim_end());
                out.push('\n');
                line = String::from(indent);
            }
            line.push_str(word);
            line.push(' ');
        }
        out.push_str(line.trim_end());
        out.push_str("\n\n");
    }
    out
}

#[test]
fn each_vendored_text_detects_as_itself() {
    let detector = Detector::new();
    for (id, text) in VENDORED {
        let found = detector.detect(text);
        let found = found.unwrap_or_else(|| panic!("{id} not detected"));
        assert_eq!(found.spdx_id, *id);
        assert!(found.confidence > 0.99, "{id}: {found:?}");
        assert!(supported_ids().contains(id));
    }
}

#[test]
fn reformatted_texts_still_detect() {
    for (id, text) in VENDORED {
        let wrapped = rewrap(text, 72, "   ");
        let found = detect(&wrapped).unwrap_or_else(|| panic!("rewrapped {id} not detected"));
        assert_eq!(found.spdx_id, *id);
        assert!(found.confidence > 0.95, "{id}: {found:?}");
    }
}

#[test]
fn crlf_line_endings_and_a_leading_bom_are_ignored() {
    for (id, text) in VENDORED {
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(detected_id(&crlf), Some(*id), "CRLF {id}");
        let bom = format!("\u{feff}{crlf}");
        let found = detect(&bom).unwrap_or_else(|| panic!("BOM + CRLF {id} not detected"));
        assert_eq!(found, detect(text).unwrap(), "BOM + CRLF {id}");
    }
    assert_eq!(
        detect("\u{feff}SPDX-License-Identifier: MIT\r\n"),
        Some(Detection {
            spdx_id: "MIT",
            confidence: 1.0
        })
    );
}

#[test]
fn a_lone_spdx_identifier_line_is_that_license() {
    let cases = [
        ("SPDX-License-Identifier: Apache-2.0", Some("Apache-2.0")),
        ("SPDX-License-Identifier: Apache-2.0\n", Some("Apache-2.0")),
        ("\n  spdx-license-identifier: mit  \n\n", Some("MIT")),
        (
            "# SPDX-License-Identifier: MulanPSL-2.0\n",
            Some("MulanPSL-2.0"),
        ),
        (
            "// SPDX-License-Identifier: GPL-3.0-or-later",
            Some("GPL-3.0-or-later"),
        ),
        (
            "SPDX-License-Identifier: GPL-2.0+",
            Some("GPL-2.0-or-later"),
        ),
        ("SPDX-License-Identifier: GPL-2.0", Some("GPL-2.0-only")),
        (
            "SPDX-License-Identifier: LGPL-2.1-only",
            Some("LGPL-2.1-only"),
        ),
        (
            "SPDX-License-Identifier: BSD-3-Clause\r\n",
            Some("BSD-3-Clause"),
        ),
        // Expressions and ids this crate cannot report.
        ("SPDX-License-Identifier: MIT OR Apache-2.0", None),
        ("SPDX-License-Identifier: 0BSD", None),
        ("SPDX-License-Identifier: ", None),
        ("SPDX-License-Identifier: MIT\nsee the MIT license", None),
        ("License: MIT", None),
    ];
    for (input, expected) in cases {
        let found = detect(input);
        assert_eq!(found.map(|d| d.spdx_id), expected, "{input:?}");
        if let Some(found) = found {
            assert_eq!(found.confidence, 1.0);
        }
    }
}

#[test]
fn apache_with_the_appendix_filled_in() {
    let apache = text("Apache-2.0");
    let filled = apache.replace(
        "Copyright [yyyy] [name of copyright owner]",
        "Copyright 2021-2024 The Hatchery Authors",
    );
    assert_ne!(filled, apache);
    let found = detect(&filled).expect("filled-in Apache-2.0");
    assert_eq!(found.spdx_id, "Apache-2.0");
    assert!(found.confidence > 0.99, "{found:?}");

    // Without the appendix (many projects drop it), wrapped like apache.org's file.
    let end = apache.find("END OF TERMS AND CONDITIONS").unwrap();
    let bare = rewrap(&apache[..end], 78, "      ");
    assert_eq!(detected_id(&bare), Some("Apache-2.0"));
}

#[test]
fn permissive_licenses_with_real_copyright_holders() {
    let mit = text("MIT").replace(
        "Copyright (c) <year> <copyright holders>",
        "Copyright (c) 2019-2024 Jane Doe <jane@example.org> and contributors",
    );
    let found = detect(&mit).expect("MIT with a holder");
    assert_eq!(found.spdx_id, "MIT");
    assert!(found.confidence > 0.95, "{found:?}");
    // Without the title line, and with two copyright lines.
    let untitled = mit.replace("MIT License\n\n", "Copyright (c) 2018 Acme Corp.\n");
    assert_eq!(detected_id(&untitled), Some("MIT"));

    let bsd3 = text("BSD-3-Clause")
        .replace("<year> <owner>", "2010, The Regents of the University")
        .replace(
            "Neither the name of the copyright holder",
            "Neither the name of the University",
        );
    assert_eq!(detected_id(&bsd3), Some("BSD-3-Clause"));
    let bsd2 = text("BSD-2-Clause").replace("<year> <owner>", "2024, Jane Doe");
    assert_eq!(detected_id(&bsd2), Some("BSD-2-Clause"));

    let isc = text("ISC");
    let start = isc.find("Permission to use").unwrap();
    let isc = format!(
        "ISC License\n\nCopyright (c) 2024 Jane Doe\n\n{}",
        &isc[start..]
    );
    assert_eq!(detected_id(&isc), Some("ISC"));
}

#[test]
fn mulan_psl_v2_bilingual_english_and_chinese() {
    let mulan = text("MulanPSL-2.0");
    let english_at = mulan
        .find("Mulan Permissive Software License，Version 2\n")
        .unwrap();
    let (chinese, english) = mulan.split_at(english_at);
    assert!(chinese.starts_with("木兰宽松许可证"));
    for (what, part) in [
        ("bilingual", mulan),
        ("English", english),
        ("Chinese", chinese),
    ] {
        let found = detect(part).unwrap_or_else(|| panic!("{what} Mulan PSL v2 not detected"));
        assert_eq!(found.spdx_id, "MulanPSL-2.0", "{what}");
        assert!(found.confidence > 0.95, "{what}: {found:?}");
    }

    // Laid out like the file license.coscl.org.cn hands out (indented, the title centred),
    // the notice filled in, CRLF line endings.
    let official = mulan
        .lines()
        .map(|line| {
            if line.starts_with("木兰宽松许可证, 第2版") {
                format!("                    {line}")
            } else {
                format!("   {line}  ")
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        .replace("[Year] [name of copyright holder]", "2024 某某科技有限公司")
        .replace("[Software Name]", "hatchery");
    assert_eq!(detected_id(&official), Some("MulanPSL-2.0"));
}

#[test]
fn gnu_licenses_are_only_without_an_or_later_notice() {
    for (id, text) in VENDORED.iter().filter(|(id, _)| id.ends_with("-only")) {
        assert_eq!(detected_id(text), Some(*id), "the bare text is {id}");
        // The text without its "How to Apply" appendix and no notice.
        if let Some(at) = text.find("How to Apply These Terms") {
            assert_eq!(detected_id(&text[..at]), Some(*id), "{id} without appendix");
        }
    }
}

#[test]
fn gnu_licenses_with_an_or_later_notice_are_or_later() {
    let notice = |name: &str, version: &str| {
        format!(
            "Copyright (C) 2024 Jane Doe\n\n\
             This program is free software: you can redistribute it and/or modify\n\
             it under the terms of the {name} as published by\n\
             the Free Software Foundation, either version {version} of the License, or\n\
             (at your option) any later version.\n\n"
        )
    };
    let cases = [
        ("GPL-2.0", "GNU General Public License", "2"),
        ("GPL-3.0", "GNU General Public License", "3"),
        ("LGPL-2.1", "GNU Lesser General Public License", "2.1"),
        ("LGPL-3.0", "GNU Lesser General Public License", "3"),
        ("AGPL-3.0", "GNU Affero General Public License", "3"),
    ];
    for (family, name, version) in cases {
        let body = text(&format!("{family}-only"));
        let later = format!("{family}-or-later");
        let notice = notice(name, version);
        // Notice before the license text, as in many COPYING files.
        assert_eq!(
            detected_id(&format!("{notice}{body}")),
            Some(later.as_str()),
            "{family}: notice first"
        );
        // Notice after the whole text, appendix included.
        assert_eq!(
            detected_id(&format!("{body}\n\n{notice}")),
            Some(later.as_str()),
            "{family}: notice last"
        );
        // Commented notice, CRLF.
        let commented = notice
            .lines()
            .map(|line| format!("# {line}"))
            .collect::<Vec<_>>()
            .join("\r\n");
        let crlf = format!("{commented}\r\n\r\n{}", body.replace('\n', "\r\n"));
        assert_eq!(
            detected_id(&crlf),
            Some(later.as_str()),
            "{family}: commented notice"
        );
    }
}

#[test]
fn the_appendix_template_filled_in_stays_only() {
    // The appendix's own notice, filled in with the program's name, is the template: the
    // rule reads it as such, and only a notice elsewhere makes the license "or later".
    let gpl3 = text("GPL-3.0-only")
        .replace(
            "<one line to give the program's name",
            "hatchery, a code forge <",
        )
        .replace("<year>  <name of author>", "2024 Jane Doe");
    assert!(!gpl3.contains("<name of author>") && !gpl3.contains("<one line"));
    assert_eq!(detected_id(&gpl3), Some("GPL-3.0-only"));
}

#[test]
fn an_identifier_line_in_a_gnu_text_settles_the_versions() {
    let gpl2 = text("GPL-2.0-only");
    let tagged = format!("SPDX-License-Identifier: GPL-2.0-or-later\n\n{gpl2}");
    assert_eq!(detected_id(&tagged), Some("GPL-2.0-or-later"));
    let tagged = format!("SPDX-License-Identifier: GPL-2.0+\n\n{gpl2}");
    assert_eq!(detected_id(&tagged), Some("GPL-2.0-or-later"));
    let tagged = format!("SPDX-License-Identifier: GPL-2.0-only\n\n{gpl2}");
    assert_eq!(detected_id(&tagged), Some("GPL-2.0-only"));
}

#[test]
fn lgpl3_without_the_incorporated_gpl3_is_lgpl3() {
    let lgpl3 = text("LGPL-3.0-only");
    let gpl_at = lgpl3.find("\nGNU GENERAL PUBLIC LICENSE\n").unwrap();
    let lesser_only = &lgpl3[..gpl_at];
    assert_eq!(detected_id(lesser_only), Some("LGPL-3.0-only"));
    // COPYING next to it holds the GPL-3.0: that stays GPL-3.0.
    assert_eq!(detected_id(&lgpl3[gpl_at..]), Some("GPL-3.0-only"));
}

#[test]
fn text_that_is_no_license_is_none() {
    let prose = "Hatchery is a self-hosted code forge. It hosts Git repositories, reviews \
        merge requests, tracks issues and runs an incubator whose projects graduate when \
        they meet the maturity checklist. Build it with cargo, run it with a TOML file, and \
        open the web interface in a browser. The quick brown fox jumps over the lazy dog. ";
    let cases = [
        String::new(),
        "\n\n   \n".to_owned(),
        prose.to_owned(),
        prose.repeat(40),
        "fn main() {\n    println!(\"hello, world\");\n}\n".repeat(50),
        "这是一个自托管的代码托管平台。它托管 Git 仓库，审阅合并请求，跟踪议题。".repeat(20),
        "See the LICENSE-MIT and LICENSE-APACHE files.".to_owned(),
        "Licensed under the MIT license.".to_owned(),
    ];
    for case in &cases {
        assert_eq!(detect(case), None, "{case:.60?}");
    }
}

#[test]
fn concatenated_licenses_give_the_dominant_one_or_none() {
    // Apache-2.0 (10 KB) with the short MIT text: the Apache text dominates the similarity.
    let mit_apache = format!("{}\n\n{}", text("MIT"), text("Apache-2.0"));
    let found = detect(&mit_apache).expect("Apache-2.0 dominates");
    assert_eq!(found.spdx_id, "Apache-2.0");
    assert!(found.confidence < 0.99, "{found:?}");
    // Two short licenses of similar length: neither scores 0.8.
    let mit_bsd = format!("{}\n\n{}", text("MIT"), text("BSD-3-Clause"));
    assert_eq!(detect(&mit_bsd), None);
}

#[test]
fn oversized_text_is_none() {
    let huge = text("MIT").repeat(MAX_TEXT_LEN / text("MIT").len() + 1);
    assert!(huge.len() > MAX_TEXT_LEN);
    assert_eq!(detect(&huge), None);
}

#[test]
fn edited_texts_keep_their_id_or_give_none() {
    // Dropping every n-th word lowers the similarity step by step: a result, when there is
    // one, is still the right license, with a confidence within bounds.
    let (mut some, mut none) = (0, 0);
    for (id, text) in VENDORED {
        for n in [20, 8, 4, 2] {
            let edited = text
                .split(' ')
                .enumerate()
                .filter(|(i, _)| i % n != n - 1)
                .map(|(_, word)| word)
                .collect::<Vec<_>>()
                .join(" ");
            match detect(&edited) {
                Some(found) => {
                    some += 1;
                    assert_eq!(found.spdx_id, *id, "every {n}th word dropped");
                    assert!(
                        (CONFIDENCE_THRESHOLD..=1.0).contains(&found.confidence),
                        "{found:?}"
                    );
                }
                None => none += 1,
            }
        }
    }
    report(&format!(
        "hatchery-license edited texts: {some} detected, {none} below the threshold"
    ));
    assert!(some > 0 && none > 0, "{some} {none}");
}

#[test]
fn timing_of_building_and_detecting() {
    let started = Instant::now();
    let detector = Detector::new();
    let built = started.elapsed();

    let mut text = text("Apache-2.0").replace(
        "Copyright [yyyy] [name of copyright owner]",
        "Copyright 2024 The Hatchery Authors",
    );
    let filler = "This product includes software developed by The Hatchery Authors. ";
    while text.len() < 12 * 1024 {
        text.push_str(filler);
    }
    let started = Instant::now();
    let found = detector.detect(&text);
    let detected = started.elapsed();
    assert_eq!(found.map(|d| d.spdx_id), Some("Apache-2.0"));
    report(&format!(
        "hatchery-license timing: Detector::new() {built:?}; detect({} bytes) {detected:?}",
        text.len()
    ));
}
