use super::*;
use CommitState::*;

fn writer(id: i64) -> ActorFacts {
    ActorFacts {
        user_id: Some(id),
        team_ids: vec![],
        can_write: true,
        is_admin: false,
    }
}

fn admin(id: i64) -> ActorFacts {
    ActorFacts {
        is_admin: true,
        ..writer(id)
    }
}

fn commit(id: &str, message: &str, parents: usize) -> CommitFacts {
    CommitFacts {
        id: id.to_owned(),
        message: message.to_owned(),
        author_name: "Ada Lovelace".to_owned(),
        author_email: "ada@example.org".to_owned(),
        parent_count: parents,
    }
}

const SIGNED: &str = "Fix it\n\nSigned-off-by: Ada Lovelace <ada@example.org>\n";

fn push<'a>(actor: &'a ActorFacts, change: RefChange, commits: &'a [CommitFacts]) -> PushFacts<'a> {
    PushFacts {
        actor,
        change,
        commits,
    }
}

#[test]
fn globs_match_within_and_across_segments() {
    #[rustfmt::skip]
    let table: &[(&str, &str, bool)] = &[
        ("main",        "main",            true),
        ("main",        "main2",           false),
        ("main",        "Main",            false),
        ("release/*",   "release/1.0",     true),
        ("release/*",   "release/1/hot",   false),
        ("release/*",   "release/",        true),
        ("release/**",  "release/1/hot",   true),
        ("**",          "any/thing/at/all", true),
        ("*",           "main",            true),
        ("*",           "feature/x",       false),
        ("v?.x",        "v1.x",            true),
        ("v?.x",        "v10.x",           false),
        ("a?b",         "a/b",             false),
        ("*-stable",    "6.1-stable",      true),
        ("*-stable",    "6.1-stable-rc",   false),
        ("fix/*/done",  "fix/42/done",     true),
        ("fix/*/done",  "fix/4/2/done",    false),
        ("fix/**/done", "fix/4/2/done",    true),
        ("维护/*",      "维护/一",         true),
    ];
    for (pattern, branch, want) in table {
        assert_eq!(
            rule_matches(pattern, branch),
            *want,
            "{pattern} vs {branch}"
        );
    }
}

#[test]
fn most_specific_rule_wins() {
    let rules = vec![
        BranchRule::new("**"),
        BranchRule::new("release/*"),
        BranchRule::new("release/1.*"),
        BranchRule::new("release/1.0"),
        BranchRule::new("*"),
    ];
    let name = |b: &str| rule_for(&rules, b).map(|r| r.rule_name.as_str());
    assert_eq!(name("release/1.0"), Some("release/1.0"));
    assert_eq!(name("release/1.1"), Some("release/1.*"));
    assert_eq!(name("release/2.0"), Some("release/*"));
    assert_eq!(
        name("main"),
        Some("*"),
        "a segment glob is more specific than **"
    );
    assert_eq!(name("feature/a/b"), Some("**"));
    assert_eq!(rule_for(&rules[1..4], "main"), None);
    // Equal specificity: the earlier rule.
    let tie = vec![BranchRule::new("a*"), BranchRule::new("*a")];
    assert_eq!(
        rule_for(&tie, "aa").map(|r| r.rule_name.as_str()),
        Some("a*")
    );
    assert_eq!(rule_for(&[], "main"), None);
}

#[test]
fn rule_validation() {
    for bad in [
        "",
        "  ",
        "a b",
        "-x",
        "/x",
        "x/",
        "a//b",
        "a..b",
        ".hidden",
        "x.",
        "a\tb",
        "a:b",
        "a~b",
        "a^b",
        "a\\b",
        "a[b]",
        "a@{1}",
        "refs/heads/main",
    ] {
        assert_eq!(
            validate_rule(BranchRule::new(bad)).err(),
            Some(RuleError::RuleName),
            "{bad:?}"
        );
    }
    assert_eq!(
        validate_rule(BranchRule::new(&"a".repeat(256))).err(),
        Some(RuleError::RuleName)
    );
    let ok = validate_rule(BranchRule::new(" release/** ")).unwrap();
    assert_eq!(ok.rule_name, "release/**");

    let mut r = BranchRule::new("main");
    r.status_check_contexts = vec![
        " ci/build ".into(),
        "".into(),
        "ci/build".into(),
        "lint".into(),
    ];
    r.push_allowlist.user_ids = vec![3, 1, 3];
    r.merge_allowlist.team_ids = vec![9, 9];
    let r = validate_rule(r).unwrap();
    assert_eq!(r.status_check_contexts, vec!["ci/build", "lint"]);
    assert_eq!(r.push_allowlist.user_ids, vec![1, 3]);
    assert_eq!(r.merge_allowlist.team_ids, vec![9]);

    let mut r = BranchRule::new("main");
    r.status_check_contexts = vec!["a\nb".into()];
    assert_eq!(validate_rule(r).err(), Some(RuleError::Context));
    let mut r = BranchRule::new("main");
    r.status_check_contexts = (0..65).map(|i| format!("c{i}")).collect();
    assert_eq!(validate_rule(r).err(), Some(RuleError::TooManyContexts));
    let mut r = BranchRule::new("main");
    r.required_approvals = 101;
    assert_eq!(validate_rule(r).err(), Some(RuleError::Approvals));
    assert_eq!(RuleError::Approvals.key(), "protection.bad_approvals");
}

#[test]
fn push_table() {
    let open = BranchRule::new("main");
    let closed = BranchRule {
        enable_push: false,
        ..open.clone()
    };
    let listed = BranchRule {
        push_allowlist: Allowlist {
            enabled: true,
            user_ids: vec![1],
            team_ids: vec![7],
        },
        ..open.clone()
    };
    let force = BranchRule {
        enable_force_push: true,
        ..open.clone()
    };
    let force_listed = BranchRule {
        enable_force_push: true,
        force_push_allowlist: Allowlist {
            enabled: true,
            user_ids: vec![1],
            team_ids: vec![],
        },
        ..open.clone()
    };
    let deletable = BranchRule {
        enable_deletion: true,
        ..open.clone()
    };
    let deletable_closed = BranchRule {
        enable_push: false,
        ..deletable.clone()
    };
    let bypass = BranchRule {
        admins_bypass: true,
        ..closed.clone()
    };
    let one = writer(1);
    let two = writer(2);
    let team7 = ActorFacts {
        team_ids: vec![5, 7],
        ..writer(3)
    };
    let boss = admin(4);
    use RefChange::*;
    #[rustfmt::skip]
    let table: Vec<(&BranchRule, &ActorFacts, RefChange, Result<(), Refusal>)> = vec![
        (&open,         &two,   FastForward, Ok(())),
        (&open,         &two,   Create,      Ok(())),
        (&open,         &two,   Rewrite,     Err(Refusal::ForcePush)),
        (&open,         &two,   Delete,      Err(Refusal::Deletion)),
        (&open,         &boss,  Delete,      Err(Refusal::Deletion)),
        (&closed,       &one,   FastForward, Err(Refusal::PushDisabled)),
        (&closed,       &boss,  FastForward, Err(Refusal::PushDisabled)),
        (&closed,       &one,   Delete,      Err(Refusal::Deletion)),
        (&listed,       &one,   FastForward, Ok(())),
        (&listed,       &two,   FastForward, Err(Refusal::NotInPushAllowlist)),
        (&listed,       &team7, FastForward, Ok(())),
        (&listed,       &two,   Rewrite,     Err(Refusal::NotInPushAllowlist)),
        (&force,        &two,   Rewrite,     Ok(())),
        (&force_listed, &one,   Rewrite,     Ok(())),
        (&force_listed, &two,   Rewrite,     Err(Refusal::ForcePush)),
        (&force_listed, &two,   FastForward, Ok(())),
        (&deletable,    &two,   Delete,      Ok(())),
        (&deletable_closed, &two, Delete,    Err(Refusal::Deletion)),
        (&bypass,       &boss,  Rewrite,     Ok(())),
        (&bypass,       &boss,  Delete,      Ok(())),
        (&bypass,       &one,   FastForward, Err(Refusal::PushDisabled)),
    ];
    for (i, (rule, actor, change, want)) in table.into_iter().enumerate() {
        assert_eq!(check_push(rule, &push(actor, change, &[])), want, "row {i}");
    }
    let anon = ActorFacts::default();
    assert_eq!(
        check_push(&listed, &push(&anon, FastForward, &[])),
        Err(Refusal::NotInPushAllowlist)
    );
}

#[test]
fn signoff_must_name_the_author() {
    let with = |message: &str| commit("c1", message, 1);
    assert!(signed_off_by_author(&with(SIGNED)));
    assert!(signed_off_by_author(&with(
        "x\n\nSigned-off-by: ada lovelace <ADA@example.org>"
    )));
    assert!(signed_off_by_author(&with(
        "x\n\nSigned-off-by: Someone Else <s@e.org>\nSigned-off-by: Ada Lovelace <ada@example.org>"
    )));
    for bad in [
        "Fix it",
        "Fix it\n\nSigned-off-by: Someone Else <s@e.org>",
        "Fix it\n\nSigned-off-by: Ada Lovelace <other@example.org>",
        "Fix it\n\nSigned-off-by: Ada Lovelace",
        "Fix it\n\nSigned-off-by: <ada@example.org>",
        "Fix it\n\nSigned-off-by: Ada Lovelace <>",
        "Fix it\n\nsigned-off-by Ada Lovelace <ada@example.org>",
        "Fix it\n\nReviewed-by: Ada Lovelace <ada@example.org>",
    ] {
        assert!(!signed_off_by_author(&with(bad)), "{bad:?}");
    }
}

#[test]
fn commit_rules_on_push() {
    let dco = BranchRule {
        require_signoff: true,
        ..BranchRule::new("main")
    };
    let linear = BranchRule {
        require_linear_history: true,
        ..BranchRule::new("main")
    };
    assert!(dco.needs_commits() && linear.needs_commits());
    assert!(!BranchRule::new("main").needs_commits());
    let w = writer(1);
    let good = [commit("a", SIGNED, 1), commit("b", SIGNED, 1)];
    let unsigned = [commit("a", SIGNED, 1), commit("b", "no trailer", 1)];
    let merge = [commit("m", SIGNED, 2), commit("a", SIGNED, 1)];
    assert_eq!(
        check_push(&dco, &push(&w, RefChange::FastForward, &good)),
        Ok(())
    );
    assert_eq!(
        check_push(&dco, &push(&w, RefChange::Create, &unsigned)),
        Err(Refusal::MissingSignoff { commit: "b".into() })
    );
    assert_eq!(
        check_push(&dco, &push(&w, RefChange::FastForward, &merge)),
        Ok(())
    );
    assert_eq!(
        check_push(&linear, &push(&w, RefChange::FastForward, &merge)),
        Err(Refusal::MergeCommit { commit: "m".into() })
    );
    assert_eq!(
        check_push(&linear, &push(&w, RefChange::FastForward, &unsigned)),
        Ok(())
    );
    let e = Refusal::MergeCommit { commit: "m".into() };
    assert_eq!(e.commit(), Some("m"));
    assert_eq!(e.key(), "protection.refused_merge_commit");
    assert_eq!(Refusal::Deletion.commit(), None);
    // A bypassing administrator skips the commit rules too.
    let dco_bypass = BranchRule {
        admins_bypass: true,
        ..dco
    };
    assert_eq!(
        check_push(
            &dco_bypass,
            &push(&admin(2), RefChange::FastForward, &unsigned)
        ),
        Ok(())
    );
    assert!(check_push(&dco_bypass, &push(&w, RefChange::FastForward, &unsigned)).is_err());
}

fn review(reviewer: i64, commit: &str, can_write: bool) -> ReviewFact {
    ReviewFact {
        reviewer_id: reviewer,
        commit_id: commit.to_owned(),
        reviewer_can_write: can_write,
    }
}

fn status(context: &str, state: CommitState) -> StatusFact {
    StatusFact {
        context: context.to_owned(),
        state,
    }
}

fn merge<'a>(actor: &'a ActorFacts) -> MergeFacts<'a> {
    MergeFacts {
        actor,
        head_id: "head",
        approvals: &[],
        rejections: &[],
        statuses: &[],
        commits: &[],
        creates_merge_commit: false,
    }
}

#[test]
fn merge_with_nothing_required_needs_write_access() {
    let rule = BranchRule::new("main");
    assert_eq!(check_merge(&rule, &merge(&writer(1))), vec![]);
    let reader = ActorFacts {
        can_write: false,
        ..writer(1)
    };
    assert_eq!(
        check_merge(&rule, &merge(&reader)),
        vec![Unmet::NotAllowedToMerge]
    );
    let listed = BranchRule {
        merge_allowlist: Allowlist {
            enabled: true,
            user_ids: vec![1],
            team_ids: vec![8],
        },
        ..rule
    };
    assert_eq!(check_merge(&listed, &merge(&writer(1))), vec![]);
    assert_eq!(
        check_merge(&listed, &merge(&writer(2))),
        vec![Unmet::NotAllowedToMerge]
    );
    let team = ActorFacts {
        team_ids: vec![8],
        ..writer(3)
    };
    assert_eq!(check_merge(&listed, &merge(&team)), vec![]);
}

#[test]
fn approvals_count_writers_once_and_fresh_ones_when_stale_are_dismissed() {
    let rule = BranchRule {
        required_approvals: 2,
        ..BranchRule::new("main")
    };
    let w = writer(1);
    let approvals = [
        review(10, "head", true),
        review(10, "head", true),
        review(11, "head", false),
        review(12, "old", true),
    ];
    let facts = MergeFacts {
        approvals: &approvals,
        ..merge(&w)
    };
    // 10 (once) and 12 (stale, but staleness is not dismissed); 11 cannot write.
    assert_eq!(check_merge(&rule, &facts), vec![]);
    let dismiss = BranchRule {
        dismiss_stale_approvals: true,
        ..rule.clone()
    };
    assert_eq!(
        check_merge(&dismiss, &facts),
        vec![Unmet::Approvals {
            required: 2,
            have: 1
        }]
    );
    assert_eq!(
        check_merge(&rule, &merge(&w)),
        vec![Unmet::Approvals {
            required: 2,
            have: 0
        }]
    );
    assert_eq!(
        Unmet::Approvals {
            required: 2,
            have: 0
        }
        .key(),
        "protection.unmet_approvals"
    );
}

#[test]
fn rejections_block_only_when_asked_and_only_from_writers() {
    let w = writer(1);
    let from_writer = [review(10, "head", true)];
    let from_reader = [review(11, "head", false)];
    let rule = BranchRule::new("main");
    let blocking = BranchRule {
        block_on_rejected_reviews: true,
        ..rule.clone()
    };
    let facts = |r| MergeFacts {
        rejections: r,
        ..merge(&w)
    };
    assert_eq!(check_merge(&rule, &facts(&from_writer)), vec![]);
    assert_eq!(
        check_merge(&blocking, &facts(&from_writer)),
        vec![Unmet::RejectedReviews]
    );
    assert_eq!(check_merge(&blocking, &facts(&from_reader)), vec![]);
}

#[test]
fn required_status_checks() {
    let w = writer(1);
    let rule = BranchRule {
        enable_status_check: true,
        status_check_contexts: vec!["ci/build".into(), "ci/test-*".into(), "lint".into()],
        ..BranchRule::new("main")
    };
    let statuses = [
        status("ci/build", Success),
        status("ci/test-linux", Success),
        status("ci/test-mac", Pending),
        status("other", Failure),
    ];
    let facts = MergeFacts {
        statuses: &statuses,
        ..merge(&w)
    };
    assert_eq!(
        check_merge(&rule, &facts),
        vec![
            Unmet::StatusCheck {
                context: "ci/test-*".into(),
                state: Some(Pending)
            },
            Unmet::StatusCheck {
                context: "lint".into(),
                state: None
            },
        ]
    );
    let all_green = [
        status("ci/build", Success),
        status("ci/test-linux", Success),
        status("lint", Success),
        status("other", Failure),
    ];
    let green = MergeFacts {
        statuses: &all_green,
        ..merge(&w)
    };
    assert_eq!(
        check_merge(&rule, &green),
        vec![],
        "unlisted contexts do not count"
    );
    // Warning is not success.
    let warned = [
        status("ci/build", Warning),
        status("ci/test-a", Success),
        status("lint", Success),
    ];
    assert_eq!(
        check_merge(
            &rule,
            &MergeFacts {
                statuses: &warned,
                ..merge(&w)
            }
        ),
        vec![Unmet::StatusCheck {
            context: "ci/build".into(),
            state: Some(Warning)
        }]
    );
    // Off: nothing checked.
    let off = BranchRule {
        enable_status_check: false,
        ..rule.clone()
    };
    assert_eq!(check_merge(&off, &facts), vec![]);
    // On without contexts: every reported context must be green.
    let any = BranchRule {
        status_check_contexts: vec![],
        ..rule
    };
    assert_eq!(
        check_merge(&any, &facts),
        vec![
            Unmet::StatusCheck {
                context: "ci/test-mac".into(),
                state: Some(Pending)
            },
            Unmet::StatusCheck {
                context: "other".into(),
                state: Some(Failure)
            },
        ]
    );
    assert_eq!(check_merge(&any, &merge(&w)), vec![]);
}

#[test]
fn merge_commit_rules_and_admin_bypass() {
    let w = writer(1);
    let rule = BranchRule {
        require_linear_history: true,
        require_signoff: true,
        required_approvals: 1,
        ..BranchRule::new("main")
    };
    let commits = [commit("a", "unsigned", 1)];
    let facts = MergeFacts {
        commits: &commits,
        creates_merge_commit: true,
        ..merge(&w)
    };
    assert_eq!(
        check_merge(&rule, &facts),
        vec![
            Unmet::Approvals {
                required: 1,
                have: 0
            },
            Unmet::MergeCommit { commit: None },
            Unmet::MissingSignoff { commit: "a".into() },
        ]
    );
    let merges = [commit("m", SIGNED, 2)];
    assert_eq!(
        check_merge(
            &rule,
            &MergeFacts {
                commits: &merges,
                approvals: &[review(5, "head", true)],
                ..merge(&w)
            }
        ),
        vec![Unmet::MergeCommit {
            commit: Some("m".into())
        }]
    );
    // Administrators: held to the rule unless it lets them bypass.
    let boss = admin(2);
    assert_eq!(
        check_merge(
            &rule,
            &MergeFacts {
                actor: &boss,
                ..facts
            }
        )
        .len(),
        3
    );
    let bypass = BranchRule {
        admins_bypass: true,
        ..rule
    };
    assert_eq!(
        check_merge(
            &bypass,
            &MergeFacts {
                actor: &boss,
                ..facts
            }
        ),
        vec![]
    );
    assert_eq!(check_merge(&bypass, &facts).len(), 3);
}
