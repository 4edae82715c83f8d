//! The incubation cycle in the browser, as a foundation's secretary and committee run it:
//! a program from the Apache preset, its committee chosen and its rules changed with the
//! template forms; a proposal drafted with its People table, discussed and voted in; the
//! project's roster changed; a release candidate voted on and published; a report on the
//! board calendar written, signed off and found in the month's combined report; graduation by the
//! committee's recommendation, a resolution sent and the board's decision recorded; and a
//! second project retired by vote. Votes close by themselves (the server's closer) once
//! the last binding ballot is in; the page is reloaded until it shows so.

use anyhow::{Context, Result, bail};
use fantoccini::Locator;
use hatchery_web::i18n::Lang;
use std::time::Instant;

use super::{Journey, POLL, WAIT};

const ORG: &str = "foundation";
const PROGRAM: &str = "/foundation/-/incubator/incubator";

impl Journey<'_> {
    pub(super) async fn incubation(&mut self) -> Result<()> {
        let en = Lang::En;
        self.sign_in("alice").await?;

        // --- The foundation: an organization with its committee team (alice on it), and
        // two repositories to propose.
        self.click("#nav-new-org").await?;
        self.wait_css("#org-create-form").await?;
        self.fill("#f-name", ORG).await?;
        self.click("#org-create-submit").await?;
        self.wait_path(&format!("/{ORG}")).await?;
        self.goto(&format!("/org/{ORG}/teams")).await?;
        self.click("#team-new").await?;
        self.wait_css("#team-create-form").await?;
        self.fill("#team-create-form #f-name", "ipmc").await?;
        self.click("#team-create-submit").await?;
        self.wait_path(&format!("/org/{ORG}/teams/ipmc")).await?;
        self.fill("#team-member-add-form #f-username", "alice")
            .await?;
        self.click("#team-member-add-submit").await?;
        self.wait_css("#team-member-list a[href='/alice']").await?;
        for repo in ["widget", "gadget"] {
            self.click("#nav-new-repo").await?;
            self.wait_css("#repo-create-form").await?;
            self.fill("#repo-create-form #f-name", repo).await?;
            self.click("#repo-create-form #f-init_readme").await?;
            self.click("#repo-create-submit").await?;
            self.wait_path(&format!("/alice/{repo}")).await?;
        }

        // --- The program, from the Apache preset, by the organization's owner.
        self.goto(&format!("/{ORG}/-/incubator")).await?;
        self.click("#new-program").await?;
        self.wait_css("#program-new-form").await?;
        self.fill("#program-new-form #f-name", "Foundation Incubator")
            .await?;
        self.fill("#program-new-form #f-slug", "incubator").await?;
        self.find("#program-new-form #f-preset")
            .await?
            .select_by_value("apache")
            .await
            .context("choosing the Apache preset")?;
        self.click("#program-create").await?;
        self.wait_path(PROGRAM).await?;
        self.wait_css("#no-committee").await?;
        self.goto(&format!("{PROGRAM}/settings")).await?;
        self.find("#committee-form #f-team")
            .await?
            .select_by_value("ipmc")
            .await
            .context("choosing the committee")?;
        self.click("#committee-form button[type='submit']").await?;
        self.wait_text(".flash-success", en.t("incubator.flash.saved"))
            .await?;

        // --- The rules, with the template forms: no waiting for discussion or votes, and
        // a committee of one decides (the preset asks three binding +1).
        self.click("#template-forms").await?;
        self.wait_css("#template-form-editor").await?;
        self.fill("input[name='discussion_min_days']", "0").await?;
        for kind in ["accept_proposal", "graduate", "retire", "release"] {
            let p = format!("vote-{kind}-");
            if !self
                .find(&format!("input[name='{p}on']"))
                .await?
                .is_selected()
                .await?
            {
                bail!("the Apache preset votes on {kind}");
            }
            self.fill(&format!("input[name='{p}min_hours']"), "0")
                .await?;
            self.fill(&format!("input[name='{p}min_votes']"), "1")
                .await?;
            self.fill(&format!("input[name='{p}min_plus']"), "1")
                .await?;
        }
        self.screenshot("template-form").await?;
        self.click("#template-form-save").await?;
        self.wait_text(".flash-success", en.t("incubator.flash.template_saved"))
            .await?;

        // --- A proposal with its People table, discussed and voted in.
        let widget = self
            .propose(
                "Widget",
                "widget",
                "alice/widget",
                &[("", "Pat Lee", "committer")],
            )
            .await?;
        self.screenshot("proposal").await?;
        self.vote_in(&widget).await?;
        let project = format!("{PROGRAM}/projects/widget");
        self.goto(&project).await?;
        self.wait_css("#roster-table").await?;
        self.wait_css("#repositories a[href='/foundation/widget']")
            .await
            .context("the accepted proposal's repository moved into the foundation")?;

        // --- The roster after acceptance: a committer added, then their term ended.
        self.find("#roster-form select[name='role']")
            .await?
            .select_by_value("committer")
            .await
            .context("choosing the committer role")?;
        self.fill("#roster-form input[name='name']", "Dee Newcomer")
            .await?;
        self.fill(
            "#roster-form input[name='affiliation']",
            "Example University",
        )
        .await?;
        self.click("#roster-submit").await?;
        self.wait_text("#roster-table", "Dee Newcomer").await?;
        self.screenshot("roster").await?;

        // --- A release candidate voted on and published.
        self.goto("/foundation/widget/releases/new").await?;
        self.wait_css("#release-form").await?;
        self.fill("#release-form #f-tag_name", "v0.1.0-rc1").await?;
        self.fill("#release-form #f-title", "Widget 0.1.0 RC1")
            .await?;
        self.click("#release-form #f-candidate").await?;
        self.click("#release-submit").await?;
        self.wait_css(".release-candidate").await?;
        self.click("#open-release-vote button[type='submit']")
            .await?;
        // The release page lists its votes; the new one is open.
        self.click("#release-votes li.release-vote[data-state='open'] a")
            .await?;
        self.cast_plus_one_and_wait().await?;
        self.goto("/foundation/widget/releases/tag/v0.1.0-rc1")
            .await?;
        self.reload_until_gone(".release-candidate")
            .await
            .context("the passed release vote publishes the candidate")?;

        // --- A report on the board calendar: the one drafted ahead for the project's next
        // reporting month, prefilled from the forge, written, submitted and signed off by
        // the mentor; then the month's combined report for the board.
        self.goto(&project).await?;
        self.click("#report-table a[href*='/reports/']").await?;
        self.wait_css("#report-form").await?;
        self.click("#prefill").await?;
        self.wait_css("#report-form").await?;
        self.client
            .execute(
                "document.querySelectorAll('#report-form textarea')\
                 .forEach(t => { if (!t.value.trim()) t.value = 'Nothing to add this month.'; });",
                vec![],
            )
            .await
            .context("answering the report's questions")?;
        self.click("#report-submit").await?;
        self.wait_css("#report-meta[data-state='submitted']")
            .await?;
        self.fill("#f-signoff", "Read and agreed.").await?;
        self.click("#signoff-submit").await?;
        self.wait_css("#signoff-alice").await?;
        self.goto(&format!("{PROGRAM}/reports")).await?;
        self.wait_css("#calendar-groups").await?;
        self.click("#combined-link").await?;
        self.wait_css("#combined").await?;
        if !self
            .find("#combined")
            .await?
            .text()
            .await?
            .contains("Widget")
        {
            // Drafted ahead: the report is the next month's.
            self.click("#combined-next").await?;
        }
        self.wait_text("#combined", "Widget").await?;
        self.wait_text("#combined", "Read and agreed.").await?;
        self.wait_css("#combined-download").await?;
        self.screenshot("combined-report").await?;

        // --- Graduation: the committee's vote recommends, a resolution is sent and the
        // board's decision recorded.
        self.goto(&project).await?;
        self.find("#stage-vote-form #f-move")
            .await?
            .select_by_value("graduate:graduated")
            .await
            .context("choosing graduation")?;
        self.click("#stage-vote-submit").await?;
        self.cast_plus_one_and_wait().await?;
        self.goto(&project).await?;
        self.reload_until("#graduation-state [data-state='recommended']")
            .await?;
        self.goto(&format!("{project}/graduation")).await?;
        self.wait_css("#resolution-form").await?;
        self.wait_text("#resolution-form textarea", "Widget")
            .await?;
        self.fill("#resolution-form input[name='chair']", "Bob Builder")
            .await?;
        self.click("#resolution-save").await?;
        self.wait_css("#submit-resolution").await?;
        self.click("#submit-resolution").await?;
        self.wait_css("#board-decision-form").await?;
        self.find("#board-decision-form select[name='outcome']")
            .await?
            .select_by_value("approved")
            .await
            .context("choosing approved")?;
        self.fill(
            "#board-decision-form input[name='decision_date']",
            "2026-12-16",
        )
        .await?;
        self.fill(
            "#board-decision-form input[name='reference']",
            "https://example.org/board/minutes/2026-12",
        )
        .await?;
        self.click("#board-decision-submit").await?;
        self.goto(&project).await?;
        self.wait_css("#graduation-state [data-state='approved']")
            .await
            .context("the board approved the graduation")?;
        self.wait_css("#project-status[data-stage='graduated']")
            .await?;
        self.screenshot("graduated").await?;

        // --- A second project, retired by vote; its repository becomes read-only.
        let gadget = self
            .propose(
                "Gadget",
                "gadget",
                "alice/gadget",
                &[("", "Sam Tinker", "committer")],
            )
            .await?;
        self.vote_in(&gadget).await?;
        let project = format!("{PROGRAM}/projects/gadget");
        self.goto(&project).await?;
        self.find("#stage-vote-form #f-move")
            .await?
            .select_by_value("retire:retired")
            .await
            .context("choosing retirement")?;
        self.click("#stage-vote-submit").await?;
        self.cast_plus_one_and_wait().await?;
        self.goto(&project).await?;
        self.reload_until("#project-status[data-stage='retired']")
            .await?;
        self.goto("/foundation/gadget").await?;
        self.wait_css("#read-only-notice[data-retired='true'] #retired-status-link")
            .await
            .context("the retired project's repository says so")?;

        // --- The exports show both ends.
        self.goto(&format!("{PROGRAM}/podlings.xml")).await?;
        self.wait_text("body", "status=\"graduated\"").await?;
        self.wait_text("body", "status=\"retired\"").await?;
        self.goto("/").await?;
        self.sign_out().await
    }

    /// Drafts a proposal with every section filled, bob as champion, alice (on the
    /// committee) as mentor and `people` (username, name, role); returns its page's path.
    async fn propose(
        &mut self,
        name: &str,
        slug: &str,
        repos: &str,
        people: &[(&str, &str, &str)],
    ) -> Result<String> {
        self.goto(&format!("{PROGRAM}/proposals/new")).await?;
        let form = "form.proposal-form";
        self.wait_css(form).await?;
        self.fill(&format!("{form} input[name='name']"), name)
            .await?;
        self.fill(&format!("{form} input[name='slug']"), slug)
            .await?;
        self.fill(&format!("{form} [name='repos']"), repos).await?;
        let mut everyone = vec![("bob", "", "champion"), ("alice", "", "mentor")];
        everyone.extend_from_slice(people);
        let rows = self
            .client
            .find_all(Locator::Css("#people-rows tbody tr"))
            .await?;
        if rows.len() < everyone.len() {
            bail!("the People table offers {} rows", rows.len());
        }
        for (row, (username, person, role)) in rows.iter().zip(&everyone) {
            for (field, value) in [("person_username", username), ("person_name", person)] {
                if !value.is_empty() {
                    row.find(Locator::Css(&format!("input[name='{field}']")))
                        .await?
                        .send_keys(value)
                        .await?;
                }
            }
            row.find(Locator::Css("select[name='person_role']"))
                .await?
                .select_by_value(role)
                .await
                .with_context(|| format!("choosing the role {role}"))?;
        }
        // Every typed section gets a sentence (typing them key by key adds nothing).
        self.client
            .execute(
                "document.querySelectorAll('form.proposal-form textarea[name^=\"section_\"]')\
                 .forEach(t => { t.value = 'Written for the test.'; });",
                vec![],
            )
            .await
            .context("filling the sections")?;
        self.click(&format!("{form} button[type='submit']")).await?;
        self.wait_css("#start-discussion")
            .await
            .context("the proposal is saved as a draft")?;
        let url = self.client.current_url().await?;
        Ok(url.path().to_owned())
    }

    /// Starts the proposal's discussion, opens the vote, votes +1 and waits for the
    /// proposal to be accepted.
    async fn vote_in(&mut self, proposal: &str) -> Result<()> {
        self.goto(proposal).await?;
        self.click("#start-discussion").await?;
        self.click("#open-vote").await?;
        self.cast_plus_one_and_wait().await?;
        self.goto(proposal).await?;
        self.reload_until("#accepted-notice").await
    }

    /// On a vote's page: alice's +1, then the page reloaded until the closer has closed
    /// the vote as passed.
    async fn cast_plus_one_and_wait(&mut self) -> Result<()> {
        self.wait_css("#ballot-form").await?;
        self.click("#ballot-form input[name='value'][value='+1']")
            .await?;
        self.click("#ballot-submit").await?;
        // A live tally can read "Passed" before the closer has run: the frozen tally is
        // what says the vote is closed.
        self.reload_until("#frozen")
            .await
            .context("the vote closes once the last binding ballot is in")?;
        self.wait_text("#outcome", Lang::En.t("incubator.outcome.passed"))
            .await
    }

    async fn goto(&self, path: &str) -> Result<()> {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .with_context(|| format!("opening {path}"))
    }

    async fn reload_until(&self, css: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while !self.exists(css).await? {
            if Instant::now() >= deadline {
                bail!("waited {WAIT:?} for {css:?} on {}", self.url().await);
            }
            tokio::time::sleep(POLL).await;
            self.client.refresh().await?;
        }
        Ok(())
    }

    async fn reload_until_gone(&self, css: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while self.exists(css).await? {
            if Instant::now() >= deadline {
                bail!("waited {WAIT:?} for {css:?} to go on {}", self.url().await);
            }
            tokio::time::sleep(POLL).await;
            self.client.refresh().await?;
        }
        Ok(())
    }
}
