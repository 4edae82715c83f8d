//! Ready-made templates for the programs foundations actually run, so a new program starts
//! from real rules and its admins only adjust.
//!
//! Facts come from /work/shared/design/incubation.md. Where the programs leave a number
//! to practice (vote deadlines outside Apache, discussion length, report due dates,
//! response-time thresholds) the preset picks a conventional value, noted where it is set.

use std::collections::BTreeMap;

use super::presets_zh::zh;
use super::program::Evaluation::{Automatic, Manual};
use super::program::{
    Board, ChecklistItem, Evaluation, Evaluator, Graduation, LicenseCategory, LicenseRule,
    MentorRule, ProgramTemplate, RosterRules, Section, Stage, Term, Terminal, VoteConfig,
};
use super::reports::{BoardCalendar, Cadence};
use super::text::Text;
use super::votes::{Basis, DEFAULT_MIN_DURATION_HOURS, VoteKind, VoteRule, Voters};

/// The programs there are presets for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// The Apache Incubator: podlings, IPMC votes, the maturity model.
    Apache,
    /// The CNCF: sandbox, incubating, graduated; TOC supermajorities.
    Cncf,
    /// LF AI & Data: sandbox, incubation, graduation; TAC votes.
    LfAiData,
    /// A minimal valid template to build a program of one's own from.
    Blank,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::Apache,
        Preset::Cncf,
        Preset::LfAiData,
        Preset::Blank,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Apache => "apache",
            Preset::Cncf => "cncf",
            Preset::LfAiData => "lf_ai_data",
            Preset::Blank => "blank",
        }
    }
}

/// A fresh copy of a preset's template.
pub fn preset(p: Preset) -> ProgramTemplate {
    match p {
        Preset::Apache => apache(),
        Preset::Cncf => cncf(),
        Preset::LfAiData => lf_ai_data(),
        Preset::Blank => blank(),
    }
}

/// A week: the note gives no minimum discussion for any program; a week lets every time
/// zone and a weekend in, as Apache's 72 hours do for votes.
const DISCUSSION_DAYS: u32 = 7;
/// Where a program sets no deadline, two weeks: long enough for a committee that meets
/// every other week.
const TWO_WEEKS_HOURS: u32 = 14 * 24;
/// "Timely" responses (QU50, CO70): half the issues answered within a week.
const RESPONSE_HOURS: u32 = 7 * 24;

/// A preset's text in English and, from [`zh`], Chinese.
fn text(en: &str) -> Text {
    Text::new(en, zh(en))
}

fn stage(key: &str, name: &str, terminal: Option<Terminal>) -> Stage {
    Stage {
        key: key.into(),
        name: text(name),
        terminal,
    }
}

fn rules(list: &[(VoteKind, VoteRule, u32, u32)]) -> BTreeMap<VoteKind, VoteConfig> {
    list.iter()
        .map(|&(kind, rule, min_duration_hours, deadline_hours)| {
            (
                kind,
                VoteConfig {
                    rule,
                    min_duration_hours,
                    deadline_hours,
                    voters: Voters::Committee,
                },
            )
        })
        .collect()
}

/// `rules` with elections added, each decided by the project's own `voters`.
fn with_elections(
    mut rules: BTreeMap<VoteKind, VoteConfig>,
    list: &[(VoteKind, VoteRule, u32, u32, Voters)],
) -> BTreeMap<VoteKind, VoteConfig> {
    for &(kind, rule, min_duration_hours, deadline_hours, voters) in list {
        rules.insert(
            kind,
            VoteConfig {
                rule,
                min_duration_hours,
                deadline_hours,
                voters,
            },
        );
    }
    rules
}

/// Apache's "consensus approval", which podlings use to elect committers and PPMC members:
/// at least three binding +1 and no binding -1.
const CONSENSUS_APPROVAL: VoteRule = VoteRule::Majority {
    basis: Basis::Cast,
    min_binding_votes: 0,
    min_binding_plus: 3,
    veto: true,
};

/// One section of a preset's form: (key, title, help, required, group, people role). An
/// empty group is none; a people role makes the People table fill the section.
type SectionRow<'a> = (&'a str, &'a str, &'a str, bool, &'a str, &'a str);

fn sections(list: &[SectionRow<'_>]) -> Vec<Section> {
    list.iter()
        .map(|&(key, title, help, required, group, role)| Section {
            key: key.into(),
            title: text(title),
            help: text(help),
            required,
            group: text(group),
            people_role: (!role.is_empty()).then(|| role.to_owned()),
        })
        .collect()
}

fn checklist(list: &[(&str, &str, Evaluation)]) -> Vec<ChecklistItem> {
    list.iter()
        .map(|&(code, en, evaluation)| ChecklistItem {
            code: code.into(),
            text: text(en),
            evaluation,
            stage: None,
        })
        .collect()
}

/// Checklist items that are the criteria of entering `stage`.
fn criteria(stage: &str, list: &[(&str, &str, Evaluation)]) -> Vec<ChecklistItem> {
    let mut items = checklist(list);
    for i in &mut items {
        i.stage = Some(stage.into());
    }
    items
}

/// A program's words for roles and bodies: (key, English, Chinese).
fn terms(list: &[(&str, &str, &str)]) -> BTreeMap<String, Term> {
    list.iter()
        .map(|&(key, en, zh)| {
            (
                key.to_owned(),
                Term {
                    en: en.into(),
                    zh_cn: zh.into(),
                },
            )
        })
        .collect()
}

/// Apache's third-party license categories: A may be included, B only in binary form and
/// labelled, X not at all. MulanPSL-2.0 (OSI-approved since 2020-02-14) is in A.
pub const APACHE_CATEGORY_A: &[&str] = &[
    "Apache-2.0",
    "MIT",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "BSL-1.0",
    "PostgreSQL",
    "Python-2.0",
    "UPL-1.0",
    "Unlicense",
    "MulanPSL-2.0",
    "CC0-1.0",
];
pub const APACHE_CATEGORY_B: &[&str] = &[
    "CDDL-1.0",
    "CDDL-1.1",
    "EPL-1.0",
    "EPL-2.0",
    "MPL-1.1",
    "MPL-2.0",
    "CPL-1.0",
    "OSL-3.0",
    "OFL-1.1",
    "CC-BY-4.0",
];
/// The GPL, LGPL and AGPL families are listed version by version, in the current `-only`
/// and `-or-later` forms and the deprecated bare and `+` forms still found in metadata.
/// Commons Clause has no SPDX identifier; it is recorded as a `LicenseRef-`.
pub const APACHE_CATEGORY_X: &[&str] = &[
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "GPL-1.0",
    "GPL-1.0+",
    "GPL-2.0",
    "GPL-2.0+",
    "GPL-3.0",
    "GPL-3.0+",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "LGPL-2.0",
    "LGPL-2.0+",
    "LGPL-2.1",
    "LGPL-2.1+",
    "LGPL-3.0",
    "LGPL-3.0+",
    "AGPL-1.0-only",
    "AGPL-1.0-or-later",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "AGPL-1.0",
    "AGPL-3.0",
    "SSPL-1.0",
    "BSD-4-Clause",
    "JSON",
    "LicenseRef-Commons-Clause",
    "CC-BY-NC-1.0",
    "CC-BY-NC-2.0",
    "CC-BY-NC-2.5",
    "CC-BY-NC-3.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-1.0",
    "CC-BY-NC-SA-2.0",
    "CC-BY-NC-SA-2.5",
    "CC-BY-NC-SA-3.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-NC-ND-1.0",
    "CC-BY-NC-ND-2.0",
    "CC-BY-NC-ND-2.5",
    "CC-BY-NC-ND-3.0",
    "CC-BY-NC-ND-4.0",
];

/// Apache's categories as a policy. The other presets start from it too: it is the policy
/// many foundations copy, and admins adjust it.
pub fn apache_license_policy() -> Vec<LicenseRule> {
    [
        (APACHE_CATEGORY_A, LicenseCategory::Allowed),
        (APACHE_CATEGORY_B, LicenseCategory::Restricted),
        (APACHE_CATEGORY_X, LicenseCategory::Forbidden),
    ]
    .into_iter()
    .flat_map(|(ids, category)| {
        ids.iter().map(move |id| LicenseRule {
            spdx: (*id).into(),
            category,
        })
    })
    .collect()
}

/// Apache's "majority approval": at least three binding +1 and more +1 than -1.
const APACHE_MAJORITY: VoteRule = VoteRule::Majority {
    basis: Basis::Cast,
    min_binding_votes: 3,
    min_binding_plus: 3,
    veto: false,
};

/// Apache's proposal template (the Incubator's "Proposal Guide"), section for section:
/// the Current Status, Known Risks, Required Resources and Sponsors sub-sections are fields
/// of their own under a group heading; Initial Committers, the Champion and the Nominated
/// Mentors come from the People table.
#[rustfmt::skip]
const APACHE_SECTIONS: &[SectionRow<'static>] = &[
    ("abstract", "Abstract", "A short description of the project, a sentence or two.", true, "", ""),
    ("proposal", "Proposal", "What the project is and what it will do at the foundation.", true, "", ""),
    ("background", "Background", "Where the project comes from and the problem it solves.", true, "", ""),
    ("rationale", "Rationale", "Why the project belongs here and why now.", true, "", ""),
    ("initial_goals", "Initial Goals", "What the project will work on first during incubation.", true, "", ""),
    ("meritocracy", "Meritocracy", "How contributors earn more rights today, and the plan to grow a meritocracy.", true, "Current Status", ""),
    ("community", "Community", "Who uses and contributes to the project today, and how the community will grow.", true, "Current Status", ""),
    ("core_developers", "Core Developers", "Who the core developers are, their affiliations and their experience with open source.", true, "Current Status", ""),
    ("alignment", "Alignment", "How the project fits with the foundation and its other projects.", true, "Current Status", ""),
    ("orphaned_products", "Orphaned Products", "The risk that the project is abandoned, for instance by the company behind it, and why it is low.", true, "Known Risks", ""),
    ("inexperience_with_open_source", "Inexperience with Open Source", "The developers' experience of working in the open.", true, "Known Risks", ""),
    ("homogenous_developers", "Homogenous Developers", "Whether the developers share one employer or place, and how that will change.", true, "Known Risks", ""),
    ("reliance_on_salaried_developers", "Reliance on Salaried Developers", "Whether the project depends on developers paid to work on it.", true, "Known Risks", ""),
    ("relationships_with_other_apache_products", "Relationships with Other Apache Products", "Other projects of the foundation it uses, resembles or could work with.", true, "Known Risks", ""),
    ("fascination_with_apache_brand", "An Excessive Fascination with the Apache Brand", "Why the project wants to join for more than the brand.", true, "Known Risks", ""),
    ("documentation", "Documentation", "Links to existing documentation.", false, "", ""),
    ("initial_source", "Initial Source", "Where the code is today, its history and its size.", true, "", ""),
    ("source_and_ip_submission_plan", "Source and Intellectual Property Submission Plan", "Who owns the code, domains and trademarks, and how they will be granted to the foundation (software grant, ICLAs).", true, "", ""),
    ("external_dependencies", "External Dependencies", "Third-party dependencies and their licenses (see the license policy).", true, "", ""),
    ("cryptography", "Cryptography", "Whether the project contains or uses cryptography, for export control; \"None\" if not.", true, "", ""),
    ("mailing_lists", "Mailing Lists", "The lists the project needs (private, dev, commits, user).", true, "Required Resources", ""),
    ("git_repositories", "Git Repositories", "The repositories the project needs.", true, "Required Resources", ""),
    ("issue_tracking", "Issue Tracking", "Where issues will be tracked.", true, "Required Resources", ""),
    ("initial_committers", "Initial Committers", "The people in the People table with the committer role, with their affiliations.", true, "", "committer"),
    ("champion", "Champion", "The member of the foundation who champions the proposal: the People table's champion.", true, "Sponsors", "champion"),
    ("mentors", "Nominated Mentors", "Two or three mentors from the incubator's committee: the People table's mentors.", true, "Sponsors", "mentor"),
    ("sponsoring_entity", "Sponsoring Entity", "The committee that sponsors the project (normally the Incubator).", true, "Sponsors", ""),
];

/// Apache's Project Maturity Model, codes and texts as in the design note. The items the
/// forge can judge from the repositories or their activity are automatic (the mapping is
/// the note's); the rest need a person. IN10 ("no dependence on one company") is judged as
/// an elephant factor of at least 2.
#[rustfmt::skip]
const APACHE_MATURITY_MODEL: &[(&str, &str, Evaluation)] = &[
    ("CD10", "Open source license", Automatic(Evaluator::LicenseFile)),
    ("CD20", "Code discoverable and accessible", Manual),
    ("CD30", "Reproducible build with standard tools", Manual),
    ("CD40", "Full history kept; any release can be recreated", Manual),
    ("CD50", "Provenance of every line is known", Manual),
    ("LC10", "Released under the project's license", Automatic(Evaluator::LicenseFile)),
    ("LC20", "Dependencies no more restrictive than the project's license", Manual),
    ("LC30", "Dependencies are open source", Manual),
    ("LC40", "Committers have signed agreements", Manual),
    ("LC50", "Copyright ownership documented", Manual),
    ("RE10", "Source releases in durable archive formats", Automatic(Evaluator::TagsOrReleases)),
    ("RE20", "Every release approved by the project's committee", Automatic(Evaluator::ReleasesApprovedByVote)),
    ("RE30", "Releases signed or digested", Automatic(Evaluator::ReleasesSignedOrDigested)),
    ("RE40", "Binaries are convenience only", Manual),
    ("RE50", "Documented, repeatable release process", Manual),
    ("QU10", "Honest about quality", Manual),
    ("QU20", "Security a priority", Manual),
    ("QU30", "Private security reporting channel", Automatic(Evaluator::SecurityPolicy)),
    ("QU40", "Compatibility breaks documented", Manual),
    ("QU50", "Timely bug response", Automatic(Evaluator::IssueResponseTime { max_median_hours: RESPONSE_HOURS })),
    ("CO10", "Home page", Automatic(Evaluator::ReadmePresent)),
    ("CO20", "Welcoming", Automatic(Evaluator::CodeOfConductPresent)),
    ("CO30", "Non-code contributions count", Manual),
    ("CO40", "Merit recognized", Manual),
    ("CO50", "Documented path to more rights", Manual),
    ("CO60", "Decisions by consensus", Manual),
    ("CO70", "Users answered in time", Automatic(Evaluator::IssueResponseTime { max_median_hours: RESPONSE_HOURS })),
    ("CS10", "Committee list public", Automatic(Evaluator::GovernanceOrMaintainers)),
    ("CS20", "Decisions documented", Manual),
    ("CS30", "Voting rules documented", Automatic(Evaluator::GovernanceOrMaintainers)),
    ("CS40", "Vetoes only on code, justified", Manual),
    ("CS50", "Important discussion written and asynchronous", Manual),
    ("IN10", "Free of corporate control", Automatic(Evaluator::ElephantFactor { min: 2 })),
    ("IN20", "Contributors act as individuals", Manual),
];

fn apache() -> ProgramTemplate {
    let a = DEFAULT_MIN_DURATION_HOURS;
    ProgramTemplate {
        stages: vec![
            stage("current", "Current", None),
            stage("graduated", "Graduated", Some(Terminal::Graduated)),
            stage("retired", "Retired", Some(Terminal::Retired)),
        ],
        // IPMC votes run 72 hours and are then tallied: the deadline is the minimum, as
        // in practice, rather than waiting for a large IPMC that will never all vote.
        vote_rules: with_elections(
            rules(&[
                (VoteKind::AcceptProposal, APACHE_MAJORITY, a, a),
                (VoteKind::Graduate, APACHE_MAJORITY, a, a),
                (VoteKind::Retire, APACHE_MAJORITY, a, a),
                // A podling's release is approved by the IPMC: 72 hours, at least three
                // binding +1 and more +1 than -1 (a release cannot be vetoed).
                (VoteKind::Release, APACHE_MAJORITY, a, a),
            ]),
            // The PPMC (with the mentors) elects committers and PPMC members.
            &[
                (
                    VoteKind::Committer,
                    CONSENSUS_APPROVAL,
                    a,
                    a,
                    Voters::ProjectPmc,
                ),
                (
                    VoteKind::PpmcMember,
                    CONSENSUS_APPROVAL,
                    a,
                    a,
                    Voters::ProjectPmc,
                ),
            ],
        ),
        report_cadence: Cadence::APACHE.with_calendar(BoardCalendar::apache()),
        proposal_sections: sections(APACHE_SECTIONS),
        checklist: checklist(APACHE_MATURITY_MODEL),
        license_policy: apache_license_policy(),
        discussion_min_days: DISCUSSION_DAYS,
        custom_votes: Vec::new(),
        // The IPMC's vote recommends the podling to the board with a resolution.
        graduation: Graduation {
            due_diligence: false,
            board: Some(Board::Board),
            resolution: true,
        },
        terms: terms(&[
            ("champion", "Champion", "倡导者"),
            ("mentor", "Mentor", "导师"),
            ("committer", "Committer", "提交者"),
            ("ppmc", "PPMC member", "PPMC 成员"),
            ("committee", "IPMC", "孵化器项目管理委员会（IPMC）"),
        ]),
        // A podling's mentors are IPMC members.
        roster: RosterRules {
            mentors_on_committee: MentorRule::Refuse,
        },
        sponsor: "Incubator".into(),
    }
}

/// The CNCF's sandbox application form, field for field (the `cncf/sandbox` repository's
/// issue form): the project's name is the proposal's own; its maintainers and a TOC
/// sponsor (no longer required for sandbox) come from the People table.
#[rustfmt::skip]
const CNCF_SECTIONS: &[SectionRow<'static>] = &[
    ("summary", "Project summary", "A single line describing the project.", true, "", ""),
    ("description", "Project description", "What the project does, why it is valuable, and where it comes from.", true, "", ""),
    ("org_repo", "Org repo URL", "The GitHub (or other) organization, if all the project's repositories are under one.", false, "Repositories", ""),
    ("project_repo", "Project repo URL in scope of application", "The main repository the application is for.", true, "Repositories", ""),
    ("additional_repos", "Additional repos in scope of the application", "Other repositories that come with it.", false, "Repositories", ""),
    ("website", "Website URL", "The project's website.", true, "", ""),
    ("roadmap", "Roadmap", "Link to the roadmap.", true, "Roadmap", ""),
    ("roadmap_context", "Roadmap context", "Anything the roadmap needs to be understood.", false, "Roadmap", ""),
    ("contributing_guide", "Contributing guide", "Link to the contributing guide.", true, "Community", ""),
    ("code_of_conduct", "Code of Conduct (CoC)", "Link to the code of conduct (the CNCF's, or one compatible with it).", true, "Community", ""),
    ("adopters", "Adopters", "Link to the list of adopters, if there is one.", false, "Community", ""),
    ("contributing_orgs", "Contributing or sponsoring organizations", "The organizations that contribute to or sponsor the project.", false, "Community", ""),
    ("maintainers_file", "Maintainers file", "Link to the file listing the maintainers.", true, "Community", ""),
    ("security_contact", "Security contact", "Where vulnerabilities are reported (an address or a SECURITY.md).", true, "Community", ""),
    ("license", "License", "The project's license: an SPDX identifier, Apache-2.0 unless an exception is granted.", true, "Legal", ""),
    ("ip_policy", "IP policy", "Confirm that, if accepted, the project will follow the CNCF IP Policy.", true, "Legal", ""),
    ("trademark_and_accounts", "Trademark and accounts", "Confirm that, if accepted, the project's trademarks and accounts will be transferred to the CNCF (the Linux Foundation).", true, "Legal", ""),
    ("why_cncf", "Why CNCF?", "Why the project wants to join the CNCF, and what it expects.", true, "Cloud native fit", ""),
    ("landscape_benefit", "Benefit to the landscape", "What the project brings to the cloud native landscape.", true, "Cloud native fit", ""),
    ("cloud_native_fit", "Cloud native 'fit'", "How the project fits cloud native computing.", true, "Cloud native fit", ""),
    ("cloud_native_integration", "Cloud native 'integration'", "The CNCF projects it works with or depends on.", false, "Cloud native fit", ""),
    ("cloud_native_overlap", "Cloud native overlap", "The CNCF projects it overlaps with, and how.", false, "Cloud native fit", ""),
    ("similar_projects", "Similar projects", "Similar projects, inside the CNCF or not.", false, "Cloud native fit", ""),
    ("landscape", "Landscape", "Whether the project is on the CNCF landscape, and where.", false, "Cloud native fit", ""),
    ("business_separation", "Business product or service to project separation", "How the project is kept separate from any company's product or service built on it.", true, "", ""),
    ("presentations", "Project presentations", "Talks or demos given about the project, for instance to a TAG.", false, "", ""),
    ("project_champions", "Project champions", "People in the CNCF community who support the application.", false, "", ""),
    ("tag_review", "Domain technical review", "The TAG the project has engaged with, and the outcome.", false, "", ""),
    ("additional_information", "Additional information", "Anything else the TOC should know.", false, "", ""),
    ("maintainers", "Maintainers", "The project's maintainers with their affiliations: the People table's maintainers.", true, "People", "committer"),
    ("toc_sponsor", "TOC sponsor", "A member of the Technical Oversight Committee who sponsors the project, if any: the People table's sponsor.", false, "People", "champion"),
];

/// LF AI & Data's project proposal: the project, its fit, and the TAC sponsor and
/// committers from the People table.
#[rustfmt::skip]
const LF_AI_DATA_SECTIONS: &[SectionRow<'static>] = &[
    ("summary", "Summary", "What the project does, in a paragraph.", true, "", ""),
    ("motivation", "Why LF AI & Data", "Why the project wants to join, and what it expects.", true, "", ""),
    ("alignment", "Alignment", "How the project fits the foundation's mission and its other projects.", true, "", ""),
    ("license", "License", "The project's license (an OSI-approved one) and how dependencies are licensed.", true, "", ""),
    ("governance", "Governance", "How decisions are made: the technical steering committee and its chair.", true, "", ""),
    ("code_of_conduct", "Code of Conduct", "Link to the code of conduct the project follows.", true, "", ""),
    ("trademarks", "Trademarks and domains", "Confirm that the project's trademarks and domains will be transferred to the Linux Foundation.", true, "", ""),
    ("adopters", "Adopters", "Who uses the project, in production or otherwise.", false, "", ""),
    ("similar_projects", "Similar Projects", "Related or competing projects, inside the foundation or not.", false, "", ""),
    ("roadmap", "Roadmap", "Where the project is going in the next year.", false, "", ""),
    ("committers", "Committers", "The project's committers with their affiliations: the People table's committers.", true, "People", "committer"),
    ("sponsor", "TAC Sponsor", "The member of the Technical Advisory Council who sponsors the project: the People table's sponsor.", true, "People", "champion"),
];

/// Checks shared by the CNCF and LF AI & Data presets: the files their project
/// templates ask for, and OpenSSF's "Maintained".
#[rustfmt::skip]
const HEALTH_ITEMS: &[(&str, &str, Evaluation)] = &[
    ("LICENSE", "OSI-approved open source license", Automatic(Evaluator::LicenseFile)),
    ("README", "README describing the project", Automatic(Evaluator::ReadmePresent)),
    ("CONTRIBUTING", "Contributing guide", Automatic(Evaluator::ContributingPresent)),
    ("CODE-OF-CONDUCT", "Code of conduct adopted", Automatic(Evaluator::CodeOfConductPresent)),
    ("SECURITY", "Security policy with a private reporting channel", Automatic(Evaluator::SecurityPolicy)),
    ("GOVERNANCE", "Governance and maintainers documented", Automatic(Evaluator::GovernanceOrMaintainers)),
    ("RELEASES", "Releases published", Automatic(Evaluator::TagsOrReleases)),
    ("MAINTAINED", "Active in the last 90 days", Automatic(Evaluator::RecentCommits90d)),
];

/// CNCF's graduation criteria from the note. "Maintainers from 2+ organizations" is
/// approximated by the commits' elephant factor; the roster's declared affiliations are
/// for a person to confirm.
#[rustfmt::skip]
const CNCF_ITEMS: &[(&str, &str, Evaluation)] = &[
    ("MAINTAINER-ORGS", "Maintainers from at least two organizations (graduation)", Automatic(Evaluator::ElephantFactor { min: 2 })),
    ("SECURITY-AUDIT", "Third-party security audit completed (graduation)", Manual),
    ("ADOPTERS", "Adopters documented (graduation)", Manual),
];

/// LF AI & Data's criteria for entering each of its stages. Sandbox: a TAC sponsor, an
/// OSI-approved license, the foundation's mission, trademarks for the Linux Foundation.
/// Incubation: use and contributors beyond one organization, documented governance, the
/// OpenSSF Best Practices badge, releases. Graduation (as in the design note): committers
/// from at least five organizations and twelve months of commits, with a TSC and a bus
/// factor above one.
#[rustfmt::skip]
const LF_SANDBOX_CRITERIA: &[(&str, &str, Evaluation)] = &[
    ("SB-SPONSOR", "Sponsored by a member of the TAC", Manual),
    ("SB-LICENSE", "Released under an OSI-approved open source license", Automatic(Evaluator::LicenseFile)),
    ("SB-MISSION", "Fits the mission of LF AI & Data", Manual),
    ("SB-TRADEMARKS", "Agrees to transfer its trademarks and domains to the Linux Foundation", Manual),
];
#[rustfmt::skip]
const LF_INCUBATION_CRITERIA: &[(&str, &str, Evaluation)] = &[
    ("INC-ADOPTION", "Used by at least one organization beyond its own", Manual),
    ("INC-ORGS", "Contributors from at least two organizations", Automatic(Evaluator::ElephantFactor { min: 2 })),
    ("INC-GOVERNANCE", "Governance documented: a technical steering committee and how it decides", Automatic(Evaluator::GovernanceOrMaintainers)),
    ("INC-BADGE", "OpenSSF Best Practices badge at the passing level", Manual),
    ("INC-RELEASES", "Releases published", Automatic(Evaluator::TagsOrReleases)),
];
#[rustfmt::skip]
const LF_GRADUATION_CRITERIA: &[(&str, &str, Evaluation)] = &[
    ("ORGANIZATIONS", "Committers from at least five organizations", Manual),
    ("ACTIVITY-12M", "Commits throughout the last 12 months", Manual),
    ("GRAD-TSC", "A technical steering committee with an elected chair", Manual),
    ("BUS-FACTOR", "More than one person makes half the commits", Automatic(Evaluator::BusFactor { min: 2 })),
];

/// CNCF TOC decisions need two thirds of the whole TOC.
const TOC_SUPERMAJORITY: VoteRule = VoteRule::TwoThirds {
    basis: Basis::Electorate,
    min_binding_votes: 0,
    min_binding_plus: 0,
    veto: false,
};

fn cncf() -> ProgramTemplate {
    let (min, deadline) = (DEFAULT_MIN_DURATION_HOURS, TWO_WEEKS_HOURS);
    ProgramTemplate {
        stages: vec![
            stage("sandbox", "Sandbox", None),
            stage("incubating", "Incubating", None),
            stage("graduated", "Graduated", Some(Terminal::Graduated)),
            stage("archived", "Archived", Some(Terminal::Archived)),
        ],
        vote_rules: with_elections(
            rules(&[
                (VoteKind::AcceptProposal, TOC_SUPERMAJORITY, min, deadline),
                (VoteKind::AdvanceStage, TOC_SUPERMAJORITY, min, deadline),
                (VoteKind::Graduate, TOC_SUPERMAJORITY, min, deadline),
                (VoteKind::Retire, TOC_SUPERMAJORITY, min, deadline),
                // CNCF projects release on their own; a program that wants its releases
                // approved asks the TOC for lazy consensus: 72 hours without a binding -1.
                (VoteKind::Release, VoteRule::LazyConsensus, min, min),
            ]),
            // A project's maintainers add maintainers, by two thirds of them.
            &[(
                VoteKind::Committer,
                TOC_SUPERMAJORITY,
                min,
                deadline,
                Voters::ProjectCommitters,
            )],
        ),
        report_cadence: Cadence::ANNUAL.with_calendar(BoardCalendar::annual()),
        proposal_sections: sections(CNCF_SECTIONS),
        checklist: [checklist(HEALTH_ITEMS), checklist(CNCF_ITEMS)].concat(),
        license_policy: apache_license_policy(),
        discussion_min_days: DISCUSSION_DAYS,
        custom_votes: Vec::new(),
        // The TOC's vote graduates, on the due-diligence document it reviewed.
        graduation: Graduation {
            due_diligence: true,
            board: None,
            resolution: false,
        },
        // The CNCF speaks of maintainers and a TOC sponsor; it has no mentors or PPMC.
        terms: terms(&[
            ("champion", "TOC sponsor", "TOC 赞助人"),
            ("committer", "Maintainer", "维护者"),
            ("committee", "TOC", "技术监督委员会（TOC）"),
        ]),
        // The TOC sponsors; a project's other advisers need not sit on it.
        roster: RosterRules {
            mentors_on_committee: MentorRule::Warn,
        },
        sponsor: "CNCF TOC".into(),
    }
}

/// LF AI & Data: entry, incubation and graduation by a majority of the TAC; emeritus by
/// two thirds of it. Graduation then waits for the governing board's decision.
fn lf_ai_data() -> ProgramTemplate {
    let (min, deadline) = (DEFAULT_MIN_DURATION_HOURS, TWO_WEEKS_HOURS);
    let tac_majority = VoteRule::Majority {
        basis: Basis::Electorate,
        min_binding_votes: 0,
        min_binding_plus: 0,
        veto: false,
    };
    let tac_two_thirds = VoteRule::TwoThirds {
        basis: Basis::Electorate,
        min_binding_votes: 0,
        min_binding_plus: 0,
        veto: false,
    };
    ProgramTemplate {
        stages: vec![
            stage("sandbox", "Sandbox", None),
            stage("incubation", "Incubation", None),
            stage("graduation", "Graduation", Some(Terminal::Graduated)),
            stage("emeritus", "Emeritus", Some(Terminal::Emeritus)),
        ],
        vote_rules: with_elections(
            rules(&[
                (VoteKind::AcceptProposal, tac_majority, min, deadline),
                (VoteKind::AdvanceStage, tac_majority, min, deadline),
                (VoteKind::Graduate, tac_majority, min, deadline),
                (VoteKind::Retire, tac_two_thirds, min, deadline),
                // Releases: lazy consensus of the TAC, 72 hours without a binding -1.
                (VoteKind::Release, VoteRule::LazyConsensus, min, min),
            ]),
            // A project's technical steering committee elects its committers.
            &[(
                VoteKind::Committer,
                tac_majority,
                min,
                deadline,
                Voters::ProjectPmc,
            )],
        ),
        report_cadence: Cadence::ANNUAL.with_calendar(BoardCalendar::quarterly()),
        proposal_sections: sections(LF_AI_DATA_SECTIONS),
        checklist: [
            checklist(HEALTH_ITEMS),
            criteria("sandbox", LF_SANDBOX_CRITERIA),
            criteria("incubation", LF_INCUBATION_CRITERIA),
            criteria("graduation", LF_GRADUATION_CRITERIA),
        ]
        .concat(),
        license_policy: apache_license_policy(),
        discussion_min_days: DISCUSSION_DAYS,
        custom_votes: Vec::new(),
        // The TAC's vote recommends; the governing board decides.
        graduation: Graduation {
            due_diligence: false,
            board: Some(Board::GoverningBoard),
            resolution: false,
        },
        terms: terms(&[
            ("champion", "TAC sponsor", "TAC 赞助人"),
            ("mentor", "Mentor", "导师"),
            ("committer", "Committer", "提交者"),
            ("ppmc", "TSC member", "TSC 成员"),
            ("committee", "TAC", "技术咨询委员会（TAC）"),
        ]),
        // The TAC sponsors; a project's other advisers need not sit on it.
        roster: RosterRules {
            mentors_on_committee: MentorRule::Warn,
        },
        sponsor: "LF AI & Data TAC".into(),
    }
}

/// One active stage, simple majorities, an annual report, a two-section proposal, a
/// license check and no license policy: the least a valid template needs.
fn blank() -> ProgramTemplate {
    let majority = VoteRule::Majority {
        basis: Basis::Cast,
        min_binding_votes: 0,
        min_binding_plus: 0,
        veto: false,
    };
    let (min, deadline) = (DEFAULT_MIN_DURATION_HOURS, 7 * 24);
    ProgramTemplate {
        stages: vec![
            stage("incubating", "Incubating", None),
            stage("graduated", "Graduated", Some(Terminal::Graduated)),
            stage("retired", "Retired", Some(Terminal::Retired)),
        ],
        vote_rules: rules(&[
            (VoteKind::AcceptProposal, majority, min, deadline),
            (VoteKind::Graduate, majority, min, deadline),
            (VoteKind::Retire, majority, min, deadline),
            (VoteKind::Release, majority, min, deadline),
        ]),
        report_cadence: Cadence::ANNUAL,
        proposal_sections: sections(&[
            (
                "abstract",
                "Abstract",
                "What the project is, in a paragraph.",
                true,
                "",
                "",
            ),
            (
                "proposal",
                "Proposal",
                "What the project will do in the program.",
                true,
                "",
                "",
            ),
        ]),
        checklist: checklist(&[(
            "LICENSE",
            "Open source license",
            Automatic(Evaluator::LicenseFile),
        )]),
        license_policy: Vec::new(),
        discussion_min_days: DISCUSSION_DAYS,
        custom_votes: Vec::new(),
        graduation: Graduation::default(),
        terms: BTreeMap::new(),
        roster: RosterRules::default(),
        sponsor: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::program::may_transition;
    use super::super::votes::{Ballot, BallotValue, Outcome, decide};
    use super::*;

    #[test]
    fn apache_maturity_model_is_complete() {
        let t = preset(Preset::Apache);
        let codes: Vec<&str> = t.checklist.iter().map(|i| i.code.as_str()).collect();
        let mut want = Vec::new();
        for (prefix, n) in [
            ("CD", 5),
            ("LC", 5),
            ("RE", 5),
            ("QU", 5),
            ("CO", 7),
            ("CS", 5),
            ("IN", 2),
        ] {
            want.extend((1..=n).map(|i| format!("{prefix}{}", i * 10)));
        }
        assert_eq!(codes, want);
        let automatic = |code: &str| {
            t.checklist
                .iter()
                .find(|i| i.code == code)
                .map(|i| i.evaluation)
        };
        #[rustfmt::skip]
        let table: &[(&str, Evaluation)] = &[
            ("CD10", Evaluation::Automatic(Evaluator::LicenseFile)),
            ("LC10", Evaluation::Automatic(Evaluator::LicenseFile)),
            ("CO10", Evaluation::Automatic(Evaluator::ReadmePresent)),
            ("CO20", Evaluation::Automatic(Evaluator::CodeOfConductPresent)),
            ("QU30", Evaluation::Automatic(Evaluator::SecurityPolicy)),
            ("CS10", Evaluation::Automatic(Evaluator::GovernanceOrMaintainers)),
            ("CS30", Evaluation::Automatic(Evaluator::GovernanceOrMaintainers)),
            ("RE10", Evaluation::Automatic(Evaluator::TagsOrReleases)),
            ("RE20", Evaluation::Automatic(Evaluator::ReleasesApprovedByVote)),
            ("RE30", Evaluation::Automatic(Evaluator::ReleasesSignedOrDigested)),
            ("QU50", Evaluation::Automatic(Evaluator::IssueResponseTime { max_median_hours: 168 })),
            ("CO70", Evaluation::Automatic(Evaluator::IssueResponseTime { max_median_hours: 168 })),
            ("IN10", Evaluation::Automatic(Evaluator::ElephantFactor { min: 2 })),
            ("CS40", Evaluation::Manual),
            ("IN20", Evaluation::Manual),
        ];
        for (code, want) in table {
            assert_eq!(automatic(code), Some(*want), "{code}");
        }
    }

    /// Apache's proposal form has every section of the Incubator's proposal template, the
    /// Known Risks as fields of their own, and the people sections filled from the People
    /// table.
    #[test]
    fn apache_proposal_template_is_complete() {
        let t = preset(Preset::Apache);
        let titles: Vec<(&str, &str)> = t
            .proposal_sections
            .iter()
            .map(|s| (s.group.en(), s.title.en()))
            .collect();
        #[rustfmt::skip]
        let want: &[(&str, &str)] = &[
            ("", "Abstract"), ("", "Proposal"), ("", "Background"), ("", "Rationale"),
            ("", "Initial Goals"),
            ("Current Status", "Meritocracy"), ("Current Status", "Community"),
            ("Current Status", "Core Developers"), ("Current Status", "Alignment"),
            ("Known Risks", "Orphaned Products"), ("Known Risks", "Inexperience with Open Source"),
            ("Known Risks", "Homogenous Developers"), ("Known Risks", "Reliance on Salaried Developers"),
            ("Known Risks", "Relationships with Other Apache Products"),
            ("Known Risks", "An Excessive Fascination with the Apache Brand"),
            ("", "Documentation"), ("", "Initial Source"),
            ("", "Source and Intellectual Property Submission Plan"), ("", "External Dependencies"),
            ("", "Cryptography"),
            ("Required Resources", "Mailing Lists"), ("Required Resources", "Git Repositories"),
            ("Required Resources", "Issue Tracking"),
            ("", "Initial Committers"),
            ("Sponsors", "Champion"), ("Sponsors", "Nominated Mentors"), ("Sponsors", "Sponsoring Entity"),
        ];
        assert_eq!(titles, want);
        let people: Vec<(&str, &str)> = t
            .proposal_sections
            .iter()
            .filter_map(|s| Some((s.key.as_str(), s.people_role.as_deref()?)))
            .collect();
        assert_eq!(
            people,
            [
                ("initial_committers", "committer"),
                ("champion", "champion"),
                ("mentors", "mentor")
            ]
        );
        assert_eq!(t.people_roles(), ["champion", "mentor", "committer"]);
        assert_eq!(t.term("committee", "en"), Some("IPMC"));
    }

    /// The CNCF's form follows its sandbox application and speaks of maintainers and a
    /// sponsor; LF AI & Data's stages each have their criteria.
    #[test]
    fn cncf_form_and_lf_ai_data_criteria() {
        let cncf = preset(Preset::Cncf);
        let keys: Vec<&str> = cncf
            .proposal_sections
            .iter()
            .map(|s| s.key.as_str())
            .collect();
        for key in [
            "summary",
            "description",
            "org_repo",
            "project_repo",
            "website",
            "roadmap",
            "contributing_guide",
            "code_of_conduct",
            "adopters",
            "maintainers_file",
            "security_contact",
            "license",
            "ip_policy",
            "trademark_and_accounts",
            "why_cncf",
            "similar_projects",
            "landscape",
            "business_separation",
            "cloud_native_overlap",
            "maintainers",
            "toc_sponsor",
        ] {
            assert!(keys.contains(&key), "{key}");
        }
        assert_eq!(cncf.people_roles(), ["champion", "committer"]);
        assert_eq!(cncf.term("committer", "en"), Some("Maintainer"));
        assert_eq!(cncf.term("champion", "en"), Some("TOC sponsor"));
        assert_eq!(cncf.term("committer", "zh-CN"), Some("维护者"));
        assert_eq!(cncf.term("mentor", "en"), None);
        assert!(
            !cncf
                .proposal_sections
                .iter()
                .any(|s| s.people_role.as_deref() == Some("mentor"))
        );

        let lf = preset(Preset::LfAiData);
        let stages: Vec<&str> = lf.stages.iter().map(|s| s.name.en()).collect();
        assert_eq!(stages, ["Sandbox", "Incubation", "Graduation", "Emeritus"]);
        for (stage, first) in [
            ("sandbox", "SB-SPONSOR"),
            ("incubation", "INC-ADOPTION"),
            ("graduation", "ORGANIZATIONS"),
        ] {
            let codes: Vec<&str> = lf.stage_criteria(stage).map(|i| i.code.as_str()).collect();
            assert_eq!(codes.first(), Some(&first), "{stage}");
            assert!(codes.len() >= 3, "{stage}: {codes:?}");
        }
        assert_eq!(lf.term("committee", "en"), Some("TAC"));
        assert_eq!(lf.people_roles(), ["champion", "committer"]);
    }

    #[test]
    fn license_categories_are_disjoint_and_complete() {
        let policy = apache_license_policy();
        assert_eq!(
            policy.len(),
            APACHE_CATEGORY_A.len() + APACHE_CATEGORY_B.len() + APACHE_CATEGORY_X.len()
        );
        let t = preset(Preset::Apache);
        assert_eq!(
            t.license_category("MulanPSL-2.0"),
            t.license_category("Apache-2.0")
        );
        assert_eq!(
            t.license_category("EPL-2.0"),
            Some(LicenseCategory::Restricted)
        );
        assert_eq!(
            t.license_category("LicenseRef-Commons-Clause"),
            Some(LicenseCategory::Forbidden)
        );
    }

    /// The presets' rules decide as their programs do.
    #[test]
    fn preset_rules_in_practice() {
        let h = 3_600_000;
        let yes = |n: i64| -> Vec<Ballot> {
            (0..n)
                .map(|voter_id| Ballot {
                    voter_id,
                    value: BallotValue::Plus1,
                    binding: true,
                })
                .collect()
        };
        let apache = preset(Preset::Apache).vote_rules[&VoteKind::AcceptProposal];
        let w = apache.window(0);
        assert_eq!(
            decide(&apache.rule, 60, &yes(3), &w, 72 * h).outcome,
            Outcome::Passed
        );
        assert_eq!(
            decide(&apache.rule, 60, &yes(2), &w, 72 * h).outcome,
            Outcome::Failed
        );
        assert_eq!(
            decide(&apache.rule, 60, &yes(3), &w, 71 * h).outcome,
            Outcome::Pending
        );
        // Apache release votes: 72 hours, three binding +1 and more +1 than -1.
        let release = preset(Preset::Apache).vote_rules[&VoteKind::Release];
        let w = release.window(0);
        assert_eq!(
            (release.min_duration_hours, release.deadline_hours),
            (72, 72)
        );
        assert_eq!(
            decide(&release.rule, 40, &yes(3), &w, 72 * h).outcome,
            Outcome::Passed
        );
        assert_eq!(
            decide(&release.rule, 40, &yes(2), &w, 72 * h).outcome,
            Outcome::Failed
        );
        let mut split = yes(3);
        split.extend((10..13).map(|voter_id| Ballot {
            voter_id,
            value: BallotValue::Minus1,
            binding: true,
        }));
        assert_eq!(
            decide(&release.rule, 40, &split, &w, 72 * h).outcome,
            Outcome::Failed
        );
        // CNCF and LF AI & Data: lazy consensus, 72 hours, one binding -1 fails it.
        for p in [Preset::Cncf, Preset::LfAiData] {
            let release = preset(p).vote_rules[&VoteKind::Release];
            let w = release.window(0);
            assert_eq!(release.rule, VoteRule::LazyConsensus, "{p:?}");
            assert_eq!(
                decide(&release.rule, 11, &[], &w, 72 * h).outcome,
                Outcome::Passed
            );
            let no = [Ballot {
                voter_id: 1,
                value: BallotValue::Minus1,
                binding: true,
            }];
            assert_eq!(
                decide(&release.rule, 11, &no, &w, 72 * h).outcome,
                Outcome::Failed
            );
        }
        let cncf = preset(Preset::Cncf).vote_rules[&VoteKind::Graduate];
        let w = cncf.window(0);
        assert_eq!(
            decide(&cncf.rule, 11, &yes(8), &w, 72 * h).outcome,
            Outcome::Passed
        );
        assert_eq!(
            decide(&cncf.rule, 11, &yes(7), &w, 72 * h).outcome,
            Outcome::Pending
        );
        assert_eq!(
            decide(&cncf.rule, 11, &yes(7), &w, 14 * 24 * h).outcome,
            Outcome::Failed
        );
    }

    #[test]
    fn elections_and_graduation_per_preset() {
        let h = 3_600_000;
        let yes = |n: i64| -> Vec<Ballot> {
            (0..n)
                .map(|voter_id| Ballot {
                    voter_id,
                    value: BallotValue::Plus1,
                    binding: true,
                })
                .collect()
        };
        // Apache: the PPMC elects by consensus approval; one binding -1 is a veto.
        let apache = preset(Preset::Apache);
        for kind in [VoteKind::Committer, VoteKind::PpmcMember] {
            let c = apache.vote_rules[&kind];
            assert_eq!(c.voters, Voters::ProjectPmc, "{kind}");
            let w = c.window(0);
            assert_eq!(
                decide(&c.rule, 6, &yes(3), &w, 72 * h).outcome,
                Outcome::Passed
            );
            assert_eq!(
                decide(&c.rule, 6, &yes(2), &w, 72 * h).outcome,
                Outcome::Failed
            );
            let mut vetoed = yes(4);
            vetoed.push(Ballot {
                voter_id: 9,
                value: BallotValue::Minus1,
                binding: true,
            });
            assert_eq!(
                decide(&c.rule, 6, &vetoed, &w, 72 * h).outcome,
                Outcome::Failed
            );
        }
        assert_eq!(
            apache.graduation,
            Graduation {
                due_diligence: false,
                board: Some(Board::Board),
                resolution: true
            }
        );
        // CNCF: maintainers elect maintainers; the TOC graduates on due diligence.
        let cncf = preset(Preset::Cncf);
        assert_eq!(
            cncf.vote_rules[&VoteKind::Committer].voters,
            Voters::ProjectCommitters
        );
        assert!(!cncf.vote_rules.contains_key(&VoteKind::PpmcMember));
        assert!(cncf.graduation.due_diligence && !cncf.graduation_needs_board());
        // LF AI & Data: the governing board decides, without a resolution draft.
        let lf = preset(Preset::LfAiData);
        assert_eq!(lf.graduation.board, Some(Board::GoverningBoard));
        assert!(!lf.graduation.resolution);
        // Every decision about proposals stays with the committee.
        for p in Preset::ALL {
            assert_eq!(
                preset(p).vote_rules[&VoteKind::AcceptProposal].voters,
                Voters::Committee
            );
        }
        let blank = preset(Preset::Blank);
        assert!(!blank.graduation_needs_board() && blank.custom_votes.is_empty());
    }

    #[test]
    fn every_preset_can_graduate_and_retire_from_its_last_stage() {
        for p in Preset::ALL {
            let t = preset(p);
            let last_active = t
                .stages
                .iter()
                .rev()
                .find(|s| s.terminal.is_none())
                .map(|s| s.key.as_str());
            let terminal = |f: fn(Terminal) -> bool| {
                t.stages
                    .iter()
                    .find(|s| s.terminal.is_some_and(f))
                    .map(|s| s.key.as_str())
            };
            let (Some(from), Some(grad), Some(retire)) = (
                last_active,
                terminal(|k| k == Terminal::Graduated),
                terminal(Terminal::is_retirement),
            ) else {
                panic!("{p:?} lacks a stage");
            };
            assert_eq!(may_transition(&t, from, grad, VoteKind::Graduate), Ok(()));
            assert_eq!(may_transition(&t, from, retire, VoteKind::Retire), Ok(()));
            assert!(t.entry_stage().is_some(), "{p:?}");
            assert!(!p.as_str().is_empty());
        }
    }

    #[test]
    fn every_preset_text_is_in_chinese_too() {
        for p in Preset::ALL {
            let t = preset(p);
            let mut texts: Vec<&Text> = t.stages.iter().map(|s| &s.name).collect();
            for s in &t.proposal_sections {
                texts.extend([&s.title, &s.help, &s.group]);
            }
            texts.extend(t.checklist.iter().map(|i| &i.text));
            texts.extend(t.custom_votes.iter().map(|c| &c.name));
            for x in texts.into_iter().filter(|x| !x.is_empty()) {
                assert!(x.zh_cn.is_some(), "{p:?}: {:?} has no Chinese", x.en);
            }
            assert_eq!(t.validate(), Ok(()), "{p:?}");
        }
        let apache = preset(Preset::Apache);
        assert_eq!(apache.stages[2].name.get("zh-CN"), "已退役");
        assert_eq!(apache.stages[2].name.get("en"), "Retired");
        assert_eq!(apache.checklist[0].text.get("zh-CN"), "开源许可证");
        assert_eq!(apache.proposal_sections[0].title.get("zh-CN"), "摘要");
        assert_eq!(apache.proposal_sections[5].group.get("zh-CN"), "现状");
    }

    /// Turns every per-language text of a template's JSON into its English string, as
    /// templates were stored before texts had languages (the terms stay objects).
    fn plain(v: &mut serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::Object(m) if m.len() == 2 && m.contains_key("en") && m.contains_key("zh-CN") => {
                *v = m["en"].clone();
            }
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k != "terms" {
                        plain(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(plain),
            _ => {}
        }
    }

    #[test]
    fn a_template_with_plain_strings_still_loads() {
        let mut json = serde_json::to_value(preset(Preset::Apache)).unwrap();
        assert_eq!(json["stages"][0]["name"]["zh-CN"], "孵化中");
        plain(&mut json);
        assert_eq!(json["stages"][0]["name"], "Current");
        let t: ProgramTemplate = serde_json::from_value(json).unwrap();
        assert_eq!(t.validate(), Ok(()));
        assert_eq!(
            t.stages[0].name.get("zh-CN"),
            "Current",
            "English for everyone"
        );
        assert_eq!(
            t.term("committee", "zh-CN"),
            Some("孵化器项目管理委员会（IPMC）")
        );
        // A Chinese text too long is refused like an English one.
        let mut long = preset(Preset::Apache);
        long.stages[0].name.zh_cn = Some("长".repeat(1000));
        assert!(long.validate().is_err());
    }
}
