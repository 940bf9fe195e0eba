from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from issues.access import project_for


@require_GET
@login_required
def board(request: HttpRequest, key: str) -> HttpResponse:
    project = project_for(request, key)
    return render(request, "boards/board.html", {"project": project})
