//! The board resolution that graduates a project, drafted from the project's data in the
//! structure of the Apache Software Foundation's resolutions establishing a top-level
//! project: a title; a WHEREAS paragraph on the board's purpose; RESOLVED paragraphs that
//! establish the project's management committee and its responsibility, create the office
//! of its chair, appoint the initial members (listed) and the chair, task it with the
//! migration of the podling, and discharge the incubating program of the podling.
//!
//! A template per language ([`RESOLUTION_LANGUAGES`]); the draft is a starting point that
//! people edit before it is sent, so it is plain text with no markup.

use super::graduation::RosterPerson;
use super::program::Board;

/// The languages a resolution can be drafted in.
pub const RESOLUTION_LANGUAGES: [&str; 2] = ["en", "zh-CN"];

/// What a resolution is drafted from.
#[derive(Debug, Clone, Copy)]
pub struct ResolutionFacts<'a> {
    /// The name the foundation's projects carry ("Apache" in "the Apache Foo Project").
    pub brand: &'a str,
    /// The project's name.
    pub project: &'a str,
    /// What its software is about (its description, any length).
    pub scope: &'a str,
    /// The program the project leaves ("Apache Incubator").
    pub program: &'a str,
    /// Who decides.
    pub board: Board,
    /// The proposed chair; empty when none is named yet.
    pub chair: &'a str,
    /// The initial members of the committee.
    pub members: &'a [RosterPerson],
}

/// The texts of one language. `{p}` is "Brand Project", `{scope}` what the software does,
/// `{board}` the deciding body, `{program}` the program, `{project}` the project's name,
/// `{chair}` the chair.
struct Template {
    title: &'static str,
    whereas: &'static str,
    established: &'static str,
    responsible: &'static str,
    office: &'static str,
    members_intro: &'static str,
    chair: &'static str,
    no_chair: &'static str,
    migration: &'static str,
    discharge: &'static str,
    board: &'static str,
    governing_board: &'static str,
}

const EN: Template = Template {
    title: "Establish the {p} Project",
    whereas: "WHEREAS, the {board} deems it to be in the best interests of the Foundation and consistent with the Foundation's purpose to establish a Project Management Committee charged with the creation and maintenance of open-source software, for distribution at no charge to the public, related to {scope}.",
    established: "NOW, THEREFORE, BE IT RESOLVED, that a Project Management Committee (PMC), to be known as the \"{p} Project\", be and hereby is established pursuant to Bylaws of the Foundation; and be it further",
    responsible: "RESOLVED, that the {p} Project be and hereby is responsible for the creation and maintenance of software related to {scope}; and be it further",
    office: "RESOLVED, that the office of \"Vice President, {p}\" be and hereby is created, the person holding such office to serve at the direction of the {board} as the chair of the {p} Project, and to have primary responsibility for management of the projects within the scope of responsibility of the {p} Project; and be it further",
    members_intro: "RESOLVED, that the persons listed immediately below be and hereby are appointed to serve as the initial members of the {p} Project:",
    chair: "NOW, THEREFORE, BE IT FURTHER RESOLVED, that {chair} be appointed to the office of Vice President, {p}, to serve in accordance with and subject to the direction of the {board} and the Bylaws of the Foundation until death, resignation, retirement, removal or disqualification, or until a successor is appointed; and be it further",
    no_chair: "NOW, THEREFORE, BE IT FURTHER RESOLVED, that the person the initial members name be appointed to the office of Vice President, {p}, to serve in accordance with and subject to the direction of the {board} and the Bylaws of the Foundation until death, resignation, retirement, removal or disqualification, or until a successor is appointed; and be it further",
    migration: "RESOLVED, that the {p} Project be and hereby is tasked with the migration and rationalization of the {program} {project} podling; and be it further",
    discharge: "RESOLVED, that all responsibilities pertaining to the {program} {project} podling encumbered upon the {program} are hereafter discharged.",
    board: "Board of Directors",
    governing_board: "Governing Board",
};

const ZH_CN: Template = Template {
    title: "设立 {p} 项目",
    whereas: "鉴于：{board}认为，设立一个项目管理委员会，负责创建和维护与{scope}相关、向公众免费发布的开源软件，符合基金会的最大利益和基金会的宗旨。",
    established: "因此，兹决议：依据基金会章程，设立名为“{p} 项目”的项目管理委员会（PMC）；并进一步",
    responsible: "决议：{p} 项目负责创建和维护与{scope}相关的软件；并进一步",
    office: "决议：设立“{p} 副总裁”一职，任职者在{board}的指导下担任 {p} 项目的主席，对 {p} 项目职责范围内各项目的管理负主要责任；并进一步",
    members_intro: "决议：任命下列人员为 {p} 项目的首批成员：",
    chair: "因此，进一步决议：任命 {chair} 为 {p} 副总裁，依照{board}的指导和基金会章程任职，直至其去世、辞职、退休、被免职或丧失任职资格，或继任者获任命为止；并进一步",
    no_chair: "因此，进一步决议：任命首批成员推选之人为 {p} 副总裁，依照{board}的指导和基金会章程任职，直至其去世、辞职、退休、被免职或丧失任职资格，或继任者获任命为止；并进一步",
    migration: "决议：责成 {p} 项目负责 {program} {project} 孵化项目的迁移与整合；并进一步",
    discharge: "决议：{program} 对 {program} {project} 孵化项目所承担的一切职责自此解除。",
    board: "董事会",
    governing_board: "理事会",
};

fn template(language: &str) -> &'static Template {
    if language.eq_ignore_ascii_case("zh-CN") {
        &ZH_CN
    } else {
        &EN
    }
}

/// A description as the object of "related to": one line, without its final full stop.
pub fn scope_of(description: &str) -> String {
    let one_line = description.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line
        .trim_end_matches(['.', '。', ' '])
        .trim()
        .to_owned()
}

/// The draft of the resolution in `language` (English when it has no template).
pub fn render_resolution(language: &str, f: &ResolutionFacts<'_>) -> String {
    let t = template(language);
    let board = match f.board {
        Board::Board => t.board,
        Board::GoverningBoard => t.governing_board,
    };
    let p = if f.brand.trim().is_empty() {
        f.project.trim().to_owned()
    } else {
        format!("{} {}", f.brand.trim(), f.project.trim())
    };
    let scope = match scope_of(f.scope) {
        s if s.is_empty() => f.project.trim().to_owned(),
        s => s,
    };
    let fill = |text: &str| {
        text.replace("{p}", &p)
            .replace("{board}", board)
            .replace("{scope}", &scope)
            .replace("{program}", f.program.trim())
            .replace("{project}", f.project.trim())
            .replace("{chair}", f.chair.trim())
    };
    let members: Vec<String> = f
        .members
        .iter()
        .map(|m| match &m.login {
            Some(login) => format!(" * {} (@{login})", m.name),
            None => format!(" * {}", m.name),
        })
        .collect();
    let chair = if f.chair.trim().is_empty() {
        t.no_chair
    } else {
        t.chair
    };
    [
        fill(t.title),
        fill(t.whereas),
        fill(t.established),
        fill(t.responsible),
        fill(t.office),
        fill(t.members_intro),
        members.join("\n"),
        fill(chair),
        fill(t.migration),
        fill(t.discharge),
    ]
    .join("\n\n")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Vec<RosterPerson> {
        vec![
            RosterPerson {
                name: "Jane Doe".into(),
                login: Some("jdoe".into()),
                role: "ppmc".into(),
            },
            RosterPerson {
                name: "Wang Fang".into(),
                login: None,
                role: "mentor".into(),
            },
        ]
    }

    fn facts<'a>(members: &'a [RosterPerson], chair: &'a str) -> ResolutionFacts<'a> {
        ResolutionFacts {
            brand: "Apache",
            project: "Foo",
            scope: "a distributed\n  queue for sensor data.",
            program: "Apache Incubator",
            board: Board::Board,
            chair,
            members,
        }
    }

    #[test]
    fn english_follows_apaches_structure() {
        let members = people();
        let text = render_resolution("en", &facts(&members, "Jane Doe"));
        let paragraphs: Vec<&str> = text.trim_end().split("\n\n").collect();
        assert_eq!(paragraphs.len(), 10, "{text}");
        assert_eq!(paragraphs[0], "Establish the Apache Foo Project");
        assert!(paragraphs[1].starts_with("WHEREAS, the Board of Directors deems"));
        assert!(paragraphs[1].ends_with("related to a distributed queue for sensor data."));
        assert!(paragraphs[2].contains("to be known as the \"Apache Foo Project\""));
        assert!(paragraphs[3].starts_with("RESOLVED, that the Apache Foo Project"));
        assert!(paragraphs[4].contains("\"Vice President, Apache Foo\""));
        assert!(paragraphs[5].ends_with("initial members of the Apache Foo Project:"));
        assert_eq!(paragraphs[6], " * Jane Doe (@jdoe)\n * Wang Fang");
        assert!(
            paragraphs[7]
                .contains("that Jane Doe be appointed to the office of Vice President, Apache Foo")
        );
        assert!(paragraphs[8].contains("the Apache Incubator Foo podling"));
        assert!(paragraphs[9].starts_with(
            "RESOLVED, that all responsibilities pertaining to the Apache Incubator Foo podling"
        ));
        assert!(paragraphs[9].ends_with("are hereafter discharged."));
        assert!(!text.contains('{'), "every placeholder filled: {text}");
    }

    #[test]
    fn chinese_has_the_same_structure() {
        let members = people();
        let en = render_resolution("en", &facts(&members, "Jane Doe"));
        let zh = render_resolution("zh-CN", &facts(&members, "Jane Doe"));
        assert_eq!(zh.split("\n\n").count(), en.split("\n\n").count(), "{zh}");
        assert!(zh.starts_with("设立 Apache Foo 项目\n\n鉴于：董事会认为"));
        assert!(zh.contains("与a distributed queue for sensor data相关"));
        assert!(zh.contains(" * Jane Doe (@jdoe)\n * Wang Fang"));
        assert!(zh.contains("任命 Jane Doe 为 Apache Foo 副总裁"));
        assert!(zh.contains("Apache Incubator Foo 孵化项目"));
        assert!(!zh.contains('{'));
        // Unknown languages fall back to English; the tag's case does not matter.
        assert_eq!(render_resolution("fr", &facts(&members, "Jane Doe")), en);
        assert_eq!(render_resolution("zh-cn", &facts(&members, "Jane Doe")), zh);
    }

    #[test]
    fn variants() {
        let members = people();
        // No chair yet: the members name one.
        let text = render_resolution("en", &facts(&members, " "));
        assert!(text.contains("that the person the initial members name be appointed"));
        // A governing board, no brand, no description.
        let f = ResolutionFacts {
            brand: "",
            scope: "  ",
            board: Board::GoverningBoard,
            ..facts(&members, "Jane Doe")
        };
        let text = render_resolution("en", &f);
        assert!(text.starts_with("Establish the Foo Project\n\nWHEREAS, the Governing Board"));
        assert!(text.contains("software related to Foo;"));
        let zh = render_resolution("zh-CN", &f);
        assert!(zh.contains("鉴于：理事会认为"));
        assert_eq!(scope_of("Stream processing.\n"), "Stream processing");
        assert_eq!(scope_of("流处理。"), "流处理");
    }
}
