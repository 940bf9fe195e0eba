"""The inbox, preferences, watching an issue, @mention suggestions and unsubscribing.

The inbox and preferences are the user's own pages (login required, no project); watching and
suggestions are project pages (`project_for` first: 404 for non-members). Unsubscribing works
without logging in: the link is signed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from issues.access import project_for
from issues.models import Issue, IssueEvent, Project

from . import delivery, operations
from .forms import PreferencesForm
from .models import Notification, Preferences, Watch
from .summary import summarise

PER_PAGE = 50
SHOWS = {"all": "All", "unread": "Unread", "mentions": "Mentions"}
SUGGESTIONS = 8


# The inbox -----------------------------------------------------------------------------------


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """One row per issue, newest first: what changed since the user last looked."""
    show = request.GET.get("show") or "all"
    status, notes = 200, []
    if show not in SHOWS:
        notes.append(f"There is no “{show[:20]}” filter: showing all.")
        show, status = "all", 400
    number = request.GET.get("page") or "1"
    if not number.isdigit() or not 0 < int(number) < 100_000:
        notes.append(f"There is no page “{number[:20]}”: showing the first.")
        number = "1"
    page = int(number)
    rows = Notification.objects.visible_to(request.user)
    if show == "unread":
        rows = rows.unread()
    elif show == "mentions":
        rows = rows.filter(mentioned=True)
    rows = list(
        rows.select_related("issue__project")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=IssueEvent.objects.select_related("actor", "requester").order_by(
                    "created_at", "id"
                ),
            )
        )
        .order_by("-updated_at", "-id")[(page - 1) * PER_PAGE : page * PER_PAGE + 1]
    )
    has_next = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    username = request.user.get_username()
    prefixes: dict[str, str] = {}  # Reversing the issue URL once per project, not per row.
    for row in rows:
        key = row.issue.project.key
        if key not in prefixes:
            prefixes[key] = reverse("issues:detail", args=[key, 0])[: -len("0/")]
        row.url = f"{prefixes[key]}{row.issue.number}/"
        row.summary = summarise(row.events.all(), row.issue.key, username)
    context = {
        "nav_section": "inbox",
        "rows": rows,
        "show": show,
        "shows": [(name, label, _inbox_url(name, 1)) for name, label in SHOWS.items()],
        "notes": notes,
        "page": page,
        "newer_url": _inbox_url(show, page - 1) if page > 1 else None,
        "older_url": _inbox_url(show, page + 1) if has_next else None,
    }
    return render(request, "notifications/inbox.html", context, status=status)


def _inbox_url(show: str, page: int) -> str:
    url = reverse("notifications:inbox")
    query = "&".join(
        part
        for part in (f"show={show}" if show != "all" else "", f"page={page}" if page > 1 else "")
        if part
    )
    return f"{url}?{query}" if query else url


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = operations.mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    show = request.POST.get("show")
    return HttpResponseRedirect(_inbox_url(show if show in SHOWS else "all", 1))


# Preferences ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """How the user hears about changes: e-mail now, a daily digest or never; muted projects."""
    current = Preferences.of(request.user)
    projects = Project.objects.visible_to(request.user).order_by("key").only("key", "name")
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST, projects=projects)
        if form.is_valid():
            operations.save_preferences(user=request.user, **form.cleaned_data)
            messages.success(request, "Your notification preferences are saved.")
            return HttpResponseRedirect(reverse("notifications:preferences"))
        status = 422
    else:
        muted = current.muted_projects.all() if current.pk else []
        form = PreferencesForm(
            initial={
                "email": current.email,
                "email_mentions": current.email_mentions,
                "muted_projects": [project.pk for project in muted],
            },
            projects=projects,
        )
    context = {"nav_section": "preferences", "form": form, "email": request.user.email}
    return render(request, "notifications/preferences.html", context, status=status)


# Watching (a project page) -------------------------------------------------------------------


@require_POST
@login_required
@vary_on_headers("HX-Request")
def watch(request: HttpRequest, key: str, number: int) -> HttpResponse:
    """Watch (`watch=1`) or stop watching (`watch=0`) an issue: anyone who can see it."""
    project = project_for(request, key)
    issue = get_object_or_404(Issue.objects.filter(project=project), number=number)
    issue.project = project
    wanted = request.POST.get("watch")
    if wanted not in ("0", "1"):
        message = "Say watch=1 to watch the issue or watch=0 to stop."
        return HttpResponse(message, status=400, headers={"X-Error-Message": message})
    if wanted == "1":
        operations.watch(issue=issue, user=request.user)
    else:
        operations.unwatch(issue=issue, user=request.user)
    if request.htmx:
        context = {"project": project, "issue": issue, "watch": watch_state(issue, request.user)}
        return render(request, "notifications/_watch.html", context)
    messages.success(
        request,
        f"You watch {issue.key}." if wanted == "1" else f"You stopped watching {issue.key}.",
    )
    return HttpResponseRedirect(issue.get_absolute_url())


def watch_state(issue: Issue, user) -> dict:
    """The issue's watchers (one query) and whether `user` is one of them."""
    users = [
        watch.user for watch in Watch.objects.filter(issue=issue).select_related("user__profile")
    ]
    return {"watchers": users, "watching": any(u.pk == user.pk for u in users)}


@require_GET
@login_required
def mention_suggestions(request: HttpRequest, key: str) -> HttpResponse:
    """Members whose username or name starts with ?q=, for the @ autocomplete (a listbox)."""
    project = project_for(request, key)
    typed = (request.GET.get("q") or "")[:150].lstrip("@").replace("\x00", "")
    people = get_user_model().objects.filter(memberships__project=project, is_active=True)
    if typed:
        people = people.filter(
            Q(username__istartswith=typed)
            | Q(first_name__istartswith=typed)
            | Q(last_name__istartswith=typed)
        )
    people = (
        people.select_related("profile")
        .order_by("username")
        .only("username", "first_name", "last_name", "profile__avatar_color")
    )
    context = {"people": list(people[:SUGGESTIONS]), "typed": typed}
    return render(request, "notifications/_mentions.html", context)


# Unsubscribing (no login: the link is signed) ------------------------------------------------


@csrf_exempt  # A mail client's one-click POST (RFC 8058) carries no CSRF token: the link is signed.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners must not unsubscribe anyone); POST does it, as often as sent."""
    try:
        user, issue, for_issue = delivery.read_token(token)
    except delivery.BadLink as error:
        return render(request, "notifications/unsubscribe.html", {"error": str(error)}, status=400)
    done = None
    if request.method == "POST":
        done = delivery.unsubscribe(token)
    context = {"issue": issue, "for_issue": for_issue, "done": done, "account": user}
    return render(request, "notifications/unsubscribe.html", context)
