//! Conformance suite for commit statuses and protected-branch rules, on every store from
//! `testing::stores()`: status history and the latest per context, rules with their
//! allowlists, renames and name conflicts, and cascades when users, teams or repositories
//! go away.

use hatchery_core::protection::{Allowlist, BranchRule};
use hatchery_core::statuses::{CommitState, NewStatus};
use hatchery_core::{AccessLevel, Name, NameKind};
use hatchery_store::StoreError;
use hatchery_store::testing::fixtures::{repo, user};
use hatchery_store::testing::stores;

fn status(state: &str, context: &str) -> NewStatus {
    NewStatus::parse(state, context, "desc", "https://ci.example/1").unwrap()
}

const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";

#[tokio::test]
async fn statuses_keep_history_and_the_latest_per_context_counts() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let r = repo(s, ada.id, "tool").await;
        let other = repo(s, ada.id, "other").await;

        let first = s
            .add_commit_status(r.id, A, &status("pending", "ci/build"), ada.id)
            .await
            .unwrap();
        assert_eq!(first.state, CommitState::Pending, "[{l}]");
        assert_eq!(first.creator.as_ref().unwrap().name, "ada", "[{l}]");
        assert_eq!(first.target_url, "https://ci.example/1");
        s.add_commit_status(r.id, A, &status("success", "ci/build"), ada.id)
            .await
            .unwrap();
        s.add_commit_status(r.id, A, &status("failure", "lint"), ada.id)
            .await
            .unwrap();
        s.add_commit_status(r.id, B, &status("success", "ci/build"), ada.id)
            .await
            .unwrap();
        // Another repository's statuses for the same id stay apart.
        s.add_commit_status(other.id, A, &status("error", "ci/build"), ada.id)
            .await
            .unwrap();

        let (history, total) = s.commit_status_history(r.id, A, 10, 0).await.unwrap();
        assert_eq!(total, 3, "[{l}]");
        let states: Vec<_> = history.iter().map(|h| h.state).collect();
        assert_eq!(
            states,
            vec![
                CommitState::Failure,
                CommitState::Success,
                CommitState::Pending
            ],
            "[{l}] newest first"
        );
        let (page2, _) = s.commit_status_history(r.id, A, 2, 2).await.unwrap();
        assert_eq!(page2.len(), 1, "[{l}]");
        assert_eq!(page2[0].id, first.id, "[{l}]");

        let latest = s
            .latest_commit_statuses(r.id, &[A.to_owned(), B.to_owned(), "3".repeat(40)])
            .await
            .unwrap();
        assert_eq!(latest.len(), 2, "[{l}] commits without statuses are absent");
        let a: Vec<_> = latest[A]
            .iter()
            .map(|s| (s.context.as_str(), s.state))
            .collect();
        assert_eq!(
            a,
            vec![
                ("ci/build", CommitState::Success),
                ("lint", CommitState::Failure)
            ],
            "[{l}]"
        );
        assert_eq!(latest[B].len(), 1, "[{l}]");
        assert!(
            s.latest_commit_statuses(r.id, &[])
                .await
                .unwrap()
                .is_empty(),
            "[{l}]"
        );

        // Deleting the repository removes its statuses.
        s.delete_repo(r.id).await.unwrap();
        let (gone, total) = s.commit_status_history(r.id, A, 10, 0).await.unwrap();
        assert!(gone.is_empty() && total == 0, "[{l}]");
    }
}

#[tokio::test]
async fn rules_are_stored_with_their_allowlists() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let bob = user(s, "bob").await;
        let cy = user(s, "cy").await;
        let org = s
            .create_org(
                ada.id,
                &Name::parse(NameKind::Account, "acme").unwrap(),
                "",
                "",
            )
            .await
            .unwrap();
        let devs = s
            .create_team(
                org.id,
                &Name::parse(NameKind::Team, "devs").unwrap(),
                "",
                AccessLevel::Write,
            )
            .await
            .unwrap();
        s.add_team_member(devs.id, bob.id).await.unwrap();
        assert_eq!(
            s.user_team_ids(org.id, bob.id).await.unwrap(),
            vec![devs.id],
            "[{l}]"
        );
        assert!(s.user_team_ids(org.id, cy.id).await.unwrap().is_empty());
        let r = repo(s, org.id, "tool").await;
        assert!(s.protection_rules(r.id).await.unwrap().is_empty(), "[{l}]");

        let rule = BranchRule {
            enable_push: true,
            push_allowlist: Allowlist {
                enabled: true,
                user_ids: vec![bob.id, cy.id],
                team_ids: vec![devs.id],
            },
            enable_force_push: true,
            force_push_allowlist: Allowlist {
                enabled: true,
                user_ids: vec![cy.id],
                team_ids: vec![],
            },
            merge_allowlist: Allowlist {
                enabled: false,
                user_ids: vec![],
                team_ids: vec![devs.id],
            },
            enable_status_check: true,
            status_check_contexts: vec!["ci/build".into(), "ci/test-*".into()],
            required_approvals: 2,
            block_on_rejected_reviews: true,
            dismiss_stale_approvals: true,
            admins_bypass: true,
            require_signoff: true,
            require_linear_history: true,
            enable_deletion: true,
            ..BranchRule::new("main")
        };
        let saved = s.create_protection_rule(r.id, &rule).await.unwrap();
        assert_eq!(saved.rule, rule, "[{l}]");
        assert_eq!(saved.names.push_users, vec!["bob", "cy"], "[{l}]");
        assert_eq!(saved.names.push_teams, vec!["devs"], "[{l}]");
        assert_eq!(saved.names.force_push_users, vec!["cy"], "[{l}]");
        assert_eq!(saved.names.merge_teams, vec!["devs"], "[{l}]");
        assert!(saved.names.merge_users.is_empty(), "[{l}]");

        let glob = s
            .create_protection_rule(r.id, &BranchRule::new("release/*"))
            .await
            .unwrap();
        assert_eq!(glob.rule, BranchRule::new("release/*"), "[{l}]");
        let names: Vec<_> = s
            .protection_rules(r.id)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.rule.rule_name)
            .collect();
        assert_eq!(names, vec!["main", "release/*"], "[{l}] oldest first");

        // Names are unique per repository, exactly (branch names are case-sensitive).
        assert!(
            matches!(
                s.create_protection_rule(r.id, &BranchRule::new("main"))
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "[{l}]"
        );
        s.create_protection_rule(r.id, &BranchRule::new("Main"))
            .await
            .unwrap();
        let elsewhere = repo(s, ada.id, "lib").await;
        s.create_protection_rule(elsewhere.id, &BranchRule::new("main"))
            .await
            .unwrap();

        // An update replaces everything, the allowlists included, and may rename.
        let renamed = BranchRule::new("trunk");
        let updated = s
            .update_protection_rule(r.id, saved.id, &renamed)
            .await
            .unwrap();
        assert_eq!(updated.rule, renamed, "[{l}]");
        assert!(updated.names.push_users.is_empty(), "[{l}]");
        assert!(s.protection_rule(r.id, "main").await.unwrap().is_none());
        assert!(
            matches!(
                s.update_protection_rule(r.id, saved.id, &BranchRule::new("release/*"))
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "[{l}]"
        );
        assert!(
            matches!(
                s.update_protection_rule(elsewhere.id, saved.id, &renamed)
                    .await,
                Err(StoreError::NotFound)
            ),
            "[{l}] another repository's rule id"
        );

        // A deleted team leaves the lists; a missing user is refused.
        let with_team = BranchRule {
            push_allowlist: Allowlist {
                enabled: true,
                user_ids: vec![cy.id],
                team_ids: vec![devs.id],
            },
            ..BranchRule::new("dev")
        };
        s.create_protection_rule(r.id, &with_team).await.unwrap();
        s.delete_team(devs.id).await.unwrap();
        let dev = s.protection_rule(r.id, "dev").await.unwrap().unwrap();
        assert!(dev.rule.push_allowlist.enabled, "[{l}]");
        assert_eq!(dev.rule.push_allowlist.user_ids, vec![cy.id], "[{l}]");
        assert!(dev.rule.push_allowlist.team_ids.is_empty(), "[{l}]");
        let ghost = BranchRule {
            push_allowlist: Allowlist {
                enabled: true,
                user_ids: vec![cy.id + 1000],
                team_ids: vec![],
            },
            ..BranchRule::new("ghost")
        };
        assert!(
            matches!(
                s.create_protection_rule(r.id, &ghost).await,
                Err(StoreError::NotFound)
            ),
            "[{l}]"
        );
        assert!(s.protection_rule(r.id, "ghost").await.unwrap().is_none());

        assert!(s.delete_protection_rule(r.id, "dev").await.unwrap());
        assert!(!s.delete_protection_rule(r.id, "dev").await.unwrap());
        assert!(!s.delete_protection_rule(r.id, "main").await.unwrap());
        s.delete_repo(r.id).await.unwrap();
        assert!(s.protection_rules(r.id).await.unwrap().is_empty(), "[{l}]");
    }
}
