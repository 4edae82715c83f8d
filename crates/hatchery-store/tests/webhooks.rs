//! Conformance suite for webhooks and their delivery queue, on every store from
//! `testing::stores()`: hooks of repositories and organizations, enqueueing, claims with
//! leases (never overlapping between concurrent workers, taken again once a lease runs
//! out), recording attempts, the delivery log and redelivery.

use std::collections::HashSet;

use hatchery_core::{Name, NameKind};
use hatchery_store::testing::fixtures::{repo, user};
use hatchery_store::testing::stores;
use hatchery_store::{
    AttemptRecord, DeliveryStatus, HookOwner, NewDelivery, NewWebhook, Store, StoreError, Webhook,
    WebhookChanges, now_ms,
};

fn events(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| (*s).to_owned()).collect()
}

async fn hook(s: &Store, owner: HookOwner, url: &str) -> Webhook {
    s.create_webhook(NewWebhook {
        owner,
        url,
        content_type: "json",
        secret: "s3cret",
        events: &events(&["push", "issues"]),
        branch_filter: "",
        authorization_header: "",
        is_active: true,
    })
    .await
    .unwrap()
}

fn delivery(hook_id: i64, n: usize) -> NewDelivery {
    NewDelivery {
        hook_id,
        uuid: format!("00000000-0000-4000-8000-{hook_id:06}{n:06}"),
        event: "push".into(),
        action: String::new(),
        payload: format!("{{\"n\":{n}}}"),
    }
}

fn record(status: DeliveryStatus, next: i64) -> AttemptRecord {
    AttemptRecord {
        status,
        next_attempt_at: next,
        attempted_at: now_ms(),
        request_url: "http://127.0.0.1:9/hook".into(),
        request_headers: "{\"X-Gitea-Event\":\"push\"}".into(),
        request_body: "{}".into(),
        response_status: Some(500),
        response_headers: Some("{}".into()),
        response_body: Some("oops".into()),
        error: None,
        duration_ms: 12,
    }
}

#[tokio::test]
async fn hooks_of_repositories_and_organizations() {
    for s in stores().await {
        let l = s.label().to_owned();
        let ada = user(&s, "ada").await;
        let org = s
            .create_org(
                ada.id,
                &Name::parse(NameKind::Account, "acme").unwrap(),
                "",
                "",
            )
            .await
            .unwrap();
        let r = repo(&s, org.id, "tool").await;
        let other = repo(&s, ada.id, "other").await;

        let rh = hook(&s, HookOwner::Repo(r.id), "https://example.org/r").await;
        let oh = hook(&s, HookOwner::Org(org.id), "https://example.org/o").await;
        assert_eq!(rh.owner, HookOwner::Repo(r.id), "[{l}]");
        assert_eq!(rh.events, events(&["push", "issues"]), "[{l}]");
        assert_eq!(rh.secret, "s3cret", "[{l}]");
        assert!(rh.is_active, "[{l}]");

        // A user is not an organization; missing owners are NotFound.
        for owner in [
            HookOwner::Org(ada.id),
            HookOwner::Org(999_999),
            HookOwner::Repo(999_999),
        ] {
            let r = s
                .create_webhook(NewWebhook {
                    owner,
                    url: "https://x",
                    content_type: "json",
                    secret: "",
                    events: &events(&["push"]),
                    branch_filter: "",
                    authorization_header: "",
                    is_active: true,
                })
                .await;
            assert!(
                matches!(r, Err(StoreError::NotFound)),
                "[{l}] {owner:?}: {r:?}"
            );
        }

        // Hooks are found only through their owner.
        assert!(
            s.webhook(HookOwner::Repo(r.id), rh.id)
                .await
                .unwrap()
                .is_some(),
            "[{l}]"
        );
        assert!(
            s.webhook(HookOwner::Repo(other.id), rh.id)
                .await
                .unwrap()
                .is_none(),
            "[{l}]"
        );
        assert!(
            s.webhook(HookOwner::Org(org.id), rh.id)
                .await
                .unwrap()
                .is_none(),
            "[{l}]"
        );
        assert!(
            s.webhook(HookOwner::Org(org.id), oh.id)
                .await
                .unwrap()
                .is_some(),
            "[{l}]"
        );
        assert_eq!(
            s.webhooks_of(HookOwner::Repo(r.id)).await.unwrap(),
            vec![rh.clone()],
            "[{l}]"
        );
        assert_eq!(
            s.webhooks_of(HookOwner::Org(org.id)).await.unwrap(),
            vec![oh.clone()],
            "[{l}]"
        );

        // Events of the repository reach its hooks and its organization's.
        let ids: Vec<i64> = s
            .active_webhooks_for(Some(r.id), Some(org.id))
            .await
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect();
        assert_eq!(ids, vec![rh.id, oh.id], "[{l}]");
        assert!(
            s.active_webhooks_for(Some(other.id), None)
                .await
                .unwrap()
                .is_empty(),
            "[{l}]"
        );

        // Partial updates keep what is not named.
        let new_events = events(&["*"]);
        let edited = s
            .update_webhook(
                HookOwner::Repo(r.id),
                rh.id,
                WebhookChanges {
                    url: Some("https://example.org/r2"),
                    events: Some(&new_events),
                    is_active: Some(false),
                    ..WebhookChanges::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(edited.url, "https://example.org/r2", "[{l}]");
        assert_eq!(edited.events, new_events, "[{l}]");
        assert_eq!(edited.secret, "s3cret", "[{l}]");
        assert_eq!(edited.content_type, "json", "[{l}]");
        assert!(!edited.is_active, "[{l}]");
        let ids: Vec<i64> = s
            .active_webhooks_for(Some(r.id), Some(org.id))
            .await
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect();
        assert_eq!(ids, vec![oh.id], "[{l}] inactive hooks get nothing");
        let wrong = s
            .update_webhook(HookOwner::Repo(other.id), rh.id, WebhookChanges::default())
            .await;
        assert!(matches!(wrong, Err(StoreError::NotFound)), "[{l}]");

        // Deleting needs the owner; deleting the repository deletes its hooks.
        assert!(matches!(
            s.delete_webhook(HookOwner::Org(org.id), rh.id).await,
            Err(StoreError::NotFound)
        ));
        s.enqueue_deliveries(&[delivery(oh.id, 1)]).await.unwrap();
        s.delete_repo(r.id).await.unwrap();
        assert!(
            s.webhooks_of(HookOwner::Repo(r.id))
                .await
                .unwrap()
                .is_empty(),
            "[{l}]"
        );
        assert_eq!(
            s.deliveries_of_hook(oh.id, 0, 10).await.unwrap().1,
            1,
            "[{l}]"
        );
        s.delete_webhook(HookOwner::Org(org.id), oh.id)
            .await
            .unwrap();
        assert_eq!(
            s.deliveries_of_hook(oh.id, 0, 10).await.unwrap().1,
            0,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn queue_claims_finishes_and_logs() {
    for s in stores().await {
        let l = s.label().to_owned();
        let ada = user(&s, "ada").await;
        let r = repo(&s, ada.id, "tool").await;
        let h = hook(&s, HookOwner::Repo(r.id), "https://example.org/r").await;
        assert_eq!(s.next_delivery_due().await.unwrap(), None, "[{l}]");
        let queued = s
            .enqueue_deliveries(&[delivery(h.id, 1), delivery(h.id, 2), delivery(999_999, 3)])
            .await
            .unwrap();
        assert_eq!(queued, 2, "[{l}] a missing hook is skipped");
        let now = now_ms();
        assert!(
            s.next_delivery_due().await.unwrap().unwrap() <= now,
            "[{l}]"
        );

        let claimed = s
            .claim_due_deliveries(now, 60_000, 10, "token-a")
            .await
            .unwrap();
        assert_eq!(claimed.len(), 2, "[{l}]");
        assert_eq!(claimed[0].payload, "{\"n\":1}", "[{l}] oldest first");
        assert_eq!(claimed[0].hook.id, h.id, "[{l}]");
        assert_eq!(claimed[0].attempts, 0, "[{l}]");
        assert!(
            s.claim_due_deliveries(now, 60_000, 10, "token-b")
                .await
                .unwrap()
                .is_empty(),
            "[{l}] leased rows are not claimed twice"
        );
        // The next due time is now the lease's end.
        assert!(
            s.next_delivery_due().await.unwrap().unwrap() >= now + 60_000,
            "[{l}]"
        );

        // Only the lease holder records; a retry is pending again with a later due time.
        let first = &claimed[0];
        assert!(
            !s.finish_delivery(first.id, "token-b", &record(DeliveryStatus::Delivered, now))
                .await
                .unwrap(),
            "[{l}]"
        );
        let later = now + 10_000;
        assert!(
            s.finish_delivery(first.id, "token-a", &record(DeliveryStatus::Pending, later))
                .await
                .unwrap(),
            "[{l}]"
        );
        assert!(
            !s.finish_delivery(first.id, "token-a", &record(DeliveryStatus::Delivered, now))
                .await
                .unwrap(),
            "[{l}] the lease is released once recorded"
        );
        assert!(
            s.claim_due_deliveries(now + 1, 60_000, 10, "token-c")
                .await
                .unwrap()
                .is_empty(),
            "[{l}] not due before its retry time"
        );
        let retried = s
            .claim_due_deliveries(later, 60_000, 10, "token-d")
            .await
            .unwrap();
        assert_eq!(retried.len(), 1, "[{l}]");
        assert_eq!(retried[0].attempts, 1, "[{l}]");
        let mut ok = record(DeliveryStatus::Delivered, later);
        ok.response_status = Some(200);
        ok.response_body = Some("thanks".into());
        assert!(
            s.finish_delivery(retried[0].id, "token-d", &ok)
                .await
                .unwrap(),
            "[{l}]"
        );
        let mut failed = record(DeliveryStatus::Failed, now);
        failed.error = Some("refused".into());
        failed.response_status = None;
        assert!(
            s.finish_delivery(claimed[1].id, "token-a", &failed)
                .await
                .unwrap(),
            "[{l}]"
        );
        assert_eq!(s.next_delivery_due().await.unwrap(), None, "[{l}]");

        // The log: newest first, with totals; details per delivery.
        let (page, total) = s.deliveries_of_hook(h.id, 0, 10).await.unwrap();
        assert_eq!(total, 2, "[{l}]");
        assert_eq!(page[0].id, claimed[1].id, "[{l}]");
        assert_eq!(page[0].status, DeliveryStatus::Failed, "[{l}]");
        assert_eq!(page[0].error.as_deref(), Some("refused"), "[{l}]");
        assert_eq!(page[1].status, DeliveryStatus::Delivered, "[{l}]");
        assert_eq!(page[1].attempts, 2, "[{l}]");
        assert_eq!(page[1].response_status, Some(200), "[{l}]");
        let (second_page, _) = s.deliveries_of_hook(h.id, 1, 10).await.unwrap();
        assert_eq!(second_page.len(), 1, "[{l}]");
        let detail = s.delivery(h.id, first.id).await.unwrap().unwrap();
        assert_eq!(detail.payload, "{\"n\":1}", "[{l}]");
        assert_eq!(detail.response_body.as_deref(), Some("thanks"), "[{l}]");
        assert_eq!(
            detail.request_url.as_deref(),
            Some("http://127.0.0.1:9/hook"),
            "[{l}]"
        );
        assert!(
            detail.request_headers.unwrap().contains("X-Gitea-Event"),
            "[{l}]"
        );
        assert!(
            s.delivery(h.id + 1, first.id).await.unwrap().is_none(),
            "[{l}]"
        );
        let last = s.last_deliveries(&[h.id]).await.unwrap();
        assert_eq!(last[0].id, claimed[1].id, "[{l}]");
        // One per hook asked about; a hook without deliveries (or gone) has none.
        let last = s.last_deliveries(&[h.id + 1000, h.id]).await.unwrap();
        assert_eq!(last.len(), 1, "[{l}]");
        assert_eq!(
            (last[0].id, last[0].hook_id),
            (claimed[1].id, h.id),
            "[{l}]"
        );

        // Redelivery: a new pending row with the same payload, pointing at the original.
        let again = s
            .redeliver(h.id, first.id, "11111111-1111-4111-8111-111111111111")
            .await
            .unwrap();
        assert_eq!(again.status, DeliveryStatus::Pending, "[{l}]");
        assert_eq!(again.redelivery_of, Some(first.id), "[{l}]");
        assert_eq!(again.attempts, 0, "[{l}]");
        let claimed = s
            .claim_due_deliveries(now_ms(), 60_000, 10, "token-e")
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "[{l}]");
        assert_eq!(claimed[0].payload, "{\"n\":1}", "[{l}]");
        assert!(matches!(
            s.redeliver(h.id, 999_999, "22222222-2222-4222-8222-222222222222")
                .await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn an_expired_lease_is_claimed_again() {
    for s in stores().await {
        let l = s.label().to_owned();
        let ada = user(&s, "ada").await;
        let r = repo(&s, ada.id, "tool").await;
        let h = hook(&s, HookOwner::Repo(r.id), "https://example.org/r").await;
        s.enqueue_deliveries(&[delivery(h.id, 1)]).await.unwrap();
        let now = now_ms();
        let a = s
            .claim_due_deliveries(now, 1_000, 10, "worker-a")
            .await
            .unwrap();
        assert_eq!(a.len(), 1, "[{l}]");
        assert!(
            s.claim_due_deliveries(now + 500, 1_000, 10, "worker-b")
                .await
                .unwrap()
                .is_empty()
        );
        // Worker a died; after its lease, b takes over, and a can no longer record.
        let b = s
            .claim_due_deliveries(now + 1_001, 1_000, 10, "worker-b")
            .await
            .unwrap();
        assert_eq!(b.len(), 1, "[{l}]");
        assert_eq!(b[0].id, a[0].id, "[{l}]");
        assert!(
            !s.finish_delivery(a[0].id, "worker-a", &record(DeliveryStatus::Delivered, now))
                .await
                .unwrap(),
            "[{l}]"
        );
        assert!(
            s.finish_delivery(b[0].id, "worker-b", &record(DeliveryStatus::Delivered, now))
                .await
                .unwrap(),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_delivery() {
    for s in stores().await {
        let l = s.label().to_owned();
        let ada = user(&s, "ada").await;
        let r = repo(&s, ada.id, "tool").await;
        let h = hook(&s, HookOwner::Repo(r.id), "https://example.org/r").await;
        const N: usize = 120;
        let items: Vec<NewDelivery> = (0..N).map(|n| delivery(h.id, n)).collect();
        s.enqueue_deliveries(&items).await.unwrap();
        let now = now_ms();
        let mut tasks = Vec::new();
        for w in 0..6 {
            let store = s.store().clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                let mut round = 0;
                loop {
                    let token = format!("w{w}-{round}");
                    round += 1;
                    let got = store
                        .claim_due_deliveries(now, 600_000, 7, &token)
                        .await
                        .unwrap();
                    if got.is_empty() {
                        break;
                    }
                    mine.extend(got.into_iter().map(|d| d.id));
                }
                mine
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let distinct: HashSet<i64> = all.iter().copied().collect();
        assert_eq!(all.len(), N, "[{l}] every delivery claimed exactly once");
        assert_eq!(distinct.len(), N, "[{l}] no delivery claimed twice");
    }
}
