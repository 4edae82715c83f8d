//! Conformance suite for code review, on every store from `testing::stores()`: one pending
//! review per person, submitting once (fulfilling the review request), line comments in
//! threads, resolving, outdated marks, stale and dismissed reviews after a head move,
//! review requests for users and teams, and what deletions leave behind.

use hatchery_core::AccessLevel;
use hatchery_core::reviews::{ReviewState, Side};
use hatchery_store::testing::{fixtures, stores};
use hatchery_store::{
    Issue, NewIssue, NewPull, NewReviewComment, PullRequest, Repo, Reviewer, Store, Submission,
    User, UserIssues,
};

const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";
const C: &str = "3333333333333333333333333333333333333333";

async fn open(s: &Store, r: &Repo, author: &User) -> (Issue, PullRequest) {
    s.create_pull(NewPull {
        issue: NewIssue {
            repo_id: r.id,
            author_id: author.id,
            title: "Add a parser",
            body: "",
            ..NewIssue::default()
        },
        base_branch: "main",
        head_repo_id: r.id,
        head_branch: "feature",
        head_oid: A,
        merge_base: C,
        is_draft: false,
    })
    .await
    .unwrap()
}

fn sub(state: ReviewState, body: &'static str, commit_id: &'static str) -> Submission<'static> {
    Submission {
        state,
        body,
        commit_id,
        official: true,
    }
}

fn comment<'a>(
    review_id: i64,
    issue_id: i64,
    author: &User,
    line: i64,
    reply_to: Option<i64>,
) -> NewReviewComment<'a> {
    NewReviewComment {
        review_id,
        issue_id,
        author_id: author.id,
        path: "src/lib.rs",
        side: Side::Right,
        line,
        start_line: None,
        commit_id: A,
        base_commit_id: C,
        body: "why?",
        reply_to,
    }
}

#[tokio::test]
async fn pending_reviews_collect_comments_and_submit_once() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = fixtures::user(s, "ada").await;
        let bob = fixtures::user(s, "bob").await;
        let r = fixtures::repo(s, ada.id, "tool").await;
        let (issue, _) = open(s, &r, &ada).await;
        assert!(
            s.request_review(issue.id, Reviewer::User(bob.id), Some(ada.id), false)
                .await
                .unwrap(),
            "{l}"
        );
        assert!(
            !s.request_review(issue.id, Reviewer::User(bob.id), Some(ada.id), false)
                .await
                .unwrap(),
            "{l}: asked once"
        );

        let pending = s
            .create_review(issue.id, bob.id, sub(ReviewState::Pending, "", A))
            .await
            .unwrap();
        assert_eq!(pending.state, ReviewState::Pending, "{l}");
        assert_eq!(pending.submitted_at, None, "{l}");
        assert_eq!(pending.reviewer_id(), Some(bob.id), "{l}");
        // A second pending review is the same one.
        let again = s
            .create_review(issue.id, bob.id, sub(ReviewState::Pending, "", A))
            .await
            .unwrap();
        assert_eq!(again.id, pending.id, "{l}");
        assert_eq!(
            s.pending_review(issue.id, bob.id)
                .await
                .unwrap()
                .map(|r| r.id),
            Some(pending.id),
            "{l}"
        );

        let mut c = comment(pending.id, issue.id, &bob, 3, None);
        c.start_line = Some(1);
        c.side = Side::Left;
        let first = s.add_review_comment(c).await.unwrap();
        assert_eq!(first.review_state, ReviewState::Pending, "{l}");
        assert_eq!(
            (first.side, first.line, first.start_line),
            (Side::Left, 3, Some(1)),
            "{l}"
        );
        assert_eq!(first.base_commit_id, C, "{l}");
        assert_eq!(first.thread_id(), first.id, "{l}");
        assert_eq!(
            s.review(pending.id).await.unwrap().unwrap().comment_count,
            1,
            "{l}"
        );

        assert!(
            s.submit_review(pending.id, sub(ReviewState::Approved, "LGTM", B))
                .await
                .unwrap(),
            "{l}"
        );
        assert!(
            !s.submit_review(pending.id, sub(ReviewState::RequestChanges, "no", B))
                .await
                .unwrap(),
            "{l}: submitted once"
        );
        let done = s.review(pending.id).await.unwrap().unwrap();
        assert_eq!(done.state, ReviewState::Approved, "{l}");
        assert_eq!(done.body, "LGTM", "{l}");
        assert_eq!(done.commit_id, B, "{l}");
        assert!(done.submitted_at.is_some() && done.official, "{l}");
        assert!(
            s.pending_review(issue.id, bob.id).await.unwrap().is_none(),
            "{l}"
        );
        assert!(
            s.review_requests(issue.id).await.unwrap().is_empty(),
            "{l}: the review fulfilled the request"
        );
        let comments = s.review_comments(pending.id).await.unwrap();
        assert_eq!(comments.len(), 1, "{l}");
        assert_eq!(comments[0].review_state, ReviewState::Approved, "{l}");

        // A reply joins the thread; resolving marks its first comment.
        let direct = s
            .create_review(issue.id, ada.id, sub(ReviewState::Comment, "", A))
            .await
            .unwrap();
        assert!(direct.submitted_at.is_some(), "{l}");
        let reply = s
            .add_review_comment(comment(direct.id, issue.id, &ada, 3, Some(first.id)))
            .await
            .unwrap();
        assert_eq!(reply.thread_id(), first.id, "{l}");
        assert!(
            s.resolve_thread(first.id, Some(ada.id)).await.unwrap(),
            "{l}"
        );
        assert!(
            !s.resolve_thread(first.id, Some(ada.id)).await.unwrap(),
            "{l}"
        );
        let resolved = s.review_comment(first.id).await.unwrap().unwrap();
        assert_eq!(resolved.resolved_by.map(|p| p.id), Some(ada.id), "{l}");
        assert!(resolved.resolved_at.is_some(), "{l}");
        assert!(s.resolve_thread(first.id, None).await.unwrap(), "{l}");
        assert!(!s.resolve_thread(first.id, None).await.unwrap(), "{l}");
        assert!(
            s.review_comment(first.id)
                .await
                .unwrap()
                .unwrap()
                .resolved_at
                .is_none(),
            "{l}"
        );

        let all = s.review_comments_of_pull(issue.id).await.unwrap();
        assert_eq!(
            all.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![first.id, reply.id],
            "{l}"
        );
        s.mark_comments_outdated(&[reply.id]).await.unwrap();
        let all = s.review_comments_of_pull(issue.id).await.unwrap();
        assert_eq!(
            all.iter().map(|c| c.outdated).collect::<Vec<_>>(),
            vec![false, true],
            "{l}"
        );

        let reviews = s.reviews_of(issue.id).await.unwrap();
        assert_eq!(
            reviews.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![pending.id, direct.id],
            "{l}"
        );

        // Deleting a review deletes its comments, and the replies in its threads.
        assert!(s.delete_review(pending.id).await.unwrap(), "{l}");
        assert!(!s.delete_review(pending.id).await.unwrap(), "{l}");
        assert!(
            s.review_comments_of_pull(issue.id)
                .await
                .unwrap()
                .is_empty(),
            "{l}"
        );
    }
}

#[tokio::test]
async fn head_moves_make_reviews_stale_and_dismiss_approvals_when_asked() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = fixtures::user(s, "ada").await;
        let bob = fixtures::user(s, "bob").await;
        let cy = fixtures::user(s, "cy").await;
        let r = fixtures::repo(s, ada.id, "tool").await;
        let (issue, _) = open(s, &r, &ada).await;
        let approval = s
            .create_review(issue.id, bob.id, sub(ReviewState::Approved, "", A))
            .await
            .unwrap();
        let changes = s
            .create_review(issue.id, cy.id, sub(ReviewState::RequestChanges, "x", A))
            .await
            .unwrap();
        let pending = s
            .create_review(issue.id, ada.id, sub(ReviewState::Pending, "", A))
            .await
            .unwrap();

        // Nothing moved: nothing changes.
        assert!(
            s.reviews_after_head_move(issue.id, A, true)
                .await
                .unwrap()
                .is_empty(),
            "{l}"
        );
        assert!(!s.review(approval.id).await.unwrap().unwrap().stale, "{l}");

        assert!(
            s.reviews_after_head_move(issue.id, B, false)
                .await
                .unwrap()
                .is_empty(),
            "{l}"
        );
        let got = |id| async move { s.review(id).await.unwrap().unwrap() };
        assert!(
            got(approval.id).await.stale && !got(approval.id).await.dismissed,
            "{l}"
        );
        assert!(got(changes.id).await.stale, "{l}");
        assert!(
            !got(pending.id).await.stale,
            "{l}: pending reviews are not stale"
        );

        assert_eq!(
            s.reviews_after_head_move(issue.id, B, true).await.unwrap(),
            vec![approval.id],
            "{l}"
        );
        assert!(got(approval.id).await.dismissed, "{l}");
        assert!(
            !got(changes.id).await.dismissed,
            "{l}: only approvals are dismissed"
        );
        // Once only.
        assert!(
            s.reviews_after_head_move(issue.id, C, true)
                .await
                .unwrap()
                .is_empty(),
            "{l}"
        );

        // Dismissing by hand: submitted reviews, once.
        assert!(
            s.dismiss_review(changes.id, Some(ada.id), "outdated")
                .await
                .unwrap(),
            "{l}"
        );
        assert!(
            !s.dismiss_review(changes.id, Some(ada.id), "again")
                .await
                .unwrap(),
            "{l}"
        );
        assert!(
            !s.dismiss_review(pending.id, Some(ada.id), "")
                .await
                .unwrap(),
            "{l}"
        );
        assert_eq!(got(changes.id).await.dismiss_message, "outdated", "{l}");
    }
}

#[tokio::test]
async fn review_requests_name_users_and_teams_and_follow_deletions() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = fixtures::user(s, "ada").await;
        let bob = fixtures::user(s, "bob").await;
        let org = fixtures::org(s, &ada, "acme").await;
        let team = fixtures::team(s, org.id, "web", AccessLevel::Read).await;
        let r = fixtures::repo(s, org.id, "tool").await;
        let (issue, _) = open(s, &r, &ada).await;
        assert!(
            s.request_review(issue.id, Reviewer::Team(team.id), None, true)
                .await
                .unwrap(),
            "{l}"
        );
        assert!(
            !s.request_review(issue.id, Reviewer::Team(team.id), None, false)
                .await
                .unwrap(),
            "{l}"
        );
        assert!(
            s.request_review(issue.id, Reviewer::User(bob.id), Some(ada.id), false)
                .await
                .unwrap(),
            "{l}"
        );
        let reqs = s.review_requests(issue.id).await.unwrap();
        assert_eq!(reqs.len(), 2, "{l}");
        assert_eq!(reqs[0].team, Some((team.id, "web".to_owned())), "{l}");
        assert!(reqs[0].user.is_none() && reqs[0].from_codeowners, "{l}");
        assert_eq!(reqs[1].user.as_ref().map(|p| p.id), Some(bob.id), "{l}");
        assert_eq!(reqs[1].requested_by, Some(ada.id), "{l}");

        assert!(
            s.remove_review_request(issue.id, Reviewer::Team(team.id))
                .await
                .unwrap(),
            "{l}"
        );
        assert!(
            !s.remove_review_request(issue.id, Reviewer::Team(team.id))
                .await
                .unwrap(),
            "{l}"
        );
        // A deleted team takes its requests with it.
        s.request_review(issue.id, Reviewer::Team(team.id), None, false)
            .await
            .unwrap();
        s.delete_team(team.id).await.unwrap();
        let reqs = s.review_requests(issue.id).await.unwrap();
        assert_eq!(reqs.len(), 1, "{l}");
        assert_eq!(reqs[0].user.as_ref().map(|p| p.id), Some(bob.id), "{l}");
    }
}

#[tokio::test]
async fn review_requests_list_the_requests_of_a_person_and_their_teams() {
    use hatchery_core::issues::StateFilter;
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = fixtures::user(s, "ada").await;
        let bob = fixtures::user(s, "bob").await;
        let cy = fixtures::user(s, "cy").await;
        let org = fixtures::org(s, &ada, "acme").await;
        let team = fixtures::team(s, org.id, "web", AccessLevel::Read).await;
        s.add_team_member(team.id, cy.id).await.unwrap();
        let r = fixtures::repo(s, org.id, "tool").await;
        let other = fixtures::repo(s, org.id, "other").await;
        let (first, _) = open(s, &r, &ada).await;
        let (second, _) = open(s, &other, &ada).await;
        s.request_review(first.id, Reviewer::User(bob.id), Some(ada.id), false)
            .await
            .unwrap();
        s.request_review(second.id, Reviewer::Team(team.id), None, true)
            .await
            .unwrap();
        let of = |u: i64| {
            let s = Store::clone(s);
            async move {
                s.issues_of_user(u, UserIssues::ReviewRequested, StateFilter::Open, 50)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|i| i.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(of(bob.id).await, [first.id], "{l}: in person");
        assert_eq!(of(cy.id).await, [second.id], "{l}: through a team");
        assert!(
            of(ada.id).await.is_empty(),
            "{l}: the author was asked nothing"
        );
        // A request ends when it is removed.
        s.remove_review_request(first.id, Reviewer::User(bob.id))
            .await
            .unwrap();
        assert!(of(bob.id).await.is_empty(), "{l}");
    }
}

#[tokio::test]
async fn pull_lists_filter_by_review_state() {
    use hatchery_core::issues::{IssueSort, StateFilter};
    use hatchery_core::pulls::{KindFilter, ReviewFilter};
    use hatchery_store::IssueQuery;
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = fixtures::user(s, "ada").await;
        let bob = fixtures::user(s, "bob").await;
        let cy = fixtures::user(s, "cy").await;
        let r = fixtures::repo(s, ada.id, "tool").await;
        let mut pulls = Vec::new();
        for n in 0..8 {
            let (issue, _) = s
                .create_pull(NewPull {
                    issue: NewIssue {
                        repo_id: r.id,
                        author_id: ada.id,
                        title: "Change",
                        body: "",
                        ..NewIssue::default()
                    },
                    base_branch: "main",
                    head_repo_id: r.id,
                    head_branch: &format!("topic-{n}"),
                    head_oid: A,
                    merge_base: C,
                    is_draft: false,
                })
                .await
                .unwrap();
            pulls.push(issue);
        }
        let review = |issue: &Issue, who: &User, state| {
            let (s, issue_id, who) = (Store::clone(s), issue.id, who.id);
            async move {
                s.create_review(issue_id, who, sub(state, "", A))
                    .await
                    .unwrap()
            }
        };
        // #1: nothing. #2: bob asked, nothing submitted.
        s.request_review(pulls[1].id, Reviewer::User(bob.id), Some(ada.id), false)
            .await
            .unwrap();
        // #3: approved by bob.
        review(&pulls[2], &bob, ReviewState::Approved).await;
        // #4: approved by bob, changes asked by cy.
        review(&pulls[3], &bob, ReviewState::Approved).await;
        review(&pulls[3], &cy, ReviewState::RequestChanges).await;
        // #5: bob asked for changes, then approved; a later comment keeps the approval.
        review(&pulls[4], &bob, ReviewState::RequestChanges).await;
        review(&pulls[4], &bob, ReviewState::Approved).await;
        review(&pulls[4], &bob, ReviewState::Comment).await;
        // #6: bob's approval dismissed, cy asked since.
        let dismissed = review(&pulls[5], &bob, ReviewState::Approved).await;
        assert!(
            s.dismiss_review(dismissed.id, Some(ada.id), "stale")
                .await
                .unwrap()
        );
        s.request_review(pulls[5].id, Reviewer::User(cy.id), Some(ada.id), false)
            .await
            .unwrap();
        // #7: a comment review only. #8: a pending review only.
        review(&pulls[6], &bob, ReviewState::Comment).await;
        review(&pulls[7], &bob, ReviewState::Pending).await;

        let numbers = |review: ReviewFilter| {
            let s = Store::clone(s);
            let q = IssueQuery {
                kind: KindFilter::Pulls,
                review,
                state: StateFilter::All,
                sort: IssueSort::Oldest,
                page: 1,
                per_page: 50,
                ..IssueQuery::default()
            };
            async move {
                let page = s.list_issues(r.id, &q).await.unwrap();
                assert_eq!(page.total, s.count_issues(r.id, &q).await.unwrap());
                page.issues.iter().map(|i| i.number).collect::<Vec<_>>()
            }
        };
        assert_eq!(
            numbers(ReviewFilter::Any).await,
            [1, 2, 3, 4, 5, 6, 7, 8],
            "{l}"
        );
        assert_eq!(numbers(ReviewFilter::None).await, [1, 2, 8], "{l}: none");
        assert_eq!(
            numbers(ReviewFilter::Required).await,
            [2, 6],
            "{l}: required"
        );
        assert_eq!(
            numbers(ReviewFilter::Approved).await,
            [3, 5],
            "{l}: approved"
        );
        assert_eq!(
            numbers(ReviewFilter::ChangesRequested).await,
            [4],
            "{l}: changes requested"
        );
    }
}
