"""Intake's part of `manage.py seed_demo`: WEB's customers, their requests and votes, and a
published ideas portal. Runs once (skipped when WEB already has a portal)."""

from __future__ import annotations

from django.db import transaction

from issues import operations as issue_operations
from issues.models import Issue, Kind, Project, Source, StatusCategory

from . import operations
from .models import Channel, Portal, PortalMode

CUSTOMERS = [
    # e-mail, name, company
    ("maria.gonzalez@northwind.example", "María González", "Northwind Traders"),
    ("tom.becker@contoso.example", "Tom Becker", "Contoso"),
    ("aisha.khan@fabrikam.example", "Aisha Khan", "Fabrikam"),
    ("lena.vogel@tailspin.example", "Lena Vogel", "Tailspin Toys"),
    ("sam.okafor@adventure-works.example", "Sam Okafor", "Adventure Works"),
    ("yuki.tanaka@litware.example", "Yuki Tanaka", "Litware"),
    ("pieter.dewit@proseware.example", "Pieter de Wit", "Proseware"),
    ("chloe.martin@wingtip.example", "Chloé Martin", "Wingtip Toys"),
]
# Published ideas: title → [(customer index, channel, their words)]
ASKS = {
    "Dark mode, please": [
        (0, Channel.PORTAL, "Using the shop at night is blinding."),
        (1, Channel.PORTAL, ""),
        (2, Channel.WIDGET, "My eyes hurt after ten minutes of browsing."),
        (3, Channel.PORTAL, ""),
        (5, Channel.PORTAL, ""),
    ],
    "Export my order history as CSV": [
        (4, Channel.API, "Our accountant needs every order of the year in a spreadsheet."),
        (6, Channel.PORTAL, ""),
        (1, Channel.MEMBER, "Asked on the quarterly call."),
    ],
    "Change the delivery address after ordering": [
        (7, Channel.API, "I moved and the parcel went to my old flat."),
        (0, Channel.PORTAL, ""),
    ],
    "Make the account step optional in the checkout flow": [
        (2, Channel.PORTAL, "Please let me buy without creating yet another account."),
        (3, Channel.PORTAL, ""),
        (6, Channel.PORTAL, ""),
        (7, Channel.PORTAL, ""),
    ],
    "Integrate the Payment Request API": [
        (5, Channel.PORTAL, "Apple Pay would make checkout on my phone so much faster."),
        (4, Channel.PORTAL, ""),
    ],
    "Link Google accounts to existing e-mail accounts": [
        (1, Channel.WIDGET, "I signed up with e-mail and now cannot use Google sign-in."),
    ],
}
TEAM_NOTES = [
    # title, author, public comment
    ("Integrate the Payment Request API", "alice",
     "Apple Pay and Google Pay are being tested on real phones; we expect to ship this month."),
    ("Dark mode, please", "demo",
     "Thanks for all the votes! The design system needs dark colour tokens first."),
]  # fmt: skip
# Ideas submitted through the portal, still in triage (the first is a duplicate to merge).
SUBMISSIONS = [
    (3, "Dark mode for the website", "Like the app, but for the shop in the browser."),
    (6, "Save several delivery addresses", "I send gifts to my parents and my office."),
]


@transaction.atomic
def seed_intake(users: dict) -> bool:
    """Fill WEB's intake; False when it was already there."""
    project = Project.objects.filter(key="WEB").first()
    if project is None or Portal.objects.filter(project=project).exists():
        return False
    demo = users["demo"]
    operations.configure_portal(
        project=project, actor=demo, enabled=True, mode=PortalMode.FULL, private=False,
        title="Web app ideas",
    )  # fmt: skip
    people = [
        operations.requester_for(email=email, name=name, company=company, verified=True)
        for email, name, company in CUSTOMERS
    ]
    issues = {issue.title: issue for issue in Issue.objects.filter(project=project)}
    for title, asks in ASKS.items():
        issue = issue_operations.update_issue(
            issue=issues[title], actor=demo, changes={"public": True}
        )
        for index, channel, words in asks:
            operations.add_request(
                issue=issue,
                requester=people[index],
                channel=channel,
                actor=users["bob"] if channel == Channel.MEMBER else None,
                source=_source(channel),
                words=words,
            )
    for title, author, body in TEAM_NOTES:
        issue_operations.add_comment(
            issue=issues[title], actor=users[author], body=body, public=True
        )
    # What shipped in the released versions is on the portal's releases page.
    shipped = Issue.objects.filter(
        project=project, release__state="released", status__category=StatusCategory.DONE
    ).exclude(kind=Kind.SUBTASK)
    for issue in shipped:
        issue_operations.update_issue(issue=issue, actor=demo, changes={"public": True})
    # A customer's comment on a published idea.
    issue_operations.add_customer_comment(
        issue=issues["Dark mode, please"],
        requester=people[2],
        body="Same here: I read the shop late in the evening, and white pages are hard on the eyes.",
    )
    for index, title, description in SUBMISSIONS:
        operations.receive(
            project=project,
            channel=Channel.PORTAL,
            title=title,
            description=description,
            source=Source.IDEAS_PORTAL,
            requester={"email": people[index].email},
            requester_verified=True,
        )
    return True


def _source(channel: str) -> str:
    return {
        Channel.PORTAL: Source.IDEAS_PORTAL,
        Channel.WIDGET: Source.IN_APP_FEEDBACK,
        Channel.API: Source.SUPPORT_TICKET,
    }.get(channel, Source.CUSTOMER_FEEDBACK)
