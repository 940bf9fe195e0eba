"""CSV export of issues (being built: see issue 7)."""

from django.http import Http404, HttpRequest, HttpResponse


def export_csv(request: HttpRequest, key: str) -> HttpResponse:
    raise Http404("Export is not available yet.")
