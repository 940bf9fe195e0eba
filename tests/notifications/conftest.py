import pytest

from ..factories import IssueFactory


@pytest.fixture
def issue(project, member, run_worker):
    """Alice's issue, with its creation already fanned out: tests start from a quiet inbox."""
    issue = IssueFactory(project=project, actor=member, title="Checkout button does nothing")
    run_worker()
    return issue


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"
