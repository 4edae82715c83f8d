//! Conformance suite for releases and their assets on every store from
//! `testing::stores()`: tags unique per repository, drafts, "latest", listing filters and
//! paging, asset names unique per release, download counts, and cascades.

use hatchery_store::testing::fixtures::{repo, user};
use hatchery_store::testing::stores;
use hatchery_store::{ConflictField, NewAsset, ReleaseFields, ReleaseFilter, StoreError};

fn fields(tag: &str, draft: bool, pre: bool) -> ReleaseFields {
    ReleaseFields {
        tag_name: tag.to_owned(),
        target: "main".to_owned(),
        sha: if draft { String::new() } else { "1".repeat(40) },
        title: format!("Release {tag}"),
        note: "notes".to_owned(),
        is_draft: draft,
        is_prerelease: pre,
        is_candidate: false,
    }
}

fn asset(release_id: i64, repo_id: i64, name: &str, uploader: i64) -> NewAsset {
    NewAsset {
        release_id,
        repo_id,
        uuid: format!("{release_id}-{name}-uuid"),
        name: name.to_owned(),
        size: 3,
        content_type: "application/gzip".to_owned(),
        sha256: "a".repeat(64),
        sha512: "b".repeat(128),
        uploader_id: Some(uploader),
    }
}

/// Release candidates: never dated nor latest, left out of lists, counts and the checklist's
/// facts unless asked for; publishing one (clearing the flag) dates it; `release_approvals`
/// lists published releases since a time, none approved without a release vote.
#[tokio::test]
async fn release_candidates_stay_out_of_sight() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let r = repo(s, ada.id, "tool").await;
        let v1 = s
            .create_release(r.id, &fields("v1.0", false, false), Some(ada.id))
            .await
            .unwrap();
        let mut rc = fields("v2.0-rc1", false, false);
        rc.is_candidate = true;
        let cand = s.create_release(r.id, &rc, Some(ada.id)).await.unwrap();
        assert!(cand.is_candidate, "[{l}]");
        assert_eq!(
            cand.published_at, None,
            "[{l}] a candidate is not published"
        );
        assert_eq!(
            s.latest_release(r.id).await.unwrap().map(|x| x.id),
            Some(v1.id),
            "[{l}]"
        );
        assert_eq!(
            s.newest_published_release(r.id)
                .await
                .unwrap()
                .map(|x| x.id),
            Some(v1.id),
            "[{l}]"
        );
        let everything = ReleaseFilter {
            drafts: true,
            prereleases: true,
            candidates: false,
        };
        let (list, total) = s.list_releases(r.id, everything, 10, 0).await.unwrap();
        assert_eq!(
            (list.iter().map(|x| x.id).collect::<Vec<_>>(), total),
            (vec![v1.id], 1),
            "[{l}]"
        );
        let with_candidates = ReleaseFilter {
            candidates: true,
            ..everything
        };
        let (list, total) = s.list_releases(r.id, with_candidates, 10, 0).await.unwrap();
        assert_eq!((list.len(), total), (2, 2), "[{l}]");
        assert_eq!(s.count_releases(r.id, false).await.unwrap(), 1, "[{l}]");
        assert_eq!(s.count_releases(r.id, true).await.unwrap(), 2, "[{l}]");
        assert!(
            !s.published_release_tags(r.id)
                .await
                .unwrap()
                .contains("v2.0-rc1"),
            "[{l}]"
        );
        assert!(s.is_candidate_tag(r.id, "v2.0-rc1").await.unwrap(), "[{l}]");
        assert!(!s.is_candidate_tag(r.id, "v1.0").await.unwrap(), "[{l}]");
        assert!(!s.is_candidate_tag(r.id, "nope").await.unwrap(), "[{l}]");

        let approvals = s.release_approvals(r.id, 0).await.unwrap();
        assert_eq!(approvals.len(), 1, "[{l}]");
        assert_eq!(
            (approvals[0].0.as_str(), approvals[0].2),
            ("v1.0", None),
            "[{l}]"
        );
        let later = v1.published_at.unwrap() + 1;
        assert!(
            s.release_approvals(r.id, later).await.unwrap().is_empty(),
            "[{l}]"
        );

        // Publishing the candidate by hand dates it; marking a release a candidate again
        // takes its date away.
        let published = s
            .update_release(r.id, cand.id, &fields("v2.0-rc1", false, false))
            .await
            .unwrap();
        assert!(
            !published.is_candidate && published.published_at.is_some(),
            "[{l}]"
        );
        let again = s.update_release(r.id, cand.id, &rc).await.unwrap();
        assert!(again.is_candidate && again.published_at.is_none(), "[{l}]");
    }
}

#[tokio::test]
async fn releases_and_assets_conform() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let r = repo(s, ada.id, "tool").await;
        let other = repo(s, ada.id, "other").await;

        let v1 = s
            .create_release(r.id, &fields("v1.0", false, false), Some(ada.id))
            .await
            .unwrap();
        assert_eq!(v1.author.as_ref().unwrap().name, "ada", "[{l}]");
        assert!(v1.published_at.is_some(), "[{l}]");
        let dup = s
            .create_release(r.id, &fields("v1.0", true, false), Some(ada.id))
            .await;
        assert!(
            matches!(dup, Err(StoreError::Conflict(ConflictField::Name))),
            "[{l}] {dup:?}"
        );
        // Another repository may use the same tag.
        s.create_release(other.id, &fields("v1.0", false, false), None)
            .await
            .unwrap();
        let beta = s
            .create_release(r.id, &fields("v2.0-beta", false, true), Some(ada.id))
            .await
            .unwrap();
        let draft = s
            .create_release(r.id, &fields("v2.0", true, false), Some(ada.id))
            .await
            .unwrap();
        assert_eq!(draft.published_at, None, "[{l}]");

        let latest = s.latest_release(r.id).await.unwrap().unwrap();
        assert_eq!(
            latest.id, v1.id,
            "[{l}] drafts and pre-releases are never latest"
        );
        let all = ReleaseFilter {
            drafts: true,
            prereleases: true,
            candidates: true,
        };
        let (list, total) = s.list_releases(r.id, all, 10, 0).await.unwrap();
        assert_eq!(total, 3, "[{l}]");
        assert_eq!(list.len(), 3, "[{l}]");
        let (list, total) = s
            .list_releases(
                r.id,
                ReleaseFilter {
                    drafts: false,
                    prereleases: true,
                    candidates: true,
                },
                10,
                0,
            )
            .await
            .unwrap();
        assert_eq!((list.len(), total), (2, 2), "[{l}]");
        assert!(list.iter().all(|x| !x.is_draft), "[{l}]");
        let (list, _) = s
            .list_releases(r.id, ReleaseFilter::default(), 10, 0)
            .await
            .unwrap();
        assert_eq!(
            list.iter().map(|x| x.id).collect::<Vec<_>>(),
            [v1.id],
            "[{l}]"
        );
        let (page, total) = s.list_releases(r.id, all, 1, 1).await.unwrap();
        assert_eq!((page.len(), total), (1, 3), "[{l}]");
        assert_eq!(s.count_releases(r.id, false).await.unwrap(), 2, "[{l}]");
        assert_eq!(s.count_releases(r.id, true).await.unwrap(), 3, "[{l}]");

        // Publishing dates the draft; it becomes the latest.
        let mut publish = fields("v2.0", false, false);
        publish.title = "Two".into();
        let published = s.update_release(r.id, draft.id, &publish).await.unwrap();
        assert!(published.published_at.is_some(), "[{l}]");
        assert_eq!(published.title, "Two");
        assert_eq!(
            s.latest_release(r.id).await.unwrap().unwrap().id,
            draft.id,
            "[{l}]"
        );
        // A release of another repository is not found through this one.
        assert!(matches!(
            s.update_release(other.id, draft.id, &publish).await,
            Err(StoreError::NotFound)
        ));
        // Renaming onto a taken tag conflicts.
        let taken = s
            .update_release(r.id, beta.id, &fields("v1.0", false, true))
            .await;
        assert!(
            matches!(taken, Err(StoreError::Conflict(ConflictField::Name))),
            "[{l}]"
        );

        // Assets: unique names per release, counted downloads, renames.
        let a = s
            .add_release_asset(&asset(v1.id, r.id, "tool.tar.gz", ada.id))
            .await
            .unwrap();
        assert_eq!(a.uploader.as_ref().unwrap().name, "ada", "[{l}]");
        let mut again = asset(v1.id, r.id, "tool.tar.gz", ada.id);
        again.uuid = "other-uuid".into();
        let dup = s.add_release_asset(&again).await;
        assert!(
            matches!(dup, Err(StoreError::Conflict(ConflictField::Name))),
            "[{l}] {dup:?}"
        );
        s.add_release_asset(&asset(beta.id, r.id, "tool.tar.gz", ada.id))
            .await
            .unwrap();
        s.add_release_asset(&asset(v1.id, r.id, "tool.tar.gz.asc", ada.id))
            .await
            .unwrap();
        s.count_asset_download(a.id).await.unwrap();
        s.count_asset_download(a.id).await.unwrap();
        let got = s.release_by_tag(r.id, "v1.0").await.unwrap().unwrap();
        assert_eq!(got.assets.len(), 2, "[{l}]");
        assert_eq!(got.assets[0].download_count, 2, "[{l}]");
        let renamed = s
            .rename_release_asset(v1.id, a.id, "tool.tgz")
            .await
            .unwrap();
        assert_eq!(renamed.name, "tool.tgz");
        assert!(matches!(
            s.rename_release_asset(v1.id, a.id, "tool.tar.gz.asc").await,
            Err(StoreError::Conflict(ConflictField::Name))
        ));
        assert!(matches!(
            s.rename_release_asset(beta.id, a.id, "x").await,
            Err(StoreError::NotFound)
        ));
        let gone = s.delete_release_asset(v1.id, a.id).await.unwrap();
        assert_eq!(gone.uuid, a.uuid);
        assert!(matches!(
            s.delete_release_asset(v1.id, a.id).await,
            Err(StoreError::NotFound)
        ));

        // Deleting a release answers its assets (for their files) and takes their rows.
        let removed = s.delete_release(r.id, v1.id).await.unwrap();
        assert_eq!(
            removed.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
            ["tool.tar.gz.asc"]
        );
        assert!(
            s.release_by_id(r.id, v1.id).await.unwrap().is_none(),
            "[{l}]"
        );
        assert!(matches!(
            s.delete_release(r.id, v1.id).await,
            Err(StoreError::NotFound)
        ));

        // Deleting the repository takes its releases.
        s.delete_repo(r.id).await.unwrap();
        assert!(
            s.release_by_id(r.id, beta.id).await.unwrap().is_none(),
            "[{l}]"
        );
    }
}
