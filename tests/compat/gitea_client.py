"""Drives Hatchery with the OpenAPI-generated Gitea client (gitea-api-client 1.27.3),
whose pydantic models validate every response against Gitea's schema."""
import asyncio, base64, os, sys
import gitea_api_client as g

TOKEN = open(os.environ.get("GITEA_TOKEN_FILE", "token.txt")).read().split("... ")[1].strip()

async def main():
    conf = g.Configuration(host="http://127.0.0.1:3917/api/v1")
    conf.api_key["AuthorizationHeaderToken"] = TOKEN
    conf.api_key_prefix["AuthorizationHeaderToken"] = "token"
    async with g.ApiClient(conf) as client:
        misc = g.MiscellaneousApi(client)
        user = g.UserApi(client)
        repo = g.RepositoryApi(client)
        issue = g.IssueApi(client)
        org = g.OrganizationApi(client)
        ok = []
        def check(name, cond=True):
            ok.append((name, cond)); print(("PASS " if cond else "FAIL ") + name)
        v = await misc.get_version(); check("getVersion " + v.version)
        me = await user.user_get_current(); check("userGetCurrent login=" + me.login, me.login == "ada")
        r = await repo.create_current_user_repo(body=g.CreateRepoOption(name="smoke", description="via gitea client", auto_init=True))
        check("createCurrentUserRepo " + r.full_name, r.full_name == "ada/smoke")
        r = await repo.repo_get("ada", "smoke"); check("repoGet default_branch=" + r.default_branch)
        b = await repo.repo_list_branches("ada", "smoke"); check("repoListBranches %d" % len(b), len(b) == 1)
        c = await repo.repo_get_all_commits("ada", "smoke"); check("repoGetAllCommits %d" % len(c), len(c) == 1)
        f = await repo.repo_get_contents("ada", "smoke", "README.md")
        check("repoGetContents README.md", f.type == "file" and base64.b64decode(f.content))
        lst = await repo.repo_get_contents_list("ada", "smoke"); check("repoGetContentsList %d" % len(lst))
        lab = await issue.issue_create_label("ada", "smoke", body=g.CreateLabelOption(name="bug", color="#d73a4a"))
        check("issueCreateLabel " + lab.name)
        ms = await issue.issue_create_milestone("ada", "smoke", body=g.CreateMilestoneOption(title="v1"))
        check("issueCreateMilestone " + ms.title)
        i = await issue.issue_create_issue("ada", "smoke", body=g.CreateIssueOption(title="From the Gitea client", body="Hello #1", labels=[lab.id], milestone=ms.id))
        check("issueCreateIssue #%d" % i.number, i.number == 1)
        cm = await issue.issue_create_comment("ada", "smoke", 1, body=g.CreateIssueCommentOption(body="a comment"))
        check("issueCreateComment")
        cms = await issue.issue_get_comments("ada", "smoke", 1); check("issueGetComments %d" % len(cms), len(cms) == 1)
        e = await issue.issue_edit_issue("ada", "smoke", 1, body=g.EditIssueOption(state="closed"))
        check("issueEditIssue state=" + e.state, e.state == "closed")
        li = await issue.issue_list_issues("ada", "smoke", state="all"); check("issueListIssues %d" % len(li), len(li) == 1)
        labels = await issue.issue_list_labels("ada", "smoke"); check("issueListLabels %d" % len(labels))
        mss = await issue.issue_get_milestones_list("ada", "smoke", state="all"); check("issueGetMilestonesList %d" % len(mss))
        s = await repo.repo_search(q="smoke"); check("repoSearch ok=%s n=%d" % (s.ok, len(s.data)), s.ok and len(s.data) == 1)
        o = await org.org_create(organization=g.CreateOrgOption(username="smoke-org", full_name="Smoke Org"))
        check("orgCreate " + o.name)
        og = await org.org_get("smoke-org"); check("orgGet " + og.name)
        teams = await org.org_list_teams("smoke-org"); check("orgListTeams %d" % len(teams))
        members = await org.org_list_members("smoke-org"); check("orgListMembers %d" % len(members))
        orr = await org.create_org_repo("smoke-org", body=g.CreateRepoOption(name="lib")); check("createOrgRepo " + orr.full_name)
        h = await repo.repo_create_hook("ada", "smoke", body=g.CreateHookOption(type="gitea", config={"url": "https://hooks.example.org/hatchery", "content_type": "json"}, events=["push"], active=True))
        check("repoCreateHook id=%d" % h.id)
        hooks = await repo.repo_list_hooks("ada", "smoke"); check("repoListHooks %d" % len(hooks))
        tags = await repo.repo_list_tags("ada", "smoke"); check("repoListTags %d" % len(tags))
        u = await user.user_get(username="ada"); check("userGet " + u.login)
        ur = await user.user_current_list_repos(); check("userCurrentListRepos %d" % len(ur))
        await repo.repo_add_collaborator("ada", "smoke", "sysop", body=g.AddCollaboratorOption(permission="read"))
        check("repoAddCollaborator")
        await repo.repo_check_collaborator("ada", "smoke", "sysop"); check("repoCheckCollaborator")
        await repo.repo_edit("ada", "smoke", body=g.EditRepoOption(description="edited"))
        check("repoEdit")
        await repo.repo_delete("smoke-org", "lib"); check("repoDelete")
        bad = [n for n, c in ok if not c]
        print("%d checks, %d failed" % (len(ok), len(bad)))
        sys.exit(1 if bad else 0)

asyncio.run(main())
